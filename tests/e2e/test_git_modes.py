"""glpatrol git --range / --since (CI) and --staged (pre-commit), on repositories built here."""
import json
import os
import subprocess
import time

import glp
from test_git_fixtures import Repo, scan, where, lines


def test_range_scans_only_what_the_range_introduced():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        old, new, msg = glp.pat(), glp.pat(), glp.pat()
        r.commit("base", {"old.txt": old + "\n", "keep.txt": "k\n"})
        a = r.commit("a", {"keep.txt": "k2\n"})
        b1 = r.commit("b1", {"new.txt": "x\n" + new + "\n"})
        b2 = r.commit(f"b2\n\nmessage {msg}\n", {"keep.txt": "k3\n"})
        p, fs = scan(r.path, "--range", f"{a}..{b2}", rc=1)
        assert sorted(where(f) for f in fs) == sorted([
            ("blob", "new.txt", 2, 1, b1, None, True),
            ("commit-message", f"commit-message/{b2}", 3, 9, b2, None, None)])
        g = p.doc["scan"]["git"]
        assert p.doc["scan"]["kind"] == "range"
        assert g["range"]["commits"] == 2 and g["range"]["blobs"] == 2, g
        assert g["range"]["from"] == a and g["range"]["to"] == b2
        assert p.doc["scan"]["stats"]["commits"] == 2
        # --since REV == REV..HEAD
        _, fs2 = scan(r.path, "--since", a, rc=1)
        assert sorted(where(f) for f in fs2) == sorted(where(f) for f in fs)
        # A.. means A..HEAD
        _, fs3 = scan(r.path, "--range", f"{a}..", rc=1)
        assert len(fs3) == 2
        # the old token is outside every range that starts after it
        _, fs4 = scan(r.path, "--range", f"{b1}..{b2}", rc=1)
        assert [f["location_kind"] for f in fs4] == ["commit-message"]


def test_range_after_a_force_push_and_across_merges():
    # CI after a force push: the lower end (the old tip) is not an ancestor of the upper end.
    # The range is everything reachable from the new tip but not from the old one, and the
    # report says the lower end was not an ancestor. Side branches merged in are covered.
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        base = r.commit("base", {"a.txt": "a\n"})
        old_tip = r.commit("old", {"old.txt": f"{glp.pat()}\n"})  # rewritten away below
        r.git("reset", "-q", "--hard", base)
        r.git("checkout", "-q", "-b", "side")
        tok_side = glp.pat()
        r.commit("side", {"side.txt": f"{tok_side}\n"})
        r.git("checkout", "-q", "main")
        tok_main = glp.pat()
        r.commit("main", {"main.txt": f"{tok_main}\n"})
        r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
        new_tip = r.git("rev-parse", "HEAD")
        p, fs = scan(r.path, "--range", f"{old_tip}..{new_tip}", rc=1)
        assert sorted(f["path"] for f in fs) == ["main.txt", "side.txt"], fs
        assert p.doc["scan"]["git"]["range"]["commits"] == 3
        assert any("not an ancestor" in w for w in p.doc["scan"]["warnings"]), p.doc["scan"]["warnings"]
        # An ordinary range has no such warning.
        p, _ = scan(r.path, "--range", f"{base}..{new_tip}", rc=1)
        assert not any("not an ancestor" in w for w in p.doc["scan"]["warnings"])


def test_range_covers_merge_only_content():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        base = r.commit("init", {"cfg.txt": "v=0\n"})
        r.git("checkout", "-q", "-b", "side")
        r.commit("side", {"cfg.txt": "v=side\n"})
        r.git("checkout", "-q", "main")
        r.commit("main", {"cfg.txt": "v=main\n"})
        r.git("merge", "-q", "side", check=False)
        tok = glp.pat()
        r.write("cfg.txt", f"v=merged {tok}\n")
        r.git("add", "cfg.txt")
        r.git("commit", "-q", "--no-edit")
        m = r.sha("HEAD")
        p, fs = scan(r.path, "--range", f"{base}..HEAD", rc=1)
        assert [where(f) for f in fs] == [("blob", "cfg.txt", 1, 10, m, m, True)]
        assert p.doc["scan"]["git"]["range"]["commits"] == 3


def test_invalid_and_empty_ranges_are_errors():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        a = r.commit("a", {"a": "1\n"})
        r.commit("b", {"a": "2\n"})
        for args, needle in [
            (["--range", "nosuchrev..HEAD"], "cannot resolve"),
            (["--range", f"{a}..nosuch"], "cannot resolve"),
            (["--range", "HEAD..HEAD"], "no commits"),
            (["--range", f"HEAD..{a}"], "no commits"),
            (["--range", "HEAD"], "expected A..B"),
            (["--range", "HEAD...HEAD~1"], "symmetric"),
            (["--since", "HEAD"], "no commits"),
            (["--since", "0000000000000000000000000000000000000000"], "cannot resolve"),
            (["--range", "a..b", "--since", "HEAD"], "cannot be combined"),
            (["--staged", "--since", "HEAD"], "cannot be combined"),
        ]:
            p = glp.run(["git", r.path] + args, check_rc=2)
            assert needle in p.err, (args, p.err)
            assert p.out == "", p.out  # never a clean report


def test_range_in_shallow_clone():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("one", {"a": "1\n"})
        a = r.commit("two", {"a": "2\n"})
        tok = glp.pat()
        b = r.commit("three", {"t.txt": tok + "\n"})
        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
        sh = os.path.join(d, "sh")
        subprocess.run(["git", "clone", "-q", "--depth", "2", "file://" + r.path, sh], check=True, env=env)
        # the range fits inside the clone: complete
        p, fs = scan(sh, "--range", f"{a}..{b}", rc=1)
        assert [where(f) for f in fs] == [("blob", "t.txt", 1, 1, b, None, True)]
        assert p.doc["scan"]["complete"] is True
        sh1 = os.path.join(d, "sh1")
        subprocess.run(["git", "clone", "-q", "--depth", "1", "file://" + r.path, sh1], check=True, env=env)
        # the lower end is not in a depth-1 clone: an error, never a silent pass
        p = glp.run(["git", sh1, "--range", f"{a}..{b}"], check_rc=2)
        assert "cannot resolve" in p.err


def test_staged_partial_and_unstaged():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"app.cfg": "a=1\n", "other.txt": "o\n"})
        staged, unstaged = glp.pat(), glp.pat()
        # the staged version carries the token on line 2...
        r.write("app.cfg", f"a=1\nkey={staged}\n")
        r.git("add", "app.cfg")
        # ...the work tree then removes it and adds lines above (not staged)
        r.write("app.cfg", "# header\n# more\na=1\n")
        r.write("other.txt", f"o\n{unstaged}\n")  # never staged
        p, fs = scan(r.path, "--staged", rc=1)
        blob = r.git("rev-parse", ":app.cfg")
        assert [where(f) for f in fs] == [("blob", "app.cfg", 2, 5, None, None, False)]
        assert fs[0]["blob_id"] == blob
        assert p.doc["scan"]["kind"] == "staged"
        assert p.doc["scan"]["git"]["blobs"] == 1
        r.git("reset", "-q")
        scan(r.path, "--staged", rc=0)  # only the work tree has tokens now


def test_staged_first_commit_unborn_head():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        r.write("a.txt", f"x\ny\n  {tok}\n")
        r.write("b.txt", "clean\n")
        r.git("add", "-A")
        p, fs = scan(r.path, "--staged", rc=1)
        assert [where(f) for f in fs] == [("blob", "a.txt", 3, 3, None, None, False)]
        assert p.doc["scan"]["git"]["head"] is None
        e = Repo(os.path.join(d, "empty"))
        scan(e.path, "--staged", rc=0)


def test_staged_rename_delete_and_mode_change():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        r.commit("init", {"clean.txt": "c\n", "old.txt": f"{tok}\n", "run.sh": "echo\n", "gone.txt": "g\n"})
        r.git("mv", "clean.txt", "clean2.txt")
        r.git("rm", "-q", "gone.txt")
        r.git("update-index", "--chmod=+x", "run.sh")
        scan(r.path, "--staged", rc=0)  # rename of clean content, delete, mode change
        # Renaming a file that holds a token commits the token at a new path: reported, and
        # marked as already present in HEAD (an old leak, not a new one).
        r.git("mv", "old.txt", "new.txt")
        _, fs = scan(r.path, "--staged", rc=1)
        assert [where(f) for f in fs] == [("blob", "new.txt", 1, 1, None, None, True)]


def test_staged_in_head_when_token_kept():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        r.commit("init", {"a.txt": f"{tok}\n"})
        r.write("a.txt", f"{tok}\nmore\n")
        r.git("add", "a.txt")
        _, fs = scan(r.path, "--staged", rc=1)
        assert [where(f) for f in fs] == [("blob", "a.txt", 1, 1, None, None, True)]


def test_staged_merge_conflict_sides():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"c.txt": "0\n"})
        r.git("checkout", "-q", "-b", "side")
        tok = glp.pat()
        r.commit("side", {"c.txt": f"{tok}\n"})
        r.git("checkout", "-q", "main")
        r.commit("main", {"c.txt": "main\n"})
        r.git("merge", "-q", "side", check=False)
        _, fs = scan(r.path, "--staged", rc=1)
        assert [where(f)[:4] for f in fs] == [("blob", "c.txt", 1, 1)]


def test_staged_bare_is_an_error():
    with glp.TempDir() as d:
        b = Repo(os.path.join(d, "b.git"), bare=True)
        assert "bare" in glp.run(["git", b.path, "--staged"], check_rc=2).err


def test_staged_reads_only_the_directories_a_commit_touches():
    # The pre-commit path must cost what the commit changes, not what the repository holds:
    # with git's cache tree, unchanged directories are skipped without reading their trees.
    # (Latency on a 100,000-file index: bench/staged_bench.sh, numbers in bench/README.md.)
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        files = {f"src/m{i // 100:03d}/f{i}.c": f"int f{i}(void) {{ return {i}; }}\n" for i in range(5000)}
        # Files written in the same second as the index are "racily clean" to git: it smudges
        # them and the next `git add -A` re-adds them, invalidating their directories' cache
        # tree (correct, only slower). Real work trees are older than their index.
        past = time.time() - 3600
        for rel, data in files.items():
            r.write(rel, data)
            os.utime(os.path.join(r.path, rel), (past, past))
        r.commit("big")
        tok = glp.pat()
        r.write("src/m007/f700.c", f"int f700(void) {{ return 0; }} // {tok}\n")
        r.git("add", "-A")
        p, fs = scan(r.path, "--staged", rc=1)
        assert [where(f)[:2] for f in fs] == [("blob", "src/m007/f700.c")]
        ix = p.doc["scan"]["git"]["index"]
        assert ix["reader"] == "glpatrol" and ix["entries"] == 5000, ix
        # root, src and src/m007 are read; the other 49 directories are skipped unread.
        assert ix["trees_read"] <= 3 and ix["directories_skipped"] >= 49, ix


def staged_paths_by_git(r):
    out = r.git("diff", "--cached", "--no-renames", "--name-only", "--diff-filter=AMT")
    return sorted(l for l in out.splitlines() if l)


def test_staged_matches_git_for_every_index_version():
    # The index is read by glpatrol's own parser (index_file.h): the staged set must be exactly
    # git's own `git diff --cached` for indexes git writes in versions 2, 3 and 4, with and
    # without a cache tree, with nested, new, deleted, renamed and type-changed paths.
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        base = {f"a/b{i}/c{j}/f{k}.txt": f"{i}{j}{k}\n" for i in range(3) for j in range(3) for k in range(3)}
        base.update({"top.txt": "t\n", "a/b0/x": "x\n", "gone/one.txt": "1\n", "gone/two/t.txt": "2\n",
                     "ren.txt": "r\n", "kind": "k\n", "a-b/z.txt": "z\n", "a.b": "d\n"})
        r.commit("init", base)
        for version in ("2", "3", "4"):
            r.git("reset", "-q", "--hard")
            r.git("clean", "-qfdx")
            r.git("update-index", "--index-version", version)
            toks = {}
            for path in ("a/b1/c2/f0.txt", "a/b2/new/n.txt", "a-b/z.txt", "a.b", "new-top.txt"):
                toks[path] = glp.pat()
                r.write(path, f"k={toks[path]}\n")
            r.git("rm", "-rq", "gone")
            r.git("mv", "ren.txt", "a/b0/ren.txt")
            os.remove(os.path.join(r.path, "kind"))
            os.symlink("top.txt", os.path.join(r.path, "kind"))  # blob -> symlink
            r.git("add", "-A")
            if version == "3":  # an invalidated cache tree must not hide anything
                r.git("update-index", "--index-version", "3")
            p, fs = scan(r.path, "--staged", rc=1)
            assert p.doc["scan"]["git"]["index"]["reader"] == "glpatrol"
            found = sorted({f["path"] for f in fs})
            assert found == sorted(toks), (version, found)
            # every staged path git names is scanned (tokens only in some of them)
            assert p.doc["scan"]["git"]["staged_paths"] == len(staged_paths_by_git(r)), version


def test_staged_split_index():
    # core.splitIndex: the index holds a "link" extension glpatrol's reader does not apply,
    # so staged mode uses libgit2's index. Whatever it does, it must never pass silently.
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {f"f{i}.txt": f"{i}\n" for i in range(20)})
        r.git("update-index", "--split-index")
        tok = glp.pat()
        r.write("f3.txt", f"{tok}\n")
        r.git("add", "f3.txt")
        p = glp.run(["git", r.path, "--staged", "-f", "json"])
        assert p.returncode in (1, 2), p.returncode
        if p.returncode == 1:
            assert [f["path"] for f in json.loads(p.stdout)["findings"]] == ["f3.txt"]
        else:
            assert "index" in p.err, p.err


if __name__ == "__main__":
    glp.main([
        test_range_scans_only_what_the_range_introduced,
        test_range_after_a_force_push_and_across_merges,
        test_range_covers_merge_only_content,
        test_invalid_and_empty_ranges_are_errors,
        test_range_in_shallow_clone,
        test_staged_partial_and_unstaged,
        test_staged_first_commit_unborn_head,
        test_staged_rename_delete_and_mode_change,
        test_staged_in_head_when_token_kept,
        test_staged_merge_conflict_sides,
        test_staged_bare_is_an_error,
        test_staged_reads_only_the_directories_a_commit_touches,
        test_staged_matches_git_for_every_index_version,
        test_staged_split_index,
    ])
