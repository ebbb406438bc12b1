"""End-to-end tests of --verify, `glpatrol verify` and `glpatrol revoke` against a loopback
fake GitLab (tests/support/fake_gitlab.py). No test talks to anything but 127.0.0.1.
Tokens are generated at run time (glp.py)."""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import glp  # noqa: E402
from fake_gitlab import FakeGitLab  # noqa: E402
from standin.model import DEVELOPER, MAINTAINER, OWNER  # noqa: E402

# The tests control every network-relevant variable themselves.
for var in ("http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
            "NO_PROXY", "GITLAB_CI", "CI_SERVER_URL"):
    os.environ.pop(var, None)

SELF = "/api/v4/personal_access_tokens/self"
USER = "/api/v4/user"


def check_schema(doc):
    """Reports with verification results still validate against docs/report.schema.json."""
    import jsonschema
    with open(os.path.join(glp.SRC, "docs", "report.schema.json")) as f:
        jsonschema.validate(doc, json.load(f))


def check_no_secret(p, tokens):
    """No raw token in stdout or stderr (reports are redacted by default)."""
    for t in tokens:
        assert t not in p.out and t not in p.err, "raw token leaked into output"


def by_sha(doc):
    return {f["secret_sha256"]: f for f in doc["findings"]}


def sha(t):
    import hashlib
    return hashlib.sha256(t.encode()).hexdigest()


def scan_tree(files, args, **kw):
    with glp.TempDir() as d:
        for name, text in files.items():
            glp.write(os.path.join(d, name), text)
        return glp.run_json(["dir", d] + list(args), **kw)


def test_statuses_metadata_and_request_counts():
    srv = FakeGitLab()
    broad = glp.pat()          # api scope, no expiry, created long ago
    narrow = glp.routable()    # read_repository only, recent, expiring
    revoked, expired, unknown = glp.pat(), glp.pat(), glp.pat()
    old, old_narrow, forbidden = glp.pat(), glp.pat(), glp.pat()
    err500, html, huge = glp.pat(), glp.pat(), glp.pat()
    srv.add(broad, "active", name="deploy bot", scopes=["api", "write_repository"], expires_at=None,
            created_at="2024-01-02T03:04:05.000Z", last_used_at="2024-02-01T00:00:00.000Z",
            user_id=12, username="root", is_admin=True)
    srv.add(narrow, "active", name="reader", scopes=["read_repository"], expires_at="2099-01-01",
            created_at=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            last_used_at=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()), user_id=13)
    srv.add(revoked, "revoked")
    srv.add(expired, "expired")
    srv.add(old, "old", scopes=["read_user"], user_id=14, username="bob")
    srv.add(old_narrow, "old", scopes=["read_repository"])
    srv.add(forbidden, "forbidden-self")
    srv.add(err500, "error500")
    srv.add(html, "html")
    srv.add(huge, "huge")
    all_tokens = [broad, narrow, revoked, expired, unknown, old, old_narrow, forbidden, err500, html, huge]
    with srv:
        files = {f"f{i}.txt": f"token = {t}\n" for i, t in enumerate(all_tokens)}
        # The broad token leaks three times: still one request per endpoint.
        files["dup1.env"] = f"A={broad}\nB={broad}\n"
        p = scan_tree(files, ["--verify", "--no-verify-reach", "--gitlab-url", srv.url], check_rc=1)
        check_no_secret(p, all_tokens)
        f = by_sha(p.doc)
        v = {t: f[sha(t)]["verification"] for t in all_tokens}
        # every place of a token carries the same result
        places = [x for x in p.doc["findings"] if x["secret_sha256"] == sha(broad)]
        assert len(places) == 3 and all(x["verification"] == places[0]["verification"] for x in places)

        b = v[broad]
        assert b["status"] == "active", b
        assert b["host"] == srv.url and b["checked_at"].endswith("Z")
        assert b["token_name"] == "deploy bot" and b["scopes"] == ["api", "write_repository"]
        assert b["expires_at"] is None and b["created_at"].startswith("2024-01-02")
        assert b["user_id"] == 12 and b["username"] == "root" and b["is_admin"] is True
        for flag in ("no-expiry", "not-rotated", "unused-90d", "broad-scope", "admin-owner"):
            assert flag in b["risk_flags"], (flag, b["risk_flags"])
        assert f[sha(broad)]["severity"] == "critical"

        n = v[narrow]
        assert n["status"] == "active" and n["scopes"] == ["read_repository"]
        assert n["username"] is None  # read_repository may not read /user: not asked
        assert "over-max-lifetime" in n["risk_flags"] and "broad-scope" not in n["risk_flags"]
        assert "no-expiry" not in n["risk_flags"] and "not-rotated" not in n["risk_flags"]
        assert f[sha(narrow)]["severity"] == "high"

        assert v[revoked]["status"] == "revoked" and f[sha(revoked)]["severity"] == "low"
        assert v[expired]["status"] == "expired" and f[sha(expired)]["severity"] == "low"
        assert v[unknown]["status"] == "invalid"
        assert v[old]["status"] == "active" and v[old]["username"] == "bob" and v[old]["user_id"] == 14
        assert v[old_narrow]["status"] == "active" and "insufficient_scope" in v[old_narrow]["reason"]
        assert v[forbidden]["status"] == "active"
        assert v[err500]["status"] == "unknown" and "500" in v[err500]["reason"]
        assert v[html]["status"] == "unknown" and "HTTP 200" in v[html]["reason"]
        assert v[huge]["status"] == "unknown" and "size cap" in v[huge]["reason"]
        # revoked/expired/invalid are still findings (the leak happened): exit code 1 above.

        # exact request counts per token
        expect = {broad: 2, narrow: 1, revoked: 1, expired: 1, unknown: 1, old: 2, old_narrow: 2,
                  forbidden: 1, err500: 1, html: 1, huge: 1}
        for t, want in expect.items():
            assert srv.count(t) == want, (t[:8], srv.count(t), want)
        assert srv.count(broad, SELF) == 1 and srv.count(broad, USER) == 1
        for r in srv.all_requests():
            assert r["method"] == "GET" and r["via"] == "bearer" and not r["query"], r
            for t in all_tokens:
                assert t not in r["raw_path"]
        check_schema(p.doc)
        meta = p.doc["scan"]["verification"]
        assert meta["hosts"] == [srv.url] and meta["unique_tokens"] == len(all_tokens)
        assert meta["requests"] == sum(expect.values())


def test_rate_limit_then_success():
    srv = FakeGitLab()
    t = glp.pat()
    srv.add(t, "ratelimit", n=1, retry_after=1, scopes=["read_repository"])
    with srv:
        t0 = time.time()
        p = scan_tree({"a.txt": t}, ["--verify", "--no-verify-reach", "--gitlab-url", srv.url], check_rc=1)
        assert time.time() - t0 >= 1.0
        assert p.doc["findings"][0]["verification"]["status"] == "active"
        assert srv.count(t) == 2


def test_rate_limit_forever_is_unknown_and_bounded():
    srv = FakeGitLab()
    t = glp.pat()
    srv.add(t, "ratelimit", n=10 ** 6, retry_after=1)
    with srv:
        p = scan_tree({"a.txt": t}, ["--verify", "--gitlab-url", srv.url], check_rc=1)
        v = p.doc["findings"][0]["verification"]
        assert v["status"] == "unknown" and "429" in v["reason"], v
        assert srv.count(t) == 4  # 1 + 3 bounded retries
        # a Retry-After beyond the budget is not waited for
        t2 = glp.pat()
        srv.add(t2, "ratelimit", n=10 ** 6, retry_after=3600)
        t0 = time.time()
        p = scan_tree({"a.txt": t2}, ["--verify", "--gitlab-url", srv.url], check_rc=1)
        assert time.time() - t0 < 10
        assert p.doc["findings"][0]["verification"]["status"] == "unknown"
        assert srv.count(t2) == 1


def test_timeout_and_budget():
    srv = FakeGitLab()
    slow = glp.pat()
    srv.add(slow, "slow", delay=8)
    with srv:
        t0 = time.time()
        p = scan_tree({"a.txt": slow}, ["--verify", "--gitlab-url", srv.url, "--verify-timeout", "1"],
                      check_rc=1)
        assert time.time() - t0 < 6  # the 1 s timeout, not the server's 8 s
        v = p.doc["findings"][0]["verification"]
        assert v["status"] == "unknown" and "imeout" in v["reason"], v
        assert srv.count(slow) == 1
        # total budget: 6 slow tokens, 1 at a time, budget 2 s -> the rest are unknown unasked
        many = [glp.pat() for _ in range(6)]
        for m in many:
            srv.add(m, "slow", delay=8)
        t0 = time.time()
        p = scan_tree({f"m{i}": m for i, m in enumerate(many)},
                      ["--verify", "--gitlab-url", srv.url, "--verify-timeout", "1.5",
                       "--verify-budget", "2", "--verify-concurrency", "1"], check_rc=1)
        assert time.time() - t0 < 7  # the 2 s budget, not 6 x 1.5 s
        st = [f["verification"]["status"] for f in p.doc["findings"]]
        assert st == ["unknown"] * 6
        assert sum(srv.count(m) for m in many) <= 2
        assert any("budget" in f["verification"]["reason"] for f in p.doc["findings"])


def test_redirect_is_not_followed():
    target = FakeGitLab()
    srv = FakeGitLab()
    t = glp.pat()
    with target, srv:
        target.add(t, "active")
        srv.add(t, "redirect", location=target.url)
        p = scan_tree({"a.txt": t}, ["--verify", "--gitlab-url", srv.url], check_rc=1)
        v = p.doc["findings"][0]["verification"]
        assert v["status"] == "unknown" and "redirect" in v["reason"], v
        assert srv.count(t) == 1
        assert target.count() == 0, "redirect target received a request"


def test_host_in_scanned_content_is_never_contacted():
    attacker = FakeGitLab()
    srv = FakeGitLab()
    t = glp.pat()
    with attacker, srv:
        attacker.add(t, "active")
        srv.add(t, "active", scopes=["read_repository"])
        text = (f'gitlab_url = "{attacker.url}"\nCI_SERVER_URL={attacker.url}\n'
                f'remote = {attacker.url}/group/project.git\ntoken = "{t}"\n')
        # the configured host comes from GitLab CI's environment
        p = scan_tree({"config.toml": text}, ["--verify", "--no-verify-reach"], check_rc=1,
                      env={"GITLAB_CI": "true", "CI_SERVER_URL": srv.url})
        assert p.doc["findings"][0]["verification"]["host"] == srv.url
        assert srv.count(t) == 1 and attacker.count() == 0
        assert srv.url in p.err  # --verify says which host it contacts
        # an explicit --gitlab-url wins over CI_SERVER_URL
        p = scan_tree({"config.toml": text}, ["--verify", "--no-verify-reach", "--gitlab-url", srv.url], check_rc=1,
                      env={"GITLAB_CI": "true", "CI_SERVER_URL": attacker.url})
        assert attacker.count() == 0


def test_https_requires_trusted_certificate():
    srv = FakeGitLab(tls=True)
    t = glp.pat()
    srv.add(t, "active", scopes=["read_api"])
    with srv:
        assert srv.url.startswith("https://")
        p = scan_tree({"a.txt": t}, ["--verify", "--no-verify-reach", "--gitlab-url", srv.url], check_rc=1)
        v = p.doc["findings"][0]["verification"]
        assert v["status"] == "unknown" and ("certificate" in v["reason"] or "SSL" in v["reason"]), v
        assert srv.count(t) == 0  # the TLS handshake failed before the token was sent
        p = scan_tree({"a.txt": t}, ["--verify", "--no-verify-reach", "--gitlab-url", srv.url, "--ca-bundle", srv.cert],
                      check_rc=1)
        v = p.doc["findings"][0]["verification"]
        assert v["status"] == "active" and v["username"] == "alice", v
        assert srv.count(t) == 2


def test_plain_http_only_to_loopback():
    t = glp.pat()
    for url in ("http://gitlab.example.com", "http://10.0.0.1:8080", "ftp://127.0.0.1",
                "https://user:pw@gitlab.example.com", "https://gitlab.example.com/?x=1"):
        with glp.TempDir() as d:
            glp.write(os.path.join(d, "a.txt"), t)
            p = glp.run(["dir", d, "--verify", "--gitlab-url", url], check_rc=2)
        check_no_secret(p, [t])
        assert "GitLab URL" in p.err
    p = glp.run(["verify", "--gitlab-url", "http://gitlab.example.com"], stdin=t.encode(), check_rc=2)
    assert "loopback" in p.err
    # a bad CI_SERVER_URL fails before the scan, and only when --verify asks for it
    with glp.TempDir() as d:
        glp.write(os.path.join(d, "a.txt"), t)
        env = {"GITLAB_CI": "true", "CI_SERVER_URL": "http://gitlab.example.com"}
        p = glp.run(["dir", d, "--verify"], env=env, check_rc=2)
        assert "CI_SERVER_URL" in p.err and p.out == ""
        glp.run(["dir", d], env=env, check_rc=1)


def test_network_down_keeps_exit_code_and_report():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    t = glp.pat()
    plain = scan_tree({"a.txt": t}, [], check_rc=1)
    p = scan_tree({"a.txt": t}, ["--verify", "--gitlab-url", f"http://127.0.0.1:{port}"], check_rc=1)
    check_no_secret(p, [t])
    v = p.doc["findings"][0]["verification"]
    assert v["status"] == "unknown" and v["reason"], v
    assert p.doc["scan"]["complete"] is True and plain.doc["scan"]["complete"] is True
    # clean trees stay clean
    with glp.TempDir() as d:
        glp.write(os.path.join(d, "a.txt"), "nothing here\n")
        glp.run(["dir", d, "--verify", "--gitlab-url", f"http://127.0.0.1:{port}"], check_rc=0)


def test_scan_without_verify_opens_no_socket():
    if not shutil.which("strace"):
        raise AssertionError("strace is required (build.sh installs it)")
    t = glp.pat()
    with glp.TempDir() as d:
        glp.write(os.path.join(d, "a.txt"), f"token={t}\n")
        log = os.path.join(d, "strace.log")
        # LeakSanitizer cannot run under ptrace: ASan builds run this test without it.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
        p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=socket,connect", "-o", log, glp.BIN,
                            "dir", d, "-q", "--gitlab-url", "http://127.0.0.1:9"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert p.returncode == 1, p.stderr
        calls = [l for l in open(log) if "socket(" in l or "connect(" in l]
        assert calls == [], calls
        # control: the same run with --verify does open one
        p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=socket,connect", "-o", log, glp.BIN,
                            "dir", d, "-q", "--verify", "--gitlab-url", "http://127.0.0.1:9"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert p.returncode == 1
        assert any("connect(" in l for l in open(log))


def test_verify_command():
    srv = FakeGitLab()
    live, dead = glp.pat(), glp.pat()
    srv.add(live, "active", scopes=["api"])
    srv.add(dead, "revoked")
    with srv:
        p = glp.run_json(["verify", "--gitlab-url", srv.url, live, dead], check_rc=1)
        check_no_secret(p, [live, dead])
        st = {f["secret_sha256"]: f["verification"]["status"] for f in p.doc["findings"]}
        assert st == {sha(live): "active", sha(dead): "revoked"}
        check_schema(p.doc)
        assert p.doc["findings"][0]["location"]["kind"] if "location" in p.doc["findings"][0] else True
        # stdin, one per line, with blank lines, comments and a duplicate: one request each
        before = srv.count(dead)
        p = glp.run_json(["verify", "--gitlab-url", srv.url],
                         stdin=f"# leaked in #123\n\n{dead}\n{dead}\r\n".encode(), check_rc=0)
        assert [f["verification"]["status"] for f in p.doc["findings"]] == ["revoked", "revoked"]
        assert srv.count(dead) == before + 1
        # not a GitLab token: unverifiable, nothing sent
        n = srv.count()
        p = glp.run_json(["verify", "--gitlab-url", srv.url, "hello-world-123"], check_rc=0)
        assert p.doc["findings"][0]["verification"]["status"] == "unverifiable"
        assert srv.count() == n
        # human output
        p = glp.run(["verify", "--gitlab-url", srv.url, live], check_rc=1)
        assert "active" in p.out and "broad-scope" in p.out
        check_no_secret(p, [live])
        # unreachable host: exit 3 (could not be determined)
        glp.run(["verify", "--gitlab-url", "http://127.0.0.1:9", live], check_rc=3)
        glp.run(["verify", "--gitlab-url", srv.url], stdin=b"", check_rc=2)


def test_other_kinds_job_session_runner():
    srv = FakeGitLab()
    job = glp.token("gitlab.job_token")
    runner = glp.token("gitlab.runner_auth")
    reg = glp.token("gitlab.runner_registration")
    cookie = glp.rand(glp.HEX, 32)
    deploy = glp.token("gitlab.deploy_token")
    srv.add(job, "job")
    srv.add(runner, "runner")
    srv.add(cookie, "session", user_id=3, username="carol", is_admin=False)
    with srv:
        files = {"ci.env": f"CI_JOB_TOKEN={job}\nRUNNER={runner}\nREG={reg}\nDEPLOY={deploy}\n",
                 "cookies.txt": "Cookie: _gitlab_session=" + cookie + "; path=/\n"}
        p = scan_tree(files, ["--verify", "--gitlab-url", srv.url], check_rc=1)
        check_no_secret(p, [job, runner, reg, cookie, deploy])
        f = by_sha(p.doc)
        vj = f[sha(job)]["verification"]
        assert vj["status"] == "active" and vj["username"] == "alice", vj
        assert srv.count(job, "/api/v4/job") == 1 and srv.all_requests()[0]
        vs = f[sha(cookie)]["verification"]
        assert vs["status"] == "active" and vs["username"] == "carol", vs
        assert f[sha(cookie)]["severity"] == "critical"
        assert f[sha(runner)]["verification"]["status"] == "unverifiable"
        assert "--verify-runners" in f[sha(runner)]["verification"]["reason"]
        assert srv.count(runner) == 0, "runner token checked without opt-in"
        assert f[sha(reg)]["verification"]["status"] == "unverifiable" and srv.count(reg) == 0
        assert f[sha(deploy)]["verification"]["status"] == "unverifiable" and srv.count(deploy) == 0
        vias = {r["token"]: r["via"] for r in srv.all_requests()}
        assert vias[job] == "job-token" and vias[cookie] == "cookie"
        # with the opt-in: one POST /runners/verify, token in the form body
        p = scan_tree(files, ["--verify", "--verify-runners", "--gitlab-url", srv.url], check_rc=1)
        assert by_sha(p.doc)[sha(runner)]["verification"]["status"] == "active"
        assert srv.count(runner, "/api/v4/runners/verify", "POST") == 1 and srv.count(runner) == 1
        assert srv.count(reg) == 0


def test_multiple_hosts():
    a, b = FakeGitLab(), FakeGitLab()
    t, nowhere = glp.pat(), glp.pat()
    with a, b:
        b.add(t, "active", scopes=["read_repository"])
        p = scan_tree({"a.txt": f"{t}\n{nowhere}\n"},
                      ["--verify", "--no-verify-reach", "--gitlab-url", a.url, "--no-verify-reach", "--gitlab-url", b.url + "/"], check_rc=1)
        f = by_sha(p.doc)
        assert f[sha(t)]["verification"]["status"] == "active"
        assert f[sha(t)]["verification"]["host"] == b.url
        assert f[sha(nowhere)]["verification"]["status"] == "invalid"
        assert "all 2" in f[sha(nowhere)]["verification"]["reason"]
        assert a.count(t) == 1 and b.count(t) == 1 and a.count(nowhere) == 1 and b.count(nowhere) == 1


def test_proxy_from_environment():
    origin, proxy = FakeGitLab(tls=True), FakeGitLab()
    t = glp.pat()
    with origin, proxy:
        origin.add(t, "active", scopes=["read_repository"])
        args = ["--verify", "--no-verify-reach", "--gitlab-url", origin.url, "--ca-bundle", origin.cert]
        for var in ("https_proxy", "HTTPS_PROXY", "all_proxy"):
            before = origin.count(t)
            p = scan_tree({"a.txt": t}, args, check_rc=1, env={var: proxy.url})
            assert p.doc["findings"][0]["verification"]["status"] == "active", (var, p.doc)
            assert origin.count(t) == before + 1
        connects = proxy.all_requests()
        assert len(connects) == 3, connects
        for c in connects:  # the proxy only ever saw a CONNECT to the origin, never the token
            assert c["method"] == "CONNECT" and c["path"] == origin.url[len("https://"):] and c["token"] is None
        # no_proxy covering the host: direct
        p = scan_tree({"a.txt": t}, args, check_rc=1, env={"https_proxy": proxy.url, "no_proxy": "127.0.0.1"})
        assert len(proxy.all_requests()) == 3 and origin.count(t) == 4
    # plain http (loopback only) is never sent through a proxy: the proxy would read the token
    plain, proxy2 = FakeGitLab(), FakeGitLab()
    with plain, proxy2:
        plain.add(t, "active", scopes=["read_repository"])
        p = scan_tree({"a.txt": t}, ["--verify", "--no-verify-reach", "--gitlab-url", plain.url], check_rc=1,
                      env={"http_proxy": proxy2.url, "all_proxy": proxy2.url})
        assert p.doc["findings"][0]["verification"]["status"] == "active"
        assert proxy2.count() == 0 and plain.count(t) == 1


def test_suppressed_tokens_are_not_verified():
    srv = FakeGitLab()
    allowed, both, plain = glp.pat(), glp.pat(), glp.pat()
    for t in (allowed, both, plain):
        srv.add(t, "active", scopes=["read_repository"])
    with srv:
        files = {"a.env": f"X={allowed}  # glpatrol:allow test fixture\n",
                 "b.env": f"Y={both}  # glpatrol:allow\nZ={both}\n",
                 "c.env": f"W={plain}\n"}
        p = scan_tree(files, ["--verify", "--no-verify-reach", "--gitlab-url", srv.url], check_rc=1)
        check_no_secret(p, [allowed, both, plain])
        places = {}
        for f in p.doc["findings"]:
            places.setdefault(f["secret_sha256"], []).append(f)
        a = places[sha(allowed)][0]
        assert a["suppressed"] is not None and a["verification"] is None
        assert srv.count(allowed) == 0, "a suppressed-only token was sent to GitLab"
        # a token also found unsuppressed is verified once; every place shows the result
        assert srv.count(both) == 1 and srv.count(plain) == 1
        assert all(f["verification"]["status"] == "active" for f in places[sha(both)])


def test_stdin_and_git_scans_verify():
    srv = FakeGitLab()
    t, old = glp.pat(), glp.pat()
    srv.add(t, "active", scopes=["read_repository"])
    srv.add(old, "revoked")
    with srv:
        p = glp.run_json(["stdin", "--verify", "--no-verify-reach", "--gitlab-url", srv.url],
                         stdin=f"token: {t}\n".encode(), check_rc=1)
        assert p.doc["findings"][0]["verification"]["status"] == "active"
        with glp.TempDir() as d:
            env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
            e = dict(os.environ, **env)
            subprocess.run(["git", "init", "-q", d], check=True, env=e)
            glp.write(os.path.join(d, "cfg.env"), f"T={old}\n")
            subprocess.run(["git", "-C", d, "add", "."], check=True, env=e)
            subprocess.run(["git", "-C", d, "commit", "-qm", "one"], check=True, env=e)
            glp.write(os.path.join(d, "cfg.env"), f"T={t}\n")
            subprocess.run(["git", "-C", d, "commit", "-qam", "two"], check=True, env=e)
            p = glp.run_json(["git", d, "--verify", "--no-verify-reach", "--gitlab-url", srv.url], check_rc=1)
            check_no_secret(p, [t, old])
            st = {f["secret_sha256"]: f["verification"]["status"] for f in p.doc["findings"]}
            assert st == {sha(t): "active", sha(old): "revoked"}, st
            assert srv.count(t) == 2 and srv.count(old) == 1  # stdin run + git run; one each


def test_revoke():
    srv = FakeGitLab()
    live, gone, job = glp.pat(), glp.pat(), glp.token("gitlab.job_token")
    srv.add(live, "active", name="leaked", scopes=["api"])
    srv.add(gone, "revoked")
    with srv:
        # dry run: nothing is sent
        p = glp.run(["revoke", "--gitlab-url", srv.url, live, gone, job], check_rc=0)
        check_no_secret(p, [live, gone, job])
        assert "dry run" in p.out and "would revoke" in p.out
        assert srv.count() == 0
        p = glp.run(["revoke", "--gitlab-url", srv.url], stdin=f"{live}\n".encode(), check_rc=0)
        assert srv.count() == 0
        # --yes: GET self (to find the host), then DELETE self; never rotate
        p = glp.run(["revoke", "--yes", "--gitlab-url", srv.url, live, gone], check_rc=0)
        check_no_secret(p, [live, gone])
        assert "revoked" in p.out and "leaked" in p.out
        assert srv.count(live, SELF, "DELETE") == 1 and srv.count(gone, SELF, "DELETE") == 0
        assert not any("rotate" in r["path"] for r in srv.all_requests())
        p = glp.run_json(["verify", "--gitlab-url", srv.url, live], check_rc=0)
        assert p.doc["findings"][0]["verification"]["status"] == "revoked"
        # a token that cannot revoke itself: reported, exit 1 (action still needed)
        p = glp.run(["revoke", "--yes", "--gitlab-url", srv.url, job], check_rc=1)
        assert "cannot revoke itself" in p.out and srv.count(job) == 0


GROUP_REVOKE = "/api/v4/groups/acme/tokens/revoke"


def test_revoke_as_group_owner():
    """POST /groups/:id/tokens/revoke: a top-level group's Owner revokes a token that reaches the
    group (GitLab.com; the stand-in gates it behind its feature flag), with the leaked token in
    the body and the Owner's token in a header; what the group cannot revoke gets the manual step."""
    srv = FakeGitLab()
    s = srv.standin
    acme = s.add_group("acme")
    owner = s.add_user("olivia")
    s.add_member(acme, owner, OWNER)
    owner_token = glp.pat()
    s.add_personal_token(owner, owner_token, name="owner", scopes=["api"])
    deploy, stranger = glp.token("gitlab.deploy_token"), glp.token("gitlab.deploy_token")
    feed, trigger = glp.token("gitlab.feed_token"), glp.token("gitlab.pipeline_trigger")
    s.add_deploy_token(acme, deploy, name="ci-pull")
    s.add_deploy_token(s.add_group("elsewhere"), stranger, name="not ours")
    s.add_token("feed", feed, user=owner)
    s.add_token("trigger", trigger, user=owner)
    leaked = [deploy, stranger, feed, trigger]
    with srv, glp.TempDir() as d:
        key = os.path.join(d, "owner")
        glp.write(key, owner_token + "\n")
        os.chmod(key, 0o600)
        base = ["revoke", "--gitlab-url", srv.url, "--group", "acme", "--owner-token-file", key]
        # --group without an Owner token is a usage error, before anything is sent
        p = glp.run(["revoke", "--gitlab-url", srv.url, "--group", "acme"], stdin=f"{deploy}\n".encode(),
                    check_rc=2, env={"GITLAB_TOKEN": ""})
        assert "GITLAB_TOKEN" in p.err and srv.count() == 0
        # dry run: names the group call, sends nothing
        p = glp.run(base, stdin=f"{deploy}\n".encode(), check_rc=0)
        assert "POST /api/v4/groups/acme/tokens/revoke" in p.out and "dry run" in p.out and srv.count() == 0
        # the API is off (no flag): the manual step, with what the group answered
        p = glp.run(base + ["--yes"], stdin=f"{deploy}\n".encode(), check_rc=1)
        assert "manual" in p.out and "the group did not revoke it" in p.out, p.out
        # on: revoked through the group; a token of another group is not (404), nor a kind it cannot (422)
        s.enable_flag("group_agnostic_token_revocation")
        p = glp.run(base + ["--yes"], stdin="\n".join(leaked).encode(), check_rc=1)
        check_no_secret(p, leaked + [owner_token])
        lines = p.out.splitlines()
        assert sum(x.startswith("revoked") and "tokens/revoke" in x for x in lines) == 2, p.out  # deploy, feed
        assert sum(x.startswith("manual") for x in lines) == 2, p.out  # another group's token, a trigger token
        assert "HTTP 404" in p.out and "HTTP 422" in p.out, p.out
        calls = s.requests(path=GROUP_REVOKE)
        assert [c["method"] for c in calls] == ["POST"] * 5 and not any(c["query"] for c in calls), calls
        for r in srv.all_requests():
            for t in leaked + [owner_token]:
                assert t not in r["raw_path"], r
        # the deploy token is revoked on the server now
        admin = _admin(srv)
        glp.write(key, admin + "\n")
        p = glp.run_json(["verify", "--gitlab-url", srv.url, "--admin-token-file", key],
                         stdin=f"{deploy}\n{stranger}\n".encode(), check_rc=1)
        st = [f["verification"]["status"] for f in p.doc["findings"]]
        assert st == ["revoked", "active"], st


def _reach_instance(srv, uid):
    """Groups and projects for user `uid`: maintainer of platform (120 projects in its subgroup,
    more than one page of associations), developer in one project elsewhere, nothing in 'other'."""
    s = srv.standin
    u = s.inst.users[uid]
    platform = s.add_group("platform")
    backend = s.add_group("backend", parent=platform)
    s.add_member(platform, u, MAINTAINER)
    for i in range(120):
        s.add_project(backend, f"svc{i:03d}", repo=False)
    misc = s.add_group("misc")
    s.add_member(s.add_project(misc, "tools", repo=False), u, DEVELOPER)
    s.add_project(s.add_group("other"), "secret", repo=False)


def test_reach_associations_granular_and_fallback():
    srv = FakeGitLab()
    t, fine, narrow = glp.pat(), glp.pat(), glp.pat()
    srv.add(t, "active", scopes=["api"], user_id=21, username="carol")
    srv.add(narrow, "active", scopes=["read_repository"], user_id=21, username="carol", id=44)
    _reach_instance(srv, 21)
    srv.add(fine, "active", scopes=["api"], user_id=22, username="dave", id=43,
            granular_scopes=[{"access": "selected_memberships", "permissions": ["read_code", "read_issue"],
                              "project_id": 7}])
    with srv:
        # --no-verify-reach: no reach, no associations request
        p = scan_tree({"a.txt": t}, ["--verify", "--no-verify-reach", "--gitlab-url", srv.url], check_rc=1)
        assert "reach" not in p.doc["findings"][0]["verification"]
        assert srv.count(t, SELF + "/associations") == 0
        # by default, on 17.8: GET .../self/associations, two pages (121 projects), bounded at 100
        p = scan_tree({"a.txt": f"{t}\n{fine}\n"}, ["--verify", "--gitlab-url", srv.url], check_rc=1)
        check_no_secret(p, [t, fine])
        check_schema(p.doc)
        f = by_sha(p.doc)
        r = f[sha(t)]["verification"]["reach"]
        assert r["method"] == "associations", r
        # groups: direct memberships only (misc/tools is a project membership)
        assert r["groups_total"] == 1 and r["projects_total"] == 121, r
        assert len(r["projects"]) == 100 and r["truncated"] is True
        assert {"full_path": "platform", "access_level": 40} in r["groups"], r["groups"]
        assert {"full_path": "misc", "access_level": 10} not in r["groups"]
        paths = {x["path_with_namespace"]: x["access_level"] for x in r["projects"]}
        assert paths["platform/backend/svc000"] == 40
        assert not any(x.startswith("other/") for x in paths)
        assert srv.count(t, SELF + "/associations") == 2
        for req in srv.all_requests():
            assert req["via"] == "bearer" and t not in req["raw_path"], req
        # fine-grained: granular_scopes reported, never "no scopes" nor the placeholder
        vf = f[sha(fine)]["verification"]
        assert vf["status"] == "active" and vf["scopes"] == [], vf
        assert vf["granular_scopes"] == ["read_code (selected_memberships, project 7)",
                                         "read_issue (selected_memberships, project 7)"], vf
        # human view: one reach line
        with glp.TempDir() as d:
            glp.write(os.path.join(d, "a.txt"), t)
            h = glp.run(["dir", d, "-f", "human", "--no-color", "--verify", "--verify-reach",
                         "--gitlab-url", srv.url], check_rc=1)
        assert "reaches 1 group, 121 projects+ (maintainer on" in h.out, h.out
        assert "via associations" in h.out
        # before 17.4 there is no associations endpoint: memberships, and the method says so
        srv.standin.set_version("17.3.0")
        p = scan_tree({"a.txt": f"{t}\n{narrow}\n"},
                      ["--verify", "--verify-reach", "--gitlab-url", srv.url], check_rc=1)
        f = by_sha(p.doc)
        r = f[sha(t)]["verification"]["reach"]
        assert r["method"] == "membership" and r["projects_total"] == 121 and r["groups_total"] >= 1, r
        levels = {x["path_with_namespace"]: x["access_level"] for x in r["projects"]}
        assert levels.get("misc/tools") == 30 and not any(x.startswith("other/") for x in levels), levels
        assert all(v == 40 for k, v in levels.items() if k.startswith("platform/"))
        assert srv.count(t, "/api/v4/projects") == 2 and srv.count(t, "/api/v4/groups") == 1
        # a read_repository token may not list memberships: said, nothing asked
        rn = f[sha(narrow)]["verification"]["reach"]
        assert rn["method"] == "membership" and rn["projects_total"] == 0 and "scopes" in rn["note"], rn
        assert srv.count(narrow, "/api/v4/projects") == 0


ROTATE = SELF + "/rotate"
ADMIN_TOKEN = "/api/v4/admin/token"


def test_rotate_dry_real_revoked_and_kinds():
    srv = FakeGitLab()
    live, gone, job = glp.pat(), glp.pat(), glp.token("gitlab.job_token")
    srv.add(live, "active", name="leaked", scopes=["api"])
    srv.add(gone, "revoked")
    srv.add(job, "job")
    with srv, glp.TempDir() as d:
        out = os.path.join(d, "new-token")
        # the new token's destination must be named; nothing is sent without it
        glp.run(["rotate", "--gitlab-url", srv.url], stdin=f"{live}\n".encode(), check_rc=2)
        # dry run: nothing sent, the family warning is shown
        p = glp.run(["rotate", "--gitlab-url", srv.url, "--output", out], stdin=f"{live}\n".encode(), check_rc=0)
        assert "dry run" in p.err and "whole token family" in p.err and srv.count() == 0
        check_no_secret(p, [live])
        # a revoked token is never rotated (that would revoke its whole family)
        p = glp.run(["rotate", "--yes", "--gitlab-url", srv.url, "--output", out],
                    stdin=f"{gone}\n".encode(), check_rc=1)
        assert "not rotated" in p.err and srv.count(gone, ROTATE) == 0 and not os.path.exists(out)
        # a job token cannot rotate itself: the manual step, nothing sent
        p = glp.run(["rotate", "--yes", "--gitlab-url", srv.url, "--output", out], stdin=f"{job}\n".encode(),
                    check_rc=1)
        assert "only those can rotate" in p.err and srv.count(job) == 0
        # real run: GET self, then POST self/rotate; the new token only in the 0600 file
        p = glp.run(["rotate", "--yes", "--gitlab-url", srv.url, "--output", out, "--expires-at", "2027-02-01"],
                    stdin=f"{live}\n".encode(), check_rc=0)
        assert srv.count(live, ROTATE, "POST") == 1 and srv.count(live, SELF, "GET") == 1
        assert os.stat(out).st_mode & 0o777 == 0o600
        new = open(out).read().strip()
        assert new and new != live
        check_no_secret(p, [live, new])
        assert "expires 2027-02-01" in p.err, p.err
        st = glp.run_json(["verify", "--gitlab-url", srv.url], stdin=f"{live}\n{new}\n".encode(), check_rc=1)
        assert [f["verification"]["status"] for f in st.doc["findings"]] == ["revoked", "active"]
        check_no_secret(st, [live, new])
        # --stdout: the new token on stdout, and only there
        p = glp.run(["rotate", "--yes", "--gitlab-url", srv.url, "--stdout"], stdin=f"{new}\n".encode(), check_rc=0)
        newer = p.out.strip()
        assert newer and newer != new and newer not in p.err
        for r in srv.all_requests():
            for t in (live, new, newer):
                assert t not in r["raw_path"], r


def _admin(srv):
    """An administrator and its token on the stand-in (token information API: 17.8 GA)."""
    s = srv.standin
    root = s.add_user("root", is_admin=True)
    value = glp.pat()
    s.add_personal_token(root, value, name="admin", scopes=["api"], expires_at="2027-06-01")
    return value


def test_admin_token_api_identifies_and_revokes_any_kind():
    srv = FakeGitLab()
    s = srv.standin
    admin = _admin(srv)
    deploy, feed, dead = glp.token("gitlab.deploy_token"), glp.token("gitlab.feed_token"), glp.token("gitlab.deploy_token")
    project = s.add_project(s.add_group("ops"), "app", repo=False)
    s.add_deploy_token(project, deploy, name="release", scopes=["read_registry"])
    s.add_deploy_token(project, dead, name="old", revoked=True)
    s.add_token("feed", feed, user=s.add_user("erin"))
    tokens = [deploy, feed, dead]
    with srv, glp.TempDir() as d:
        key = os.path.join(d, "admin")
        glp.write(key, admin + "\n")
        os.chmod(key, 0o600)
        # without an administrator token: unverifiable, nothing sent
        p = glp.run_json(["verify", "--gitlab-url", srv.url], stdin="\n".join(tokens).encode(), check_rc=0)
        assert {f["verification"]["status"] for f in p.doc["findings"]} == {"unverifiable"}
        assert srv.count() == 0
        # with one: POST /admin/token, the token in the body, the admin token in a header
        p = glp.run_json(["verify", "--gitlab-url", srv.url, "--admin-token-file", key],
                         stdin="\n".join(tokens).encode(), check_rc=1)
        check_no_secret(p, tokens + [admin])
        st = {f["secret_sha256"]: f["verification"] for f in p.doc["findings"]}
        assert st[sha(deploy)]["status"] == "active" and st[sha(deploy)]["token_name"] == "release"
        assert "token information API" in st[sha(deploy)]["reason"]
        assert st[sha(feed)]["status"] == "active" and st[sha(feed)]["username"] == "erin"
        assert st[sha(feed)]["token_name"] is None  # the answer is the user, not the token
        assert st[sha(dead)]["status"] == "revoked"
        calls = s.requests(path=ADMIN_TOKEN)
        assert len(calls) == 3 and all(c["method"] == "POST" and not c["query"] for c in calls), calls
        # the environment variable works the same way
        p = glp.run_json(["verify", "--gitlab-url", srv.url], stdin=f"{deploy}\n".encode(), check_rc=1,
                         env={"GITLAB_ADMIN_TOKEN": admin})
        assert p.doc["findings"][0]["verification"]["status"] == "active"
        # revoke: dry run names the API; --yes revokes with DELETE /admin/token
        s.enable_flag("api_admin_token_revoke")
        p = glp.run(["revoke", "--gitlab-url", srv.url, "--admin-token-file", key], stdin=f"{deploy}\n".encode(),
                    check_rc=0)
        assert "DELETE /api/v4/admin/token" in p.out and s.count(path=ADMIN_TOKEN, method="DELETE") == 0
        p = glp.run(["revoke", "--yes", "--gitlab-url", srv.url, "--admin-token-file", key],
                    stdin=f"{deploy}\n".encode(), check_rc=0)
        check_no_secret(p, [deploy, admin])
        assert "revoked" in p.out and s.count(path=ADMIN_TOKEN, method="DELETE") == 1
        p = glp.run_json(["verify", "--gitlab-url", srv.url, "--admin-token-file", key],
                         stdin=f"{deploy}\n".encode(), check_rc=0)
        assert p.doc["findings"][0]["verification"]["status"] == "revoked"
        # without an administrator token: the exact manual step, nothing sent
        before = srv.count()
        p = glp.run(["revoke", "--yes", "--gitlab-url", srv.url], stdin=f"{feed}\n".encode(), check_rc=1)
        assert "manual" in p.out and "Feed token > Reset" in p.out and srv.count() == before
        # an instance without the API (17.4): 404, fall back, and say why
        s.set_version("17.4.0")
        p = glp.run_json(["verify", "--gitlab-url", srv.url, "--admin-token-file", key],
                         stdin=f"{feed}\n".encode(), check_rc=0)
        v = p.doc["findings"][0]["verification"]
        assert v["status"] == "unverifiable" and "HTTP 404" in v["reason"], v
        # a token that is not an administrator's: 403 once, then the API is not asked again
        s.set_version("17.8.0")
        user_token = glp.pat()
        s.add_personal_token(s.add_user("frank"), user_token, name="mine", scopes=["api"])
        glp.write(key, user_token + "\n")
        before = s.count(path=ADMIN_TOKEN)
        p = glp.run_json(["verify", "--gitlab-url", srv.url, "--admin-token-file", key, "--verify-concurrency", "1"],
                         stdin=f"{feed}\n{dead}\n".encode(), check_rc=0)
        check_no_secret(p, tokens + [user_token])
        assert s.count(path=ADMIN_TOKEN) == before + 1
        assert all(f["verification"]["status"] == "unverifiable" for f in p.doc["findings"])
        assert any("refused" in f["verification"]["reason"] for f in p.doc["findings"])


def test_verify_cache_ttl_and_safety():
    srv, other = FakeGitLab(), FakeGitLab()
    t, dead = glp.pat(), glp.pat()
    srv.add(t, "active", scopes=["api"])
    srv.add(dead, "revoked")
    with srv, other, glp.TempDir() as d:
        cache = os.path.join(d, "cache")
        args = ["verify", "--no-verify-reach", "--gitlab-url", srv.url, "--verify-cache-dir", cache]
        p = glp.run_json(args, stdin=f"{t}\n{dead}\n".encode(), check_rc=1)
        first = srv.count()
        assert srv.count(t) == 2 and srv.count(dead) == 1  # t: self, then /user
        # the second run is answered from the cache; risk flags are recomputed, not stored
        p2 = glp.run_json(args, stdin=f"{t}\n{dead}\n".encode(), check_rc=1)
        assert srv.count() == first
        v1, v2 = p.doc["findings"][0]["verification"], p2.doc["findings"][0]["verification"]
        assert v2["status"] == "active" and v2["risk_flags"] == v1["risk_flags"] and "broad-scope" in v2["risk_flags"]
        assert p2.doc["findings"][0]["severity"] == "critical"
        path = os.path.join(cache, "verify-cache.json")
        assert os.stat(cache).st_mode & 0o777 == 0o700 and os.stat(path).st_mode & 0o777 == 0o600
        body = open(path).read()
        assert t not in body and dead not in body and sha(t) in body
        # another host is another context: asked there
        other.add(t, "active", scopes=["api"])
        glp.run_json(["verify", "--no-verify-reach", "--gitlab-url", other.url, "--verify-cache-dir", cache],
                     stdin=f"{t}\n".encode(),
                     check_rc=1)
        assert other.count(t) == 2
        # a revocation makes the cache forget the token: the next check asks again
        glp.run(["revoke", "--yes", "--gitlab-url", srv.url, "--verify-cache-dir", cache], stdin=f"{t}\n".encode(),
                check_rc=0)
        p = glp.run_json(args, stdin=f"{t}\n".encode(), check_rc=0)
        assert p.doc["findings"][0]["verification"]["status"] == "revoked"
        # the TTL: 1 s later the entry is stale
        n = srv.count(dead)
        glp.run_json(args + ["--verify-ttl", "1"], stdin=f"{dead}\n".encode(), check_rc=0)
        time.sleep(1.2)
        glp.run_json(args + ["--verify-ttl", "1"], stdin=f"{dead}\n".encode(), check_rc=0)
        assert srv.count(dead) >= n + 1
        # a planted entry that is not what glpatrol writes is dropped (here: status "unknown")
        with open(path) as f:
            doc = json.load(f)
        for e in doc["entries"].values():
            e["status"] = "unknown"
        with open(path, "w") as f:
            json.dump(doc, f)
        n = srv.count(dead)
        glp.run_json(args, stdin=f"{dead}\n".encode(), check_rc=0)
        assert srv.count(dead) == n + 1
        # a garbage file: ignored and rewritten; a symlink: refused, nothing sent
        glp.write(path, "not json")
        glp.run_json(args, stdin=f"{dead}\n".encode(), check_rc=0)
        json.load(open(path))
        os.unlink(path)
        os.symlink(os.path.join(d, "elsewhere"), path)
        n = srv.count()
        p = glp.run(args, stdin=f"{dead}\n".encode(), check_rc=2)
        assert "symlink" in p.err and srv.count() == n
        # by default the cache is on, in $XDG_CACHE_HOME/glpatrol (else ~/.cache/glpatrol), reach included
        home = os.path.join(d, "home")
        os.mkdir(home)
        env = {"HOME": home, "XDG_CACHE_HOME": os.path.join(home, "xdg")}
        fresh = glp.pat()
        srv.add(fresh, "active", scopes=["api"])
        p1 = glp.run_json(["verify", "--gitlab-url", srv.url], stdin=f"{fresh}\n".encode(), check_rc=1, env=env)
        asked = srv.count(fresh)
        assert srv.count(fresh, SELF + "/associations") == 1 and "reach" in p1.doc["findings"][0]["verification"]
        kept = os.path.join(home, "xdg", "glpatrol", "verify-cache.json")
        assert os.stat(kept).st_mode & 0o777 == 0o600 and fresh not in open(kept).read()
        p2 = glp.run_json(["verify", "--gitlab-url", srv.url], stdin=f"{fresh}\n".encode(), check_rc=1, env=env)
        assert srv.count(fresh) == asked, "the second run must be answered from the cache"
        assert p2.doc["findings"][0]["verification"]["reach"] == p1.doc["findings"][0]["verification"]["reach"]
        # no XDG_CACHE_HOME: ~/.cache/glpatrol
        glp.run_json(["verify", "--gitlab-url", srv.url], stdin=f"{dead}\n".encode(), check_rc=0,
                     env={"HOME": home, "XDG_CACHE_HOME": ""})
        assert os.path.exists(os.path.join(home, ".cache", "glpatrol", "verify-cache.json"))
        # --no-verify-cache: nothing read, nothing kept
        bare = os.path.join(d, "bare")
        os.mkdir(bare)
        glp.run_json(["verify", "--no-verify-cache", "--gitlab-url", srv.url], stdin=f"{fresh}\n".encode(),
                     check_rc=1, env={"HOME": bare, "XDG_CACHE_HOME": os.path.join(bare, "xdg")})
        assert os.listdir(bare) == [] and srv.count(fresh) > asked
        # a default cache directory that cannot be used: a warning, verification goes on
        blocked = os.path.join(d, "blocked")
        glp.write(blocked, "a file, not a directory")
        p = glp.run_json(["verify", "--gitlab-url", srv.url], stdin=f"{dead}\n".encode(), check_rc=0,
                         env={"HOME": bare, "XDG_CACHE_HOME": blocked})
        assert "not kept" in p.err and p.doc["findings"][0]["verification"]["status"] == "revoked"


if __name__ == "__main__":
    glp.main([
        test_statuses_metadata_and_request_counts,
        test_rate_limit_then_success,
        test_rate_limit_forever_is_unknown_and_bounded,
        test_timeout_and_budget,
        test_redirect_is_not_followed,
        test_host_in_scanned_content_is_never_contacted,
        test_https_requires_trusted_certificate,
        test_plain_http_only_to_loopback,
        test_network_down_keeps_exit_code_and_report,
        test_scan_without_verify_opens_no_socket,
        test_verify_command,
        test_other_kinds_job_session_runner,
        test_multiple_hosts,
        test_proxy_from_environment,
        test_suppressed_tokens_are_not_verified,
        test_stdin_and_git_scans_verify,
        test_revoke,
        test_revoke_as_group_owner,
        test_reach_associations_granular_and_fallback,
        test_rotate_dry_real_revoked_and_kinds,
        test_admin_token_api_identifies_and_revokes_any_kind,
        test_verify_cache_ttl_and_safety,
    ])
