"""Suppression and configuration end to end (docs/suppression.md, docs/configuration.md).

Ignore files keyed by content fingerprints (surviving moves, renames and history rewrites),
inline allows, baselines, unused entries, and what a repository's own .glpatrol.toml may
and may not do. Every SARIF/GitLab report produced here is validated like in test_reports.
"""
import json
import os

import glp
from test_reports import assert_no_tokens, git, validate_gitlab, validate_sarif


def scan(args, rc, cwd=None):
    p = glp.run_json(list(args), check_rc=rc, cwd=cwd)
    return p, p.doc


def by_path(doc):
    out = {}
    for f in doc["findings"]:
        out.setdefault(os.path.basename(f["path"]), []).append(f)
    return out


def test_ignore_file_content_fingerprints_survive_moves_and_catch_new_tokens():
    with glp.TempDir() as d:
        known, fresh = glp.pat(), glp.pat()
        glp.write(f"{d}/conf/app.env", f"A=1\nTOKEN={known}\n")
        _, doc = scan(["dir", d], rc=1)
        fp = doc["findings"][0]["fingerprint"]
        assert known not in fp and fp.startswith("gitlab.pat:")
        glp.write(f"{d}/.glpatrolignore", f"# reviewed\n{fp}  # test fixture, revoked on 2026-11-01\n")
        p, doc = scan(["dir", d], rc=0)
        f = doc["findings"][0]
        assert f["suppressed"]["kind"] == "ignore-file"
        assert "test fixture" in f["suppressed"]["reason"] and ".glpatrolignore:2" in f["suppressed"]["reason"]
        assert doc["summary"]["suppressed"] == 1 and doc["summary"]["unsuppressed"] == 0
        assert any(c.endswith(".glpatrolignore") for c in doc["scan"]["config_files"])
        # Move the token to another line of a renamed file: still suppressed.
        os.remove(f"{d}/conf/app.env")
        glp.write(f"{d}/moved/renamed.yaml", f"x: 1\ny: 2\nz: 3\ntoken: {known}\n")
        _, doc = scan(["dir", d], rc=0)
        assert doc["findings"][0]["suppressed"]["kind"] == "ignore-file"
        # A different token on the very line the entry was made for: reported.
        glp.write(f"{d}/moved/renamed.yaml", f"x: 1\ny: 2\nz: 3\ntoken: {fresh}\n")
        p, doc = scan(["dir", d], rc=1)
        assert len(doc["findings"]) == 1 and doc["findings"][0]["suppressed"] is None
        # ... and the now-unused entry is reported, in the JSON and on the human output.
        unused = doc["scan"]["suppression"]["unused_ignore_entries"]
        assert len(unused) == 1 and unused[0]["fingerprint"] == fp and unused[0]["line"] == 2
        assert any("matched no finding" in w for w in doc["scan"]["warnings"])
        h = glp.run(["dir", d, "--color", "never"], check_rc=1)
        assert "matched no finding" in h.out and fp in h.out
        assert_no_tokens([known, fresh], p.stdout, p.stderr, h.stdout, h.stderr)


def test_ignore_file_errors_and_explicit_file_and_path_globs():
    with glp.TempDir() as d:
        tok = glp.pat()
        glp.write(f"{d}/t/tests/fixture.env", tok)
        glp.write(f"{d}/t/src/real.env", tok)
        _, doc = scan(["dir", f"{d}/t"], rc=1)
        fp = doc["findings"][0]["fingerprint"]
        glp.write(f"{d}/ign", f"{fp} tests/* # fixture only\n")
        _, doc = scan(["dir", f"{d}/t", "--ignore-file", f"{d}/ign"], rc=1)
        got = {os.path.basename(f["path"]): f["suppressed"] for f in doc["findings"]}
        assert got["fixture.env"]["kind"] == "ignore-file" and got["real.env"] is None
        # Missing reason, malformed fingerprint, missing file: exit 2 naming file and line.
        glp.write(f"{d}/bad1", f"{fp}\n")
        p = glp.run(["dir", f"{d}/t", "--ignore-file", f"{d}/bad1"], check_rc=2)
        assert "bad1:1" in p.err and "reason" in p.err
        glp.write(f"{d}/bad2", "# c\nabc123:config.env:gitlab-pat:4 # old gitleaks entry\n")
        p = glp.run(["dir", f"{d}/t", "--ignore-file", f"{d}/bad2"], check_rc=2)
        assert "bad2:2" in p.err and "fingerprint" in p.err
        glp.run(["dir", f"{d}/t", "--ignore-file", f"{d}/nope"], check_rc=2)


def test_inline_allow_both_markers_and_no_inline_allow():
    with glp.TempDir() as d:
        a, b, c = glp.pat(), glp.routable(), glp.token("gitlab.deploy_token")
        glp.write(f"{d}/a.py", f"A = '{a}'  # glpatrol:allow test data\nB = '{b}'  # gitleaks:allow\nC = '{c}'\n")
        p, doc = scan(["dir", d, "-r", f"sarif:{d}/../s-{os.path.basename(d)}.sarif"], rc=1)
        kinds = {f["line"]: f["suppressed"] for f in doc["findings"]}
        assert kinds[1]["kind"] == "inline" and "glpatrol:allow" in kinds[1]["reason"]
        assert kinds[2]["kind"] == "inline" and "gitleaks:allow" in kinds[2]["reason"]
        assert kinds[3] is None
        assert doc["scan"]["suppression"]["counts"]["inline"] == 2
        sarif = validate_sarif(f"{d}/../s-{os.path.basename(d)}.sarif")
        sup = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
        assert len(sup) == 2 and all(s["suppressions"][0]["kind"] == "inSource" for s in sup)
        os.remove(f"{d}/../s-{os.path.basename(d)}.sarif")
        # Only the unsuppressed one makes the exit code.
        glp.write(f"{d}/a.py", f"A = '{a}'  # glpatrol:allow\n")
        scan(["dir", d], rc=0)
        # CI on untrusted contributions: inline allows do not count.
        _, doc = scan(["dir", d, "--no-inline-allow"], rc=1)
        assert doc["findings"][0]["suppressed"] is None
        assert doc["scan"]["suppression"]["inline_allow"] is False
        h = glp.run(["dir", d, "--color", "never"], check_rc=0)
        assert "1 suppressed" in h.out
        assert_no_tokens([a, b, c], p.stdout, p.stderr, h.stdout)


def test_baseline_only_new_findings_fail():
    with glp.TempDir() as d:
        old, new = glp.pat(), glp.routable()
        glp.write(f"{d}/t/a.env", f"T={old}\n")
        glp.run(["dir", f"{d}/t", "-q", "-r", f"json:{d}/baseline.json"], check_rc=1)
        base = open(f"{d}/baseline.json", encoding="utf-8").read()
        assert old not in base  # a baseline holds fingerprints, never tokens
        _, doc = scan(["dir", f"{d}/t", "--baseline", f"{d}/baseline.json"], rc=0)
        assert doc["findings"][0]["suppressed"]["kind"] == "baseline"
        assert doc["scan"]["suppression"]["baseline_fingerprints"] == 1
        glp.write(f"{d}/t/b.env", f"N={new}\n")
        p, doc = scan(["dir", f"{d}/t", "--baseline", f"{d}/baseline.json", "-r", f"gitlab:{d}/g.json"], rc=1)
        st = {os.path.basename(f["path"]): f["suppressed"] for f in doc["findings"]}
        assert st["a.env"]["kind"] == "baseline" and st["b.env"] is None
        g = validate_gitlab(f"{d}/g.json")
        assert len(g["vulnerabilities"]) == 1  # only the new one opens a vulnerability
        # Not a glpatrol report, or not JSON: exit 2, never "empty baseline, all clean".
        glp.write(f"{d}/bad.json", "{not json")
        p = glp.run(["dir", f"{d}/t", "--baseline", f"{d}/bad.json"], check_rc=2)
        assert "bad.json" in p.err
        glp.write(f"{d}/other.json", json.dumps([{"Fingerprint": "x:y:z:1", "RuleID": "gitlab-pat"}]))
        glp.run(["dir", f"{d}/t", "--baseline", f"{d}/other.json"], check_rc=2)
        glp.write(f"{d}/sarif.json", json.dumps({"version": "2.1.0", "runs": []}))
        glp.run(["dir", f"{d}/t", "--baseline", f"{d}/sarif.json"], check_rc=2)
        glp.run(["dir", f"{d}/t", "--baseline", f"{d}/missing.json"], check_rc=2)
        assert_no_tokens([old, new], p.stdout, p.stderr, open(f"{d}/g.json", "rb").read())


def test_history_ignore_survives_rewrites():
    """A fingerprint made once keeps working after an amend/rebase changes every commit id."""
    with glp.TempDir() as d:
        repo = os.path.join(d, "r")
        os.makedirs(repo)
        tok = glp.pat()
        git(repo, "init", "-q", "-b", "main")
        glp.write(f"{repo}/a.env", f"T={tok}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "one")
        _, doc = scan(["git", repo, "--no-messages"], rc=1)
        fp = doc["findings"][0]["fingerprint"]
        before = doc["findings"][0]["commit"]["sha"]
        glp.write(f"{d}/ign", f"{fp} # known test token\n")
        # Rewrite: move the file, amend with another date; old commits unreachable.
        git(repo, "mv", "a.env", "b.env")
        git(repo, "commit", "-q", "--amend", "-m", "squashed", date="2026-02-02T00:00:00Z")
        git(repo, "reflog", "expire", "--expire=now", "--all")
        git(repo, "gc", "-q", "--prune=now")
        _, doc = scan(["git", repo, "--no-messages", "--ignore-file", f"{d}/ign"], rc=0)
        assert len(doc["findings"]) >= 1
        assert all(f["suppressed"]["kind"] == "ignore-file" for f in doc["findings"])
        assert any(f["commit"]["sha"] != before for f in doc["findings"])


def test_repo_config_adds_but_cannot_disable_or_pick_hosts():
    with glp.TempDir() as d:
        tok = glp.pat()
        glp.write(f"{d}/app.env", f"T={tok}\n")
        glp.write(f"{d}/vendor/lib.env", f"T={glp.pat()}\n")
        glp.write(f"{d}/.glpatrol.toml",
                  "[scan]\ndisable_rules = [\"gitlab.pat\"]\nexclude = [\"vendor/*\"]\n"
                  "[gitlab]\nverify_hosts = [\"https://collector.invalid\"]\n")
        p, doc = scan(["dir", d], rc=1)
        assert "refused [scan] disable_rules" in p.err and "gitlab.pat" in p.err
        assert "refused [gitlab] verify_hosts" in p.err
        paths = [os.path.basename(f["path"]) for f in doc["findings"]]
        assert paths == ["app.env"], paths  # the rule still runs; vendor/ excluded (as asked)
        assert any("refused" in w for w in doc["scan"]["warnings"])
        assert any(k["reason"] == "excluded" and "/vendor/" in k["path"] for k in doc["scan"]["skipped"])
        assert [c for c in doc["scan"]["config_files"] if c.endswith(".glpatrol.toml")]
        assert "gitlab.pat" in doc["scan"]["rules"]
        # --no-repo-config: the file is not read at all.
        p, doc = scan(["dir", d, "--no-repo-config"], rc=1)
        assert "refused" not in p.err and len(doc["findings"]) == 2
        assert not doc["scan"]["config_files"]
        # A trusted --config may disable a rule, and says so.
        glp.write(f"{d}/../ops-{os.path.basename(d)}.toml", "[scan]\ndisable_rules = [\"gitlab.pat\"]\n")
        p, doc = scan(["dir", d, "--no-repo-config", "--config", f"{d}/../ops-{os.path.basename(d)}.toml"], rc=0)
        assert "gitlab.pat" not in doc["scan"]["rules"] and doc["findings"] == []
        assert "disabled" in p.err
        os.remove(f"{d}/../ops-{os.path.basename(d)}.toml")
        # A repository rule cannot replace a built-in one.
        glp.write(f"{d}/.glpatrol.toml", "[[rules]]\nid = \"gitlab.pat\"\nname = \"x\"\ndescription = \"x\"\n"
                  "severity = \"info\"\npattern = 'zzzz[0-9]{8}'\nexamples = [\"zzzz{{hex:8}}\"]\n")
        p = glp.run(["dir", d], check_rc=2)
        assert "cannot be replaced" in p.err
        assert_no_tokens([tok], p.stdout, p.stderr)


def test_config_prefixes_rules_and_size_apply():
    with glp.TempDir() as d:
        body = glp.rand(glp.DEVISE, 20)
        custom = "corp" + "tok-" + body
        key = "acme" + "key_" + glp.rand(glp.HEX, 32)
        glp.write(f"{d}/t/a.env", f"T={custom}\nK={key}\n")
        glp.write(f"{d}/t/big.bin", "x" * 4096)
        cfg = (
            "[gitlab]\npat_prefixes = [\"corp" + "tok-\"]\n"
            "[scan]\nmax_file_size = \"1K\"\n"
            "[[rules]]\nid = \"acme.key\"\nname = \"ACME key\"\ndescription = \"An ACME API key.\"\n"
            "severity = \"medium\"\npattern = 'acme" + "key_[0-9a-f]{32}'\ncharset = \"any\"\n"
            "examples = [\"acme" + "key_{{hex:32}}\"]\n")
        glp.write(f"{d}/t/.glpatrol.toml", cfg)
        p, doc = scan(["dir", f"{d}/t"], rc=1)
        rules = sorted(f["rule_id"] for f in doc["findings"])
        assert rules == ["acme.key", "gitlab.pat"], (rules, p.err)
        assert any(k["reason"] == "size" for k in doc["scan"]["skipped"]), doc["scan"]["skipped"]
        sarif_path = f"{d}/o.sarif"
        glp.run(["dir", f"{d}/t", "-q", "-r", f"sarif:{sarif_path}", "-r", f"gitlab:{d}/o.json"], check_rc=1)
        s = validate_sarif(sarif_path)
        assert "acme.key" in [r["id"] for r in s["runs"][0]["tool"]["driver"]["rules"]]
        validate_gitlab(f"{d}/o.json")
        # A configured rule whose examples do not match is refused (exit 2), never silently inert.
        glp.write(f"{d}/t/.glpatrol.toml", cfg.replace("{{hex:32}}", "{{hex:31}}"))
        p = glp.run(["dir", f"{d}/t"], check_rc=2)
        assert "acme.key" in p.err
        # Broken TOML: exit 2 naming the file.
        glp.write(f"{d}/t/.glpatrol.toml", "[scan\n")
        p = glp.run(["dir", f"{d}/t"], check_rc=2)
        assert ".glpatrol.toml" in p.err
        assert_no_tokens([custom, key], p.stdout, p.stderr)


TESTS = [
    test_ignore_file_content_fingerprints_survive_moves_and_catch_new_tokens,
    test_ignore_file_errors_and_explicit_file_and_path_globs,
    test_inline_allow_both_markers_and_no_inline_allow,
    test_baseline_only_new_findings_fail,
    test_history_ignore_survives_rewrites,
    test_repo_config_adds_but_cannot_disable_or_pick_hosts,
    test_config_prefixes_rules_and_size_apply,
]

if __name__ == "__main__":
    glp.main(TESTS)
