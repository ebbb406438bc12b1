"""glpatrol gitlab against the loopback GitLab stand-in (tests/support/gitlab_standin.py): every
surface, scope, pagination, the failure paths (401/403/404/429/500, a foreign host), the
incremental second run and shards + merge. Tokens are generated at run time; the API token is
passed through GITLAB_TOKEN only."""
import datetime as dt
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import glp  # noqa: E402
from gitlab_standin import GitLabStandin, LargeTrace  # noqa: E402

for var in ("http_proxy", "https_proxy", "HTTPS_PROXY", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(var, None)

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class World:
    """acme (+ acme/platform) with projects carrying a token in every surface, and other/secret
    outside the group carrying one too."""

    def __init__(self, **kw):
        s = self.s = GitLabStandin(**kw)
        self.root = s.add_user("root", is_admin=True, created_at=T0)
        self.alice = s.add_user("alice", created_at=T0)
        self.admin_token = glp.routable()
        s.add_personal_token(self.root, self.admin_token, name="admin", scopes=["api", "admin_mode"],
                             label="admin", created_at=T0)
        self.top = s.add_group("acme", created_at=T0)
        self.sub = s.add_group("platform", parent=self.top, created_at=T0)
        self.other = s.add_group("other", created_at=T0)
        self.tokens = {}  # where -> token
        self.api = s.add_project(self.sub, "api", created_at=T0)
        self.web = s.add_project(self.top, "web", created_at=T0 + dt.timedelta(hours=1), repo=False)
        self.secret = s.add_project(self.other, "secret", created_at=T0 + dt.timedelta(hours=2), repo=False)

    def plant(self, where):
        t = glp.routable()
        self.tokens[where] = t
        return t

    def fill(self):
        s, p = self.s, self.api
        s.add_commit(p, {"README.md": "hello\n", "config/app.env": f"X=1\nGITLAB_TOKEN={self.plant('git')}\n"},
                     "add config", when=T0)
        s.add_commit(p, {"config/app.env": "X=1\n"}, "remove the token", when=T0 + dt.timedelta(minutes=5))
        s.add_merge_request(p, "fork change", files={"fork.txt": f"token {self.plant('mr_ref')}\n"})
        s.add_job(p, "build", trace="step 1\nstep 2\n" + f"export TOKEN={self.plant('job')}\ndone\n",
                  created_at=T0)
        s.add_job(p, "manual", status="manual", trace=None, created_at=T0 + dt.timedelta(minutes=1))
        i = self.issue = s.add_issue(p, "help", description=f"my token is {self.plant('issue')}", created_at=T0)
        s.add_note(i, f"and another {self.plant('note')}", created_at=T0 + dt.timedelta(minutes=1))
        s.add_note(i, f"changed the description {glp.routable()}", system=True,
                   created_at=T0 + dt.timedelta(minutes=2))
        m = s.add_merge_request(p, "feature", description="nothing here", created_at=T0)
        s.add_note(m, f"try {self.plant('mr_note')}", created_at=T0 + dt.timedelta(minutes=3))
        s.add_snippet(p, "notes", {"a.txt": "nothing\n", "b.sh": f"curl -H 'PRIVATE-TOKEN: {self.plant('snippet')}'\n"},
                      created_at=T0)
        s.add_wiki_page(p, "Setup", f"Use {self.plant('wiki')} to log in")
        s.add_release(p, "v1.0", description=f"release notes {self.plant('release')}", created_at=T0)
        # outside the group: never touched
        s.add_issue(self.secret, "outside", description=f"token {self.plant('outside')}", created_at=T0)

    def __enter__(self):
        self.s.start()
        return self

    def __exit__(self, *exc):
        self.s.stop()


def scan(w, state, *args, token=None, check_rc=None, fmt="json", url=None):
    env = {"GITLAB_TOKEN": token or w.admin_token, "GITLAB_CI": "", "CI_SERVER_URL": ""}
    argv = ["gitlab", "--gitlab-url", url or w.s.url, "--state-dir", state, "-j", "2", "--progress", "never"] + list(args)
    if fmt == "json":
        p = glp.run_json(argv, env=env, check_rc=check_rc)
    else:
        p = glp.run(argv + ["-f", fmt], env=env, check_rc=check_rc)
    assert (token or w.admin_token) not in p.out + p.err, "the API token was printed"
    return p


def by_hash(doc):
    return {f["secret_sha256"]: f for f in doc["findings"]}


def test_every_surface_and_scope():
    with World() as w, glp.TempDir() as tmp:
        w.fill()
        mark = w.s.log.mark()
        p = scan(w, os.path.join(tmp, "state"), "--group", "acme", check_rc=1)
        doc = p.doc
        found = by_hash(doc)
        kinds = {}
        for where, t in w.tokens.items():
            f = found.get(glp_sha(t))
            if where == "outside":
                assert f is None, "a project outside the group was reported"
                continue
            assert f is not None, f"token in {where} not found; report: {json.dumps(doc['scan'], indent=1)[:3000]}"
            assert f["location_kind"] in ("gitlab", "blob"), f
            src = f["source"]
            assert src["project"] == "acme/platform/api", src
            kinds[where] = src["kind"]
            assert src["web_url"].startswith(w.s.url + "/acme/platform/api"), src
        assert kinds == {"git": "git", "mr_ref": "git", "job": "job_log", "issue": "issue", "note": "issue",
                         "mr_note": "merge_request", "snippet": "snippet", "wiki": "wiki", "release": "release"}, kinds
        g = found[glp_sha(w.tokens["git"])]
        assert "/-/blob/" in g["source"]["web_url"] and g["source"]["web_url"].endswith("config/app.env#L2"), g
        assert g["in_head"] is False and g["commit"]["message"] == "add config"
        j = found[glp_sha(w.tokens["job"])]
        assert j["source"]["web_url"].endswith("#L3") and "/-/jobs/" in j["source"]["web_url"] and j["line"] == 3, j
        n = found[glp_sha(w.tokens["note"])]
        assert n["source"]["note_id"] and n["source"]["web_url"].endswith(f"#note_{n['source']['note_id']}"), n
        assert found[glp_sha(w.tokens["issue"])]["source"]["note_id"] is None
        assert len([f for f in doc["findings"] if f["source"]["kind"] == "issue"]) == 2  # system note skipped
        assert doc["scan"]["kind"] == "gitlab" and doc["scan"]["complete"] is True, doc["scan"]
        import jsonschema
        with open(os.path.join(glp.SRC, "docs", "report.schema.json")) as fh:
            jsonschema.validate(doc, json.load(fh))  # source and scan.gitlab are documented
        gl = doc["scan"]["gitlab"]
        assert gl["projects"] == 2 and gl["requests"] > 0, gl
        assert gl["disabled"].get("git") is None
        # the project outside the group: not one request names it
        assert not [e for e in w.s.requests(since=mark) if f"/projects/{w.secret.id}" in e["path"]
                    or "other/secret" in e["path"]]
        # human view: grouped by project, with the web URL
        h = scan(w, os.path.join(tmp, "state"), "--group", "acme", fmt="human", check_rc=1)
        assert "project acme/platform/api" in h.out and "/-/jobs/" in h.out, h.out[:2000]
        # SARIF and the GitLab report carry the place
        s = scan(w, os.path.join(tmp, "state"), "--group", "acme", fmt="sarif", check_rc=1)
        sarif = json.loads(s.out)
        locs = [r["locations"][0] for r in sarif["runs"][0]["results"]]
        assert all("gitlab_source" in loc.get("properties", {}) for loc in locs)
        gr = scan(w, os.path.join(tmp, "state"), "--group", "acme", fmt="gitlab", check_rc=1)
        vulns = json.loads(gr.out)["vulnerabilities"]
        assert all(any("Where on GitLab" in link.get("name", "") for link in v.get("links", [])) for v in vulns)


def glp_sha(t):
    import hashlib
    return hashlib.sha256(t.encode()).hexdigest()


def test_projects_selection_and_all_projects():
    with World() as w, glp.TempDir() as tmp:
        w.fill()
        p = scan(w, os.path.join(tmp, "s1"), "--project", "other/secret", "--surfaces", "issues", check_rc=1)
        assert {f["source"]["project"] for f in p.doc["findings"]} == {"other/secret"}
        p = scan(w, os.path.join(tmp, "s2"), "--all-projects", "--surfaces", "issues,snippets", check_rc=1)
        assert {f["source"]["project"] for f in p.doc["findings"]} == {"other/secret", "acme/platform/api"}
        # personal snippets with --all-projects
        t = glp.routable()
        w.s.add_snippet(None, "mine", {"x.txt": f"t={t}\n"}, author=w.alice)
        p = scan(w, os.path.join(tmp, "s3"), "--all-projects", "--surfaces", "snippets", check_rc=1)
        f = by_hash(p.doc)[glp_sha(t)]
        assert f["source"]["kind"] == "snippet" and f["source"]["project"] == "", f
        # archived projects are included unless --skip-archived
        w.s.update(w.secret, archived=True)
        p = scan(w, os.path.join(tmp, "s4"), "--all-projects", "--surfaces", "issues", "--skip-archived", check_rc=1)
        assert "other/secret" not in {f["source"]["project"] for f in p.doc["findings"]}
        # usage errors: nothing named, no token, unknown surface
        r = glp.run(["gitlab", "--gitlab-url", w.s.url, "--state-dir", tmp], env={"GITLAB_TOKEN": w.admin_token})
        assert r.returncode == 2 and "--group" in r.err
        env = dict(os.environ)
        env.pop("GITLAB_TOKEN", None)
        r = glp.run(["gitlab", "--gitlab-url", w.s.url, "--state-dir", tmp, "--all-projects"], env={"GITLAB_TOKEN": ""})
        assert r.returncode == 2 and "token" in r.err.lower(), r.err
        r = glp.run(["gitlab", "--gitlab-url", w.s.url, "--state-dir", tmp, "--all-projects", "--surfaces", "wikis"],
                    env={"GITLAB_TOKEN": w.admin_token})
        assert r.returncode == 2 and "unknown surface" in r.err
        # --token-file
        tf = os.path.join(tmp, "tok")
        glp.write(tf, w.admin_token + "\n")
        r = glp.run_json(["gitlab", "--gitlab-url", w.s.url, "--state-dir", os.path.join(tmp, "s5"), "--token-file", tf,
                          "--project", "acme/platform/api", "--surfaces", "wiki", "--progress", "never"],
                         env={"GITLAB_TOKEN": ""}, check_rc=1)
        assert [f["source"]["kind"] for f in r.doc["findings"]] == ["wiki"]
        # --max-rps paces every request of the process
        r = scan(w, os.path.join(tmp, "s6"), "--project", "acme/platform/api", "--surfaces", "wiki,releases,issues",
                 "--max-rps", "4", check_rc=1)
        n = r.doc["scan"]["gitlab"]["requests"]
        assert n >= 5 and r.doc["scan"]["duration_seconds"] >= (n - 1) / 4 * 0.9, (n, r.doc["scan"]["duration_seconds"])


def test_pagination_subgroups_and_many_items():
    with World() as w, glp.TempDir() as tmp:
        # 130 issues (two pages of 100) and 25 projects across subgroups (two pages of keyset)
        p = w.api
        planted = []
        for i in range(130):
            t = glp.routable() if i % 40 == 0 else None
            if t:
                planted.append(t)
            w.s.add_issue(p, f"issue {i}", description=f"x {t}" if t else "nothing", created_at=T0)
        deep = w.s.add_group("deep", parent=w.sub, created_at=T0)
        for i in range(110):
            q = w.s.add_project([w.top, w.sub, deep][i % 3], f"p{i}", repo=False, created_at=T0)
            if i == 109:
                t = glp.routable()
                planted.append(t)
                w.s.add_release(q, "v1", description=t, created_at=T0)
        mark = w.s.log.mark()
        r = scan(w, os.path.join(tmp, "st"), "--group", "acme", "--surfaces", "issues,releases", check_rc=1)
        found = by_hash(r.doc)
        for t in planted:
            assert glp_sha(t) in found
        assert r.doc["scan"]["gitlab"]["projects"] == 112, r.doc["scan"]["gitlab"]
        pages = [e for e in w.s.requests(since=mark) if e["path"].endswith(f"/projects/{p.id}/issues")]
        assert len(pages) == 2, [e["query"] for e in pages]
        groups = [e for e in w.s.requests(since=mark) if e["path"].endswith("/projects") and "/groups/" in e["path"]]
        assert len(groups) == 2, [e["query"] for e in groups]


def test_error_paths():
    with World() as w, glp.TempDir() as tmp:
        w.fill()
        st = os.path.join(tmp, "st")
        # 429 then success: honoured, no lost coverage
        w.s.faults.add(r"/issues$", "ratelimit", times=1, retry_after=1)
        # 500 twice on releases: retried
        w.s.faults.add(r"/releases$", "status", times=2, status=500)
        r = scan(w, st, "--project", "acme/platform/api", "--surfaces", "issues,releases", check_rc=1)
        assert r.doc["scan"]["complete"] is True, r.doc["scan"]
        assert r.doc["scan"]["gitlab"]["retries"] >= 3
        assert {f["source"]["kind"] for f in r.doc["findings"]} == {"issue", "release"}
        # 404 on a switched-off feature: not an error
        w.s.update(w.api, features={"wiki": "disabled"})
        r = scan(w, st, "--project", "acme/platform/api", "--surfaces", "wiki", check_rc=0)
        assert r.doc["scan"]["complete"] is True and r.doc["scan"]["gitlab"]["disabled"] == {"wiki": 1}, r.doc["scan"]
        w.s.faults.add(r"/releases$", "status", times=1, status=404)
        r = scan(w, st, "--project", "acme/platform/api", "--surfaces", "releases", check_rc=0)
        assert r.doc["scan"]["complete"] is True and r.doc["scan"]["gitlab"]["disabled"] == {"releases": 1}
        # 403 on a surface: skipped with its reason, incomplete, exit 3 when nothing was found
        w.s.faults.add(r"/jobs$", "status", times=None, status=403)
        r = scan(w, st, "--project", "acme/platform/api", "--surfaces", "job_logs", check_rc=3)
        assert r.doc["scan"]["complete"] is False
        assert any(k["reason"] == "forbidden" for k in r.doc["scan"]["skipped"]), r.doc["scan"]["skipped"]
        w.s.faults.clear()
        # 401: a bad token
        r = scan(w, st, "--project", "acme/platform/api", "--surfaces", "issues", token=glp.pat(), check_rc=3)
        assert any(k["reason"] in ("not-found", "http-error") for k in r.doc["scan"]["skipped"]), r.doc["scan"]
        # 500 that never ends: lost after retries
        w.s.faults.add(r"/releases$", "status", times=None, status=502)
        r = scan(w, st, "--project", "acme/platform/api", "--surfaces", "releases", check_rc=3)
        assert any(k["reason"] == "http-error" for k in r.doc["scan"]["skipped"])
        w.s.faults.clear()
        # a Link header pointing at another host: refused, never followed
        w.s.faults.add(r"/issues$", "foreign_link", times=None, foreign_host="http://127.0.0.2:9")
        for i in range(101):  # two pages
            w.s.add_issue(w.api, f"more {i}", created_at=T0)
        mark = w.s.log.mark()
        r = scan(w, os.path.join(tmp, "st2"), "--project", "acme/platform/api", "--surfaces", "issues", check_rc=3)
        assert any(k["reason"] == "refused" for k in r.doc["scan"]["skipped"]), r.doc["scan"]["skipped"]
        assert r.doc["scan"]["complete"] is False
        w.s.faults.clear()
        # a redirect is an answer, never followed
        w.s.faults.add(r"/wikis$", "redirect", times=None, location="http://127.0.0.2:9", keep_path=True)
        w.s.update(w.api, features={"wiki": "enabled"})
        r = scan(w, st, "--project", "acme/platform/api", "--surfaces", "wiki", check_rc=3)
        assert any("302" in k["detail"] for k in r.doc["scan"]["skipped"]), r.doc["scan"]["skipped"]
        w.s.faults.clear()
        # git: a redirect is not followed either (libgit2 follow_redirects = none)
        w.s.faults.add(r"\.git/info/refs$", "redirect", times=None, location="http://127.0.0.2:9", keep_path=True)
        r = scan(w, os.path.join(tmp, "st3"), "--project", "acme/platform/api", "--surfaces", "git", check_rc=3)
        assert [k for k in r.doc["scan"]["skipped"] if k["reason"] == "git-fetch"], r.doc["scan"]["skipped"]
        w.s.faults.clear()


def test_foreign_host_in_http_url_to_repo():
    with World() as w, glp.TempDir() as tmp:
        w.fill()
        w.s.update(w.api, http_url_to_repo="https://evil.example/acme/platform/api.git")
        mark = w.s.log.mark()
        r = scan(w, os.path.join(tmp, "st"), "--group", "acme", check_rc=3)
        skips = [k for k in r.doc["scan"]["skipped"] if k["reason"] == "foreign-host"]
        assert skips and skips[0]["path"] == "acme/platform/api", r.doc["scan"]["skipped"]
        assert r.doc["scan"]["gitlab"]["projects_refused"] == 1
        assert not [e for e in w.s.requests(since=mark) if f"/projects/{w.api.id}/" in e["path"]]
        assert not r.doc["findings"]


def test_incremental_rerun_and_lock():
    import fcntl
    with World() as w, glp.TempDir() as tmp:
        w.fill()
        st = os.path.join(tmp, "st")
        mark = w.s.log.mark()
        first = scan(w, st, "--group", "acme", check_rc=1)
        n_first = len(w.s.requests(since=mark))
        git = w.s.requests(since=mark, pattern=r"\.git/")
        assert git and all(e["via"] == "basic" and e["token"] == "admin" for e in git if e["status"] == 200), git
        assert oct(os.stat(st).st_mode & 0o777) == "0o700"
        assert oct(os.stat(os.path.join(st, "state.db")).st_mode & 0o777) == "0o600"
        with open(os.path.join(st, "state.db"), "rb") as fh:
            assert w.admin_token.encode() not in fh.read()  # the API token is never stored
        for root, _, files in os.walk(st):  # nor in a mirror (its remote URL has no credentials)
            for name in files:
                with open(os.path.join(root, name), "rb") as fh:
                    assert w.admin_token.encode() not in fh.read(), os.path.join(root, name)
        with open(os.path.join(st, "mirrors", f"{w.api.id}.git", "config")) as fh:
            cfg = fh.read()
        assert f"url = {w.s.url}/acme/platform/api.git" in cfg and "refs/merge-requests/*/head" in cfg, cfg
        mark = w.s.log.mark()
        second = scan(w, st, "--group", "acme", check_rc=1)
        reqs = w.s.requests(since=mark)
        fps = lambda d: sorted(f["fingerprint"] for f in d["findings"])  # noqa: E731
        assert fps(second.doc) == fps(first.doc) and len(fps(first.doc)) == 9
        assert not [e for e in reqs if e["path"].endswith("/trace")], "a job log was downloaded again"
        assert not [e for e in reqs if "/notes" in e["path"]], ("unchanged issues were read again", [(e["path"], e["query"]) for e in reqs])
        assert not [e for e in reqs if e.get("git") in ("fetch", "upload-pack")], "a pack was fetched again"
        reused = second.doc["scan"]["gitlab"]["reused"]
        assert reused.get("job_logs") == 1 and reused.get("issues") == 1 and reused.get("git") == 1, reused
        assert reused.get("merge_requests") == 2 and reused.get("snippets") == 1, reused
        print(f"    requests: first run {n_first}, rerun {len(reqs)}")
        assert len(reqs) < n_first
        # a new note: only its issue is read again; every earlier token is still reported
        # and a new job: only its log is downloaded, the job listing stops at the known ones
        t = glp.routable()
        w.s.add_note(w.issue, f"again {t}", created_at=T0 + dt.timedelta(days=1))
        tj = glp.routable()
        job = w.s.add_job(w.api, "deploy", trace=f"deploying with {tj}\n", created_at=T0 + dt.timedelta(days=1))
        mark = w.s.log.mark()
        third = scan(w, st, "--group", "acme", check_rc=1)
        notes = [e for e in w.s.requests(since=mark) if "/notes" in e["path"]]
        assert len(notes) == 1 and f"/issues/{w.issue.iid}/notes" in notes[0]["path"], notes
        traces = [e["path"] for e in w.s.requests(since=mark) if e["path"].endswith("/trace")]
        assert traces == [f"/api/v4/projects/{w.api.id}/jobs/{job.id}/trace"], traces
        assert set(fps(first.doc)) < set(fps(third.doc)) and glp_sha(t) in by_hash(third.doc)
        assert glp_sha(tj) in by_hash(third.doc) and glp_sha(w.tokens["job"]) in by_hash(third.doc)
        # a new commit: fetched and found
        t2 = glp.routable()
        w.s.add_commit(w.api, {"later.txt": f"t={t2}\n"}, "later", when=T0 + dt.timedelta(days=2))
        fourth = scan(w, st, "--group", "acme", "--surfaces", "git", check_rc=1)
        assert glp_sha(t2) in by_hash(fourth.doc) and glp_sha(w.tokens["git"]) in by_hash(fourth.doc)
        # new rules (another prefix) are another scope: logs are read again
        mark = w.s.log.mark()
        scan(w, st, "--group", "acme", "--surfaces", "job_logs", "--pat-prefix", "corp-", check_rc=1)
        assert [e for e in w.s.requests(since=mark) if e["path"].endswith("/trace")]
        # one run at a time
        with open(os.path.join(st, "lock"), "r+") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            r = glp.run(["gitlab", "--gitlab-url", w.s.url, "--state-dir", st, "--group", "acme"],
                        env={"GITLAB_TOKEN": w.admin_token})
            assert r.returncode == 2 and "in use by another glpatrol run" in r.err, r.err


def test_large_job_log_is_streamed():
    """A 96 MiB job log with a token near its end: found, and the process never holds the log."""
    import subprocess
    with World() as w, glp.TempDir() as tmp:
        t = glp.routable()
        size = 96 << 20
        w.s.add_job(w.api, "huge", trace=LargeTrace(size, inserts={size - 1000: f"\nTOKEN={t}\n"}), created_at=T0)
        out = os.path.join(tmp, "r.json")
        env = dict(os.environ, GITLAB_TOKEN=w.admin_token, GITLAB_CI="")
        p = subprocess.run(["/usr/bin/time", "-f", "%M", glp.BIN, "gitlab", "--gitlab-url", w.s.url, "--state-dir",
                            os.path.join(tmp, "st"), "--project", "acme/platform/api", "--surfaces", "job_logs",
                            "-q", "-r", f"json:{out}", "--progress", "never"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
        assert p.returncode == 1, p.stderr
        rss_mib = int(p.stderr.strip().splitlines()[-1]) / 1024
        with open(out) as fh:
            doc = json.load(fh)
        f = by_hash(doc)[glp_sha(t)]
        assert f["source"]["kind"] == "job_log" and f["offset"] > size - 2000, f
        print(f"    96 MiB job log: peak RSS {rss_mib:.0f} MiB")
        assert rss_mib < 80 * glp.MEMORY_FACTOR, rss_mib


def test_tls_with_ca_bundle():
    # By name: libgit2 1.5 matches a certificate's DNS names but not its IP addresses.
    with World(tls=True) as w, glp.TempDir() as tmp:
        w.fill()
        url = w.s.url.replace("127.0.0.1", "localhost")
        with w.s.inst.lock:
            w.s.inst.external_url = url
        ca = w.s.cert  # the stand-in's self-signed certificate (a file)
        r = scan(w, os.path.join(tmp, "st"), "--group", "acme", "--ca-bundle", ca, check_rc=1, url=url)
        assert {f["source"]["kind"] for f in r.doc["findings"]} >= {"git", "job_log", "issue"}, r.doc["scan"]
        # without the CA the certificate is refused: nothing is read, the scan is incomplete
        r = scan(w, os.path.join(tmp, "st2"), "--group", "acme", check_rc=3, url=url)
        assert not r.doc["findings"] and r.doc["scan"]["complete"] is False


def test_shards_merge_to_one_run():
    with World() as w, glp.TempDir() as tmp:
        w.fill()
        for i in range(12):
            q = w.s.add_project(w.top, f"s{i}", repo=False, created_at=T0)
            w.s.add_issue(q, "x", description=f"t {glp.routable()}", created_at=T0)
        whole = scan(w, os.path.join(tmp, "all"), "--group", "acme", "--surfaces", "issues,snippets,wiki",
                     check_rc=1)
        reports = []
        for i in (1, 2, 3):
            out = os.path.join(tmp, f"shard{i}.json")
            scan(w, os.path.join(tmp, f"st{i}"), "--group", "acme", "--surfaces", "issues,snippets,wiki",
                 "--shard", f"{i}/3", "-r", f"json:{out}", "-q", fmt="human")
            reports.append(out)
        m = glp.run_json(["merge"] + reports)
        assert {f["fingerprint"] for f in m.doc["findings"]} == {f["fingerprint"] for f in whole.doc["findings"]}
        assert len(m.doc["findings"]) == len(whole.doc["findings"]) > 10
        assert m.doc["scan"]["gitlab"]["projects"] == whole.doc["scan"]["gitlab"]["projects"] == 14, m.doc["scan"]
        assert m.doc["scan"]["gitlab"]["projects_in_other_shards"] == 0 and m.doc["scan"]["complete"] is True


if __name__ == "__main__":
    glp.main([test_every_surface_and_scope, test_projects_selection_and_all_projects,
              test_pagination_subgroups_and_many_items, test_error_paths, test_foreign_host_in_http_url_to_repo,
              test_incremental_rerun_and_lock, test_large_job_log_is_streamed, test_tls_with_ca_bundle,
              test_shards_merge_to_one_run])
