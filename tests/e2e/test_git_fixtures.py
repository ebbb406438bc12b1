"""Fixture repositories for the git-history tests, built at test time with the git CLI.

Only the tests use the git CLI (to BUILD repositories); glpatrol itself never runs git.
Tokens are generated at run time by glp.py: no token-shaped literal is committed.
Run directly, this file checks the fixture helpers themselves.
"""
import os
import subprocess

import glp

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "HOME": "/nonexistent",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


class Repo:
    """A scratch repository with deterministic authors and dates."""

    def __init__(self, path, bare=False, init=True):
        self.path = path
        self.tick = 1700000000
        if init:
            os.makedirs(path, exist_ok=True)
            args = ["init", "-q", "-b", "main"] + (["--bare"] if bare else [])
            self.git(*args)
            if not bare:
                self.git("config", "user.name", "Fixture Author")
                self.git("config", "user.email", "author@example.com")
                self.git("config", "gc.auto", "0")

    def env(self, author="Fixture Author", email="author@example.com"):
        self.tick += 60
        date = f"{self.tick} +0000"
        e = dict(os.environ)
        e.update(GIT_ENV)
        e.update({"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email,
                  "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email,
                  "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        return e

    def git(self, *args, input=None, check=True, author=None):
        env = self.env(*( [author] if author else []))
        p = subprocess.run(["git", "-C", self.path] + list(args), input=input, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and p.returncode != 0:
            raise AssertionError(f"git {args}: {p.stderr.decode(errors='replace')}")
        return p.stdout.decode(errors="replace").strip()

    def write(self, rel, data):
        glp.write(os.path.join(self.path, rel), data)

    def commit(self, message, files=None, remove=(), author=None):
        """Writes files (dict path -> str/bytes), removes paths, commits everything; returns sha."""
        for rel, data in (files or {}).items():
            self.write(rel, data)
        for rel in remove:
            self.git("rm", "-q", rel)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, author=author)
        return self.sha("HEAD")

    def sha(self, rev):
        return self.git("rev-parse", rev)

    def blob(self, rev, path):
        return self.git("rev-parse", f"{rev}:{path}")

    def loose_path(self, oid):
        gitdir = self.git("rev-parse", "--git-dir")
        if not os.path.isabs(gitdir):
            gitdir = os.path.join(self.path, gitdir)
        return os.path.join(gitdir, "objects", oid[:2], oid[2:])


def scan(path, *args, rc=None):
    """Runs `glpatrol git PATH ARGS -f json`; returns (process, findings)."""
    p = glp.run_json(["git", path] + list(args), check_rc=rc)
    return p, p.doc["findings"]


def where(f):
    """A compact, order-independent view of one finding for exact assertions."""
    c = f.get("commit") or {}
    return (f["location_kind"], f["path"], f["line"], f["column"], c.get("sha"),
            c.get("merge_sha"), f.get("in_head"))


def lines(*rows):
    return "".join(r + "\n" for r in rows)


def test_fixture_commit_is_deterministic():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        a = r.commit("one", {"a.txt": "x\n"})
        assert len(a) == 40
        assert r.git("log", "-1", "--format=%an %ae") == "Fixture Author author@example.com"


if __name__ == "__main__":
    glp.main([test_fixture_commit_is_deterministic])
