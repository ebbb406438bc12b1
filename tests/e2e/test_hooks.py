"""Git hooks with the real git client: `glpatrol install-hook` (pre-commit, pre-push) and the
server-side `glpatrol pre-receive` on a local bare repository. Every token is generated at
run time (glp.py)."""
import os
import stat
import subprocess
import time

import glp
from test_git_fixtures import Repo, GIT_ENV


def git(cwd, *args, check=True, env=None):
    e = dict(os.environ)
    e.update(GIT_ENV)
    e.update({"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
              "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"})
    if env:
        e.update(env)
    p = subprocess.run(["git", "-C", cwd] + list(args), env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    p.out = p.stdout.decode(errors="replace")
    p.err = p.stderr.decode(errors="replace")
    if check and p.returncode != 0:
        raise AssertionError(f"git {args} rc={p.returncode}\n{p.out}\n{p.err}")
    return p


def commit_file(repo, rel, content, msg="change", check=True):
    glp.write(os.path.join(repo, rel), content)
    git(repo, "add", rel)
    return git(repo, "commit", "-q", "-m", msg, check=check)


def assert_blocked_message(text, tok, path, push=False):
    assert tok not in text, "raw token printed"
    assert ("push rejected" if push else "commit rejected") in text, text
    assert tok[:6] in text and "*" in text, text          # redacted form
    assert path in text, text
    assert "Revoke the token in GitLab" in text, text
    assert "User settings > Access tokens" in text, text
    assert "/-/user_settings/personal_access_tokens" in text, text
    assert "glpatrol:allow" in text, text
    assert "gitlab.pat:" in text, text                     # fingerprint to mark a false positive


# --- install-hook: pre-commit -----------------------------------------------------------

def test_install_hook_blocks_a_commit_with_a_token_and_accepts_a_clean_one():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"README": "hi\n"})
        p = glp.run(["install-hook", r.path], check_rc=0)
        hook = os.path.join(r.path, ".git", "hooks", "pre-commit")
        assert os.stat(hook).st_mode & stat.S_IXUSR
        assert "installed pre-commit hook" in p.out
        tok = glp.pat()
        c = commit_file(r.path, "config/app.env", f"A=1\nTOKEN={tok}\n", check=False)
        assert c.returncode != 0, "commit with a token was accepted"
        assert_blocked_message(c.err + c.out, tok, "config/app.env:2:7")
        assert "git add" in c.err and "git commit --no-verify" in c.err
        assert git(r.path, "rev-list", "--count", "HEAD").out.strip() == "1"
        # Remove the token from the change: the commit goes through.
        commit_file(r.path, "config/app.env", "A=1\nTOKEN=${GITLAB_TOKEN}\n")
        assert git(r.path, "rev-list", "--count", "HEAD").out.strip() == "2"
        # A false positive marked in .glpatrolignore (fingerprint + reason) is accepted.
        fp = [l for l in c.err.splitlines() if "gitlab.pat:" in l and "#" in l][0].split()[0]
        glp.write(os.path.join(r.path, ".glpatrolignore"), f"{fp}  # test fixture, not a real token\n")
        commit_file(r.path, "tests/fixture.txt", f"x {tok}\n")
        # ... and an inline allow.
        tok2 = glp.pat()
        commit_file(r.path, "docs/example.md", f"token: {tok2}  # glpatrol:allow\n")


def test_hook_only_sees_staged_content():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"a.txt": "a\n"})
        glp.run(["install-hook", r.path], check_rc=0)
        tok = glp.pat()
        # Token only in the work tree (not staged): the commit of another file passes.
        glp.write(os.path.join(r.path, "unstaged.txt"), f"{tok}\n")
        commit_file(r.path, "b.txt", "b\n")
        # Staged, then removed from the work tree: still blocked (the index is what commits).
        glp.write(os.path.join(r.path, "c.txt"), f"{tok}\n")
        git(r.path, "add", "c.txt")
        glp.write(os.path.join(r.path, "c.txt"), "clean\n")
        c = git(r.path, "commit", "-q", "-m", "c", check=False)
        assert c.returncode != 0 and "c.txt:1:1" in c.err, c.err


def test_hook_checks_the_index_git_commits_from_commit_a_and_commit_paths():
    # `git commit -a` and `git commit PATHS` build the commit from another index than
    # .git/index and name it in GIT_INDEX_FILE for the hook. Reading .git/index there let a
    # token through (found by this test); the hook must check what is being committed.
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"a.txt": "a\n", "b.txt": "b\n"})
        glp.run(["install-hook", r.path], check_rc=0)
        tok = glp.pat()
        glp.write(os.path.join(r.path, "a.txt"), f"a\n{tok}\n")  # tracked, not staged
        c = git(r.path, "commit", "-q", "-a", "-m", "all", check=False)
        assert c.returncode != 0 and "a.txt:2:1" in c.err, (c.returncode, c.err)
        c = git(r.path, "commit", "-q", "-m", "paths", "a.txt", check=False)
        assert c.returncode != 0 and "a.txt:2:1" in c.err, (c.returncode, c.err)
        assert git(r.path, "rev-list", "--count", "HEAD").out.strip() == "1"
        # A partial commit of a clean path passes although a.txt still holds the token.
        glp.write(os.path.join(r.path, "b.txt"), "b2\n")
        git(r.path, "commit", "-q", "-m", "b only", "b.txt")
        assert git(r.path, "rev-list", "--count", "HEAD").out.strip() == "2"


def test_install_hook_refuses_a_foreign_hook_unless_forced():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"a": "1\n"})
        hook = os.path.join(r.path, ".git", "hooks", "pre-commit")
        glp.write(hook, "#!/bin/sh\necho foreign\n")
        os.chmod(hook, 0o755)
        p = glp.run(["install-hook", r.path], check_rc=2)
        assert "not written by glpatrol" in p.err and "--force" in p.err
        assert open(hook).read() == "#!/bin/sh\necho foreign\n"
        glp.run(["install-hook", r.path, "--force"], check_rc=0)
        assert "glpatrol-hook" in open(hook).read()
        assert open(hook + ".pre-glpatrol").read() == "#!/bin/sh\necho foreign\n"
        # Re-installing over our own hook is an update, not a conflict.
        glp.run(["install-hook", r.path], check_rc=0)


def test_install_hook_honours_core_hooks_path_and_quotes_the_binary():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"a": "1\n"})
        git(r.path, "config", "core.hooksPath", "my hooks")
        odd = os.path.join(d, "bin dir's")
        os.makedirs(odd)
        os.symlink(glp.BIN, os.path.join(odd, "glpatrol"))
        glp.run(["install-hook", r.path, "--binary", os.path.join(odd, "glpatrol")], check_rc=0)
        hook = os.path.join(r.path, "my hooks", "pre-commit")
        assert os.path.exists(hook)
        tok = glp.pat()
        c = commit_file(r.path, "x.txt", tok + "\n", check=False)
        assert c.returncode != 0 and "commit rejected" in c.err, c.err


def test_missing_binary_fails_closed_with_a_clear_message():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"a": "1\n"})
        glp.run(["install-hook", r.path, "--binary", os.path.join(d, "nope", "glpatrol")], check_rc=0)
        c = commit_file(r.path, "x.txt", "clean\n", check=False)
        assert c.returncode != 0 and "not found" in c.err, c.err


# --- install-hook: pre-push ----------------------------------------------------------------

def make_remote(d):
    bare = os.path.join(d, "remote.git")
    git(d, "init", "-q", "--bare", "-b", "main", bare)
    work = os.path.join(d, "work")
    git(d, "clone", "-q", bare, work)
    git(work, "checkout", "-q", "-b", "main")
    return bare, work


def test_pre_push_hook_blocks_new_commits_with_a_token():
    with glp.TempDir() as d:
        bare, work = make_remote(d)
        commit_file(work, "README", "hi\n")
        git(work, "push", "-q", "origin", "main")
        glp.run(["install-hook", "--pre-push", work], check_rc=0)
        tok = glp.pat()
        commit_file(work, "deploy.sh", f"curl -H 'PRIVATE-TOKEN: {tok}'\n", msg="deploy")
        commit_file(work, "deploy.sh", "curl -H \"PRIVATE-TOKEN: $TOKEN\"\n", msg="fix")
        p = git(work, "push", "origin", "main", check=False)
        assert p.returncode != 0, "push with a token in history accepted"
        assert_blocked_message(p.err, tok, "deploy.sh:1:", push=True)
        assert "git rebase -i" in p.err and "git push --no-verify" in p.err
        assert git(bare, "rev-list", "--count", "main").out.strip() == "1"
        # A new branch whose commits are all on the remote already: nothing new, accepted.
        git(work, "branch", "old", "origin/main")
        git(work, "push", "-q", "origin", "old")
        # Rewrite the history without the token: accepted.
        git(work, "reset", "-q", "--hard", "origin/main")
        commit_file(work, "deploy.sh", "curl -H \"PRIVATE-TOKEN: $TOKEN\"\n", msg="deploy")
        git(work, "push", "-q", "origin", "main")


# --- pre-receive (server side) --------------------------------------------------------------

def server(d, extra_args=""):
    """A bare repository with `glpatrol pre-receive` installed as its hook, and a clone."""
    bare = os.path.join(d, "server.git")
    git(d, "init", "-q", "--bare", "-b", "main", bare)
    hook = os.path.join(bare, "hooks", "pre-receive")
    glp.write(hook, f"#!/bin/sh\nexec '{glp.BIN}' pre-receive {extra_args}\n")
    os.chmod(hook, 0o755)
    work = os.path.join(d, "work")
    git(d, "clone", "-q", bare, work)
    git(work, "checkout", "-q", "-b", "main")
    return bare, work


def remote_head(bare, ref="main"):
    p = git(bare, "rev-parse", "--verify", "-q", ref, check=False)
    return p.out.strip() if p.returncode == 0 else None


def test_pre_receive_rejects_a_push_with_a_token_and_accepts_clean_pushes():
    with glp.TempDir() as d:
        bare, work = server(d)
        commit_file(work, "README", "hi\n")
        git(work, "push", "-q", "origin", "main")            # clean first push (new branch)
        base = remote_head(bare)
        tok = glp.pat()
        commit_file(work, "app/settings.py", f"TOKEN = '{tok}'\n", msg="add settings")
        p = git(work, "push", "origin", "main", check=False)
        assert p.returncode != 0, p.err
        assert remote_head(bare) == base, "rejected push updated the ref"
        err_lines = [l for l in p.err.splitlines() if l.startswith("remote: ")]
        gl = [l for l in err_lines if l.startswith("remote: GL-HOOK-ERR: ")]
        assert gl and len(gl) == len([l for l in err_lines if "glpatrol" in l or "GL-HOOK" in l]), p.err
        assert_blocked_message(p.err, tok, "app/settings.py:1:", push=True)
        assert "administrator" in p.err                       # server-side false-positive advice
        assert "--no-verify" not in p.err                     # no client bypass on the server
        # Deleting the token in a follow-up commit is not enough: history still has it.
        commit_file(work, "app/settings.py", "TOKEN = os.environ['T']\n", msg="remove")
        assert git(work, "push", "origin", "main", check=False).returncode != 0
        # Rewritten history without the token: accepted.
        git(work, "reset", "-q", "--hard", base)
        commit_file(work, "app/settings.py", "TOKEN = os.environ['T']\n", msg="settings")
        git(work, "push", "-q", "origin", "main")
        assert remote_head(bare) == git(work, "rev-parse", "HEAD").out.strip()


def test_pre_receive_new_branches_force_pushes_tags_and_deletions():
    with glp.TempDir() as d:
        bare, work = server(d)
        commit_file(work, "a.txt", "a\n")
        git(work, "push", "-q", "origin", "main")
        main = remote_head(bare)
        tok = glp.pat()
        # New branch with a token.
        git(work, "checkout", "-q", "-b", "feature")
        commit_file(work, "f.txt", tok + "\n")
        p = git(work, "push", "origin", "feature", check=False)
        assert p.returncode != 0 and "GL-HOOK-ERR" in p.err, p.err
        assert remote_head(bare, "feature") is None
        # New branch pointing at commits already on the server: accepted.
        git(work, "push", "-q", "origin", "main:refs/heads/copy")
        # Force push of rewritten main whose new commit carries the token: rejected.
        git(work, "checkout", "-q", "main")
        git(work, "commit", "-q", "--amend", "-m", "amended", "--allow-empty")
        commit_file(work, "g.txt", f"x={tok}\n")
        p = git(work, "push", "--force", "origin", "main", check=False)
        assert p.returncode != 0 and remote_head(bare) == main, p.err
        # Annotated tag of a new commit with a token: rejected.
        git(work, "tag", "-a", "v1", "-m", "release")
        p = git(work, "push", "origin", "v1", check=False)
        assert p.returncode != 0, p.err
        # A token in the message of an annotated tag of a commit the server has: rejected.
        tag_tok = glp.pat()
        git(work, "tag", "-a", "v0", "-m", f"release notes {tag_tok}", main)
        p = git(work, "push", "origin", "v0", check=False)
        assert p.returncode != 0 and "refs/tags/v0" in p.err and "tag-message" in p.err, p.err
        assert tag_tok not in p.err
        # Deletion: accepted (nothing to scan).
        git(work, "push", "-q", "origin", ":refs/heads/copy")
        assert remote_head(bare, "copy") is None
        # Rewind (force push to an older commit): accepted.
        git(work, "reset", "-q", "--hard", main)
        commit_file(work, "b.txt", "b\n")
        git(work, "push", "-q", "origin", "main")
        git(work, "push", "-q", "--force", "origin", f"{main}:refs/heads/main")
        assert remote_head(bare) == main


def test_pre_receive_scans_only_new_commits_and_big_pushes_in_the_quarantine_pack():
    with glp.TempDir() as d:
        bare, work = server(d)
        old = glp.pat()
        commit_file(work, "old.txt", old + "\n")
        # The old token reached the server before the hook existed.
        os.rename(os.path.join(bare, "hooks", "pre-receive"), os.path.join(d, "hook"))
        git(work, "push", "-q", "origin", "main")
        os.rename(os.path.join(d, "hook"), os.path.join(bare, "hooks", "pre-receive"))
        commit_file(work, "new.txt", "clean\n")
        git(work, "push", "-q", "origin", "main")             # only new.txt is new: accepted
        # More than receive.unpackLimit (100) objects: git keeps a pack in the quarantine.
        for i in range(120):
            glp.write(os.path.join(work, "many", f"f{i}.txt"), f"file {i}\n")
        tok = glp.pat()
        glp.write(os.path.join(work, "many", "f77.txt"), f"file {tok}\n")
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "many")
        p = git(work, "push", "origin", "main", check=False)
        assert p.returncode != 0 and "many/f77.txt" in p.err, p.err
        assert old not in p.err and "old.txt" not in p.err


def test_pre_receive_input_errors_and_fail_open():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"), bare=True)
        p = glp.run(["pre-receive", r.path], stdin=b"not a ref line\n")
        assert p.returncode == 2 and "GL-HOOK-ERR: " in p.err and "expected 3 fields" in p.err
        z = "0" * 40
        # Pushed object missing: error (fail closed) unless --fail-open.
        line = f"{z} {'1' * 40} refs/heads/x\n".encode()
        assert glp.run(["pre-receive", r.path], stdin=line).returncode == 2
        p = glp.run(["pre-receive", r.path, "--fail-open"], stdin=line)
        assert p.returncode == 0 and "--fail-open" in p.err
        # Deletions only / empty input: accepted without scanning.
        assert glp.run(["pre-receive", r.path], stdin=f"{'1' * 40} {z} refs/heads/x\n".encode()).returncode == 0
        assert glp.run(["pre-receive", r.path], stdin=b"").returncode == 0


def test_pre_receive_latency_on_a_larger_repository():
    """A typical push (3 commits) to a repository with 2000 commits and 1000 files."""
    with glp.TempDir() as d:
        bare, work = server(d)
        # Build history quickly with fast-import.
        data = []
        for i in range(2000):
            data.append(f"commit refs/heads/main\ncommitter Dev <dev@example.com> {1700000000 + i} +0000\n"
                        f"data 8\ncommit {i % 10}\n")
            if i == 0:
                for j in range(1000):
                    content = f"file {j}\n" * 20
                    data.append(f"M 100644 inline src/f{j}.txt\ndata {len(content)}\n{content}\n")
            else:
                content = f"rev {i}\n" * 20
                data.append(f"M 100644 inline src/f{i % 1000}.txt\ndata {len(content)}\n{content}\n")
        subprocess.run(["git", "-C", work, "fast-import", "--quiet"], input="".join(data).encode(),
                       check=True, env={**os.environ, **GIT_ENV})
        git(work, "reset", "-q", "--hard", "main")
        os.rename(os.path.join(bare, "hooks", "pre-receive"), os.path.join(d, "hook"))
        git(work, "push", "-q", "origin", "main")
        os.rename(os.path.join(d, "hook"), os.path.join(bare, "hooks", "pre-receive"))
        for k in range(3):
            commit_file(work, f"src/f{k}.txt", f"edit {k}\n" * 50)
        t = time.monotonic()
        p = git(work, "push", "origin", "main", env={"GLPATROL_HOOK_TIMING": "1"})
        wall = time.monotonic() - t
        timing = [l for l in p.err.splitlines() if "new commit(s) scanned in" in l]
        assert timing, p.err
        print(f"    pre-receive: {timing[0].split('remote: ')[-1]}; whole git push {wall:.3f} s")
        secs = float(timing[0].split("scanned in ")[1].split()[0])
        assert secs < 2.0, timing


# --- install-hook --commit-msg ---------------------------------------------------------

def test_commit_msg_hook_blocks_a_token_in_the_message():
    """A pre-commit hook cannot see the message: the commit-msg hook does, with the real git
    client, including `git commit -v`'s scissors section (the diff is not the message)."""
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"README": "hi\n"})
        p = glp.run(["install-hook", "--commit-msg", r.path], check_rc=0)
        assert "installed commit-msg hook" in p.out, p.out
        hook = os.path.join(r.path, ".git", "hooks", "commit-msg")
        assert os.stat(hook).st_mode & stat.S_IXUSR
        tok = glp.pat()
        glp.write(os.path.join(r.path, "a.txt"), "clean\n")
        git(r.path, "add", "a.txt")
        c = git(r.path, "commit", "-q", "-m", f"deploy with {tok}", check=False)
        assert c.returncode != 0, "commit with a token in its message was accepted"
        text = c.err + c.out
        assert tok not in text, "raw token printed"
        assert "commit rejected" in text and "the commit message" in text, text
        assert "commit-message/pending:1:" in text, text
        assert "COMMIT_EDITMSG" in text, text
        assert git(r.path, "rev-list", "--count", "HEAD").out.strip() == "1"
        # A clean message passes; the file git passes is the one scanned.
        git(r.path, "commit", "-q", "-m", "a clean message")
        assert git(r.path, "rev-list", "--count", "HEAD").out.strip() == "2"
        # The scissors line ends the message, as git's cleanup does.
        msg = os.path.join(d, "msg")
        glp.write(msg, f"subject\n# ------------------------ >8 ------------------------\n+{tok}\n")
        glp.run(["commit-msg", msg], check_rc=0)
        glp.write(msg, f"subject {tok}\n")
        glp.run(["commit-msg", msg], check_rc=1)
        # An unreadable message file fails closed (exit 3, never clean).
        p = glp.run(["commit-msg", os.path.join(d, "missing")])
        assert p.returncode == 3, (p.returncode, p.err)
        # Both hooks side by side: --commit-msg does not replace pre-commit.
        glp.run(["install-hook", r.path], check_rc=0)
        assert os.path.exists(os.path.join(r.path, ".git", "hooks", "pre-commit"))
        assert os.path.exists(hook)


if __name__ == "__main__":
    glp.main([
        test_install_hook_blocks_a_commit_with_a_token_and_accepts_a_clean_one,
        test_hook_only_sees_staged_content,
        test_hook_checks_the_index_git_commits_from_commit_a_and_commit_paths,
        test_install_hook_refuses_a_foreign_hook_unless_forced,
        test_install_hook_honours_core_hooks_path_and_quotes_the_binary,
        test_missing_binary_fails_closed_with_a_clear_message,
        test_pre_push_hook_blocks_new_commits_with_a_token,
        test_pre_receive_rejects_a_push_with_a_token_and_accepts_clean_pushes,
        test_pre_receive_new_branches_force_pushes_tags_and_deletions,
        test_pre_receive_scans_only_new_commits_and_big_pushes_in_the_quarantine_pack,
        test_pre_receive_input_errors_and_fail_open,
        test_pre_receive_latency_on_a_larger_repository,
        test_commit_msg_hook_blocks_a_token_in_the_message,
    ])
