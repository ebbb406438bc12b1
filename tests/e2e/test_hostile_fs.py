"""Hostile file systems (bad-inputs.md A5, rows F01-F12): one test per row, named after it.

Row -> test map and the decisions for rows that leave a choice: docs/hostile-inputs.md.
Tests that need file permissions to apply drop root for the scanner (hostile_util.as_nobody).
"""
import base64
import json
import os
import resource
import socket
import stat
import subprocess
import threading
import time

import glp
import hostile_util as hu


def test_F01_symlink_loops_terminate_and_are_reported_once():
    with glp.TempDir() as d:
        t = glp.pat()
        glp.write(f"{d}/root/sub/in.txt", f"k={t}\n")
        os.symlink("b", f"{d}/root/a")
        os.symlink("a", f"{d}/root/b")
        os.symlink("..", f"{d}/root/sub/up")           # directory symlink to its parent
        os.symlink(".", f"{d}/root/sub/here")          # and to itself
        p = glp.run_json(["dir", f"{d}/root"], check_rc=1, timeout=30)
        assert len(p.doc["findings"]) == 1
        assert sorted(r for _, r, _ in hu.skipped(p.doc)) == ["symlink"] * 4  # not followed by default
        p = glp.run_json(["dir", f"{d}/root", "--follow-symlinks"], check_rc=1, timeout=30)
        assert [f["path"] for f in p.doc["findings"]] == [f"{d}/root/sub/in.txt"]
        sk = sorted((os.path.relpath(pth, d), r) for pth, r, _ in hu.skipped(p.doc))
        # The file loop is a dangling chain (ELOOP), each looping directory is reported once.
        assert sk == [("root/a", "broken-symlink"), ("root/b", "broken-symlink"),
                      ("root/sub/here", "symlink-loop"), ("root/sub/up", "symlink-loop")], sk
        assert p.doc["scan"]["complete"] is True


def test_F02_symlinks_out_of_the_root_not_followed_by_default():
    with glp.TempDir() as d:
        outside = glp.pat()
        glp.write(f"{d}/outside/id_rsa", f"token={outside}\n")
        glp.write(f"{d}/root/readme.md", "hello\n")
        os.symlink(f"{d}/outside/id_rsa", f"{d}/root/key")
        os.symlink("../outside", f"{d}/root/outdir")
        os.symlink("/etc/shadow", f"{d}/root/shadow")
        p = glp.run_json(["dir", f"{d}/root"], check_rc=0)
        assert p.doc["findings"] == []
        assert sorted((os.path.basename(x), r, e) for x, r, e in hu.skipped(p.doc)) == [
            ("key", "symlink", False), ("outdir", "symlink", False), ("shadow", "symlink", False)]
        assert "--follow-symlinks" in p.doc["scan"]["skipped"][0]["detail"]
        hu.assert_no_token({"out": p.stdout, "err": p.stderr}, [outside])


def test_F03_symlink_to_a_file_inside_the_root_scanned_once():
    with glp.TempDir() as d:
        t = glp.pat()
        glp.write(f"{d}/root/config/app.env", f"T={t}\n")
        os.symlink("config/app.env", f"{d}/root/.env")
        p = glp.run_json(["dir", f"{d}/root"], check_rc=1)
        # Default: the link is not followed, the file is scanned once under its real path.
        assert [f["path"] for f in p.doc["findings"]] == [f"{d}/root/config/app.env"]
        assert hu.skipped(p.doc) == [(f"{d}/root/.env", "symlink", False)]


def test_F04_fifo_socket_and_devices_never_opened():
    with glp.TempDir() as d:
        glp.write(f"{d}/a.txt", "nothing\n")
        os.mkfifo(f"{d}/fifo")
        s = socket.socket(socket.AF_UNIX)
        s.bind(f"{d}/sock")
        want = [("fifo", "fifo"), ("sock", "socket")]
        try:
            os.mknod(f"{d}/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
            os.mknod(f"{d}/loop", stat.S_IFBLK | 0o600, os.makedev(7, 0))
            want += [("loop", "block-device"), ("null", "char-device")]
        except PermissionError:
            pass  # no CAP_MKNOD: FIFO and socket still cover the "never opened" path
        os.symlink("fifo", f"{d}/fifo-link")
        try:
            p = glp.run_json(["dir", d], check_rc=0, timeout=30)
            got = sorted((os.path.basename(x), r) for x, r, _ in hu.skipped(p.doc))
            assert got == sorted(want + [("fifo-link", "symlink")]), got
            # Named on the command line or reached through a followed link: still never opened.
            p = glp.run_json(["dir", f"{d}/fifo", "--follow-symlinks", d], check_rc=0, timeout=30)
            got = sorted((os.path.basename(x), r) for x, r, _ in hu.skipped(p.doc))
            assert ("fifo", "fifo") in got and ("fifo-link", "fifo") in got, got
            assert glp.run(["dir", d, "--strict"], timeout=30).returncode == 3
        finally:
            s.close()


def test_F05_unreadable_file_and_directory_counted_scan_continues():
    with glp.TempDir() as d:
        os.chmod(d, 0o755)
        t = glp.pat()
        glp.write(f"{d}/ok/found.txt", t)
        glp.write(f"{d}/locked.txt", "x")
        glp.write(f"{d}/closed/inner.txt", t)
        for path in (f"{d}/ok", f"{d}/closed"):
            os.chmod(path, 0o755)
        os.chmod(f"{d}/ok/found.txt", 0o644)
        os.chmod(f"{d}/locked.txt", 0)
        os.chmod(f"{d}/closed", 0)

        def run(args):
            return subprocess.run([glp.bin_for_nobody()] + args, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, preexec_fn=hu.as_nobody, timeout=60)
        p = run(["dir", d, "-f", "json"])
        assert p.returncode == 1, p.returncode  # findings win
        doc = json.loads(p.stdout)
        assert sorted((os.path.basename(x), r, e) for x, r, e in hu.skipped(doc)) == [
            ("closed", "unreadable", True), ("locked.txt", "unreadable", True)]
        assert doc["scan"]["complete"] is False and doc["scan"]["incomplete_reasons"]
        assert len(doc["findings"]) == 1
        os.remove(f"{d}/ok/found.txt")
        p = run(["dir", d, "-f", "json"])
        assert p.returncode == 3, p.returncode  # never clean when coverage was lost
        assert b"unreadable" in subprocess.run([glp.bin_for_nobody(), "dir", d], stdout=subprocess.PIPE,
                                               stderr=subprocess.STDOUT, preexec_fn=hu.as_nobody).stdout


def test_F06_files_changing_during_the_scan():
    # Files are truncated, deleted, and replaced by symlinks to an outside secret while scans
    # run. The scan must not crash or follow a swapped-in symlink (O_NOFOLLOW, fstat after open).
    with glp.TempDir() as d:
        secret = glp.pat()
        glp.write(f"{d}/outside/secret.txt", f"s={secret}\n")
        n = 400
        filler = ("lorem ipsum " * 300).encode()
        for i in range(n):
            glp.write(f"{d}/root/d{i % 20}/f{i}.txt", filler)
        stop = threading.Event()

        def churn():
            i = 0
            while not stop.is_set():
                path = f"{d}/root/d{i % 20}/f{i % n}.txt"
                tmp = path + ".swap"
                try:
                    mode = i % 4
                    if mode == 0:
                        os.symlink(f"{d}/outside/secret.txt", tmp)
                        os.replace(tmp, path)
                    elif mode == 1:
                        os.truncate(path, 0) if not os.path.islink(path) else os.remove(path)
                    elif mode == 2:
                        os.remove(path)
                    else:
                        with open(tmp, "wb") as f:
                            f.write(filler)
                        os.replace(tmp, path)
                except OSError:
                    pass
                i += 7
        th = threading.Thread(target=churn, daemon=True)
        th.start()
        try:
            for _ in range(6):
                p = glp.run(["dir", f"{d}/root", "-f", "json", "-j", "2"], timeout=120)
                assert p.returncode in (0, 3), (p.returncode, p.err[:1000])
                doc = json.loads(p.stdout)
                assert doc["findings"] == [], "a swapped-in symlink was followed"
                reasons = {r for _, r, _ in hu.skipped(doc)}
                assert reasons <= {"symlink", "unreadable"}, reasons
                assert secret not in p.out and secret not in p.err
        finally:
            stop.set()
            th.join(10)


def test_F07_hostile_file_names_escaped_everywhere():
    t = glp.pat()
    names = ["new\nline.txt", "cr\rreturn.txt", "clear\x1b[2J.txt", "link\x1b]8;;http://evil\x07x\x1b]8;;\x07.txt",
             "rtl\u202etxt.exe", "pct%0A,b:c.txt", "::error::x.txt", "a,b:c%\n::error::y.txt", "bell\x07\x7f.txt"]
    with glp.TempDir() as d:
        for n in names:
            glp.write(os.path.join(d, n), f"T={t}\n")
        outs, codes = hu.all_outputs(["dir", d], d, extra=["--color", "always"])
        assert codes == {1}
        hu.valid_json_outputs(outs)
        hu.assert_no_token(outs, [t])
        for key in ("stdout.human", "stderr.human", "stderr.json"):
            data = outs[key]
            for bad in (b"\x1b[2J", b"\x1b]8", b"\x07", b"\r", b"\x7f", "\u202e".encode()):
                assert bad not in data, (key, bad)
            # Every finding line starts where we put it: no name can start a new line.
            for n in names:
                assert n.encode() not in data or "\n" not in n, (key, n)
        doc = json.loads(outs["stdout.json"])
        assert sorted(os.path.relpath(f["path"], d) for f in doc["findings"]) == sorted(os.path.normpath(n) for n in names)
        for line in outs["stdout.jsonl"].splitlines():
            json.loads(line)
        sarif = json.loads(outs["stdout.sarif"])
        uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
        for u in uris:
            assert all(0x20 < ord(c) < 0x7f for c in u), u  # percent-encoded, no controls


def test_F08_non_utf8_file_names():
    t = glp.pat()
    with glp.TempDir() as d:
        raw = os.fsencode(d) + b"/caf\xe9-\xff\xfe.env"
        with open(raw, "wb") as f:
            f.write(f"T={t}\n".encode())
        outs, codes = hu.all_outputs(["dir", d], d)
        assert codes == {1}
        hu.valid_json_outputs(outs)
        doc = json.loads(outs["stdout.json"])
        f = doc["findings"][0]
        assert base64.b64decode(f["path_bytes_b64"]) == raw  # original bytes recoverable
        f.get("path").encode("utf-8")
        sarif = json.loads(outs["stdout.sarif"])
        uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert "%E9" in uri.upper() and "%FF" in uri.upper(), uri


def test_F09_deep_tree_near_path_max_and_many_files_bounded_fds():
    t = glp.pat()
    with glp.TempDir() as d:
        # 50 levels, ~4000 bytes of path: found.
        deep = d
        seg = "d" * 70
        while len(deep) + len(seg) + 20 < 4000 and deep.count("/") < 60:
            deep = os.path.join(deep, seg)
        glp.write(os.path.join(deep, "t.txt"), t)
        # Beyond PATH_MAX (built with dir fds): cannot be opened by path; must be reported as
        # unreadable, never a crash, a hang or silent loss.
        os.makedirs(os.path.join(d, "far"))
        fd = os.open(os.path.join(d, "far"), os.O_RDONLY)
        for _ in range(70):
            os.mkdir(seg, dir_fd=fd)
            nfd = os.open(seg, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        tf = os.open("t.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(tf, t.encode())
        os.close(tf)
        os.close(fd)
        n = hu.big(20000, 4000)
        for i in range(n):
            glp.write(f"{d}/wide/{i % 100}/{i}.txt", "x\n")

        def low_fds():
            resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))
        p = subprocess.run([glp.BIN, "dir", d, "-f", "json"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, preexec_fn=low_fds, timeout=600)
        doc = json.loads(p.stdout)
        assert [f["path"] for f in doc["findings"]] == [os.path.join(deep, "t.txt")], p.stderr[:500]
        assert doc["scan"]["stats"]["files"] == n + 1
        sk = hu.skipped(doc)
        assert sk and all(r == "unreadable" and e for _, r, e in sk), sk  # the over-long path
        assert p.returncode == 1  # findings win; without them an over-long path means exit 3
        import shutil
        shutil.rmtree(os.path.join(d, "wide"))
        os.remove(os.path.join(deep, "t.txt"))
        assert subprocess.run([glp.BIN, "dir", d, "-q"], preexec_fn=low_fds, timeout=600).returncode == 3


def test_F10_ci_job_token_in_git_config():
    job = glp.token("gitlab.job_token")
    with glp.TempDir() as d:
        glp.write(f"{d}/.git/config", '[remote "origin"]\n\turl = https://gitlab-ci-token:' + job +
                  "@gitlab.example.com/group/project.git\n")
        glp.write(f"{d}/src/main.c", "int main(void) { return 0; }\n")
        p = glp.run_json(["dir", d], check_rc=0)
        assert p.doc["findings"] == []
        assert hu.skipped(p.doc) == [(f"{d}/.git", "git-dir", False)]
        outs, codes = hu.all_outputs(["dir", d, "--scan-git-dir"], d)
        assert codes == {1}
        hu.assert_no_token(outs, [job])
        doc = json.loads(outs["stdout.json"])
        assert [(f["rule_id"], f["path"]) for f in doc["findings"]] == [("gitlab.job_token", f"{d}/.git/config")]


def test_F11_gitignored_files_are_scanned():
    t = glp.pat()
    with glp.TempDir() as d:
        glp.write(f"{d}/.gitignore", ".env\nsecrets/\n")
        glp.write(f"{d}/.env", f"T={t}\n")
        glp.write(f"{d}/secrets/prod.yml", f"token: {t}\n")
        p = glp.run_json(["dir", d], check_rc=1)
        assert sorted(os.path.relpath(f["path"], d) for f in p.doc["findings"]) == [".env", "secrets/prod.yml"]
        # Decision: no --respect-gitignore; excluding is explicit (--exclude) and recorded.
        assert glp.run(["dir", d, "--respect-gitignore"]).returncode == 2
        p = glp.run_json(["dir", d, "--exclude", "secrets"], check_rc=1)
        assert [os.path.relpath(f["path"], d) for f in p.doc["findings"]] == [".env"]
        assert hu.skipped(p.doc) == [(f"{d}/secrets", "excluded", False)]


def test_F12_stdin_huge_stream_bounded_memory_and_empty_input():
    t = glp.pat()
    size = hu.big(5_000_000_000, 1_000_000_000)
    r, w = os.pipe()
    feeder = subprocess.Popen(["sh", "-c", f'head -c {size} /dev/zero; printf " %s \\n" "$0"', t], stdout=w)
    os.close(w)
    try:
        rc, out, err, rss = hu.run_rss(["stdin", "-f", "json"], stdin_fd=r, timeout=900)
    finally:
        os.close(r)
        feeder.wait()
    assert rc == 1, (rc, err[:300])
    doc = json.loads(out)
    assert [(f["offset"], f["path"]) for f in doc["findings"]] == [(size + 1, "<stdin>")]
    assert doc["scan"]["stats"]["bytes"] == size + len(t) + 3
    assert rss < 128 * glp.MEMORY_FACTOR, f"peak RSS {rss:.0f} MiB for a {size // 10**9} GB stream"
    rc, out, err, rss = hu.run_rss(["stdin", "-f", "json"], stdin_bytes=b"")
    assert rc == 0, rc
    doc = json.loads(out)
    assert doc["findings"] == [] and doc["scan"]["complete"] is True
    p = subprocess.run([glp.BIN, "stdin", "-q"], stdin=subprocess.DEVNULL, timeout=30)
    assert p.returncode == 0


if __name__ == "__main__":
    glp.main([v for k, v in sorted(globals().items()) if k.startswith("test_")])
