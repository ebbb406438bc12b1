"""The command line a newcomer meets (issue 16): the command list, errors that name what was
typed, option groups, per-command options, report paths checked before the scan, --version,
completions and the man page, -q/-v, and the human view (next steps, ignore lines, reading
order, one name for message places, skipped inputs, no tick when nothing was scanned).
Every token is generated at run time (glp.py)."""
import json
import os
import re
import subprocess
import time

import glp
from test_git_fixtures import Repo


def repo_with_tokens(d):
    r = Repo(os.path.join(d, "r"))
    a, b = glp.pat(), glp.pat()
    r.commit("init", {"README": "hi\n"})
    r.commit(f"fix the build, token {a}", {"z.env": f"Z={b}\n", "a.env": f"A={b}\n"})
    return r, a, b


def test_bare_glpatrol_lists_commands_with_examples():
    p = glp.run([])
    assert p.returncode == 2, p.returncode
    text = p.out + p.err
    for cmd in ("dir", "git", "stdin", "install-hook", "merge", "verify", "commit-msg", "completion"):
        assert re.search(rf"^\s+{re.escape(cmd)}\s", text, re.M), (cmd, text)
    assert "Examples:" in text and "glpatrol git ." in text


def test_unknown_command_suggests_the_right_one():
    p = glp.run(["scan", "."])
    assert p.returncode == 2
    assert "dir" in p.err and "git" in p.err, p.err
    p = glp.run(["gti", "."])
    assert p.returncode == 2 and "git" in p.err, p.err


def test_an_option_that_does_not_apply_is_an_error_naming_it():
    # stdin has no --staged; dir has no --range: never silently ignored.
    p = glp.run(["stdin", "--staged"], stdin=b"")
    assert p.returncode == 2 and "--staged" in p.err, p.err
    with glp.TempDir() as d:
        p = glp.run(["dir", d, "--range", "a..b"])
        assert p.returncode == 2 and "--range" in p.err, p.err


def test_help_is_grouped_and_names_glpatrol():
    p = glp.run(["git", "--help"], check_rc=0)
    assert "Usage: glpatrol git" in p.out, p.out[:300]
    assert glp.BIN not in p.out
    assert "{false}" not in p.out and "{true}" not in p.out
    for group in ("Output", "Configuration and suppression", "Verification", "Performance", "Git"):
        assert re.search(rf"^{group}[^\n]*:", p.out, re.M), (group, p.out)


def test_since_accepts_a_date_and_errors_name_the_option_typed():
    with glp.TempDir() as d:
        r, a, b = repo_with_tokens(d)   # commits dated 2023-11-14
        p = glp.run_json(["git", r.path, "--since", "2023-01-01"])
        assert p.returncode == 1, p.err
        assert {f["path"] for f in p.doc["findings"]} >= {"a.env", "z.env"}
        p = glp.run_json(["git", r.path, "--since", "2030-01-01T00:00:00Z"])
        assert p.returncode == 0 and p.doc["findings"] == [], p.err
        p = glp.run(["git", r.path, "--since", "no-such-rev-or-date"])
        assert p.returncode == 2
        assert "--since 'no-such-rev-or-date'" in p.err and "--range" not in p.err, p.err


def test_report_path_extension_picks_the_format_and_bad_paths_fail_before_the_scan():
    with glp.TempDir() as d:
        r, a, b = repo_with_tokens(d)
        out = os.path.join(d, "out.sarif")
        glp.run(["git", r.path, "-q", "-r", out], check_rc=1)
        doc = json.load(open(out))
        assert doc["version"] == "2.1.0" and doc["runs"][0]["results"]
        assert os.stat(out).st_mode & 0o777 == 0o600
        for bad in (os.path.join(d, "missing", "x.json"), d):
            t0 = time.monotonic()
            p = glp.run(["git", r.path, "-r", "json:" + bad])
            assert p.returncode == 2, (bad, p.returncode, p.err)
            assert bad in p.err, p.err
            # Nothing was scanned: no report text on stdout.
            assert "finding" not in p.out, p.out


def test_version_names_commit_and_libraries():
    p = glp.run(["--version"], check_rc=0)
    first = p.out.splitlines()[0]
    assert re.match(r"glpatrol \d+\.\d+\.\d+ \(commit [0-9a-f]{7,}", first), first
    for lib in ("hyperscan", "libgit2", "libcurl", "pcre2", "libarchive"):
        assert lib in p.out, (lib, p.out)


def test_completions_and_man_page_come_from_the_cli_definitions():
    for shell, marker in (("bash", "complete"), ("zsh", "#compdef"), ("fish", "complete -c glpatrol")):
        p = glp.run(["completion", shell], check_rc=0)
        assert marker in p.out, (shell, p.out[:200])
        for word in ("dir", "git", "since", "no-color"):
            assert word in p.out, (shell, word)
    p = glp.run(["completion", "bash"], check_rc=0)
    b = subprocess.run(["bash", "-n"], input=p.stdout, stderr=subprocess.PIPE)
    assert b.returncode == 0, b.stderr
    p = glp.run(["man"], check_rc=0)
    assert p.out.startswith(".TH GLPATROL 1") or ".TH GLPATROL 1" in p.out[:400], p.out[:200]
    assert "\\-\\-since" in p.out or "--since" in p.out
    # The build writes the same page next to the binary.
    built = os.path.join(os.path.dirname(glp.BIN), "glpatrol.1")
    if os.path.exists(built):
        assert open(built).read() == p.out


def test_quiet_and_verbose():
    with glp.TempDir() as d:
        r, a, b = repo_with_tokens(d)
        p = glp.run(["git", r.path, "-q"], check_rc=1)
        assert p.out == "", p.out
        p = glp.run(["git", r.path, "-v", "-f", "json"], check_rc=1)
        json.loads(p.out)
        assert "rules (" in p.err and "timings: scan" in p.err, p.err
        assert a not in p.err and b not in p.err
        p = glp.run(["git", r.path, "-q", "-v"])
        assert p.returncode == 2 and "excludes" in p.err, p.err


def test_no_color_flag_and_env():
    with glp.TempDir() as d:
        r, a, b = repo_with_tokens(d)
        p = glp.run(["git", r.path, "--color", "always"], check_rc=1)
        assert "\x1b[" in p.out
        p = glp.run(["git", r.path, "--color", "always", "--no-color"], check_rc=1)
        assert "\x1b[" not in p.out
        p = glp.run(["git", r.path], env={"NO_COLOR": "1"}, check_rc=1)
        assert "\x1b[" not in p.out


def test_human_view_next_steps_ignore_lines_and_reading_order():
    with glp.TempDir() as d:
        r, a, b = repo_with_tokens(d)
        p = glp.run(["git", r.path], check_rc=1)
        out = p.out
        assert a not in out and b not in out
        assert "Next steps" in out
        steps = [out.index(s) for s in ("1. Revoke", "2. Check what the token did", "3. ")]
        assert steps == sorted(steps), out
        assert "/-/user_settings/personal_access_tokens" in out
        assert "rerun with --verify" in out
        # The ignore line is exactly what .glpatrolignore accepts.
        fps = re.findall(r"^  ignore\s+(gitlab\.pat:[0-9a-f]{64})  #", out, re.M)
        assert len(fps) == 2, out
        ign = os.path.join(r.path, ".glpatrolignore")
        glp.write(ign, "".join(f"{fp}  # test fixture\n" for fp in fps))
        p2 = glp.run(["git", r.path], check_rc=0)
        assert "2 suppressed" in p2.out or "suppressed" in p2.out, p2.out
        # Reading order: within the token, a.env before z.env.
        assert out.index("a.env:1:3") < out.index("z.env:1:3"), out


def test_a_message_place_has_one_name_in_every_format():
    with glp.TempDir() as d:
        r, a, b = repo_with_tokens(d)
        sha = r.sha("HEAD")
        name = f"commit-message/{sha}"
        p = glp.run_json(["git", r.path])
        msgs = [f for f in p.doc["findings"] if f["location_kind"] == "commit-message"]
        assert [f["path"] for f in msgs] == [name], msgs
        human = glp.run(["git", r.path], check_rc=1).out
        assert f"{name}:1:" in human, human
        sarif = os.path.join(d, "o.sarif")
        gl = os.path.join(d, "gl.json")
        glp.run(["git", r.path, "-q", "-r", "sarif:" + sarif, "-r", "gitlab:" + gl], check_rc=1)
        uris = [res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for res in json.load(open(sarif))["runs"][0]["results"]]
        assert name in uris, uris
        files = [v["location"]["file"] for v in json.load(open(gl))["vulnerabilities"]]
        assert name in files, files
        # And a path glob can name it.
        fp = msgs[0]["fingerprint"]
        glp.write(os.path.join(r.path, ".glpatrolignore"), f"{fp} commit-message/* # reviewed\n")
        p = glp.run_json(["git", r.path])
        sup = [f for f in p.doc["findings"] if f["location_kind"] == "commit-message"]
        assert sup and sup[0].get("suppressed"), sup


def test_nothing_scanned_is_not_a_green_tick_and_skips_are_listed():
    with glp.TempDir() as d:
        os.mkfifo(os.path.join(d, "pipe"))
        glp.write(os.path.join(d, "big.bin"), b"x" * 4096)
        p = glp.run(["dir", d, "--max-file-size", "100"])
        assert "✓" not in p.out, p.out
        assert "nothing scanned" in p.out, p.out
        assert "skipped" in p.out and "big.bin" in p.out, p.out
        glp.write(os.path.join(d, "ok.txt"), b"hello\n")
        p = glp.run(["dir", d, "--max-file-size", "100"], check_rc=0)
        assert "✓" in p.out and "big.bin" in p.out, p.out


if __name__ == "__main__":
    glp.main([v for k, v in list(globals().items()) if k.startswith("test_")])
