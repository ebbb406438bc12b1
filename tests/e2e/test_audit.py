"""End-to-end tests of `glpatrol audit` against the loopback GitLab stand-in
(tests/support/gitlab_standin.py, the instance-scan stand-in: it has users with states, groups,
projects, personal/project/group access tokens and deploy tokens with the documented list
shapes, pagination and per-role 403s; the small fake_gitlab.py layer only models single tokens).
Tokens are generated at run time (glp.py); the stand-in keeps only their SHA-256."""
import datetime as dt
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import glp  # noqa: E402
from gitlab_standin import GitLabStandin  # noqa: E402
from standin.model import MAINTAINER  # noqa: E402

for var in ("http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
            "NO_PROXY", "GITLAB_CI", "CI_SERVER_URL", "GITLAB_TOKEN"):
    os.environ.pop(var, None)

NOW = dt.datetime.now(dt.timezone.utc)
SEVERITY = {"audit.leaked-active": "critical", "audit.owner-inactive": "high", "audit.broad-scope": "high",
            "audit.no-expiry": "medium", "audit.not-rotated": "medium", "audit.unused": "medium",
            "audit.expiring": "low"}


def ago(days):
    return (NOW - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def date_in(days):
    return (NOW + dt.timedelta(days=days)).date().isoformat()


def check_schema(doc):
    import jsonschema
    with open(os.path.join(glp.SRC, "docs", "report.schema.json")) as f:
        jsonschema.validate(doc, json.load(f))


def flagged(doc):
    """{(subject name, rule_id)} of a JSON audit report."""
    return {(f["subject"]["name"], f["rule_id"]) for f in doc["findings"]}


def build(gl):
    """An instance with one token on each side of each rule's boundary. Returns the token values
    by name (to check that none ever appears in an output) and the two API tokens."""
    values = {}
    root = gl.add_user("root", is_admin=True)
    alice = gl.add_user("alice")
    bob = gl.add_user("bob", state="blocked")
    carol = gl.add_user("carol", state="deactivated")

    def pat(user, name, scopes=("read_api",), created=10, used=1, expires=60, **kw):
        v = glp.pat()
        values[name] = v
        gl.add_personal_token(user, v, name=name, scopes=scopes, created_at=ago(created),
                              last_used_at=None if used is None else ago(used),
                              expires_at=None if expires is None else date_in(expires), **kw)
        return v

    admin = pat(root, "admin-audit", scopes=("read_api",), created=1, used=0, expires=30)
    mine = pat(alice, "alice-audit", scopes=("read_api",), created=1, used=0, expires=30)
    pat(alice, "clean")
    pat(alice, "rot-89", created=89)
    pat(alice, "rot-91", created=91)
    pat(alice, "used-89", created=60, used=89)  # created 60 days ago: only `unused` is at stake
    pat(alice, "used-91", created=60, used=91, expires=300)
    pat(alice, "never-used-recent", created=5, used=None)
    pat(alice, "never-used-old", created=91, used=None)
    pat(alice, "no-expiry", expires=None)
    pat(alice, "exp-6", expires=6)
    pat(alice, "exp-8", expires=8)
    pat(alice, "broad-api", scopes=("api",))
    pat(alice, "person-write-repo", scopes=("write_repository",))
    pat(bob, "bob-blocked")
    pat(carol, "carol-deactivated")
    pat(alice, "revoked-bad", scopes=("api",), created=400, used=None, expires=None, revoked=True)
    pat(alice, "expired-bad", scopes=("api",), created=400, used=None, expires=-10)
    # pagination: more than one page (100) of personal access tokens
    for i in range(110):
        pat(root, f"bulk-{i:03d}")

    platform = gl.add_group("platform")
    backend = gl.add_group("backend", parent=platform)
    api = gl.add_project(backend, "api", repo=False)
    gl.add_project(gl.add_group("elsewhere"), "x", repo=False)
    for name, fn, owner, kw in (
            ("group-bot-write", gl.add_group_token, platform,
             dict(scopes=("write_repository",), expires_at=date_in(60), created_at=ago(10),
                  last_used_at=ago(1))),
            ("project-rot-91", gl.add_project_token, api,
             dict(scopes=("read_repository",), expires_at=date_in(60), created_at=ago(91),
                  last_used_at=ago(1))),
    ):
        v = glp.pat()
        values[name] = v
        fn(owner, v, name=name, **kw)
    v = glp.token("gitlab.deploy_token")
    values["deploy-forever"] = v
    gl.add_deploy_token(api, v, name="deploy-forever", expires_at=None)
    v = glp.token("gitlab.deploy_token")
    values["deploy-revoked"] = v
    gl.add_deploy_token(backend, v, name="deploy-revoked", expires_at=None, revoked=True)
    gl.add_member(backend, alice, MAINTAINER)
    return values, admin, mine


def audit(gl, token, args, fmt="json", rc=1):
    a = ["audit", "--gitlab-url", gl.url] + list(args)
    if fmt == "json":
        return glp.run_json(a, env={"GITLAB_TOKEN": token}, check_rc=rc)
    return glp.run(a + ["-f", fmt], env={"GITLAB_TOKEN": token}, check_rc=rc)


def no_token_in(p, values):
    for name, v in values.items():
        assert v not in p.out and v not in p.err, f"token {name} appears in the output"


def test_rules_on_and_off_their_boundaries_as_admin():
    with GitLabStandin(version="17.8.0") as gl:
        values, admin, _ = build(gl)
        p = audit(gl, admin, ["--group", "platform"])
        no_token_in(p, values)
        check_schema(p.doc)
        got = flagged(p.doc)
        want = {("rot-91", "audit.not-rotated"), ("used-91", "audit.unused"),
                ("never-used-old", "audit.unused"), ("no-expiry", "audit.no-expiry"),
                ("exp-6", "audit.expiring"), ("broad-api", "audit.broad-scope"),
                ("bob-blocked", "audit.owner-inactive"), ("carol-deactivated", "audit.owner-inactive"),
                ("group-bot-write", "audit.broad-scope"), ("project-rot-91", "audit.not-rotated"),
                ("deploy-forever", "audit.no-expiry")}
        assert want <= got, sorted(want - got)
        not_wanted = {("rot-89", "audit.not-rotated"), ("used-89", "audit.unused"),
                      ("never-used-recent", "audit.unused"), ("exp-8", "audit.expiring"),
                      ("person-write-repo", "audit.broad-scope")}
        assert not (not_wanted & got), sorted(not_wanted & got)
        names = {n for n, _ in got}
        for quiet in ("clean", "admin-audit", "revoked-bad", "expired-bad", "deploy-revoked", "bulk-000",
                      "bulk-109"):
            assert quiet not in names, quiet
        # every finding: rule id, a subject, a severity from the table; never a token value
        assert set(p.doc["scan"]["rules"]) == set(SEVERITY)
        sev = SEVERITY
        for f in p.doc["findings"]:
            s = f["subject"]
            assert f["severity"] == sev[f["rule_id"]] and "secret" not in f
            assert s["web_url"].startswith(gl.url), s
            assert f["location_kind"] == "gitlab"
        by = {(f["subject"]["name"]): f["subject"] for f in p.doc["findings"]}
        assert by["group-bot-write"]["type"] == "group_access" and by["group-bot-write"]["resource"] == "platform"
        assert by["project-rot-91"]["type"] == "project_access"
        assert by["project-rot-91"]["resource"] == "platform/backend/api"
        assert by["deploy-forever"]["type"] == "project_deploy"
        assert by["bob-blocked"]["owner"] == "bob" and by["broad-api"]["scopes"] == ["api"]
        assert p.doc["scan"]["kind"] == "audit"
        warn = " ".join(p.doc["scan"]["warnings"])
        assert "(administrator)" in warn and "not an administrator" not in warn
        # pagination: the second page of personal access tokens was read
        pats = gl.requests(path="/api/v4/personal_access_tokens")
        assert len(pats) == 2 and any("page=2" in r["query"] for r in pats), pats
        # only GETs, token only in a header, nothing but the stand-in was asked
        for r in gl.requests():
            assert r["method"] == "GET", r
            assert admin not in r["raw_path"] and admin not in r["query"], r
        # the boundary moves with --rotate-days / --unused-days
        p = audit(gl, admin, ["--rotate-days", "88", "--unused-days", "88"])
        got = flagged(p.doc)
        assert ("rot-89", "audit.not-rotated") in got and ("used-89", "audit.unused") in got
        # no --group: bot tokens still come with the administrator's list of personal access
        # tokens, typed from their owner's user_type
        bots = {f["subject"]["name"]: f["subject"]["type"] for f in p.doc["findings"]}
        assert bots.get("group-bot-write") == "group_access", bots.get("group-bot-write")


def test_other_formats_exit_codes_and_report_file():
    with GitLabStandin(version="17.8.0") as gl:
        values, admin, _ = build(gl)
        p = audit(gl, admin, [], fmt="human")
        no_token_in(p, values)
        assert "audit.not-rotated" in p.out and "rot-91" in p.out
        p = audit(gl, admin, [], fmt="sarif")
        no_token_in(p, values)
        doc = json.loads(p.out)
        results = doc["runs"][0]["results"]
        assert any(r["ruleId"] == "audit.owner-inactive" for r in results)
        p = audit(gl, admin, [], fmt="jsonl")
        lines = [json.loads(x) for x in p.out.splitlines() if x.strip()]
        assert any(x.get("rule_id") == "audit.no-expiry" for x in lines)
        with glp.TempDir() as d:
            out = os.path.join(d, "audit.json")
            p = glp.run(["audit", "--gitlab-url", gl.url, "-f", "json", "-r", out],
                        env={"GITLAB_TOKEN": admin}, check_rc=1)
            assert p.out == "" and os.stat(out).st_mode & 0o777 == 0o600
            with open(out) as f:
                assert json.load(f)["findings"]
        # nothing flagged: exit 0 (an instance with one well-kept token)
    with GitLabStandin(version="17.8.0") as gl:
        root = gl.add_user("root", is_admin=True)
        t = glp.pat()
        gl.add_personal_token(root, t, name="fine", scopes=("read_api",), created_at=ago(1),
                              last_used_at=ago(0), expires_at=date_in(30))
        p = audit(gl, t, [], rc=0)
        assert p.doc["findings"] == []
        # a refused token is an error (2), not an empty audit
        p = audit(gl, glp.pat(), [], fmt="human", rc=2)
        assert "not accepted" in p.err
        # no token at all: usage error before any request
        before = gl.count()
        p = glp.run(["audit", "--gitlab-url", gl.url], check_rc=2)
        assert "GITLAB_TOKEN" in p.err and gl.count() == before


def test_non_admin_narrows_and_says_so():
    with GitLabStandin(version="17.8.0") as gl:
        values, _, mine = build(gl)
        p = audit(gl, mine, ["--group", "platform/backend", "--group", "elsewhere"])
        no_token_in(p, values)
        got = flagged(p.doc)
        names = {n for n, _ in got}
        assert ("rot-91", "audit.not-rotated") in got  # alice's own tokens
        assert "bob-blocked" not in names and "bulk-000" not in names  # other users': not visible
        # alice maintains platform/backend: project tokens and deploy tokens there are listed;
        # group tokens need the Owner role (refused, and said), platform's are not reached
        assert ("project-rot-91", "audit.not-rotated") in got and ("deploy-forever", "audit.no-expiry") in got
        assert "group-bot-write" not in names
        warn = " ".join(p.doc["scan"]["warnings"])
        assert "not an administrator" in warn, warn
        assert "'elsewhere' not visible" in warn and "list(s) of group tokens refused" in warn, warn


def test_findings_join_raises_leaked_active_tokens_first():
    with GitLabStandin(version="17.8.0") as gl:
        values, admin, _ = build(gl)
        with glp.TempDir() as d:
            glp.write(os.path.join(d, "leak.env"), f"TOKEN={values['clean']}\nOLD={values['revoked-bad']}\n")
            report = os.path.join(d, "scan.json")
            glp.run(["dir", d, "--verify", "--gitlab-url", gl.url, "-f", "json", "-r", report], check_rc=1)
            p = audit(gl, admin, ["--findings", report])
        no_token_in(p, values)
        first = p.doc["findings"][0]
        assert first["rule_id"] == "audit.leaked-active" and first["severity"] == "critical", first
        assert first["subject"]["name"] == "clean"
        assert sum(f["rule_id"] == "audit.leaked-active" for f in p.doc["findings"]) == 1


if __name__ == "__main__":
    glp.main([
        test_rules_on_and_off_their_boundaries_as_admin,
        test_other_formats_exit_codes_and_report_file,
        test_non_admin_narrows_and_says_so,
        test_findings_join_raises_leaked_active_tokens_first,
    ])
