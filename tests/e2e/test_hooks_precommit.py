"""The pre-commit framework (Debian's `pre-commit`, the real client) with this repository's
.pre-commit-hooks.yaml: a throwaway project uses a hook repository built here (the hook
definition committed, glpatrol on PATH) and must have a commit with a token rejected and a
clean commit accepted; the same for the pre-push stage. Fully offline."""
import os
import shutil
import subprocess

import glp
from test_git_fixtures import GIT_ENV
from test_hooks import git, commit_file

PRE_COMMIT = shutil.which("pre-commit") or "/usr/bin/pre-commit"


def require_pre_commit():
    # CI installs it (build.sh PKGS); a missing tool is a failure, never a silent skip.
    assert os.path.exists(PRE_COMMIT), "pre-commit is not installed (Debian package pre-commit)"


def setup(d):
    require_pre_commit()
    bindir = os.path.join(d, "bin")
    os.makedirs(bindir)
    os.symlink(glp.BIN, os.path.join(bindir, "glpatrol"))
    env = {"PATH": bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
           "PRE_COMMIT_HOME": os.path.join(d, "pre-commit-home"),
           "HOME": d}
    # The hook repository: this checkout's .pre-commit-hooks.yaml, committed.
    hooks = os.path.join(d, "hooks-repo")
    os.makedirs(hooks)
    shutil.copy(os.path.join(glp.SRC, ".pre-commit-hooks.yaml"), hooks)
    git(d, "init", "-q", "-b", "main", hooks)
    git(hooks, "add", ".pre-commit-hooks.yaml")
    git(hooks, "commit", "-q", "-m", "hooks")
    rev = git(hooks, "rev-parse", "HEAD").out.strip()
    # The project using it.
    proj = os.path.join(d, "project")
    git(d, "init", "-q", "-b", "main", proj)
    glp.write(os.path.join(proj, ".pre-commit-config.yaml"),
              f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n"
              f"      - id: glpatrol\n      - id: glpatrol-pre-push\n")
    git(proj, "add", ".pre-commit-config.yaml")
    git(proj, "commit", "-q", "-m", "pre-commit config", env={"PATH": env["PATH"]})
    return proj, env


def run_pc(proj, env, *args):
    e = dict(os.environ)
    e.update(GIT_ENV)
    e.update(env)
    p = subprocess.run([PRE_COMMIT] + list(args), cwd=proj, env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()


def test_pre_commit_framework_with_glpatrol_on_path():
    with glp.TempDir() as d:
        proj, env = setup(d)
        run_pc(proj, env, "install", "-t", "pre-commit", "-t", "pre-push")
        tok = glp.pat()
        c = commit_file_env(proj, env, "settings.env", f"GITLAB_TOKEN={tok}\n")
        out = c.out + c.err
        assert c.returncode != 0, "pre-commit accepted a commit with a token:\n" + out
        assert "glpatrol (GitLab tokens in staged changes)" in out and "Failed" in out, out
        assert tok not in out, "raw token printed"
        assert tok[:6] in out and "settings.env:1:14" in out and "Revoke the token" in out, out
        assert git(proj, "rev-list", "--count", "HEAD").out.strip() == "1"
        # A clean commit is accepted.
        c = commit_file_env(proj, env, "settings.env", "GITLAB_TOKEN=${CI_JOB_TOKEN}\n")
        assert c.returncode == 0, c.out + c.err
        assert "Passed" in c.out + c.err
        # pre-push stage: a commit that slipped past (--no-verify) is stopped at push time.
        bare = os.path.join(d, "remote.git")
        git(d, "init", "-q", "--bare", "-b", "main", bare)
        git(proj, "remote", "add", "origin", bare)
        p = git(proj, "push", "-q", "origin", "main", env=env, check=False)
        assert p.returncode == 0, p.out + p.err
        tok2 = glp.pat()
        glp.write(os.path.join(proj, "later.txt"), tok2 + "\n")
        git(proj, "add", "later.txt")
        git(proj, "commit", "-q", "--no-verify", "-m", "sneaky", env=env)
        p = git(proj, "push", "origin", "main", env=env, check=False)
        out = p.out + p.err
        assert p.returncode != 0, "push with a token accepted:\n" + out
        assert "push rejected" in out and "later.txt:1:1" in out and tok2 not in out, out


def commit_file_env(repo, env, rel, content):
    glp.write(os.path.join(repo, rel), content)
    git(repo, "add", rel, env=env)
    return git(repo, "commit", "-q", "-m", "change", env=env, check=False)


if __name__ == "__main__":
    glp.main([test_pre_commit_framework_with_glpatrol_on_path])
