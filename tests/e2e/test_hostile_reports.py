"""Hostile reports, signals and CLI (bad-inputs.md A5, rows R01, R05-R07, R09, K06).

Row -> test map and the decisions for rows that leave a choice: docs/hostile-inputs.md.
"""
import json
import os
import pty
import signal
import subprocess
import time

import glp
import hostile_util as hu

KINDS = ["gitlab.pat", "gitlab.pat.routable", "gitlab.pat.routable_unversioned",
         "gitlab.runner_auth", "gitlab.runner_auth.routable", "gitlab.runner_registration",
         "gitlab.oauth_app_secret", "gitlab.deploy_token", "gitlab.job_token",
         "gitlab.pipeline_trigger", "gitlab.feed_token", "gitlab.incoming_mail",
         "gitlab.agent_token", "gitlab.scim_token", "gitlab.feature_flags_client",
         "gitlab.workspace_token"]


def _fixture(d):
    toks = [glp.token(k) for k in KINDS]
    toks.append("_gitlab_session=" + glp.rand(glp.HEX, 32))
    toks.append(glp.routable(prefix="corp-"))
    # Hostile contexts from other rows: no final newline, CRLF, NUL/invalid UTF-8, odd names.
    glp.write(f"{d}/t/a.env", "".join(f"K{i}={t}\r\n" for i, t in enumerate(toks[:6])))
    glp.write(f"{d}/t/b\x1b[2J.bin", b"\x00\xff" + " ".join(toks[6:12]).encode() + b"\xc3")
    glp.write(f"{d}/t/c,d:e%.txt", "\n".join(toks[12:]))
    return toks


def test_R01_no_raw_token_in_any_output_unless_asked():
    with glp.TempDir() as d:
        toks = _fixture(d)
        outs, codes = hu.all_outputs(["dir", f"{d}/t"], d)
        assert codes == {1}, codes
        hu.valid_json_outputs(outs)
        hu.assert_no_token(outs, toks)
        data = b"\n".join(open(f"{d}/t/{n}", "rb").read() for n in sorted(os.listdir(f"{d}/t")))
        for fmt in hu.FORMATS:
            p = glp.run(["stdin", "-f", fmt], stdin=data, check_rc=1)
            hu.assert_no_token({f"stdin.{fmt}": p.stdout, f"stdin.err.{fmt}": p.stderr}, toks)
        doc = json.loads(outs["stdout.json"])
        assert len(doc["findings"]) == len(toks), [f["rule_id"] for f in doc["findings"]]
        # The explicit switches do show them (so the assertions above are not vacuous).
        p = glp.run(["dir", f"{d}/t", "-f", "json", "--show-secrets"], check_rc=1)
        assert all(t.split("=", 1)[-1] in p.out for t in toks)
        p = glp.run(["dir", f"{d}/t", "-f", "gitlab", "--gitlab-raw-extract"], check_rc=1)
        assert any(t in p.out for t in toks)


def test_R05_report_path_symlink_missing_dir_readonly():
    with glp.TempDir() as d:
        t = glp.pat()
        glp.write(f"{d}/src/a.txt", t)
        glp.write(f"{d}/victim", "original\n")
        os.symlink(f"{d}/victim", f"{d}/report-link.json")
        os.symlink(f"{d}/nothing-here", f"{d}/dangling.json")
        os.mkdir(f"{d}/adir")
        cases = {f"json:{d}/report-link.json": "symlink", f"json:{d}/dangling.json": "symlink",
                 f"sarif:{d}/no/such/dir/r.sarif": "No such file",
                 f"json:/sys/glpatrol-report.json": "", f"json:{d}/adir": "not a regular file",
                 f"gitlab:/dev/full": "not a regular file"}
        for spec, msg in cases.items():
            p = glp.run(["dir", f"{d}/src", "-q", "-r", spec])
            assert p.returncode == 2, (spec, p.returncode)
            assert msg in p.err and spec.split(":", 1)[1] in p.err, (spec, p.err)
            hu.assert_no_token({"err": p.stderr}, [t])
        assert open(f"{d}/victim").read() == "original\n"
        assert not os.path.exists(f"{d}/nothing-here")
        assert os.path.islink(f"{d}/report-link.json")
        # No temporary file is left next to any destination.
        for root in (d, f"{d}/adir"):
            assert not [n for n in os.listdir(root) if ".tmp" in n], os.listdir(root)
        # A good report next to a bad one: the bad path is refused before anything is scanned
        # (exit 2, no report at all), never after an hour-long scan.
        p = glp.run(["dir", f"{d}/src", "-q", "-r", f"json:{d}/ok.json", "-r", f"json:{d}/dangling.json"])
        assert p.returncode == 2 and "dangling.json" in p.err and not os.path.exists(f"{d}/ok.json")
        # The same path twice would be written twice: refused too.
        p = glp.run(["dir", f"{d}/src", "-q", "-r", f"json:{d}/ok.json", "-r", f"sarif:{d}/ok.json"])
        assert p.returncode == 2 and "given twice" in p.err, p.err
        p = glp.run(["dir", f"{d}/src", "-q", "-r", f"json:{d}/ok.json"])
        assert p.returncode == 1 and json.load(open(f"{d}/ok.json"))["findings"]
        assert os.stat(f"{d}/ok.json").st_mode & 0o777 == 0o600


def _interrupt(args, sig, cwd, stdin=None):
    """Starts a scan, waits until it is scanning (progress on stderr), sends `sig`."""
    import select
    p = subprocess.Popen([glp.BIN] + args + ["--progress", "always"], cwd=cwd, stdin=stdin,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    fd = p.stderr.fileno()
    seen = b""
    deadline = time.time() + 60
    while not seen and time.time() < deadline and p.poll() is None:
        if select.select([fd], [], [], 0.1)[0]:
            seen += os.read(fd, 65536)
    time.sleep(0.3)
    assert p.poll() is None, f"scan ended before the signal (rc {p.returncode})"
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    return p.returncode, out, seen + (err or b"")


def test_R06_sigint_sigterm_mid_scan_leave_no_report():
    t = glp.pat()
    with glp.TempDir() as d:
        os.mkdir(f"{d}/tree")
        glp.write(f"{d}/tree/a.env", f"T={t}\n")
        with open(f"{d}/tree/disk.img", "wb") as f:  # sparse: long to scan, free to create
            f.seek(64 << 30)
            f.write(b"\n")
        for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
            reports = [f"json:{d}/out/r.json", f"sarif:{d}/out/r.sarif", f"gitlab:{d}/out/r.gitlab.json"]
            os.makedirs(f"{d}/out", exist_ok=True)
            args = ["dir", f"{d}/tree", "-q"]
            for r in reports:
                args += ["-r", r]
            rc, out, err = _interrupt(args, sig, d)
            assert rc == code, (sig, rc, err[-500:])
            assert os.listdir(f"{d}/out") == [], os.listdir(f"{d}/out")  # no report, no temp file
            hu.assert_no_token({"out": out, "err": err}, [t])
            # stdin: the scan is mid-stream for as long as the writer keeps the pipe open.
            r, w = os.pipe()
            os.write(w, f"T={t}\n".encode() + b"x" * 4096)  # < pipe capacity
            try:
                rc, out, err = _interrupt(["stdin", "-q", "-r", f"json:{d}/out/s.json"], sig, d, stdin=r)
            finally:
                os.close(r)
                os.close(w)
            assert rc == code, (sig, rc)
            assert os.listdir(f"{d}/out") == []


def _run_pty(args, env):
    """Runs glpatrol with stdout on a pseudo-terminal; returns (rc, bytes written to it)."""
    master, slave = pty.openpty()
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env)
    p = subprocess.Popen([glp.BIN] + args, stdout=slave, stderr=subprocess.PIPE, env=e)
    os.close(slave)
    data = glp.drain_pty(master)
    p.wait(60)
    return p.returncode, data, p.stderr.read()


def test_R07_no_ansi_in_pipes_no_color_and_dumb_terminals():
    with glp.TempDir() as d:
        t = glp.pat()
        glp.write(f"{d}/a.txt", t)
        p = glp.run(["dir", d], check_rc=1)  # stdout and stderr are pipes
        assert b"\x1b" not in p.stdout and b"\x1b" not in p.stderr and b"\r" not in p.stderr
        rc, tty, err = _run_pty(["dir", d], {"TERM": "xterm-256color"})
        assert rc == 1 and b"\x1b[" in tty, tty[:200]  # colour on a real terminal
        for env in ({"NO_COLOR": "1", "TERM": "xterm-256color"}, {"TERM": "dumb"}):
            rc, tty, err = _run_pty(["dir", d], env)
            assert rc == 1 and b"\x1b" not in tty, (env, tty[:200])
        rc, tty, err = _run_pty(["dir", d, "--color", "never"], {"TERM": "xterm"})
        assert b"\x1b" not in tty
        p = glp.run(["dir", d, "--color", "always"], check_rc=1)
        assert b"\x1b[" in p.stdout
        p = glp.run(["dir", d, "--progress", "auto"], check_rc=1)
        assert b"\r" not in p.stderr and b"\x1b" not in p.stderr


def test_R09_exit_code_matrix():
    with glp.TempDir() as d:
        os.chmod(d, 0o755)
        t = glp.pat()
        glp.write(f"{d}/clean/a.txt", "nothing\n")
        glp.write(f"{d}/dirty/a.txt", t)
        glp.write(f"{d}/locked/a.txt", "x")
        os.chmod(f"{d}/locked", 0o755)
        os.chmod(f"{d}/locked/a.txt", 0)
        glp.write(f"{d}/bad.toml", "[[rules]]\nid = 'x'\n")
        assert glp.run(["dir", f"{d}/clean"]).returncode == 0
        assert glp.run(["dir", f"{d}/dirty"]).returncode == 1
        assert glp.run(["dir", f"{d}/dirty", "--exit-code", "42"]).returncode == 42
        assert glp.run(["dir", f"{d}/clean", "--exit-code", "42"]).returncode == 0
        for args in (["dir", f"{d}/missing"], ["dir", f"{d}/clean", "--rules", f"{d}/bad.toml"],
                     ["dir", f"{d}/clean", "--rules", f"{d}/none.toml"], ["dir", f"{d}/clean", "-f", "xml"],
                     ["dir", f"{d}/clean", "--no-such-flag"], ["dir", f"{d}/clean", "-r", "nocolon"],
                     ["dir", f"{d}/clean", "--max-file-size", "12Q"], ["frobnicate"], []):
            p = glp.run(args)
            assert p.returncode == 2, (args, p.returncode)
        p = subprocess.run([glp.bin_for_nobody(), "dir", f"{d}/locked"], preexec_fn=hu.as_nobody,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert p.returncode == 3, p.returncode  # incomplete is never clean
        p = subprocess.run([glp.bin_for_nobody(), "dir", f"{d}/locked", f"{d}/dirty"], preexec_fn=hu.as_nobody,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert p.returncode == 1  # findings win over incompleteness
        # Decision: no separate code for verification infrastructure errors; an unreachable
        # GitLab leaves every token `unknown` and the exit code as without --verify.
        p = glp.run_json(["dir", f"{d}/dirty", "--verify", "--gitlab-url", "http://127.0.0.1:9",
                          "--verify-timeout", "1", "--verify-budget", "5"], timeout=60)
        assert p.returncode == 1, p.returncode
        assert [f["verification"]["status"] for f in p.doc["findings"]] == ["unknown"]


def test_K06_unsupported_rule_regex_rejected_with_rule_id():
    bad = {"glx-(?=a)[a-z]{20}": "Zero-width assertions", "glx-([a-z])\\1[a-z]{20}": "Back-references",
           "(?U)glx-[a-z]{20}": "Hyperscan", "glx-(?>[a-z]{20})": "Atomic groups",
           "a*": "empty string", "(?:glx-)?": "empty string", "glx-[a-z": "Hyperscan"}
    with glp.TempDir() as d:
        glp.write(f"{d}/src/a.txt", "hello\n")
        for i, (pat, msg) in enumerate(bad.items()):
            rule = (f"[[rules]]\nid = \"corp.bad{i}\"\npattern = '{pat}'\n"
                    "examples = [\"glx-{{alnum:20}}\"]\n")
            glp.write(f"{d}/r{i}.toml", rule)
            p = glp.run(["dir", f"{d}/src", "--rules", f"{d}/r{i}.toml"])
            assert p.returncode == 2, (pat, p.returncode)
            assert f"corp.bad{i}" in p.err and msg in p.err, (pat, p.err)
            assert p.stdout == b""  # no silent drop: nothing scanned, no report
            glp.write(f"{d}/c{i}.toml", rule)
            p = glp.run(["dir", f"{d}/src", "--config", f"{d}/c{i}.toml"])
            assert p.returncode == 2 and f"corp.bad{i}" in p.err, (pat, p.returncode, p.err)


if __name__ == "__main__":
    glp.main([v for k, v in sorted(globals().items()) if k.startswith("test_")])
