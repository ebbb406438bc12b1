"""glpatrol git (full history): coverage and exact provenance, on repositories built here."""
import json
import os
import shutil
import subprocess
import zlib

import glp
from test_git_fixtures import Repo, scan, where, lines


def one(findings, **match):
    hits = [f for f in findings if all(f.get(k) == v for k, v in match.items())]
    assert len(hits) == 1, f"expected one finding with {match}, got {len(hits)}: " + json.dumps(
        [where(f) for f in findings])
    return hits[0]


def test_loose_then_packed_same_findings():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        r.commit("init", {"README": "hello\n"})
        c = r.commit("add config", {"conf/app.env": lines("A=1", f"TOKEN={tok}")})
        r.commit("more", {"README": "hello again\n"})
        assert os.path.exists(r.loose_path(r.blob("HEAD", "conf/app.env")))
        p, loose = scan(r.path, rc=1)
        f = one(loose)
        assert where(f) == ("blob", "conf/app.env", 2, 7, c, None, True), where(f)
        assert f["blob_id"] == r.blob(c, "conf/app.env")
        assert f["commit"]["author_name"] == "Fixture Author"
        assert f["commit"]["author_email"] == "author@example.com"
        assert f["commit"]["message"] == "add config"
        assert f["commit"]["date"].endswith("Z")
        assert p.doc["scan"]["stats"]["commits"] == 3
        r.git("gc", "-q", "--aggressive", "--prune=now")
        assert not os.path.exists(r.loose_path(r.blob("HEAD", "conf/app.env")))
        _, packed = scan(r.path, rc=1)
        assert [where(x) for x in packed] == [where(x) for x in loose]
        assert packed[0]["fingerprint"] == loose[0]["fingerprint"]


def test_branch_only_and_remote_tracking_ref():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"a.txt": "a\n"})
        r.git("checkout", "-q", "-b", "feature")
        t1, t2 = glp.pat(), glp.routable()
        c1 = r.commit("feature work", {"f.py": f"x = '{t1}'\n"})
        r.git("checkout", "-q", "main")
        # A remote-tracking ref only (as after a fetch): build the commit with plumbing.
        blob = r.git("hash-object", "-w", "--stdin", input=f"remote {t2}\n".encode())
        tree = r.git("mktree", input=f"100644 blob {blob}\tremote.txt\n".encode())
        c2 = r.git("commit-tree", tree, "-m", "remote only")
        r.git("update-ref", "refs/remotes/origin/other", c2)
        _, fs = scan(r.path, rc=1)
        assert sorted(where(f) for f in fs) == sorted([
            ("blob", "f.py", 1, 6, c1, None, False),
            ("blob", "remote.txt", 1, 8, c2, None, False)])


def test_tags_lightweight_annotated_and_tag_message():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"a.txt": "a\n"})
        r.git("checkout", "-q", "-b", "tmp")
        t1, t2, t3 = glp.pat(), glp.pat(), glp.pat()
        c1 = r.commit("light", {"l.txt": t1 + "\n"})
        r.git("tag", "light", c1)
        c2 = r.commit("annotated", {"n.txt": "n\n" + t2 + "\n"})
        r.git("tag", "-a", "v1", "-m", f"release notes\n\ntoken: {t3}\n", c2)
        r.git("checkout", "-q", "main")
        r.git("branch", "-q", "-D", "tmp")
        r.git("reflog", "expire", "--expire=now", "--all")
        tag_oid = r.sha("refs/tags/v1")
        _, fs = scan(r.path, rc=1)
        assert sorted(where(f) for f in fs) == sorted([
            ("blob", "l.txt", 1, 1, c1, None, False),
            ("blob", "n.txt", 2, 1, c2, None, False),
            ("tag-message", "refs/tags/v1", 3, 8, tag_oid, None, None)])


def test_stash_staged_unstaged_untracked():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"tracked.txt": "one\n", "other.txt": "x\n"})
        ts, tu, tn = glp.pat(), glp.pat(), glp.pat()
        r.write("tracked.txt", f"one\nstaged {ts}\n")
        r.git("add", "tracked.txt")
        r.write("other.txt", f"x\nunstaged {tu}\n")
        r.write("new.txt", f"untracked {tn}\n")
        r.git("stash", "push", "-u", "-q", "-m", "wip")
        w = r.sha("refs/stash")
        idx, untracked = r.sha("refs/stash^2"), r.sha("refs/stash^3")
        assert open(os.path.join(r.path, "tracked.txt")).read() == "one\n"
        _, fs = scan(r.path, rc=1)
        got = sorted(where(f) for f in fs)
        assert got == sorted([
            ("blob", "tracked.txt", 2, 8, idx, None, False),
            # the work-tree change exists only in the 3-parent stash commit (a merge)
            ("blob", "other.txt", 2, 10, w, w, False),
            ("blob", "new.txt", 1, 11, untracked, None, False)]), got


def test_older_stash_entries_via_reflog():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"a.txt": "a\n"})
        t_old, t_new = glp.pat(), glp.pat()
        r.write("a.txt", f"a\n{t_old}\n")
        r.git("stash", "-q")
        r.write("a.txt", f"b\n{t_new}\n")
        r.git("stash", "-q")
        _, fs = scan(r.path, rc=1)
        assert sorted(f["line"] for f in fs) == [2, 2] and len({f["secret_sha256"] for f in fs}) == 2


def test_notes():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        c = r.commit("init", {"a.txt": "a\n"})
        tok = glp.pat()
        r.git("notes", "add", "-m", f"deploy with {tok}", c)
        notes_commit = r.sha("refs/notes/commits")
        _, fs = scan(r.path, rc=1)
        f = one(fs)
        assert where(f) == ("blob", c, 1, 13, notes_commit, None, False), where(f)


def test_merge_only_content():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"cfg.txt": "value=0\n"})
        r.git("checkout", "-q", "-b", "side")
        r.commit("side", {"cfg.txt": "value=side\n"})
        r.git("checkout", "-q", "main")
        r.commit("main", {"cfg.txt": "value=main\n"})
        r.git("merge", "-q", "side", check=False)  # conflict
        tok = glp.pat()
        r.write("cfg.txt", f"value=resolved\ntoken={tok}\n")
        r.git("add", "cfg.txt")
        r.git("commit", "-q", "--no-edit")
        m = r.sha("HEAD")
        assert len(r.git("rev-list", "--parents", "-1", "HEAD").split()) == 3
        _, fs = scan(r.path, rc=1)
        f = one(fs)
        assert where(f) == ("blob", "cfg.txt", 2, 7, m, m, True), where(f)


def test_deleted_file_is_not_in_head():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        r.commit("init", {"keep.txt": "k\n"})
        c = r.commit("oops", {"secret.txt": f"t={tok}\n"})
        r.commit("remove", remove=["secret.txt"])
        r.commit("later", {"keep.txt": "k2\n"})
        _, fs = scan(r.path, rc=1)
        f = one(fs)
        assert where(f) == ("blob", "secret.txt", 1, 3, c, None, False), where(f)


def test_renamed_file_one_finding_per_place():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        c1 = r.commit("add", {"old/name.txt": f"x\n{tok}\n"})
        r.git("mv", "old/name.txt", "new-name.txt")
        c2 = r.commit("rename")
        p, fs = scan(r.path, rc=1)
        assert sorted(where(f) for f in fs) == sorted([
            ("blob", "old/name.txt", 2, 1, c1, None, True),
            ("blob", "new-name.txt", 2, 1, c2, None, True)])
        assert len({f["secret_sha256"] for f in fs}) == 1
        assert len({f["blob_id"] for f in fs}) == 1
        assert p.doc["scan"]["stats"]["blobs"] == 1  # the blob was read once
        human = glp.run(["git", r.path, "--color", "never"], check_rc=1).out
        assert "1 token, 2 places" in human, human


def test_same_blob_in_many_paths_scanned_once():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        content = f"token: {tok}\n"
        files = {f"dir{i:02d}/copy.txt": content for i in range(50)}
        c = r.commit("many copies", files)
        for i in range(5):
            r.commit(f"noise {i}", {"noise.txt": f"{i}\n"})
        p, fs = scan(r.path, rc=1)
        assert len(fs) == 50
        assert {where(f)[2:] for f in fs} == {(1, 8, c, None, True)}
        assert len({f["secret_sha256"] for f in fs}) == 1
        assert p.doc["scan"]["git"]["blobs"] == 6  # copy.txt once + five noise versions
        human = glp.run(["git", r.path, "--color", "never"], check_rc=1).out
        assert "1 token, 50 places" in human


def test_delta_compressed_big_file():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        base = [f"line {i:06d} " + "abcdefghij" * 8 for i in range(30000)]
        r.commit("big", {"big.txt": "\n".join(base) + "\n"})
        tok = glp.pat()
        changed = list(base)
        changed[20000] = f"line {20000:06d} key={tok}"
        c = r.commit("tweak", {"big.txt": "\n".join(changed) + "\n"})
        r.git("gc", "-q", "--aggressive", "--prune=now")
        vp = r.git("verify-pack", "-v", *[os.path.join(r.path, ".git/objects/pack", x) for x in
                   os.listdir(os.path.join(r.path, ".git/objects/pack")) if x.endswith(".idx")])
        deltas = [l for l in vp.splitlines() if " blob " in l and len(l.split()) >= 7]
        assert deltas, "expected a delta-compressed blob in the pack"
        _, fs = scan(r.path, rc=1)
        f = one(fs)
        assert where(f) == ("blob", "big.txt", 20001, 17, c, None, True), where(f)


def test_binary_file_and_gitattributes_ignored():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        data = bytes(range(256)) * 4 + b"\x00\x01" + tok.encode() + b"\x00" + bytes(100)
        c = r.commit("bin", {"img.bin": data, "x.env": f"T={tok}\n",
                             ".gitattributes": "* -diff\n*.env binary filter=lfs diff=lfs\n"})
        _, fs = scan(r.path, rc=1)
        got = sorted((f["path"], f["offset"], f["commit"]["sha"]) for f in fs)
        assert got == [("img.bin", 1026, c), ("x.env", 2, c)], got


def test_token_kept_across_edits_is_one_finding():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        a = r.commit("add", {"s.txt": f"{tok}\nb\n"})
        r.commit("edit 1", {"s.txt": f"top\n{tok}\nb\n"})
        r.commit("edit 2", {"s.txt": f"top\n{tok}\nc\n"})
        p, fs = scan(r.path, rc=1)
        assert [where(f) for f in fs] == [("blob", "s.txt", 1, 1, a, None, True)]
        assert p.doc["scan"]["git"]["later_versions_folded"] == 2


def test_commit_message():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        c = r.commit(f"fix login\n\nused {tok} to test\n", {"a.txt": "a\n"})
        _, fs = scan(r.path, rc=1)
        f = one(fs)
        assert where(f) == ("commit-message", f"commit-message/{c}", 3, 6, c, None, None), where(f)
        assert f["commit"]["message"] == "fix login"
        _, none = scan(r.path, "--no-messages", rc=0)
        assert none == []


def test_commit_messages_and_signatures_same_from_packs_as_loose():
    """Commits are read from the packs when packed (packed_objects.h) and through libgit2 when
    loose: messages, author lines, merges and dates must come out the same either way."""
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        t_msg, t_body, t_author, t_file = glp.pat(), glp.pat(), glp.pat(), glp.pat()
        r.commit("init", {"a.txt": "a\n"})
        r.git("checkout", "-q", "-b", "side")
        r.commit(f"side work\n\nkey {t_msg}\n", {"s.txt": f"S={t_file}\n"})
        r.git("checkout", "-q", "main")
        r.commit("\n\nleading blank lines\nthen " + t_body + "\n", {"b.txt": "b\n"})
        r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
        r.commit("by a bot", {"c.txt": "c\n"}, author=f"bot {t_author}")
        p_loose, loose = scan(r.path, rc=1)
        r.git("gc", "-q", "--prune=now")
        assert not os.path.exists(r.loose_path(r.sha("HEAD"))), "commits should be packed now"
        p_packed, packed = scan(r.path, rc=1)

        def key(f):
            return json.dumps({k: v for k, v in f.items()}, sort_keys=True)
        assert sorted(map(key, packed)) == sorted(map(key, loose))
        kinds = sorted(f["location_kind"] for f in packed)
        assert kinds == ["blob", "commit-header", "commit-message", "commit-message"], kinds
        assert p_packed.doc["scan"]["git"]["messages_scanned"] == p_loose.doc["scan"]["git"]["messages_scanned"] == 5
        assert p_packed.doc["scan"]["stats"] == p_loose.doc["scan"]["stats"]


def test_reflog_only_and_detached_head():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"a.txt": "a\n"})
        t1, t2 = glp.pat(), glp.pat()
        c1 = r.commit("reset away", {"r.txt": t1 + "\n"})
        r.git("reset", "-q", "--hard", "HEAD~1")
        r.git("checkout", "-q", "--detach")
        c2 = r.commit("detached", {"d.txt": t2 + "\n"})
        _, fs = scan(r.path, rc=1)
        assert sorted(where(f) for f in fs) == sorted([
            ("blob", "r.txt", 1, 1, c1, None, False),
            ("blob", "d.txt", 1, 1, c2, None, True)])


def test_all_objects_finds_dangling():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"a.txt": "a\n"})
        t1, t2 = glp.pat(), glp.pat()
        blob = r.git("hash-object", "-w", "--stdin", input=f"dangling {t1}\n".encode())
        b2 = r.git("hash-object", "-w", "--stdin", input=f"x\n{t2}\n".encode())
        tree = r.git("mktree", input=f"100644 blob {b2}\tgone.txt\n".encode())
        c = r.git("commit-tree", tree, "-m", "dangling commit")
        p, fs = scan(r.path, rc=0)
        assert fs == []
        p, fs = scan(r.path, "--all-objects", rc=1)
        assert sorted(where(f) for f in fs) == sorted([
            ("blob", "", 1, 10, None, None, False),
            ("blob", "gone.txt", 2, 1, c, None, False)])
        assert one(fs, path="")["blob_id"] == blob
        assert p.doc["scan"]["git"]["unreachable_blobs"] == 1
        assert p.doc["scan"]["git"]["mode"] == "all-objects"


def test_bare_and_worktree_and_empty():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        c = r.commit("init", {"a.txt": f"{tok}\n"})
        bare = os.path.join(d, "bare.git")
        subprocess.run(["git", "clone", "-q", "--bare", r.path, bare], check=True,
                       env={**os.environ, **{"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}})
        _, fs = scan(bare, rc=1)
        assert [where(f) for f in fs] == [("blob", "a.txt", 1, 1, c, None, True)]
        wt = os.path.join(d, "wt")
        r.git("worktree", "add", "-q", "-b", "wt-branch", wt)
        t2 = glp.pat()
        w = Repo(wt, init=False)
        c2 = w.commit("in worktree", {"w.txt": t2 + "\n"})
        assert os.path.isfile(os.path.join(wt, ".git"))
        _, fs = scan(wt, rc=1)
        assert sorted(where(f) for f in fs) == sorted([
            ("blob", "a.txt", 1, 1, c, None, True), ("blob", "w.txt", 1, 1, c2, None, True)])
        e = Repo(os.path.join(d, "empty"))
        p, fs = scan(e.path, rc=0)
        assert fs == [] and p.doc["scan"]["stats"]["commits"] == 0
        assert p.doc["scan"]["git"]["head"] is None
        eb = Repo(os.path.join(d, "empty.git"), bare=True)
        scan(eb.path, rc=0)
        assert glp.run(["git", os.path.join(d, "nowhere")], check_rc=2).err


def test_shallow_clone_boundary():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        old, new = glp.pat(), glp.pat()
        r.commit("old", {"old.txt": old + "\n"})
        r.commit("remove old", remove=["old.txt"])
        r.commit("mid", {"m.txt": "m\n"})
        c = r.commit("new", {"new.txt": new + "\n"})
        sh = os.path.join(d, "shallow")
        subprocess.run(["git", "clone", "-q", "--depth", "1", "file://" + r.path, sh], check=True,
                       env={**os.environ, **{"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}})
        assert os.path.exists(os.path.join(sh, ".git", "shallow"))
        p, fs = scan(sh, rc=1)
        assert [where(f) for f in fs] == [("blob", "new.txt", 1, 1, c, None, True)]
        s = p.doc["scan"]
        assert s["complete"] is False and any("shallow" in x for x in s["incomplete_reasons"])
        assert s["git"]["shallow"] is True and s["git"]["shallow_boundary_commits"] == [c]
        # no findings: incomplete alone is exit 0, but 3 under --strict
        clean = os.path.join(d, "clean")
        r2 = Repo(clean)
        r2.commit("a", {"a": "1\n"})
        r2.commit("b", {"a": "2\n"})
        sh2 = os.path.join(d, "sh2")
        subprocess.run(["git", "clone", "-q", "--depth", "1", "file://" + clean, sh2], check=True,
                       env={**os.environ, **{"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}})
        scan(sh2, rc=0)
        scan(sh2, "--strict", rc=3)


def test_corrupted_loose_object_is_reported():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        c = r.commit("init", {"bad.txt": "will be corrupted\n", "good.txt": f"{tok}\n"})
        bad = r.blob(c, "bad.txt")
        path = r.loose_path(bad)
        os.chmod(path, 0o644)
        with open(path, "r+b") as fh:
            raw = bytearray(fh.read())
            raw[len(raw) // 2:] = b"\xff" * (len(raw) - len(raw) // 2)
            fh.seek(0)
            fh.write(raw)
        p, fs = scan(r.path, rc=1)  # findings win over incomplete in the exit code
        assert [where(f) for f in fs] == [("blob", "good.txt", 1, 1, c, None, True)]
        s = p.doc["scan"]
        assert s["complete"] is False
        sk = [k for k in s["skipped"] if k["path"] == bad]
        assert sk and sk[0]["error"] is True and sk[0]["reason"] == "corrupt-object", s["skipped"]
        # without findings the incomplete scan exits 3; a truncated object is reported too
        r2 = Repo(os.path.join(d, "r2"))
        c2 = r2.commit("init", {"t.txt": "to be truncated " * 100})
        oid = r2.blob(c2, "t.txt")
        p2 = r2.loose_path(oid)
        os.chmod(p2, 0o644)
        data = open(p2, "rb").read()
        open(p2, "wb").write(data[: len(data) // 2])
        p, fs = scan(r2.path, rc=3)
        assert fs == [] and [k["path"] for k in p.doc["scan"]["skipped"]] == [oid]
        assert p.doc["scan"]["stats"]["errors"] == 1


def test_missing_tree_and_parent_never_crash():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("one", {"a.txt": "a\n"})
        c2 = r.commit("two", {"sub/b.txt": "b\n"})
        sub = r.git("rev-parse", f"{c2}:sub")
        os.remove(r.loose_path(sub))
        p, fs = scan(r.path, rc=3)
        s = p.doc["scan"]
        assert s["complete"] is False
        assert any(k["path"] == sub and k["reason"] == "missing-object" for k in s["skipped"]), s["skipped"]


def test_owner_check_and_opt_in():
    if os.geteuid() != 0:
        glp.skip("needs root to chown the repository to another user")
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        tok = glp.pat()
        r.commit("init", {"a.txt": tok + "\n"})
        for root, dirs, files in os.walk(r.path):
            for n in dirs + files:
                os.lchown(os.path.join(root, n), 65534, 65534)
        os.lchown(r.path, 65534, 65534)
        p = glp.run(["git", r.path], check_rc=2)
        assert "--trust-repo-owner" in p.err and "owned by another user" in p.err, p.err
        scan(r.path, "--trust-repo-owner", rc=1)


def test_repository_config_runs_nothing():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        marker = os.path.join(d, "pwned")
        cmd = f"touch {marker}"
        tok = glp.pat()
        r.commit("x", {".gitattributes": "*.txt filter=x diff=x\n", "a.txt": tok + "\n"})
        r.write("b.txt", glp.pat() + "\n")
        r.git("add", "b.txt")  # staged, scanned by --staged below
        for k, v in [("core.fsmonitor", cmd), ("core.hooksPath", d), ("diff.external", cmd),
                     ("diff.x.textconv", cmd), ("core.sshCommand", cmd), ("filter.x.clean", cmd),
                     ("filter.x.smudge", cmd), ("filter.x.process", cmd), ("core.pager", cmd)]:
            r.git("config", k, v)
        for hook in ("pre-commit", "post-checkout", "reference-transaction"):
            glp.write(os.path.join(d, hook), f"#!/bin/sh\n{cmd}\n")
            os.chmod(os.path.join(d, hook), 0o755)
        assert not os.path.exists(marker)
        scan(r.path, rc=1)
        scan(r.path, "--staged", rc=1)
        assert "no commits" in glp.run(["git", r.path, "--since", "HEAD"], check_rc=2).err
        assert not os.path.exists(marker)



def test_findings_reachable_only_via_reflog_stash_or_refs_original_say_so():
    """After a history rewrite the token is still in the repository; the finding says what
    alone keeps it, and --no-reflogs leaves reflogs out (issue 16)."""
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        r.commit("init", {"README": "hi\n"})
        t_ref, t_stash, t_orig, t_branch = glp.pat(), glp.pat(), glp.pat(), glp.pat()
        r.commit("leak", {"a.env": f"A={t_ref}\n"})
        r.git("reset", "-q", "--hard", "HEAD~1")            # only the reflog keeps it
        glp.write(os.path.join(r.path, "README"), f"B={t_stash}\n")
        r.git("stash", "-q")                                # only the stash keeps it
        r.git("checkout", "-q", "-b", "side")
        side = r.commit("side", {"c.env": f"C={t_orig}\n"})
        r.git("update-ref", "refs/original/refs/heads/side", side)
        r.git("reset", "-q", "--hard", "main")             # only refs/original (and reflog) keep it
        r.git("checkout", "-q", "main")
        r.commit("kept", {"d.env": f"D={t_branch}\n"})     # on a branch: no note
        p = glp.run_json(["git", r.path])
        assert p.returncode == 1, p.err
        via = {f["path"]: f.get("reachable_only_via") for f in p.doc["findings"] if f["location_kind"] == "blob"}
        assert via.get("a.env") == "reflog", via
        assert via.get("README") == "stash", via
        assert via.get("c.env") == "refs/original", via
        assert via.get("d.env") is None, via
        human = glp.run(["git", r.path], check_rc=1).out
        assert "[reachable only via reflog]" in human and "[reachable only via stash]" in human, human
        p = glp.run_json(["git", r.path, "--no-reflogs"])
        paths = {f["path"] for f in p.doc["findings"] if f["location_kind"] == "blob"}
        assert "a.env" not in paths and {"README", "c.env", "d.env"} <= paths, paths

if __name__ == "__main__":
    glp.main([
        test_loose_then_packed_same_findings,
        test_branch_only_and_remote_tracking_ref,
        test_tags_lightweight_annotated_and_tag_message,
        test_stash_staged_unstaged_untracked,
        test_older_stash_entries_via_reflog,
        test_notes,
        test_merge_only_content,
        test_deleted_file_is_not_in_head,
        test_renamed_file_one_finding_per_place,
        test_same_blob_in_many_paths_scanned_once,
        test_delta_compressed_big_file,
        test_binary_file_and_gitattributes_ignored,
        test_commit_message,
        test_commit_messages_and_signatures_same_from_packs_as_loose,
        test_token_kept_across_edits_is_one_finding,
        test_reflog_only_and_detached_head,
        test_all_objects_finds_dangling,
        test_bare_and_worktree_and_empty,
        test_shallow_clone_boundary,
        test_corrupted_loose_object_is_reported,
        test_missing_tree_and_parent_never_crash,
        test_owner_check_and_opt_in,
        test_repository_config_runs_nothing,
        test_findings_reachable_only_via_reflog_stash_or_refs_original_say_so,
    ])
