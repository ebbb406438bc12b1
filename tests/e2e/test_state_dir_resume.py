"""glpatrol git --state-dir after the refs moved: only the commits made since the stored scan are
walked (scan.git.state.walk "new-commits") when that gives what a full walk gives, and
everything is walked again ("all", with full_walk_reason) when it might not: a deleted or
rewritten branch, a reflog entry gone, a stored commit that a new ref now reaches, a new commit
dated before the stored ones, a damaged stored shape. Every run is compared with a full scan
without state, field by field (provenance, in_head, reachable_only_via)."""
import os
import sqlite3

import glp
from test_git_fixtures import lines
from test_state_dir import make_repo, scan, view


def same_as_full(r, state, walk, *extra, reason=None, blob_counts=True):
    """Scans with the state, then without; findings and counts must be equal (the blob counts
    of a resumed scan are sums: a blob a new commit brings back is counted again, so a test
    that does that passes blob_counts=False). Returns (doc, findings)."""
    q, full, _ = scan(r.path, None, *extra, rc=None)
    p, inc, st = scan(r.path, state, *extra, rc=None)
    assert st["walk"] == walk, st
    if reason is not None:
        assert reason in st.get("full_walk_reason", ""), st
    elif walk == "new-commits":
        assert "full_walk_reason" not in st, st
    assert view(inc) == view(full), (view(inc), view(full))
    counts = ["commits", "refs", "reflog_entries", "messages_scanned"]
    if blob_counts:
        counts += ["blobs", "blob_places", "later_versions_folded"]
    for k in counts:
        assert p.doc["scan"]["git"].get(k) == q.doc["scan"]["git"].get(k), (k, p.doc["scan"]["git"],
                                                                           q.doc["scan"]["git"])
    return p.doc, inc


def base_repo(d):
    """test_state_dir's repository (main, and side with a token) plus keep.env on main."""
    r, t = make_repo(d)
    t.append(glp.pat())
    r.commit("keep", {"keep.env": f"K={t[2]}\n"})
    return r, t


def test_new_commits_are_walked_alone_with_full_scan_provenance():
    with glp.TempDir() as d:
        r, t = base_repo(d)
        state = os.path.join(d, "state")
        scan(r.path, state)
        new = glp.pat()
        # A later version of a file that keeps its token (folded into the stored finding), the
        # same token copied to a new path (a new place), a new token, a token in a message, a
        # token in a file name, and the removal of a file whose token then leaves HEAD.
        r.commit(f"rotate {glp.pat()}", {"conf/app.env": lines("A=2", f"TOKEN={t[0]}"),
                                         "copy/app.env": f"TOKEN={t[0]}\n", "new.txt": f"N={new}\n",
                                         f"names/{glp.pat()}.txt": "x\n"}, remove=["keep.env"])
        r.git("tag", "-a", "v1", "-m", f"release {glp.pat()}")
        doc, found = same_as_full(r, state, "new-commits")
        st = doc["scan"]["git"]["state"]
        # app.env v2, copy/app.env, new.txt and the named file; nothing stored was read.
        assert st["blobs_scanned"] == 4 and st["blobs_reused"] == 0, st
        keep = [f for f in found if f["path"] == "keep.env"]
        assert keep and keep[0]["in_head"] is False, keep
        assert {"copy/app.env", "new.txt"} <= {f["path"] for f in found}
        assert doc["scan"]["git"]["commits"] == 5, doc["scan"]["git"]
        # A merge of the side branch, then one more commit: resumed again, twice in a row.
        r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
        same_as_full(r, state, "new-commits")
        r.commit("after merge", {"late.txt": f"L={glp.pat()}\n"})
        doc, _ = same_as_full(r, state, "new-commits")
        assert doc["scan"]["git"]["commits"] == 7, doc["scan"]["git"]
        # A revert brings an old version of conf/app.env back: the token's place stays where
        # it first entered that path.
        r.git("revert", "--no-edit", "HEAD~2")
        _, found = same_as_full(r, state, "new-commits", blob_counts=False)
        assert len([f for f in found if f["path"] == "conf/app.env"]) == 1, found
        # Nothing moved since: the stored history is reported as it is.
        _, again, st = scan(r.path, state)
        assert st["history_reused"] is True, st


def test_a_new_branch_and_a_deleted_merged_branch_resume():
    with glp.TempDir() as d:
        r, _ = base_repo(d)
        state = os.path.join(d, "state")
        scan(r.path, state)
        r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
        same_as_full(r, state, "new-commits")
        # side is merged: deleting it leaves every commit reachable from main.
        r.git("branch", "-q", "-D", "side")
        r.git("checkout", "-q", "-b", "feature")
        r.commit("feature", {"f.txt": f"F={glp.pat()}\n"})
        same_as_full(r, state, "new-commits")


def commit_at(r, when, message, files):
    """A commit dated `when` (Repo.commit makes two git calls, each one tick of 60 s later)."""
    r.tick = int(when) - 120
    return r.commit(message, files)


def test_commits_in_the_same_second_as_the_newest_stored_one():
    with glp.TempDir() as d:
        r, _ = base_repo(d)
        state = os.path.join(d, "state")
        scan(r.path, state)
        newest = r.git("log", "-1", "--format=%ct")
        # On top of the newest stored commit, in its second (scripted commits): resumed.
        commit_at(r, newest, "same second", {"s1.txt": f"S={glp.pat()}\n"})
        assert r.git("log", "-1", "--format=%ct") == newest
        same_as_full(r, state, "new-commits")
        # In that second on another branch (not descending from the newest stored commit): a
        # full walk might order it before them, so everything is walked.
        r.git("checkout", "-q", "side")
        commit_at(r, newest, "side, same second", {"s2.txt": f"S={glp.pat()}\n"})
        assert r.git("log", "-1", "--format=%ct") == newest
        same_as_full(r, state, "all", reason="same second")


def test_what_might_change_stored_findings_walks_everything():
    with glp.TempDir() as d:
        r, _ = base_repo(d)
        state = os.path.join(d, "state")
        scan(r.path, state)
        # An unmerged branch deleted: its commits are now reachable only through its reflog.
        r.git("branch", "-q", "-D", "side")
        same_as_full(r, state, "all", reason="no longer reaches")
        # A branch rewritten (amend): the old commit stays only in the reflog.
        r.commit("to amend", {"a.txt": f"A={glp.pat()}\n"})
        same_as_full(r, state, "new-commits")
        r.git("commit", "-q", "--amend", "-m", "amended")
        same_as_full(r, state, "all", reason="no longer reaches")
        # A branch created on the commit only the reflog kept: its label changes.
        r.git("branch", "-q", "rescued", "HEAD@{1}")
        same_as_full(r, state, "all", reason="only reflog reached")
        # A new commit dated before the stored ones (a rebased old branch, a skewed clock).
        tick = r.tick
        r.tick = 1600000000
        r.commit("old date", {"o.txt": f"O={glp.pat()}\n"})
        r.tick = tick
        same_as_full(r, state, "all", reason="dated before")
        # Without reflogs (other options: the first such scan walks everything), a force push
        # (reset to the parent and a different commit).
        same_as_full(r, state, "all", "--no-reflogs")
        r.commit("kept", {"k.txt": "k\n"})
        same_as_full(r, state, "new-commits", "--no-reflogs")
        r.git("reset", "-q", "--hard", "HEAD~1")
        r.commit("replaced", {"k.txt": f"K={glp.pat()}\n"})
        same_as_full(r, state, "all", "--no-reflogs", reason="no longer reaches")


def test_a_grafts_file_means_a_full_walk():
    with glp.TempDir() as d:
        r, _ = base_repo(d)
        state = os.path.join(d, "state")
        scan(r.path, state)
        # A graft rewrites a stored commit's parents: what the stored walk reached may change.
        head = r.sha("HEAD")
        glp.write(os.path.join(r.path, ".git", "info", "grafts"), f"{head}\n".encode())
        r.commit("after graft", {"g.txt": f"G={glp.pat()}\n"})
        same_as_full(r, state, "all")


def test_a_damaged_stored_shape_is_not_trusted():
    with glp.TempDir() as d:
        r, _ = base_repo(d)
        state = os.path.join(d, "state")
        scan(r.path, state)
        db = sqlite3.connect(os.path.join(state, "state.db"))
        n = db.execute("UPDATE cursors SET value='{\"digest\": 1}' WHERE surface LIKE 'git-history-shape%'").rowcount
        db.commit()
        db.close()
        assert n == 1, n
        r.commit("more", {"m.txt": f"M={glp.pat()}\n"})
        doc, _ = same_as_full(r, state, "all")
        assert "full_walk_reason" not in doc["scan"]["git"]["state"], doc["scan"]["git"]["state"]
        # The full walk stored a sound shape again.
        r.commit("more again", {"m2.txt": f"M={glp.pat()}\n"})
        same_as_full(r, state, "new-commits")


if __name__ == "__main__":
    glp.main([
        test_new_commits_are_walked_alone_with_full_scan_provenance,
        test_a_new_branch_and_a_deleted_merged_branch_resume,
        test_commits_in_the_same_second_as_the_newest_stored_one,
        test_what_might_change_stored_findings_walks_everything,
        test_a_grafts_file_means_a_full_walk,
        test_a_damaged_stored_shape_is_not_trusted,
    ])
