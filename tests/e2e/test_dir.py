"""End-to-end tests of `glpatrol dir`, `glpatrol stdin` and `glpatrol rules`.

Every tree is built at test time and every token generated at run time (glp.py).
"""
import json
import os
import stat
import subprocess

import glp


def findings(doc):
    return [(f["rule_id"], f["path"], f["line"], f["column"], f["end_column"]) for f in doc["findings"]]


def test_exact_findings_paths_lines_columns():
    with glp.TempDir() as d:
        t1, t2, t3 = glp.pat(), glp.routable(), glp.token("gitlab.runner_auth")
        glp.write(f"{d}/a.env", f"A=1\r\nTOKEN={t1}\r\n")
        glp.write(f"{d}/sub/deep/b.yaml", f"x:\n  - y: '{t2}'\n  - z: {t3}\n")
        glp.write(f"{d}/.gitignore", ".env.local\n")
        glp.write(f"{d}/.env.local", f"{t1}")  # ignored by git, still scanned
        p = glp.run_json(["dir", d], check_rc=1)
        got = sorted(findings(p.doc))
        want = sorted([
            ("gitlab.pat", f"{d}/a.env", 2, 7, 7 + len(t1)),
            ("gitlab.pat", f"{d}/.env.local", 1, 1, 1 + len(t1)),
            ("gitlab.pat.routable", f"{d}/sub/deep/b.yaml", 2, 9, 9 + len(t2)),
            ("gitlab.runner_auth", f"{d}/sub/deep/b.yaml", 3, 8, 8 + len(t3)),
        ])
        assert got == want, got
        s = p.doc["scan"]
        assert s["kind"] == "dir" and s["complete"] is True
        assert s["stats"]["files"] == 4, s["stats"]  # .gitignore too
        assert p.doc["schema_version"] and p.doc["tool"]["name"] == "glpatrol"
        for f in p.doc["findings"]:
            assert f["commit"] is None and f["suppressed"] is None and f["verification"] is None
            assert "secret" not in f
        sha = {f["rule_id"]: f["secret_sha256"] for f in p.doc["findings"]}
        import hashlib
        assert sha["gitlab.pat.routable"] == hashlib.sha256(t2.encode()).hexdigest()
        by_rule = {f["rule_id"]: f for f in p.doc["findings"]}
        assert by_rule["gitlab.pat.routable"]["checksum"] == "valid"
        assert by_rule["gitlab.pat"]["checksum"] == "absent"
        assert by_rule["gitlab.pat.routable"]["attributes"]["routing.organization"] == "1"


def test_relative_paths_when_scanning_dot():
    with glp.TempDir() as d:
        t = glp.pat()
        glp.write(f"{d}/x/y.txt", t)
        p = glp.run_json(["dir"], cwd=d, check_rc=1)
        assert [f["path"] for f in p.doc["findings"]] == ["x/y.txt"]


def test_clean_tree_and_placeholders_exit_zero():
    with glp.TempDir() as d:
        pfx = glp.PAT
        glp.write(f"{d}/README.md", f"Use {pfx}xxxxxxxxxxxxxxxxxxxx or {pfx}<your_token> or ${{GITLAB_TOKEN}}\n")
        glp.write(f"{d}/bad.txt", glp.routable(bad_crc=True))
        p = glp.run(["dir", d], check_rc=0)
        assert "0 findings" in p.out


def test_repeatable_options_take_one_value_each():
    # `-r FORMAT:PATH` before the paths: the path is a scan target, not a second report.
    with glp.TempDir() as d:
        glp.write(f"{d}/t/a.txt", f"k={glp.pat()}\n")
        glp.write(f"{d}/t/skip/b.txt", f"k={glp.pat()}\n")
        glp.write(f"{d}/t/also/c.txt", f"k={glp.pat()}\n")
        p = glp.run(["dir", "-r", f"json:{d}/r1.json", "-r", f"sarif:{d}/r2.sarif",
                     "--exclude", "skip/**", "--exclude", "also/**", f"{d}/t", "-f", "json"], check_rc=1)
        assert [f["path"] for f in json.loads(p.stdout)["findings"]] == [f"{d}/t/a.txt"]
        assert len(json.load(open(f"{d}/r1.json"))["findings"]) == 1
        assert os.path.exists(f"{d}/r2.sarif")


def test_redaction_everywhere_by_default():
    with glp.TempDir() as d:
        toks = [glp.pat(), glp.routable(), glp.token("gitlab.oauth_app_secret"), glp.token("gitlab.deploy_token")]
        glp.write(f"{d}/s.txt", "\n".join(toks) + "\n")
        rep = f"{d}/out/r.json"
        os.makedirs(f"{d}/out")
        for fmt in ("human", "json", "jsonl"):
            p = glp.run(["dir", f"{d}/s.txt", "-f", fmt, "-r", f"json:{rep}"], check_rc=1)
            blob = p.out + p.err + open(rep).read()
            for t in toks:
                assert t not in blob, (fmt, "raw token leaked")
                assert t[6:] not in blob
        p = glp.run_json(["dir", f"{d}/s.txt", "--show-secrets"], check_rc=1)
        assert sorted(f["secret"] for f in p.doc["findings"]) == sorted(toks)


def test_binary_file_and_nul_bytes():
    with glp.TempDir() as d:
        t = glp.pat()
        glp.write(f"{d}/app.bin", b"\x7fELF" + bytes(range(256)) * 10 + t.encode() + b"\x00\xff\xfe")
        p = glp.run_json(["dir", d], check_rc=1)
        assert [f["path"] for f in p.doc["findings"]] == [f"{d}/app.bin"]


def test_five_megabyte_single_line():
    with glp.TempDir() as d:
        t = glp.pat()
        half = "a" * (5 * 1024 * 1024 // 2)
        glp.write(f"{d}/min.js", half + ";" + t + ";" + half)
        p = glp.run_json(["dir", d], check_rc=1)
        [f] = p.doc["findings"]
        assert f["line"] == 1 and f["column"] == len(half) + 2


def test_chunk_boundary_straddle_in_streamed_file():
    # Files over 16 MiB are streamed in 4 MiB windows; plant tokens across the boundaries.
    with glp.TempDir() as d:
        size = 4 << 20
        data = bytearray(b"Q" * (size * 5))
        planted = []
        for k, delta in enumerate([1, 7, 20, 33, 60]):
            t = glp.pat() if k % 2 else glp.routable()
            at = size * (k + 1) - delta
            data[at - 1:at] = b"="
            data[at:at + len(t)] = t.encode()
            data[at + len(t):at + len(t) + 1] = b"\n"
            planted.append(t)
        glp.write(f"{d}/big.dat", bytes(data))
        p = glp.run_json(["dir", d, "--show-secrets"], check_rc=1)
        assert [f["secret"] for f in p.doc["findings"]] == planted
        lines = [f["line"] for f in p.doc["findings"]]
        assert lines == [1, 2, 3, 4, 5], lines


def test_crlf_cr_and_unicode_names():
    with glp.TempDir() as d:
        t = glp.pat()
        glp.write(f"{d}/crlf.txt", f"a\r\nb\r\n{t}\r\n")
        glp.write(f"{d}/cr.txt", f"a\rb\r\rx{t}")
        name = "ünïcode-名前.txt"
        glp.write(f"{d}/{name}", f"é=\t{t}")
        p = glp.run_json(["dir", d], check_rc=1)
        got = {os.path.basename(f["path"]): (f["line"], f["column"]) for f in p.doc["findings"]}
        assert got == {"crlf.txt": (3, 1), "cr.txt": (4, 2), name: (1, 4)}, got


def test_control_characters_in_names_are_escaped():
    with glp.TempDir() as d:
        t = glp.pat()
        evil = "evil\x1b[2J\nname\u202e.txt"
        glp.write(os.path.join(d, evil), t)
        p = glp.run(["dir", d, "--color", "always"], check_rc=1)
        assert "\x1b[2J" not in p.out and "\u202e" not in p.out
        assert "evil\\x1b[2J\\nname\\u{202e}.txt" in p.out
        j = glp.run_json(["dir", d], check_rc=1)
        assert j.doc["findings"][0]["path"].endswith(evil)


def test_symlinks_not_followed_and_loops_terminate():
    with glp.TempDir() as d:
        t = glp.pat()
        glp.write(f"{d}/outside/secret.txt", t)
        os.makedirs(f"{d}/root/a")
        os.symlink(f"{d}/outside/secret.txt", f"{d}/root/link.txt")
        os.symlink("../a", f"{d}/root/a/loop")
        p = glp.run_json(["dir", f"{d}/root"], check_rc=0)
        reasons = sorted(s["reason"] for s in p.doc["scan"]["skipped"])
        assert reasons == ["symlink", "symlink"], reasons
        p = glp.run_json(["dir", f"{d}/root", "--follow-symlinks"], check_rc=1)
        assert [f["path"] for f in p.doc["findings"]] == [f"{d}/root/link.txt"]
        assert any(s["reason"] == "symlink-loop" for s in p.doc["scan"]["skipped"])


def test_unreadable_file_is_counted_and_scan_continues():
    with glp.TempDir() as d:
        os.chmod(d, 0o755)
        t = glp.pat()
        glp.write(f"{d}/ok.txt", t)
        glp.write(f"{d}/locked.txt", "x")
        os.chmod(f"{d}/locked.txt", 0)
        os.chmod(f"{d}/ok.txt", 0o644)
        def run(args):
            return subprocess.run([glp.bin_for_nobody()] + args, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, preexec_fn=glp.as_nobody)
        p = run(["dir", d, "-f", "json"])
        assert p.returncode == 1, p.returncode  # findings win over incompleteness
        doc = json.loads(p.stdout)
        assert doc["scan"]["complete"] is False
        assert [(s["path"], s["reason"], s["error"]) for s in doc["scan"]["skipped"]] == [(f"{d}/locked.txt", "unreadable", True)]
        os.remove(f"{d}/ok.txt")
        p = run(["dir", d, "-f", "json"])
        assert p.returncode == 3, p.returncode  # never call an incomplete scan clean


def test_fifo_is_never_opened():
    with glp.TempDir() as d:
        os.mkfifo(f"{d}/pipe")
        glp.write(f"{d}/a.txt", "nothing")
        p = glp.run_json(["dir", d], check_rc=0, timeout=20)
        assert [(os.path.basename(s["path"]), s["reason"]) for s in p.doc["scan"]["skipped"]] == [("pipe", "fifo")]
        p = glp.run(["dir", d, "--strict"], timeout=20)
        assert p.returncode == 3


def test_git_dir_is_skipped_in_dir_mode():
    with glp.TempDir() as d:
        glp.write(f"{d}/.git/config", glp.pat())
        glp.write(f"{d}/src.c", "int x;")
        p = glp.run_json(["dir", d], check_rc=0)
        assert p.doc["findings"] == []
        p = glp.run_json(["dir", d, "--scan-git-dir"], check_rc=1)


def test_max_file_size_skips_and_reports():
    with glp.TempDir() as d:
        glp.write(f"{d}/big.txt", "x" * 5000 + glp.pat())
        p = glp.run_json(["dir", d, "--max-file-size", "1K"], check_rc=0)
        [s] = p.doc["scan"]["skipped"]
        assert s["reason"] == "size"
        assert glp.run(["dir", d, "--max-file-size", "1K", "--strict"]).returncode == 3


def test_exit_codes_and_errors():
    with glp.TempDir() as d:
        glp.write(f"{d}/a.txt", glp.pat())
        assert glp.run(["dir", f"{d}/missing"]).returncode == 2
        assert glp.run(["dir", d, "--exit-code", "7"]).returncode == 7
        assert glp.run(["dir", d, "--rules", f"{d}/nope.toml"]).returncode == 2
        assert glp.run(["dir", d, "-f", "nosuchformat"]).returncode == 2
        assert glp.run(["dir", d, "-r", "json"]).returncode == 2
        assert glp.run(["dir", d, "-r", f"json:{d}/no/such/dir/r.json"]).returncode == 2
        assert glp.run(["frobnicate"]).returncode == 2


def test_report_files_mode_0600_and_no_color_in_pipes():
    with glp.TempDir() as d:
        glp.write(f"{d}/a.txt", glp.pat())
        p = glp.run(["dir", d, "-r", f"json:{d}/r.json", "-r", f"jsonl:{d}/r.jsonl"], check_rc=1)
        assert "\x1b[" not in p.out
        assert stat.S_IMODE(os.stat(f"{d}/r.json").st_mode) == 0o600
        assert json.load(open(f"{d}/r.json"))["findings"][0]["rule_id"] == "gitlab.pat"
        lines = open(f"{d}/r.jsonl").read().splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["rule_id"] == "gitlab.pat"
        p = glp.run(["dir", d, "--color", "always"], env={"NO_COLOR": ""}, check_rc=1)
        assert "\x1b[" in p.out
        p = glp.run(["dir", d], env={"NO_COLOR": "1"}, check_rc=1)
        assert "\x1b[" not in p.out


def test_stdin():
    t = glp.routable(versioned=False)
    p = glp.run_json(["stdin"], stdin=f"hello\n  {t}\n".encode(), check_rc=1)
    [f] = p.doc["findings"]
    assert (f["rule_id"], f["path"], f["location_kind"], f["line"], f["column"]) == \
        ("gitlab.pat.routable_unversioned", "<stdin>", "stdin", 2, 3)
    p = glp.run_json(["stdin"], stdin=b"", check_rc=0)
    assert p.doc["scan"]["stats"]["bytes"] == 0


def test_every_token_kind_is_classified():
    with glp.TempDir() as d:
        kinds = glp.TOKEN_KINDS
        toks = {k: glp.token(k) for k in kinds}
        glp.write(f"{d}/all.txt", "".join(f"{k} = \"{t}\"\n" for k, t in toks.items()))
        p = glp.run_json(["dir", d, "--show-secrets"], check_rc=1)
        got = [(f["rule_id"], f["secret"]) for f in p.doc["findings"]]
        assert got == list(toks.items()), got


def test_custom_prefixes_from_flags():
    with glp.TempDir() as d:
        body = glp.rand(glp.DEVISE, 20)
        glp.write(f"{d}/a.txt", f"acme-{body}\n")
        glp.run(["dir", d], check_rc=0)
        p = glp.run_json(["dir", d, "--pat-prefix", "acme-"], check_rc=1)
        assert p.doc["findings"][0]["rule_id"] == "gitlab.pat"
        assert glp.run(["dir", d, "--pat-prefix", "bad prefix"]).returncode == 2


def test_rules_list_and_check():
    p = glp.run(["rules", "list"], check_rc=0)
    assert "gitlab.pat.routable" in p.out
    p = glp.run(["rules", "list", "-f", "json"], check_rc=0)
    assert len(json.loads(p.stdout)) >= 20
    glp.run(["rules", "check"], check_rc=0)
    with glp.TempDir() as d:
        glp.write(f"{d}/good.toml", "[[rules]]\nid = \"acme.key\"\npattern = 'acmekey_[0-9a-f]{32}'\n"
                  "examples = ['acmekey_{{hex:32}}']\nnegative_examples = ['acmekey_{{hex:8}}']\n")
        glp.run(["rules", "check", f"{d}/good.toml"], check_rc=0)
        glp.write(f"{d}/bad.toml", "[[rules]]\nid = \"acme.key\"\npattern = 'acmekey_[0-9a-f]{32}'\n"
                  "examples = ['acmekey_{{hex:8}}']\n")
        p = glp.run(["rules", "check", f"{d}/bad.toml"], check_rc=1)
        assert "FAIL acme.key" in p.out
        glp.run(["rules", "check", f"{d}/missing.toml"], check_rc=2)
        glp.write(f"{d}/dup.toml", "[[rules]]\nid = \"gitlab.pat\"\npattern = 'x'\nexamples=['x']\n")
        p = glp.run(["rules", "check", f"{d}/dup.toml"], check_rc=2)
        assert "--standalone" in p.err
        # A complete rule set (the shipped file itself) is checked on its own.
        p = glp.run(["rules", "check", "--standalone", os.path.join(glp.SRC, "rules", "gitlab.toml")],
                    check_rc=0)
        assert "all ok" in p.out
        # User rules are used by scans too.
        glp.write(f"{d}/t/k.txt", "k=acmekey_" + glp.rand(glp.HEX, 32))
        p = glp.run_json(["dir", f"{d}/t", "--rules", f"{d}/good.toml"], check_rc=1)
        assert p.doc["findings"][0]["rule_id"] == "acme.key"


def test_utf16_files():
    with glp.TempDir() as d:
        t1, t2 = glp.pat(), glp.routable()
        glp.write(f"{d}/le.txt", b"\xff\xfe" + f"line1\r\nkey: {t1}\r\n".encode("utf-16-le"))
        glp.write(f"{d}/be.ps1", f"$x = 1\n$t = '{t2}'\n".encode("utf-16-be"))
        glp.write(f"{d}/nobom.txt", f"# \u00e9t\u00e9 {t1} and more text to look like a document\n".encode("utf-16-le"))
        p = glp.run_json(["dir", d], check_rc=1)
        got = sorted((os.path.basename(f["path"]), f["rule_id"], f["line"], f["column"], f["attributes"].get("encoding"))
                     for f in p.doc["findings"])
        assert got == [("be.ps1", "gitlab.pat.routable", 2, 7, "utf-16be"),
                       ("le.txt", "gitlab.pat", 2, 6, "utf-16le"),
                       ("nobom.txt", "gitlab.pat", 1, 7, "utf-16le")], got
        off = {os.path.basename(f["path"]): f["offset"] for f in p.doc["findings"]}
        assert off["le.txt"] == 2 + 2 * len("line1\r\nkey: ")


if __name__ == "__main__":
    glp.main([v for k, v in sorted(globals().items()) if k.startswith("test_")])
