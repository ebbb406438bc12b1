"""Hostile repositories (bad-inputs.md A5, git rows not covered by test_git_history.py).

Row -> test map: docs/hostile-inputs.md. Every scan must end with an exit code (no signal),
valid JSON, no raw token, and never exit 0 when objects could not be read.
"""
import glob
import json
import os
import subprocess

import glp
import hostile_util as hu

ENV = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
           GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
           GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")


def git(repo, *args, check=True, input=None):
    return subprocess.run(["git", "-C", repo] + list(args), env=ENV, check=check, input=input,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def make_repo(path, tok, extra_commits=3):
    subprocess.run(["git", "init", "-q", "-b", "main", path], env=ENV, check=True)
    glp.write(f"{path}/old.env", f"T={tok}\n")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "add")
    os.remove(f"{path}/old.env")
    for i in range(extra_commits):
        glp.write(f"{path}/f{i}.txt", f"line {i}\n" * 50)
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", f"c{i}")


def scan(repo, *extra):
    p = glp.run(["git", repo, "-f", "json"] + list(extra), timeout=300)
    assert p.returncode >= 0, f"killed by signal {-p.returncode}"
    doc = json.loads(p.stdout) if p.returncode in (0, 1, 3) else None
    return p, doc


def test_G09_token_in_commit_subject_and_author_never_printed_raw():
    # Found by this suite: reports print the commit subject and author; a token typed there
    # was printed raw in every format (also with --no-messages, where it is not scanned).
    t1, t2 = glp.pat(), glp.token("gitlab.deploy_token")
    with glp.TempDir() as d:
        subprocess.run(["git", "init", "-q", "-b", "main", f"{d}/r"], env=ENV, check=True)
        glp.write(f"{d}/r/a.env", f"T={glp.pat()}\n")
        git(f"{d}/r", "add", ".")
        env = dict(ENV, GIT_AUTHOR_NAME=f"dev {t2}")
        subprocess.run(["git", "-C", f"{d}/r", "commit", "-q", "-m", f"use {t1} for now"], env=env, check=True)
        for extra in ([], ["--no-messages"]):
            outs, codes = hu.all_outputs(["git", f"{d}/r"] + extra, d)
            assert codes == {1}, codes
            hu.valid_json_outputs(outs)
            hu.assert_no_token(outs, [t1, t2])
        p = glp.run_json(["git", f"{d}/r", "--show-secrets"], check_rc=1)
        assert t1 in p.out  # the explicit switch still shows everything


def test_G11_partial_clone_missing_blobs_never_clean():
    tok = glp.pat()
    with glp.TempDir() as d:
        make_repo(f"{d}/src", tok)
        git(f"{d}/src", "config", "uploadpack.allowfilter", "true")
        subprocess.run(["git", "clone", "-q", "--filter=blob:none", "--no-local", f"file://{d}/src", f"{d}/part"],
                       env=ENV, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.rename(f"{d}/src", f"{d}/src-gone")  # a lazy fetch would now fail loudly, not hang
        p, doc = scan(f"{d}/part")
        assert p.returncode == 3, (p.returncode, p.err[:500])  # the token's blob is missing
        assert doc["scan"]["complete"] is False and doc["scan"]["stats"]["skipped"] >= 1
        hu.assert_no_token({"out": p.stdout, "err": p.stderr}, [tok])


def test_G13_corrupt_and_truncated_pack():
    tok = glp.pat()
    with glp.TempDir() as d:
        make_repo(f"{d}/r", tok)
        git(f"{d}/r", "gc", "-q", "--aggressive")
        pack = glob.glob(f"{d}/r/.git/objects/pack/*.pack")[0]
        with open(pack, "r+b") as f:
            size = os.path.getsize(pack)
            f.seek(size // 2)
            f.write(os.urandom(64))
        p, doc = scan(f"{d}/r")
        assert p.returncode in (1, 2, 3), p.returncode  # never clean
        hu.assert_no_token({"out": p.stdout, "err": p.stderr}, [tok])
        with open(pack, "r+b") as f:
            f.truncate(os.path.getsize(pack) // 3)
        idx = pack[:-5] + ".idx"
        with open(idx, "r+b") as f:
            f.seek(12)
            f.write(b"\xff" * 32)
        p, doc = scan(f"{d}/r")
        assert p.returncode in (2, 3), (p.returncode, p.err[:300])


def test_G19_submodule_with_escaping_path():
    tok = glp.pat()
    with glp.TempDir() as d:
        make_repo(f"{d}/r", tok, extra_commits=1)
        glp.write(f"{d}/r/.gitmodules", '[submodule "x"]\n\tpath = ../../outside\n\turl = ../evil\n')
        head = git(f"{d}/r", "rev-parse", "HEAD").stdout.decode().strip()
        git(f"{d}/r", "update-index", "--add", "--cacheinfo", f"160000,{head},vendor/x")
        git(f"{d}/r", "add", ".gitmodules")
        git(f"{d}/r", "commit", "-q", "-m", "submodule")
        p, doc = scan(f"{d}/r")
        assert p.returncode == 1, (p.returncode, p.err[:300])  # the old token, nothing else
        assert not os.path.exists(f"{d}/outside") and not os.path.exists(os.path.join(d, "..", "outside"))
        hu.assert_no_token({"out": p.stdout, "err": p.stderr}, [tok])


def test_G21_sha256_repository_is_an_explicit_error():
    with glp.TempDir() as d:
        r = subprocess.run(["git", "init", "-q", "--object-format=sha256", f"{d}/r"], env=ENV,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            glp.skip("this git cannot create sha256 repositories")
        glp.write(f"{d}/r/a.txt", "x\n")
        git(f"{d}/r", "add", ".")
        git(f"{d}/r", "commit", "-q", "-m", "a")
        p = glp.run(["git", f"{d}/r"], timeout=60)
        assert p.returncode == 2, (p.returncode, p.err)
        assert p.err.strip(), "no message"


def test_G23_replace_refs_and_grafts_do_not_hide_history():
    # `git replace` and .git/info/grafts change what git log shows: both can hide the commit
    # that introduced a token from diff-based scanners. glpatrol reads the objects themselves
    # (libgit2 applies neither), so the original commit is still found and attributed.
    tok = glp.pat()
    with glp.TempDir() as d:
        r = f"{d}/r"
        make_repo(r, tok, extra_commits=2)
        first = git(r, "rev-list", "--max-parents=0", "HEAD").stdout.decode().strip()
        empty_tree = git(r, "mktree", input=b"").stdout.decode().strip()
        clean = git(r, "commit-tree", empty_tree, "-m", "clean", input=b"").stdout.decode().strip()
        git(r, "replace", first, clean)
        shown = git(r, "log", "-p", "--all").stdout.decode(errors="replace")
        assert tok not in shown  # the replacement hides the token from git log
        p, doc = scan(r)
        assert p.returncode == 1, (p.returncode, p.err[:300])
        hits = [f for f in doc["findings"] if f["path"] == "old.env"]
        assert hits and hits[0]["commit"]["sha"] == first, doc["findings"]
        git(r, "replace", "-d", first)
        # A graft that cuts history above the token's commit.
        second = git(r, "rev-list", "--reverse", "HEAD").stdout.decode().split()[1]
        glp.write(f"{r}/.git/info/grafts", f"{second}\n")
        shown = git(r, "log", "-p", "--all", check=False).stdout.decode(errors="replace")
        assert tok not in shown
        p, doc = scan(r)
        assert p.returncode == 1, (p.returncode, p.err[:300])
        assert [f["commit"]["sha"] for f in doc["findings"] if f["path"] == "old.env"] == [first]
        hu.assert_no_token({"out": p.stdout, "err": p.stderr}, [tok])


def test_G25_hostile_ref_names_in_packed_refs():
    tok = glp.pat()
    with glp.TempDir() as d:
        make_repo(f"{d}/r", tok, extra_commits=1)
        head = git(f"{d}/r", "rev-parse", "HEAD").stdout.decode().strip()
        first = git(f"{d}/r", "rev-list", "--max-parents=0", "HEAD").stdout.decode().strip()
        names = ["refs/heads/a..b", "refs/heads/\x1b[2Jclear", "refs/heads/" + "x" * 4096,
                 "refs/tags/ctl\x07\x01", "refs/heads/new\rline"]
        with open(f"{d}/r/.git/packed-refs", "a") as f:
            for n in names:
                f.write(f"{first} {n}\n")
            f.write(f"{head} refs/heads/ok\n")
        p, doc = scan(f"{d}/r")
        assert p.returncode in (1, 2, 3), (p.returncode, p.err[:300])
        for stream in (p.stderr,):
            assert b"\x1b[2J" not in stream and b"\x07" not in stream
        h = glp.run(["git", f"{d}/r"], timeout=60)
        assert b"\x1b[2J" not in h.stdout and b"\x07" not in h.stdout and b"\r" not in h.stdout
        hu.assert_no_token({"out": p.stdout, "err": p.stderr, "h": h.stdout}, [tok])


def test_G26_malformed_commit_headers():
    tok = glp.pat()
    with glp.TempDir() as d:
        make_repo(f"{d}/r", tok, extra_commits=1)
        tree = git(f"{d}/r", "rev-parse", "HEAD^{tree}").stdout.decode().strip()
        head = git(f"{d}/r", "rev-parse", "HEAD").stdout.decode().strip()
        bodies = [
            f"tree {tree}\nparent {head}\nauthor A <a@b> notatime +0000\ncommitter C <c@d> 99999999999999999999 +9999\n\nmsg\n",
            f"tree {tree}\nparent {head}\nauthor A <a@b> 1 +0000\ncommitter C <c@d> 1 +0000\nencoding ISO-8859-1\n\n\xe9t\xe9 {tok}\n",
            f"tree {tree}\nauthor \nmsg without blank line\n",
        ]
        for i, body in enumerate(bodies):
            oid = git(f"{d}/r", "hash-object", "-t", "commit", "--literally", "-w", "--stdin",
                      input=body.encode("latin-1")).stdout.decode().strip()
            git(f"{d}/r", "update-ref", f"refs/heads/odd{i}", oid)
        p, doc = scan(f"{d}/r")
        assert p.returncode in (1, 3), (p.returncode, p.err[:300])
        hu.assert_no_token({"out": p.stdout, "err": p.stderr}, [tok])
        # Packed, the same commits are read by glpatrol's own commit parser where it accepts
        # them and by libgit2 otherwise: the findings and the faults must not change.
        git(f"{d}/r", "repack", "-a", "-d", "-q")
        git(f"{d}/r", "prune-packed")
        p2, doc2 = scan(f"{d}/r")
        assert p2.returncode == p.returncode, (p.returncode, p2.returncode, p2.err[:300])
        assert sorted(json.dumps(f, sort_keys=True) for f in doc2["findings"]) == \
            sorted(json.dumps(f, sort_keys=True) for f in doc["findings"])
        assert doc2["scan"]["stats"] == doc["scan"]["stats"]
        assert doc2["scan"]["skipped"] == doc["scan"]["skipped"]
        assert doc2["scan"]["complete"] == doc["scan"]["complete"]
        assert doc2["scan"]["git"]["pack_reader"]["walk_objects_decoded"] > 0


if __name__ == "__main__":
    glp.main([v for k, v in sorted(globals().items()) if k.startswith("test_")])
