"""glpatrol git --state-dir: incremental rescans report what a full scan reports (findings and
provenance), read only what is new, and never trust a state they cannot vouch for. Also the
progress line's phases and counters on a pseudo-terminal, and scan.timings."""
import json
import os
import pty
import sqlite3
import subprocess

import glp
from test_git_fixtures import Repo, lines


def view(findings):
    """Everything a person reads in a finding, minus the per-run fields."""
    out = []
    for f in findings:
        f = dict(f)
        f.pop("verification", None)
        out.append(json.dumps(f, sort_keys=True))
    return sorted(out)


def scan(repo, state, *extra, rc=1):
    args = ["git", repo] + (["--state-dir", state] if state else []) + list(extra)
    p = glp.run_json(args, check_rc=rc)
    return p, p.doc["findings"], p.doc["scan"]["git"].get("state")


def make_repo(d):
    r = Repo(os.path.join(d, "r"))
    toks = [glp.pat(), glp.pat()]
    r.commit("init", {"README": "hello\n", "conf/app.env": lines("A=1", f"TOKEN={toks[0]}")})
    r.commit("edit", {"README": "hello again\n", "src/x.c": "int x;\n"})
    main = r.git("symbolic-ref", "--short", "HEAD").strip()
    r.git("checkout", "-q", "-b", "side")
    r.commit(f"side {toks[1]}", {"side.txt": f"k={toks[1]}\n"})
    r.git("checkout", "-q", main)
    r.git("gc", "-q")
    return r, toks


def test_rescan_reports_the_same_and_reads_only_new_blobs():
    with glp.TempDir() as d:
        r, toks = make_repo(d)
        state = os.path.join(d, "state")
        _, full, _ = scan(r.path, None)
        _, first, st1 = scan(r.path, state)
        assert view(first) == view(full)
        assert st1["history_reused"] is False and st1["blobs_scanned"] >= 4, st1
        assert oct(os.stat(state).st_mode & 0o777) == "0o700"
        assert oct(os.stat(os.path.join(state, "state.db")).st_mode & 0o777) == "0o600"
        # Unchanged: nothing walked or read, the same findings and places.
        p, again, st2 = scan(r.path, state)
        assert st2["history_reused"] is True, st2
        assert view(again) == view(full)
        assert p.doc["scan"]["git"]["commits"] == 3 and p.doc["scan"]["stats"]["bytes"] == 0
        # A new commit: only it is walked and its one new blob read; the rest is stored
        # (test_state_dir_resume.py has the cases that walk everything again).
        tok3 = glp.pat()
        r.commit("more", {"new.txt": f"T={tok3}\n"})
        _, full2, _ = scan(r.path, None)
        p, inc, st3 = scan(r.path, state)
        assert st3["history_reused"] is False and st3["blobs_scanned"] == 1, st3
        assert st3["walk"] == "new-commits" and st3["blobs_reused"] == 0, st3
        assert p.doc["scan"]["git"]["commits"] == 4, p.doc["scan"]["git"]
        assert view(inc) == view(full2)
        assert any(f["path"] == "new.txt" for f in inc)
        # Different rules (a custom prefix) are another scope: everything is read again.
        _, _, st4 = scan(r.path, state, "--pat-prefix", "zzq-")
        assert st4["blobs_reused"] == 0 and st4["blobs_scanned"] >= 5, st4


def test_a_moved_ref_or_reflog_is_walked_again():
    with glp.TempDir() as d:
        r, _ = make_repo(d)
        state = os.path.join(d, "state")
        scan(r.path, state)
        r.git("branch", "-q", "extra", "HEAD~1")  # a new ref to an old commit: same objects
        _, f1, st = scan(r.path, state)
        assert st["history_reused"] is False and st["blobs_scanned"] == 0, st
        _, full, _ = scan(r.path, None)
        assert view(f1) == view(full)


def untrusted(d, r, state, expect):
    p, found, st = scan(r.path, state)
    assert st["history_reused"] is False and st["blobs_reused"] == 0, st
    assert expect in st["ignored"], st
    assert any("--state-dir not used" in w for w in p.doc["scan"]["warnings"]), p.doc["scan"]["warnings"]
    _, full, _ = scan(r.path, None)
    assert view(found) == view(full)


def test_untrusted_state_is_reported_and_ignored():
    with glp.TempDir() as d:
        r, _ = make_repo(d)
        # Garbage instead of a database.
        garbage = os.path.join(d, "garbage")
        os.mkdir(garbage, 0o700)
        glp.write(os.path.join(garbage, "state.db"), b"not a database at all\n" * 200)
        untrusted(d, r, garbage, "not a database")
        # A database from a newer glpatrol: refused and left as it was.
        newer = os.path.join(d, "newer")
        scan(r.path, newer)
        db = sqlite3.connect(os.path.join(newer, "state.db"))
        db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
        db.commit()
        db.close()
        untrusted(d, r, newer, "newer")
        db = sqlite3.connect(os.path.join(newer, "state.db"))
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "99"
        db.close()
        # A foreign SQLite file (no glpatrol schema version).
        foreign = os.path.join(d, "foreign")
        os.mkdir(foreign, 0o700)
        db = sqlite3.connect(os.path.join(foreign, "state.db"))
        db.execute("CREATE TABLE other(x)")
        db.commit()
        db.close()
        untrusted(d, r, foreign, "not written by glpatrol")
        # A symlinked state directory.
        real = os.path.join(d, "real")
        scan(r.path, real)
        link = os.path.join(d, "link")
        os.symlink(real, link)
        untrusted(d, r, link, "symlinks are refused")
        # A directory others can write.
        shared = os.path.join(d, "shared")
        scan(r.path, shared)
        os.chmod(shared, 0o777)
        untrusted(d, r, shared, "writable by group or others")


def test_schema_1_is_migrated():
    with glp.TempDir() as d:
        r, _ = make_repo(d)
        state = os.path.join(d, "state")
        os.mkdir(state, 0o700)
        db = sqlite3.connect(os.path.join(state, "state.db"))
        db.executescript("""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items(scope TEXT NOT NULL, project INTEGER NOT NULL, surface TEXT NOT NULL,
  key TEXT NOT NULL, version TEXT NOT NULL, findings TEXT NOT NULL, PRIMARY KEY(scope, project, surface, key));
CREATE TABLE cursors(scope TEXT NOT NULL, project INTEGER NOT NULL, surface TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY(scope, project, surface));
INSERT INTO meta VALUES('schema_version', '1');""")
        db.close()
        _, _, st = scan(r.path, state)
        assert "ignored" not in st and st["blobs_scanned"] >= 4, st
        db = sqlite3.connect(os.path.join(state, "state.db"))
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "3"
        assert db.execute("SELECT count(*) FROM contents").fetchone()[0] >= 4
        db.close()
        _, _, st = scan(r.path, state)
        assert st["history_reused"] is True, st


def test_progress_phases_move_on_a_terminal_and_timings_are_reported():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "r"))
        for i in range(400):
            r.commit(f"c{i}", {f"d{i % 7}/f{i % 50}.txt": "line\n" * (i + 1)})
        r.git("gc", "-q")
        master, slave = pty.openpty()
        env = dict(os.environ, TERM="xterm", GLPATROL_PROGRESS_MS="1")  # redraw every millisecond
        out = os.path.join(d, "report.json")
        proc = subprocess.Popen([glp.BIN, "git", r.path, "-j", "1", "-r", f"json:{out}", "-q"],
                                stdout=subprocess.DEVNULL, stderr=slave, env=env)
        os.close(slave)
        drain = glp.PtyDrain(master)  # read while it draws: a full terminal would block it
        proc.wait(timeout=300)
        err = drain.bytes().decode("utf-8", "replace")
        assert proc.returncode == 0, err[-2000:]
        frames = [f for f in err.split("\r\x1b[K") if f]
        walk = [f for f in frames if f.startswith("walk ")]
        assert walk, frames[:20]
        # Counts move: commits done out of the total, and the total is the graph's size.
        done = [int(f.split()[1].split("/")[0]) for f in walk]
        assert all(f.split()[1].endswith("/400") for f in walk), walk[:5]
        assert done == sorted(done), done
        assert len(set(done)) > 1 or len(walk) == 1, walk
        with open(out) as fh:
            doc = json.load(fh)
        phases = [p["phase"] for p in doc["scan"]["timings"]["phases"]]
        assert phases[:5] == ["refs", "commits", "walk", "blobs", "findings"], phases
        assert all(p["seconds"] >= 0 for p in doc["scan"]["timings"]["phases"])
        walk_s = next(p["seconds"] for p in doc["scan"]["timings"]["phases"] if p["phase"] == "walk")
        assert 0 < walk_s <= doc["scan"]["duration_seconds"], doc["scan"]["timings"]


if __name__ == "__main__":
    glp.main([
        test_rescan_reports_the_same_and_reads_only_new_blobs,
        test_a_moved_ref_or_reflog_is_walked_again,
        test_untrusted_state_is_reported_and_ignored,
        test_schema_1_is_migrated,
        test_progress_phases_move_on_a_terminal_and_timings_are_reported,
    ])
