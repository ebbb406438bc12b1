"""Report formats end to end: sarif, gitlab, json, jsonl, human (docs/reports.md).

Every SARIF a test produces is validated by the Microsoft SARIF Multitool (zero errors, with
GitHub's ingestion rules) plus GitHub's own required-field list; every GitLab report by the
15.2.1 JSON schema (python3-jsonschema). Golden files (tests/golden/) hold normalised
reports: tokens are generated from a fixed seed at run time, and secrets, hashes and
timestamps are replaced by placeholders before comparing. GLPATROL_UPDATE_GOLDEN=1 rewrites
them. Every output of every test is grepped for the raw tokens.
"""
import json
import os
import pty
import re
import stat
import subprocess
import time

import glp

SRC = os.path.abspath(glp.SRC)
GOLDEN = os.path.join(SRC, "tests", "golden")
GITLAB_SCHEMA = os.environ.get("GITLAB_REPORT_SCHEMA") or next(
    (p for p in [os.path.join(SRC, "..", "shared", "schemas", "gitlab-secret-detection-report-15.2.1.schema.json"),
                 os.path.join(SRC, "tests", "golden", "schemas", "gitlab-secret-detection-report-15.2.1.schema.json"),
                 "/work/shared/schemas/gitlab-secret-detection-report-15.2.1.schema.json"]
     if os.path.exists(p)), None)


# ----------------------------------------------------------------------------- validators

def multitool():
    """The SARIF Multitool binary (.ci/run installs it; see docs/reports.md)."""
    # The native binary from the platform package: the npm wrapper (bin.js) runs it through a
    # shell, which would split the "Gh;Sarif" argument at the ';'.
    cands = [os.environ.get("SARIF_MULTITOOL", ""),
             os.path.join(SRC, "build-tools", "sarif-multitool", "node_modules", "@microsoft",
                          "sarif-multitool-linux", "Sarif.Multitool")]
    for c in cands:
        if c and os.path.exists(c):
            return c
    raise AssertionError("SARIF Multitool not found: run `npm install --prefix build-tools/sarif-multitool "
                         "@microsoft/sarif-multitool@5.7.0` in the source tree (.ci/run does), or set SARIF_MULTITOOL")


def validate_sarif(path):
    """Multitool validation with the SARIF and GitHub (Gh) rule sets: zero errors."""
    out = path + ".validation.sarif"
    p = subprocess.run([multitool(), "validate", path, "-o", out, "--log", "ForceOverwrite",
                        "--rule-kind", "Gh;Sarif", "--max-file-size-in-kb", "512000"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=600, env=dict(os.environ, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="1"))
    text = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 0, f"multitool failed ({p.returncode}):\n{text[-3000:]}"
    with open(out, encoding="utf-8") as f:
        log = json.load(f)
    os.unlink(out)
    errors = [r for run in log["runs"] for r in run.get("results", []) if r.get("level", "warning") == "error"]
    assert not errors, "SARIF Multitool errors:\n" + "\n".join(
        f"{e.get('ruleId')}: {e['message']}" for e in errors[:20]) + "\n" + text[-2000:]
    assert " error " not in text, text[-3000:]
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    check_github_sarif(doc)
    return doc


def check_github_sarif(doc):
    """GitHub code scanning's required fields (docs.github.com 'SARIF support')."""
    assert doc["$schema"] and doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] and driver["version"] and driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids)), "duplicate rules"
    for r in driver["rules"]:
        assert r["shortDescription"]["text"] and len(r["shortDescription"]["text"]) <= 1024
        assert r["fullDescription"]["text"] and len(r["fullDescription"]["text"]) <= 1024
        assert "Revoke the token in GitLab first" in r["help"]["text"]
        assert len(r.get("name", "")) <= 255
        assert 0.0 < float(r["properties"]["security-severity"]) <= 10.0
        assert "security" in r["properties"]["tags"]
    assert len(run["results"]) <= 25000
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        assert res["message"]["text"] and res["ruleId"] in res["message"]["text"]
        assert res["level"] in ("error", "warning", "note")
        loc = res["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert uri and not uri.startswith("/") and "://" not in uri, uri
        assert re.fullmatch(r"[A-Za-z0-9\-._~/%]+", uri), uri
        reg = loc["region"]
        for k in ("startLine", "startColumn", "endLine", "endColumn"):
            assert isinstance(reg[k], int) and reg[k] >= 1, (k, reg)
        assert (reg["endLine"], reg["endColumn"]) >= (reg["startLine"], reg["startColumn"])
        fp = res["partialFingerprints"]
        assert re.fullmatch(r"[0-9a-f]{16}:[0-9]+", fp["primaryLocationLineHash"]), fp
        assert re.fullmatch(r"[A-Za-z0-9._-]+:[0-9a-f]{64}", fp["glpatrol/fingerprint/v1"]), fp
        assert "snippet" not in json.dumps(loc)


def validate_gitlab(path_or_doc):
    import jsonschema
    if isinstance(path_or_doc, str):
        with open(path_or_doc, encoding="utf-8") as f:
            doc = json.load(f)
    else:
        doc = path_or_doc
    assert GITLAB_SCHEMA, "GitLab report schema 15.2.1 not found (set GITLAB_REPORT_SCHEMA)"
    with open(GITLAB_SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "GitLab schema errors:\n" + "\n".join(
        f"{list(e.path)}: {e.message}" for e in errors[:20])
    assert doc["version"] == "15.2.1"
    ids = [v["id"] for v in doc["vulnerabilities"]]
    assert len(ids) == len(set(ids)), "duplicate vulnerability ids"
    for v in doc["vulnerabilities"]:
        assert v["identifiers"][0]["type"] == "glpatrol_rule_id"
        assert v["location"]["commit"]["sha"]
        assert v["location"]["start_line"] >= 1
    return doc


def assert_no_tokens(tokens, *blobs):
    for b in blobs:
        if isinstance(b, str):
            b = b.encode("utf-8", "surrogateescape")
        for t in tokens:
            assert t.encode() not in b, "raw token leaked into an output"


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


# ----------------------------------------------------------------------------- golden files

_HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?")
_LINEHASH = re.compile(r"^[0-9a-f]{16}:(\d+)$")


def normalise(doc, fmt):
    """Replaces run-dependent values (token hashes, ids, times, redacted bodies) by
    placeholders; collapses rule descriptors to their ids (rules/gitlab.toml owns the text)."""
    doc = json.loads(json.dumps(doc))
    if fmt == "sarif":
        run = doc["runs"][0]
        run["tool"]["driver"]["rules"] = [r["id"] for r in run["tool"]["driver"]["rules"]]
        run["invocations"][0].pop("startTimeUtc", None)
        run["invocations"][0].pop("endTimeUtc", None)
    if fmt == "gitlab":
        doc["scan"]["primary_identifiers"] = [i["value"] for i in doc["scan"].get("primary_identifiers", [])]
        doc["scan"]["start_time"] = doc["scan"]["end_time"] = "<time>"
    if fmt == "json":
        # Source-specific scan metadata (git walk statistics, ...) belongs to other tests.
        core = ("kind", "targets", "started_at", "finished_at", "duration_seconds", "stats", "complete",
                "incomplete_reasons", "warnings", "skipped", "config_files", "rules", "suppression")
        doc["scan"] = {k: v for k, v in doc["scan"].items() if k in core}
        doc["scan"]["duration_seconds"] = 0
        doc["scan"]["started_at"] = doc["scan"]["finished_at"] = "<time>"
        doc["tool"]["version"] = "<version>"

    def walk(x, key=None):
        if isinstance(x, dict):
            return {k: walk(v, k) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, str):
            if key == "redacted" or (key == "value" and "*" in x):
                return "<redacted>"
            m = _LINEHASH.match(x)
            if m:
                return "<hash>:" + m.group(1)
            x = _HEX64.sub("<sha256>", x)
            x = _UUID.sub("<uuid>", x)
            if key not in ("date",):
                x = _TIME.sub("<time>", x)
            x = re.sub(r"[A-Za-z0-9_.-]*\*{4,}…?", "<redacted>", x)
            return x
        return x
    return walk(doc)


def check_golden(name, doc, fmt, tmp=None):
    got = json.dumps(normalise(doc, fmt), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    if tmp:
        got = got.replace(tmp, "<tmp>")
    path = os.path.join(GOLDEN, f"{name}.{fmt}.json")
    if os.environ.get("GLPATROL_UPDATE_GOLDEN") == "1" or not os.path.exists(path):
        if os.environ.get("GLPATROL_UPDATE_GOLDEN") != "1":
            raise AssertionError(f"golden file {path} missing (GLPATROL_UPDATE_GOLDEN=1 creates it)")
        os.makedirs(GOLDEN, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(got)
        return
    with open(path, encoding="utf-8") as f:
        want = f.read()
    if got != want:
        import difflib
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), path, "actual", n=2))
        raise AssertionError(f"{name}.{fmt} differs from the golden file:\n{diff[:6000]}")


# ----------------------------------------------------------------------------- fixtures

class Seeded:
    """Tokens from a fixed seed, so golden hashes and git object ids are reproducible."""

    def __init__(self, seed):
        self.saved = glp._rng.getstate()
        glp._rng.seed(seed)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        glp._rng.setstate(self.saved)


def make_tree(root, seed=1127):
    """The dir-mode fixture: odd names and bytes. Returns the tokens it holds."""
    with Seeded(seed):
        t = {k: glp.token(k) for k in ("gitlab.pat", "gitlab.pat.routable", "gitlab.deploy_token",
                                       "gitlab.runner_auth", "gitlab.pipeline_trigger", "gitlab.feed_token")}
        t["second_pat"] = glp.pat()
    rb = os.fsencode(root)
    glp.write(os.path.join(root, "first.env"), t["gitlab.pat"])  # line 1, column 1, no newline
    glp.write(os.path.join(root, "crlf.txt"), f"a=1\r\nTOKEN={t['gitlab.pat.routable']}\r\nb=2\r\n")
    glp.write(os.path.join(root, "ünïcødé 文件.env"), f"# é\nx = \"{t['gitlab.deploy_token']}\"\n")
    with open(rb + b"/ctl\x1b[31m\x07 name.txt", "wb") as f:
        f.write(f"runner: {t['gitlab.runner_auth']}\n".encode())
    with open(rb + b"/bad-\xff-name.cfg", "wb") as f:
        f.write(b"\xff\xfe\xc3 broken utf-8 \x80\n" + b"\xe9t\xe9 " + t["gitlab.pipeline_trigger"].encode() + b"\n")
    os.makedirs(os.path.join(root, "sub", "deeper"))
    glp.write(os.path.join(root, "sub", "deeper", "allowed.py"),
              f"A = '{t['gitlab.feed_token']}'  # glpatrol:allow (test data)\nB = '{t['second_pat']}'\n")
    return t


GIT_ENV = {"GIT_AUTHOR_NAME": "Fixture Author", "GIT_AUTHOR_EMAIL": "author@example.com",
           "GIT_COMMITTER_NAME": "Fixture Author", "GIT_COMMITTER_EMAIL": "author@example.com",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null"}


def git(repo, *args, date="2026-01-01T00:00:00Z"):
    env = dict(os.environ, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date, **GIT_ENV)
    return subprocess.run(["git", "-C", repo] + list(args), env=env, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout.decode().strip()


def make_history(repo, seed=2026):
    """A repository whose first token lives only in a since-deleted file."""
    with Seeded(seed):
        gone, kept = glp.pat(), glp.routable()
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    glp.write(os.path.join(repo, "README.md"), "# demo\n")
    glp.write(os.path.join(repo, "secrets", "old.env"), f"# old\nTOKEN={gone}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add secrets", date="2026-01-02T10:00:00Z")
    git(repo, "rm", "-q", "secrets/old.env")
    git(repo, "commit", "-q", "-m", "remove secrets", date="2026-01-03T10:00:00Z")
    glp.write(os.path.join(repo, "app.cfg"), f"token = {kept}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "configure app", date="2026-01-04T10:00:00Z")
    return {"gone": gone, "kept": kept}


def scan_all_formats(args, d, cwd=None, rc=1, extra=()):
    """One scan, every format as a report file (several --report share one scan)."""
    paths = {fmt: os.path.join(d, f"out.{fmt}") for fmt in ("json", "sarif", "gitlab", "jsonl", "human")}
    rep = []
    for fmt, p in paths.items():
        rep += ["-r", f"{fmt}:{p}"]
    p = glp.run(list(args) + rep + ["-q"] + list(extra), cwd=cwd, check_rc=rc)
    return p, paths


# ----------------------------------------------------------------------------- tests

def test_dir_fixture_every_format_valid_golden_and_token_free():
    with glp.TempDir() as d:
        root = os.path.join(d, "tree")
        os.makedirs(root)
        tokens = make_tree(root)
        out = os.path.join(d, "out")
        os.makedirs(out)
        p, paths = scan_all_formats(["dir", "."], out, cwd=root)
        sarif = validate_sarif(paths["sarif"])
        gl = validate_gitlab(paths["gitlab"])
        with open(paths["json"], encoding="utf-8") as f:
            js = json.load(f)
        jl = [json.loads(x) for x in read_bytes(paths["jsonl"]).decode().splitlines()]
        human = read_bytes(paths["human"]).decode("utf-8", "replace")
        assert_no_tokens(tokens.values(), p.stdout, p.stderr, *(read_bytes(x) for x in paths.values()))

        # The same scan behind every file.
        assert sarif["runs"][0]["invocations"][0]["startTimeUtc"] == js["scan"]["started_at"]
        assert gl["scan"]["start_time"] == js["scan"]["started_at"][:19]
        assert len(jl) == len(js["findings"]) == 7
        assert js["summary"]["suppressed"] == 1
        results = sarif["runs"][0]["results"]
        assert len(results) == 7
        assert len(gl["vulnerabilities"]) == 6  # the inline-allowed one is counted, not listed

        by_uri = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in results}
        first = by_uri["first.env"]["locations"][0]["physicalLocation"]["region"]
        assert (first["startLine"], first["startColumn"]) == (1, 1)
        assert first["endColumn"] == 1 + len(tokens["gitlab.pat"])
        crlf = by_uri["crlf.txt"]["locations"][0]["physicalLocation"]["region"]
        assert (crlf["startLine"], crlf["startColumn"]) == (2, 7)
        assert "%C3%BCn%C3%AFc%C3%B8d%C3%A9%20%E6%96%87%E4%BB%B6.env" in by_uri
        assert "ctl%1B%5B31m%07%20name.txt" in by_uri
        assert "bad-%FF-name.cfg" in by_uri
        bad = by_uri["bad-%FF-name.cfg"]["locations"][0]["physicalLocation"]["region"]
        assert bad["startLine"] == 2 and bad["startColumn"] == 5, bad
        allowed = [r for r in results if r.get("suppressions")]
        assert len(allowed) == 1 and allowed[0]["properties"]["suppressed"]["kind"] == "inline"
        gl_files = {v["location"]["file"] for v in gl["vulnerabilities"]}
        assert "ünïcødé 文件.env" in gl_files and "bad-\ufffd-name.cfg" in gl_files, gl_files
        assert all(v["location"]["commit"]["sha"] == "0000000" for v in gl["vulnerabilities"])
        assert "\x1b" not in human and "✗" in human

        check_golden("dir_tree", sarif, "sarif")
        check_golden("dir_tree", gl, "gitlab")
        check_golden("dir_tree", js, "json")


def test_history_fixture_deleted_file_names_the_commit():
    with glp.TempDir() as d:
        repo = os.path.join(d, "repo")
        tokens = make_history(repo)
        p, paths = scan_all_formats(["git", repo], d)
        sarif = validate_sarif(paths["sarif"])
        gl = validate_gitlab(paths["gitlab"])
        with open(paths["json"], encoding="utf-8") as f:
            js = json.load(f)
        assert_no_tokens(tokens.values(), p.stdout, p.stderr, *(read_bytes(x) for x in paths.values()))
        first_commit = git(repo, "rev-list", "--max-parents=0", "HEAD")
        res = [r for r in sarif["runs"][0]["results"]
               if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "secrets/old.env"]
        assert len(res) == 1, sarif["runs"][0]["results"]
        r = res[0]
        assert first_commit[:12] in r["message"]["text"]
        assert "no longer" in r["message"]["text"]
        assert r["properties"]["commit"]["sha"] == first_commit
        assert r["properties"]["in_head"] is False
        assert r["properties"]["blob_id"] == git(repo, "rev-parse", f"{first_commit}:secrets/old.env")
        reg = r["locations"][0]["physicalLocation"]["region"]
        assert reg["startLine"] == 2 and reg["startColumn"] == 7
        vs = [v for v in gl["vulnerabilities"] if v["location"]["file"] == "secrets/old.env"]
        assert len(vs) == 1
        c = vs[0]["location"]["commit"]
        assert c["sha"] == first_commit and c["message"] == "add secrets"
        assert c["author"] == "Fixture Author <author@example.com>" and c["date"].startswith("2026-01-02T10:00:00")
        check_golden("git_history", sarif, "sarif", d)
        check_golden("git_history", gl, "gitlab", d)
        check_golden("git_history", js, "json", d)


def test_reports_identical_across_clone_paths():
    """R10: the same content at two paths gives the same reports (timestamps aside)."""
    with glp.TempDir() as d:
        outs = []
        for name in ("one", "two-other-path"):
            root = os.path.join(d, name, "tree")
            os.makedirs(root)
            make_tree(root)
            od = os.path.join(d, name, "out")
            os.makedirs(od)
            scan_all_formats(["dir", root], od)
            outs.append({fmt: read_bytes(os.path.join(od, f"out.{fmt}")).decode("utf-8", "replace")
                         for fmt in ("sarif", "gitlab")})
        for fmt in ("sarif", "gitlab"):
            a, b = (_TIME.sub("<t>", o[fmt]) for o in outs)
            assert a == b, fmt


def test_report_files_atomic_0600_never_through_symlinks():
    with glp.TempDir() as d:
        glp.write(os.path.join(d, "t", "a.env"), glp.pat())
        target = os.path.join(d, "victim.txt")
        glp.write(target, "do not touch\n")
        link = os.path.join(d, "out.sarif")
        os.symlink(target, link)
        p = glp.run(["dir", f"{d}/t", "-q", "-r", f"sarif:{link}"], check_rc=2)
        assert "symlink" in p.err and read_bytes(target) == b"do not touch\n"
        assert os.path.islink(link)
        # Missing directory and read-only directory: exit 2 with the path in the message.
        p = glp.run(["dir", f"{d}/t", "-q", "-r", f"gitlab:{d}/missing/dir/r.json"], check_rc=2)
        assert "missing/dir/r.json" in p.err
        if os.geteuid() != 0:
            ro = os.path.join(d, "ro")
            os.makedirs(ro)
            os.chmod(ro, 0o500)
            glp.run(["dir", f"{d}/t", "-q", "-r", f"sarif:{ro}/r.sarif"], check_rc=2)
        # An unwritable destination (a directory) fails too, before the scan: no report lands.
        os.makedirs(os.path.join(d, "adir.json"))
        p = glp.run(["dir", f"{d}/t", "-q", "-r", f"json:{d}/adir.json", "-r", f"sarif:{d}/ok.sarif"],
                    check_rc=2)
        assert "not a regular file" in p.err
        assert not os.path.exists(f"{d}/ok.sarif")
        # Mode 0600 even over an existing 0644 file; no temporary files left behind.
        glp.write(f"{d}/r.sarif", "old")
        os.chmod(f"{d}/r.sarif", 0o644)
        glp.run(["dir", f"{d}/t", "-q", "-r", f"sarif:{d}/r.sarif", "-r", f"jsonl:{d}/r.jsonl"], check_rc=1)
        for name in ("r.sarif", "r.jsonl"):
            assert stat.S_IMODE(os.stat(f"{d}/{name}").st_mode) == 0o600, name
        assert not [n for n in os.listdir(d) if ".tmp" in n], os.listdir(d)
        # A bad --report spec or format fails before scanning.
        glp.run(["dir", f"{d}/t", "-r", "sarif"], check_rc=2)
        glp.run(["dir", f"{d}/t", "-r", "pdf:x.pdf"], check_rc=2)


def test_jsonl_streams_and_matches_json():
    with glp.TempDir() as d:
        toks = [glp.pat() for _ in range(50)]
        glp.write(os.path.join(d, "t", "a.txt"), "".join(f"{t}\n" for t in toks))
        glp.write(os.path.join(d, "t", "b.txt"), f"{toks[0]}  # gitleaks:allow\n")
        p = glp.run(["dir", f"{d}/t", "-f", "jsonl", "-r", f"jsonl:{d}/s.jsonl"], check_rc=1)
        lines = [json.loads(x) for x in p.stdout.decode().splitlines()]
        assert len(lines) == 51
        assert sorted(json.dumps(x, sort_keys=True) for x in lines) == sorted(
            json.dumps(json.loads(x), sort_keys=True) for x in read_bytes(f"{d}/s.jsonl").decode().splitlines())
        j = glp.run_json(["dir", f"{d}/t"], check_rc=1)
        key = lambda f: (f["path"], f["line"], f["column"])
        assert sorted(map(key, lines)) == sorted(map(key, j.doc["findings"]))
        assert sum(1 for x in lines if x["suppressed"]) == 1
        assert_no_tokens(toks, p.stdout, p.stderr)


def test_progress_line_only_on_a_terminal():
    def run_stdin(stderr_tty):
        args = [glp.BIN, "stdin", "-q"]
        master = slave = None
        if stderr_tty:
            master, slave = pty.openpty()
            err = slave
        else:
            err = subprocess.PIPE
        env = dict(os.environ, TERM="xterm")
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, env=env)
        drain = None
        if stderr_tty:
            os.close(slave)
            drain = glp.PtyDrain(master)  # read while it draws: a full terminal would block it
        for _ in range(12):  # ~1.2 s of slowly arriving input
            proc.stdin.write(b"x" * 65536 + b"\n")
            proc.stdin.flush()
            time.sleep(0.1)
        proc.stdin.close()
        if stderr_tty:
            proc.wait(timeout=60)
            return proc.returncode, drain.bytes()
        err_bytes = proc.stderr.read()
        proc.wait(timeout=60)
        return proc.returncode, err_bytes
    rc, err = run_stdin(True)
    assert rc == 0
    assert b"\r\x1b[K" in err and b"B/s" in err, err[:500]
    assert err.endswith(b"\r\x1b[K"), err[-100:]  # the line is erased at the end
    rc, err = run_stdin(False)
    assert rc == 0 and err == b"", err[:500]


def test_human_groups_by_token_and_totals_last():
    with glp.TempDir() as d:
        tok, other = glp.pat(), glp.token("gitlab.deploy_token")
        for i in range(3):
            glp.write(os.path.join(d, f"f{i}.txt"), f"x\n{tok}\n")
        glp.write(os.path.join(d, "g.txt"), other)
        glp.write(os.path.join(d, "h.txt"), f"{other} # glpatrol:allow\n")
        p = glp.run(["dir", d, "--color", "never"], check_rc=1)
        out = p.out
        assert out.count("token     ") == 2, out   # two groups, one line per token
        assert "1 token, 3 places" in out
        assert out.rstrip().splitlines()[-1].startswith(("✗", "!", "warning")) or "✗" in out.splitlines()[-1]
        last = [l for l in out.splitlines() if l.startswith("✗")]
        assert last and "4 findings (2 tokens)" in last[0] and "1 suppressed" in last[0], out
        assert out.index("1 token, 3 places") < out.index("✗")
        assert_no_tokens([tok, other], p.stdout, p.stderr)


def test_gitlab_raw_extract_only_when_asked():
    with glp.TempDir() as d:
        tok = glp.pat()
        glp.write(os.path.join(d, "t", "a.env"), f"T={tok}\n")
        p = glp.run(["dir", f"{d}/t", "-f", "gitlab"], check_rc=1)
        doc = validate_gitlab(json.loads(p.stdout))
        assert "raw_source_code_extract" not in doc["vulnerabilities"][0]
        assert_no_tokens([tok], p.stdout, p.stderr)
        p = glp.run(["dir", f"{d}/t", "-f", "gitlab", "--gitlab-raw-extract"], check_rc=1)
        doc = validate_gitlab(json.loads(p.stdout))
        assert doc["vulnerabilities"][0]["raw_source_code_extract"] == tok


def test_stdin_and_empty_scans_are_valid_reports():
    with glp.TempDir() as d:
        tok = glp.pat()
        p = glp.run(["stdin", "-q", "-r", f"sarif:{d}/s.sarif", "-r", f"gitlab:{d}/g.json"],
                    stdin=f"a\n{tok}\n".encode(), check_rc=1)
        doc = validate_sarif(f"{d}/s.sarif")
        assert doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "%3Cstdin%3E"
        validate_gitlab(f"{d}/g.json")
        os.makedirs(f"{d}/empty")
        glp.run(["dir", f"{d}/empty", "-q", "-r", f"sarif:{d}/e.sarif", "-r", f"gitlab:{d}/e.json"], check_rc=0)
        assert validate_sarif(f"{d}/e.sarif")["runs"][0]["results"] == []
        assert validate_gitlab(f"{d}/e.json")["vulnerabilities"] == []
        assert_no_tokens([tok], p.stdout, p.stderr, read_bytes(f"{d}/s.sarif"), read_bytes(f"{d}/g.json"))


TESTS = [
    test_dir_fixture_every_format_valid_golden_and_token_free,
    test_history_fixture_deleted_file_names_the_commit,
    test_reports_identical_across_clone_paths,
    test_report_files_atomic_0600_never_through_symlinks,
    test_jsonl_streams_and_matches_json,
    test_progress_line_only_on_a_terminal,
    test_human_groups_by_token_and_totals_last,
    test_gitlab_raw_extract_only_when_asked,
    test_stdin_and_empty_scans_are_valid_reports,
]

if __name__ == "__main__":
    glp.main(TESTS)
