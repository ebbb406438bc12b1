"""glpatrol dir --state-dir: a rescan reads only files whose stat signature changed, reports
exactly what a full scan reports, and never trusts a file it cannot vouch for (racily clean
files, mtime set back, replaced files, a state it cannot trust)."""
import json
import os
import sqlite3
import time

import glp
from test_state_dir import view

HOUR_AGO = time.time() - 3600


def scan(root, state, rc=1):
    args = ["dir", root] + (["--state-dir", state] if state else [])
    p = glp.run_json(args, check_rc=rc)
    return p.doc["findings"], p.doc["scan"]["stats"], p.doc["scan"]["warnings"]


def settle(*paths):
    """Moves the ctime of `paths` out of the racy window: a file changed within two seconds of
    a scan is never remembered, so the tests wait instead of faking time."""
    for p in paths:
        os.utime(p, (HOUR_AGO, HOUR_AGO))
    time.sleep(2.2)


def make_tree(d):
    root = os.path.join(d, "tree")
    toks = [glp.pat(), glp.pat()]
    glp.write(os.path.join(root, "conf/app.env"), f"A=1\nTOKEN={toks[0]}\n")
    glp.write(os.path.join(root, "README"), "hello".ljust(len(toks[0])) + "\n")  # a token's size
    glp.write(os.path.join(root, "src/x.c"), "int x;\n")
    glp.write(os.path.join(root, "k8s/secret.yaml"),
              "data:\n  token: " + __import__("base64").b64encode(f"T={toks[1]}\n".encode()).decode() + "\n")
    return root, toks


def all_files(root):
    return [os.path.join(r, f) for r, _, fs in os.walk(root) for f in fs]


def test_rescan_reads_only_changed_files_and_reports_the_same():
    with glp.TempDir() as d:
        root, toks = make_tree(d)
        state = os.path.join(d, "state")
        settle(*all_files(root))
        full, full_stats, _ = scan(root, None)
        assert len(full) == 2 and "reused" not in full_stats
        first, st1, _ = scan(root, state)
        assert view(first) == view(full) and "reused" not in st1
        assert oct(os.stat(state).st_mode & 0o777) == "0o700"
        assert oct(os.stat(os.path.join(state, "state.db")).st_mode & 0o777) == "0o600"
        # Unchanged: nothing read, the same findings (the decoded one too) and places.
        again, st2, _ = scan(root, state)
        assert view(again) == view(full)
        assert st2["reused"] == 4 and st2["bytes"] == 0 and st2["files"] == 4, st2
        # One file changed (a new token), one added, one deleted: only those are read.
        tok3 = glp.pat()
        glp.write(os.path.join(root, "src/x.c"), f"char *t = \"{tok3}\";\n")
        glp.write(os.path.join(root, "new.txt"), "nothing here\n")
        os.remove(os.path.join(root, "conf/app.env"))
        settle(os.path.join(root, "src/x.c"), os.path.join(root, "new.txt"))
        third, st3, _ = scan(root, state)
        assert st3["reused"] == 2 and st3["files"] == 4, st3
        full3, _, _ = scan(root, None)
        assert view(third) == view(full3)
        assert not any(toks[0] in json.dumps(f) for f in third)
        db = sqlite3.connect(os.path.join(state, "state.db"))
        paths = {r[0].decode() if isinstance(r[0], bytes) else r[0] for r in db.execute("SELECT path FROM files")}
        db.close()
        assert not any(p.endswith("conf/app.env") for p in paths), paths  # the deleted file is forgotten
        # The tree named by another relative path from another directory is the same state.
        p = glp.run_json(["dir", "tree", "--state-dir", state], cwd=d, check_rc=1)
        assert p.doc["scan"]["stats"]["reused"] == 4, p.doc["scan"]["stats"]
        # The human summary says what was not read.
        p = glp.run(["dir", root, "--state-dir", state, "--no-color"], check_rc=1)
        assert "(4 unchanged files not read: --state-dir)" in p.out, p.out[-500:]


def test_a_file_is_trusted_only_while_its_signature_holds():
    with glp.TempDir() as d:
        root, _ = make_tree(d)
        state = os.path.join(d, "state")
        readme = os.path.join(root, "README")
        settle(*all_files(root))
        scan(root, state)
        # Same size, mtime set back to what it was: the ctime moved, so the file is read again
        # and the new token is found.
        st = os.stat(readme)
        tok = glp.pat()
        assert len(tok) + 1 == st.st_size
        glp.write(readme, f"{tok}\n")  # in place: same inode, same size
        os.utime(readme, ns=(st.st_atime_ns, st.st_mtime_ns))
        after = os.stat(readme)
        assert (after.st_ino, after.st_size, after.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)
        found, stats, _ = scan(root, state)
        assert any(f["path"].endswith("README") for f in found), found
        assert stats["reused"] == 3, stats
        # A racily clean file (changed within the last two seconds) is read on every run until
        # it settles.
        fresh = os.path.join(root, "fresh.txt")
        glp.write(fresh, "quiet\n")
        _, s1, _ = scan(root, state)
        _, s2, _ = scan(root, state)
        assert s2["reused"] <= s1["reused"] + 1, (s1, s2)
        db = sqlite3.connect(os.path.join(state, "state.db"))
        sigs = {(r[0].decode() if isinstance(r[0], bytes) else r[0]): r[1]
                for r in db.execute("SELECT path, sig FROM files")}
        db.close()
        assert fresh not in sigs, sigs.get(fresh)
        # A file replaced by a symlink is not vouched for by the old row: skipped as a symlink.
        os.remove(os.path.join(root, "src/x.c"))
        os.symlink("/etc/hostname", os.path.join(root, "src/x.c"))
        p = glp.run_json(["dir", root, "--state-dir", state], check_rc=1)
        assert any(s["path"].endswith("src/x.c") and s["reason"] == "symlink" for s in p.doc["scan"]["skipped"]), \
            p.doc["scan"]["skipped"]


def test_other_options_or_rules_are_another_scope():
    with glp.TempDir() as d:
        root, _ = make_tree(d)
        state = os.path.join(d, "state")
        settle(*all_files(root))
        scan(root, state)
        _, st, _ = scan(root, state)
        assert st["reused"] == 4
        # --no-decode yields other matches: its own scope, read in full (and then reused).
        p = glp.run_json(["dir", root, "--state-dir", state, "--no-decode"], check_rc=1)
        assert "reused" not in p.doc["scan"]["stats"] and len(p.doc["findings"]) == 1
        p = glp.run_json(["dir", root, "--state-dir", state, "--no-decode"], check_rc=1)
        assert p.doc["scan"]["stats"]["reused"] == 4 and len(p.doc["findings"]) == 1


def test_untrusted_state_is_reported_and_ignored():
    with glp.TempDir() as d:
        root, _ = make_tree(d)
        full, _, _ = scan(root, None)
        garbage = os.path.join(d, "garbage")
        os.mkdir(garbage, 0o700)
        glp.write(os.path.join(garbage, "state.db"), b"not a database at all\n" * 200)
        found, stats, warnings = scan(root, garbage)
        assert view(found) == view(full) and "reused" not in stats
        assert any("--state-dir not used" in w and "not a database" in w for w in warnings), warnings
        shared = os.path.join(d, "shared")
        os.mkdir(shared, 0o777)
        os.chmod(shared, 0o777)
        found, _, warnings = scan(root, shared)
        assert view(found) == view(full)
        assert any("writable by group or others" in w for w in warnings), warnings


if __name__ == "__main__":
    glp.main([
        test_rescan_reads_only_changed_files_and_reports_the_same,
        test_a_file_is_trusted_only_while_its_signature_holds,
        test_other_options_or_rules_are_another_scope,
        test_untrusted_state_is_reported_and_ignored,
    ])
