"""Drives the GitLab stand-in (tests/support/gitlab_standin.py) with python-gitlab and with real
`git clone`/`git fetch`, and checks that what it answers parses and holds what was registered.
This is the stand-in's own test: the C++ client tests of `glpatrol gitlab` / `glpatrol audit`
rely on its answers matching GitLab's documented API. Loopback only; tokens made at run time."""
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import warnings

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import glp  # noqa: E402
import gitlab  # noqa: E402  (Debian: python3-gitlab)
from gitlab_standin import (DEVELOPER, GUEST, OWNER, REPORTER, GitLabStandin, LargeTrace,  # noqa: E402
                            sha256)

warnings.filterwarnings("ignore", category=UserWarning, message=r"(?s).*python-gitlab")  # its hints

for var in ("http_proxy", "https_proxy", "HTTPS_PROXY", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(var, None)

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GIT_ENV = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1", HOME=tempfile.gettempdir())


class World:
    """An instance with an admin, two users, nested groups and projects, used by most tests."""

    def __init__(self, **kw):
        self.s = GitLabStandin(**kw)
        s = self.s
        self.root = s.add_user("root", is_admin=True, created_at=T0)
        self.alice = s.add_user("alice", created_at=T0)
        self.bob = s.add_user("bob", created_at=T0)
        self.admin_token = glp.routable()
        s.add_personal_token(self.root, self.admin_token, name="admin", scopes=["api", "admin_mode"],
                             label="admin", created_at=T0)
        self.alice_token = glp.pat()
        s.add_personal_token(self.alice, self.alice_token, name="alice api",
                             scopes=["read_api", "read_repository"],
                             label="alice", created_at=T0, last_used_at=T0)
        self.top = s.add_group("acme", created_at=T0)
        self.sub = s.add_group("platform", parent=self.top, created_at=T0)
        self.deep = s.add_group("backend", parent=self.sub, created_at=T0)
        self.other = s.add_group("other", created_at=T0)
        s.add_member(self.sub, self.alice, DEVELOPER)
        self.projects = []
        for i in range(10):
            ns = [self.top, self.sub, self.deep, self.other][i % 4]
            self.projects.append(s.add_project(ns, f"svc{i}", created_at=T0 + dt.timedelta(hours=i),
                                               repo=(i < 2)))
        self.public = s.add_project(self.other, "handbook", visibility="public", repo=False)

    def __enter__(self):
        self.s.start()
        return self

    def __exit__(self, *exc):
        self.s.stop()

    def client(self, token=None, **kw):
        return gitlab.Gitlab(self.s.url, private_token=token or self.admin_token, **kw)


def test_groups_subgroups_and_visibility():
    with World() as w:
        gl = w.client()
        paths = sorted(g.full_path for g in gl.groups.list(get_all=True))
        assert paths == ["acme", "acme/platform", "acme/platform/backend", "other"], paths
        top = gl.groups.get("acme")
        assert [g.full_path for g in top.subgroups.list()] == ["acme/platform"]
        # ordered by name, GitLab's default
        assert [g.full_path for g in top.descendant_groups.list()] == ["acme/platform/backend", "acme/platform"]
        assert gl.groups.get(w.deep.id).parent_id == w.sub.id
        direct = {p.path for p in top.projects.list(get_all=True)}
        nested = {p.path_with_namespace for p in top.projects.list(get_all=True, include_subgroups=True)}
        assert direct == {"svc0", "svc4", "svc8"}, direct
        assert len(nested) == 8 and "acme/platform/backend/svc2" in nested, nested
        # a developer of acme/platform sees its projects (inherited by the subgroup) and public ones
        ga = w.client(w.alice_token)
        mine = {p.path_with_namespace for p in ga.projects.list(get_all=True, membership=True)}
        assert mine == {p for p in nested if p.startswith("acme/platform/")}, mine
        seen = {p.path_with_namespace for p in ga.projects.list(get_all=True)}
        assert seen == mine | {"other/handbook"}, seen
        try:
            ga.projects.get("other/svc3")
            raise AssertionError("a private project of another group was readable")
        except gitlab.GitlabGetError as e:
            assert e.response_code == 404
        p = ga.projects.get("acme/platform/svc1")  # URL-encoded path as id
        assert p.permissions["group_access"]["access_level"] == DEVELOPER
        assert p.http_url_to_repo == f"{w.s.url}/acme/platform/svc1.git" and p.default_branch == "main"
        assert p.namespace["full_path"] == "acme/platform" and p.visibility == "private"
        w.s.update(w.projects[5], archived=True)
        active = {p.path for p in ga.projects.list(get_all=True, membership=True, archived=False)}
        assert active == {x.rsplit("/", 1)[1] for x in mine} - {"svc5"}, active
        # without all_available a member lists its groups (the ancestors it can see are not listed)
        assert sorted(g.full_path for g in ga.groups.list(get_all=True)) == ["acme/platform",
                                                                             "acme/platform/backend"]


def test_offset_and_keyset_pagination():
    with World() as w:
        gl = w.client()
        mark = w.s.log.mark()
        listing = gl.projects.list(iterator=True, per_page=3, order_by="id", sort="asc")
        ids = [p.id for p in listing]
        assert ids == sorted(p.id for p in w.s.inst.projects.values()) and len(ids) == 11
        assert listing.total == 11 and listing.total_pages == 4 and listing.per_page == 3
        pages = w.s.requests(path="/api/v4/projects", since=mark)
        assert len(pages) == 4, [e["query"] for e in pages]
        assert [urllib.parse.parse_qs(e["query"]).get("page", ["1"])[0] for e in pages] == ["1", "2", "3", "4"]
        # Link / X-* headers of one page, as GitLab sends them
        r = gl.http_request("get", "/projects", query_data={"per_page": 3, "page": 2})
        assert r.headers["X-Page"] == "2" and r.headers["X-Next-Page"] == "3" and r.headers["X-Prev-Page"] == "1"
        assert (r.headers["X-Total"], r.headers["X-Total-Pages"], r.headers["X-Per-Page"]) == ("11", "4", "3")
        assert set(r.links) == {"prev", "next", "first", "last"} and r.links["last"]["url"].startswith(w.s.url)
        # keyset: order_by=id, Link rel="next" with id_after, no X-Total
        mark = w.s.log.mark()
        ks = [p.id for p in gl.projects.list(pagination="keyset", order_by="id", sort="asc", per_page=4,
                                              iterator=True)]
        assert ks == ids, ks
        reqs = w.s.requests(path="/api/v4/projects", since=mark)
        assert len(reqs) == 3 and "id_after" in reqs[1]["query"] and "id_after=8" in reqs[2]["query"], reqs
        r = gl.http_request("get", "/projects", query_data={"pagination": "keyset", "order_by": "id",
                                                             "sort": "asc", "per_page": 20})
        assert "Link" not in r.headers and "X-Total" not in r.headers  # the end: no next link
        # beyond GitLab's count limit the totals and rel="last" disappear
        w.s.server.paginator.count_limit = 5
        r = gl.http_request("get", "/projects", query_data={"per_page": 3})
        assert "X-Total" not in r.headers and "X-Total-Pages" not in r.headers and "last" not in r.links
        assert r.headers["X-Next-Page"] == "2"


def test_jobs_traces_and_disabled_features():
    with World() as w:
        p = w.projects[1]
        token = glp.routable()
        big = LargeTrace(3 << 20, inserts={(2 << 20) + 7: f"\nexport GITLAB_TOKEN={token}\n"})
        old = w.s.add_job(p, "build", status="success", trace="compiling\n", created_at=T0)
        failed = w.s.add_job(p, "test", status="failed", trace=big, created_at=T0 + dt.timedelta(minutes=1))
        w.s.add_job(p, "deploy", status="manual", trace=None, created_at=T0 + dt.timedelta(minutes=2))
        gl = w.client()
        proj = gl.projects.get(p.id)
        jobs = proj.jobs.list(get_all=True)
        assert [j.name for j in jobs] == ["deploy", "test", "build"]  # newest first
        assert jobs[1].status == "failed" and jobs[1].failure_reason == "script_failure"
        art = jobs[1].attributes["artifacts"]
        assert art[0]["file_type"] == "trace" and art[0]["size"] == 3 << 20
        assert [j.name for j in proj.jobs.list(scope=["failed", "success"])] == ["test", "build"]
        r = gl.http_request("get", f"/projects/{p.id}/jobs?scope[]=manual")
        assert [j["name"] for j in r.json()] == ["deploy"]
        assert proj.jobs.get(old.id).trace() == b"compiling\n"
        chunks = []
        proj.jobs.get(failed.id).trace(streamed=True, action=chunks.append)
        log = b"".join(chunks)
        assert len(log) == 3 << 20 and token.encode() in log and log.index(token.encode()) > 2 << 20
        try:
            proj.jobs.get(jobs[0].id).trace()
            raise AssertionError("a job without a log answered")
        except gitlab.GitlabGetError as e:
            assert e.response_code == 404
        # keyset pagination of jobs (order_by=id, sort=desc, opaque cursor)
        ks = [j["id"] for j in gl.http_list(f"/projects/{p.id}/jobs", pagination="keyset", order_by="id",
                                            sort="desc", per_page=2, iterator=True)]
        assert ks == [j.id for j in jobs]
        # a developer reads jobs; a guest of a private project may not; jobs off: 403
        w.s.add_member(w.projects[3], w.bob, GUEST)
        bob_token = glp.pat()
        w.s.add_personal_token(w.bob, bob_token, scopes=["read_api"])
        try:
            w.client(bob_token).projects.get(w.projects[3].id).jobs.list()
            raise AssertionError("a guest listed jobs of a private project")
        except gitlab.GitlabListError as e:
            assert e.response_code == 403
        off = w.s.add_project(w.top, "nojobs", features={"jobs": False, "wiki": False, "snippets": False,
                                                         "merge_requests": False, "issues": False})
        po = gl.projects.get(off.id)
        assert po.jobs_enabled is False and po.builds_access_level == "disabled"
        for listing in (po.jobs, po.wikis, po.snippets, po.mergerequests):
            try:
                listing.list()
                raise AssertionError(f"{listing} answered with its feature off")
            except gitlab.GitlabListError as e:
                assert e.response_code == 403
        assert po.issues.list() == []  # GitLab's issue finder finds nothing there


def test_snippets_project_and_personal():
    with World() as w:
        token = glp.pat()
        p = w.projects[1]
        s1 = w.s.add_snippet(p, "deploy helper", {"deploy.sh": "#!/bin/sh\nexit 0\n",
                                                   "conf/.env": f"API_TOKEN={token}\n"}, author=w.alice)
        mine = w.s.add_snippet(None, "scratch", {"notes.md": "personal notes\n"}, author=w.root)
        w.s.add_snippet(None, "alice private", {"a.txt": "alice\n"}, author=w.alice)
        gl = w.client()
        proj = gl.projects.get(p.id)
        listed = proj.snippets.list()
        assert [s.title for s in listed] == ["deploy helper"] and listed[0].project_id == p.id
        sn = proj.snippets.get(s1.id)
        assert [f["path"] for f in sn.files] == ["deploy.sh", "conf/.env"] and sn.file_name == "deploy.sh"
        assert sn.author["username"] == "alice"
        assert sn.content() == b"#!/bin/sh\nexit 0\n"  # the first file
        encoded = urllib.parse.quote("conf/.env", safe="")
        raw = gl.http_get(f"/projects/{p.id}/snippets/{s1.id}/files/main/{encoded}/raw", raw=True)
        assert raw.content == f"API_TOKEN={token}\n".encode() and raw.headers["Content-Type"] == "text/plain"
        assert [s.title for s in gl.snippets.list()] == ["scratch"]  # the admin's own
        every = gl.http_list("/snippets/all", get_all=True)
        assert {s["title"] for s in every} == {"deploy helper", "scratch", "alice private"}
        assert {s["project_id"] for s in every} == {p.id, None}
        assert gl.snippets.get(mine.id).content() == b"personal notes\n"
        w.s.set_version("16.2.0")  # GET /snippets/all came in 16.3
        try:
            gl.http_list("/snippets/all")
            raise AssertionError("/snippets/all answered on 16.2")
        except gitlab.GitlabHttpError as e:
            assert e.response_code == 404


def test_issues_merge_requests_notes():
    with World() as w:
        p = w.projects[1]
        early = w.s.add_issue(p, "crash on start", "stack trace", author=w.alice, created_at=T0)
        late = w.s.add_issue(p, "leak", "see below", author=w.alice, created_at=T0 + dt.timedelta(days=2))
        w.s.add_note(early, "changed the description", author=w.alice, system=True,
                     created_at=T0 + dt.timedelta(days=3))
        w.s.add_note(early, "token in the log", author=w.root, created_at=T0 + dt.timedelta(days=4),
                     discussion="t1")
        w.s.add_note(early, "rotated it", author=w.alice, created_at=T0 + dt.timedelta(days=5), discussion="t1")
        w.s.add_commit(p, {"README.md": "hi\n"}, "init")
        mr = w.s.add_merge_request(p, "add ci", "adds .gitlab-ci.yml", author=w.alice,
                                   files={".gitlab-ci.yml": "job: {script: [true]}\n"}, created_at=T0)
        w.s.add_note(mr, "LGTM", author=w.root, created_at=T0 + dt.timedelta(days=1))
        gl = w.client()
        proj = gl.projects.get(p.id)
        assert [i.iid for i in proj.issues.list(order_by="updated_at", sort="asc")] == [late.iid, early.iid]
        since = (T0 + dt.timedelta(days=4, hours=12)).isoformat().replace("+00:00", "Z")
        assert [i.title for i in proj.issues.list(updated_after=since)] == ["crash on start"]
        assert proj.issues.list(updated_before=(T0 + dt.timedelta(days=1)).isoformat()) == []
        # an incremental rerun: only what changed since the last run comes back, in one request
        w.s.update(late, title="leak (fixed)", updated_at=T0 + dt.timedelta(days=6))
        mark = w.s.log.mark()
        assert [i.title for i in proj.issues.list(updated_after=since, order_by="updated_at", sort="asc")] == [
            "crash on start", "leak (fixed)"]
        assert w.s.count(since=mark, path=f"/api/v4/projects/{p.id}/issues") == 1
        issue = proj.issues.get(early.iid)
        assert issue.user_notes_count == 2 and issue.references["full"] == "acme/platform/svc1#1"
        notes = issue.notes.list(get_all=True, sort="asc")
        assert [(n.body, n.system) for n in notes] == [("changed the description", True),
                                                       ("token in the log", False), ("rotated it", False)]
        assert notes[0].noteable_type == "Issue" and notes[1].author["username"] == "root"
        disc = issue.discussions.list()
        assert [len(d.attributes["notes"]) for d in disc] == [1, 2]
        assert disc[0].individual_note is True and disc[1].individual_note is False
        m = proj.mergerequests.get(mr.iid)
        assert m.sha == mr.sha and m.target_branch == "main" and m.description == "adds .gitlab-ci.yml"
        assert [n.body for n in m.notes.list()] == ["LGTM"]
        assert [x.iid for x in proj.mergerequests.list(state="opened")] == [1]


def test_wikis_and_releases():
    with World() as w:
        p = w.projects[1]
        w.s.add_wiki_page(p, "Home", "Welcome\n")
        w.s.add_wiki_page(p, "ops/runbook", "kubectl ...\n", slug="ops/runbook")
        w.s.add_release(p, "v1.0", "first", created_at=T0)
        w.s.add_release(p, "v1.1", "second", created_at=T0 + dt.timedelta(days=1))
        proj = w.client().projects.get(p.id)
        pages = proj.wikis.list(with_content=1)
        assert [(x.slug, x.content) for x in pages] == [("Home", "Welcome\n"), ("ops/runbook", "kubectl ...\n")]
        assert not hasattr(proj.wikis.list()[0], "content")
        assert proj.wikis.get("ops/runbook").content == "kubectl ...\n"
        rel = proj.releases.list()
        assert [r.tag_name for r in rel] == ["v1.1", "v1.0"] and rel[0].description == "second"
        assert proj.releases.get("v1.0").name == "v1.0"


def test_token_inventory_and_self_endpoints():
    with World() as w:
        s = w.s
        p = w.projects[1]
        proj_tok, group_tok, deploy_tok, imp_tok = glp.routable(), glp.routable(), glp.token(
            "gitlab.deploy_token"), glp.pat()
        pt = s.add_project_token(p, proj_tok, name="ci bot", scopes=["read_repository"], access_level=REPORTER,
                                 created_at=T0)
        gt = s.add_group_token(w.top, group_tok, name="group bot", scopes=["api"], expires_at=None)
        dtk = s.add_deploy_token(p, deploy_tok, name="deployer")
        s.add_personal_token(w.alice, imp_tok, name="support", impersonation=True, scopes=["api"])
        fine = glp.routable()
        s.add_personal_token(w.alice, fine, name="fine", granular_scopes=[
            {"access": "selected_memberships", "permissions": ["read_job"], "project_id": p.id}])
        gl = w.client()
        names = {t.name for t in gl.personal_access_tokens.list(get_all=True)}
        assert {"admin", "alice api", "ci bot", "group bot", "support", "fine"} <= names, names
        assert [t.name for t in gl.personal_access_tokens.list(user_id=w.alice.id, revoked=False)] == [
            "alice api", "support", "fine"]
        ptl = gl.projects.get(p.id).access_tokens.list()
        assert [(t.name, t.access_level, t.scopes) for t in ptl] == [("ci bot", REPORTER, ["read_repository"])]
        assert gl.users.get(ptl[0].user_id).bot is True
        gtl = gl.groups.get(w.top.id).access_tokens.list()
        assert [(t.name, t.expires_at) for t in gtl] == [("group bot", None)]
        dl = gl.projects.get(p.id).deploytokens.list()
        assert [(d.name, d.username, d.revoked) for d in dl] == [("deployer", dtk.deploy_username, False)]
        assert [d["name"] for d in gl.http_list("/deploy_tokens")] == ["deployer"]
        imp = gl.http_list(f"/users/{w.alice.id}/impersonation_tokens")
        assert [(t["name"], t["impersonation"]) for t in imp] == [("support", True)]
        # a user sees only its own tokens
        mine = [t.name for t in w.client(w.alice_token).personal_access_tokens.list()]
        assert mine == ["alice api", "support", "fine"], mine
        # /self for each PAT kind, granular scopes of a fine-grained token
        me = w.client(proj_tok).http_get("/personal_access_tokens/self")
        assert me["id"] == pt.id and me["scopes"] == ["read_repository"] and me["active"] is True
        f = w.client(fine).http_get("/personal_access_tokens/self")
        assert f["scopes"] == ["granular"] and f["granular_scopes"][0]["project_id"] == p.id
        assert w.client(group_tok).http_get("/personal_access_tokens/self")["id"] == gt.id
        # GitLab records the use while authenticating: /self already shows this very request
        seen = w.client(w.alice_token).http_get("/personal_access_tokens/self")["last_used_at"]
        seen = dt.datetime.fromisoformat(seen.replace("Z", "+00:00"))
        assert seen > dt.datetime.now(UTC) - dt.timedelta(minutes=5)
        # associations: the groups and projects a token reaches
        assoc = w.client(w.alice_token).http_get("/personal_access_tokens/self/associations")
        assert [g["name"] for g in assoc["groups"]] == ["platform"]
        assert {x["path_with_namespace"] for x in assoc["projects"]} == {
            "acme/platform/svc1", "acme/platform/backend/svc2", "acme/platform/svc5",
            "acme/platform/backend/svc6", "acme/platform/svc9"}
        assert assoc["projects"][0]["access_levels"] == {"project_access_level": None,
                                                         "group_access_level": DEVELOPER}
        s.set_version("17.3.0")
        try:
            w.client(w.alice_token).http_get("/personal_access_tokens/self/associations")
            raise AssertionError("17.3 answered /self/associations")
        except gitlab.GitlabHttpError as e:
            assert e.response_code == 404 and e.error_message == "404 Not Found"
        assert gl.http_get("/version")["version"] == "17.3.0"
        s.set_version("15.4.0")  # before GET /personal_access_tokens/self: "self" is not an id
        try:
            w.client(w.alice_token).http_get("/personal_access_tokens/self")
            raise AssertionError("15.4 answered /personal_access_tokens/self")
        except gitlab.GitlabHttpError as e:
            assert e.response_code == 400
        s.set_version("17.3.0")
        assert gl.http_get("/metadata")["enterprise"] is True


def test_admin_token_api_and_revocation():
    with World() as w:
        s = w.s
        leaked, deploy, runner, job = glp.pat(), glp.token("gitlab.deploy_token"), glp.token(
            "gitlab.runner_auth"), glp.token("gitlab.job_token")
        lt = s.add_personal_token(w.alice, leaked, name="leaked", scopes=["api"], created_at=T0)
        s.add_deploy_token(w.projects[0], deploy)
        s.add_runner(runner, description="shared")
        j = s.add_job(w.projects[0], "build", status="running", user=w.alice, token=job)
        gl = w.client()
        info = gl.http_post("/admin/token", post_data={"token": leaked})
        assert info["id"] == lt.id and info["user_id"] == w.alice.id and info["name"] == "leaked"
        assert info["impersonation"] is False and info["created_at"].startswith("2026-03-01")
        info = gl.http_post("/admin/token", post_data={"token": deploy})
        assert info["username"].startswith("gitlab+deploy-token-")
        assert gl.http_post("/admin/token", post_data={"token": runner})["description"] == "shared"
        try:
            gl.http_post("/admin/token", post_data={"token": job})  # CI job tokens: from 17.9
            raise AssertionError("17.8 identified a job token")
        except gitlab.GitlabHttpError as e:
            assert e.response_code == 422
        s.set_version("17.9.0")
        assert gl.http_post("/admin/token", post_data={"token": job})["id"] == j.id
        try:
            gl.http_post("/admin/token", post_data={"token": glp.pat()})
            raise AssertionError("an unknown token was identified")
        except gitlab.GitlabHttpError as e:
            assert e.response_code == 404
        try:  # not an administrator
            w.client(w.alice_token).http_post("/admin/token", post_data={"token": leaked})
            raise AssertionError("a non-admin used the token information API")
        except gitlab.GitlabHttpError as e:
            assert e.response_code == 403
        # 17.7: no token information API without its flag; revocation needs api_admin_token_revoke
        s.set_version("17.7.0")
        for method in ("post", "delete"):
            try:
                gl.http_request(method, "/admin/token", post_data={"token": leaked})
                raise AssertionError(f"{method} /admin/token answered on 17.7 without flags")
            except gitlab.GitlabHttpError as e:
                assert e.response_code == 404
        s.enable_flag("admin_agnostic_token_finder")
        s.enable_flag("api_admin_token_revoke")
        assert gl.http_post("/admin/token", post_data={"token": leaked})["name"] == "leaked"
        assert gl.http_delete("/admin/token", post_data={"token": leaked}).status_code == 204
        try:
            w.client(leaked).http_get("/user")
            raise AssertionError("a revoked token still works")
        except gitlab.GitlabAuthenticationError as e:
            assert e.response_code == 401 and json.loads(e.response_body)["error"] == "invalid_token"
        # group token revocation (owner of a top-level group, token reaching into it)
        s.set_version("17.8.0")
        owner_tok, member_tok = glp.pat(), glp.pat()
        s.add_member(w.top, w.bob, OWNER)
        s.add_personal_token(w.bob, owner_tok, scopes=["api"])
        s.add_personal_token(w.alice, member_tok, scopes=["read_api"])
        gb = w.client(owner_tok)
        try:
            gb.http_post(f"/groups/{w.top.id}/tokens/revoke", post_data={"token": member_tok})
            raise AssertionError("group token revocation answered without its flag")
        except gitlab.GitlabHttpError as e:
            assert e.response_code == 404
        s.enable_flag("group_agnostic_token_revocation")
        out = gb.http_post(f"/groups/{w.top.id}/tokens/revoke", post_data={"token": member_tok})
        assert out["revoked"] is True and out["user_id"] == w.alice.id
        s.add_member(w.other, w.bob, DEVELOPER)
        try:
            gb.http_post(f"/groups/{w.other.id}/tokens/revoke", post_data={"token": w.alice_token})
            raise AssertionError("a non-owner revoked through a group")
        except gitlab.GitlabHttpError as e:
            assert e.response_code == 403


def test_rotation_and_reuse_detection():
    with World() as w:
        old = glp.pat()
        w.s.add_personal_token(w.alice, old, name="rotating", scopes=["api"], label="rot")
        r = w.client(old).http_post("/personal_access_tokens/self/rotate",
                                    post_data={"expires_at": "2027-01-31"})
        new = r["token"]
        assert new != old and r["name"] == "rotating" and r["expires_at"] == "2027-01-31"
        assert w.client(new).http_get("/personal_access_tokens/self")["id"] == r["id"]
        for tok, code in ((old, 401),):
            try:
                w.client(tok).http_get("/personal_access_tokens/self")
                raise AssertionError("the rotated-away token still works")
            except gitlab.GitlabAuthenticationError as e:
                assert e.response_code == code
        # rotating the old (revoked) token again is reuse: the whole family is revoked
        try:
            w.client(w.admin_token).http_post(f"/personal_access_tokens/{w.s.token('rot').id}/rotate")
            raise AssertionError("a revoked token was rotated")
        except gitlab.GitlabError as e:
            assert e.response_code == 401
        try:
            w.client(new).http_get("/user")
            raise AssertionError("the family survived reuse detection")
        except gitlab.GitlabAuthenticationError:
            pass
        assert w.s.count(token="rot~2", path="/api/v4/user") == 1  # the rotated token is logged by label
        ro = glp.pat()
        w.s.add_personal_token(w.alice, ro, scopes=["read_api"])
        try:
            w.client(ro).http_post("/personal_access_tokens/self/rotate")
            raise AssertionError("a read_api token rotated itself")
        except gitlab.GitlabHttpError as e:
            assert e.response_code == 403


def test_auth_answers_job_token_and_runner_verify():
    with World() as w:
        s = w.s
        expired, blocked_tok, job, runner = glp.pat(), glp.pat(), glp.token("gitlab.job_token"), glp.token(
            "gitlab.runner_auth")
        s.add_personal_token(w.alice, expired, expires_at="2026-01-01")
        carol = s.add_user("carol", state="blocked")
        s.add_personal_token(carol, blocked_tok)
        j = s.add_job(w.projects[0], "deploy", status="running", user=w.alice, token=job)
        s.add_runner(runner)
        answers = {}
        for name, tok in (("unknown", glp.pat()), ("expired", expired), ("blocked", blocked_tok)):
            try:
                w.client(tok).auth()
            except gitlab.GitlabError as e:
                answers[name] = (e.response_code, json.loads(e.response_body))
        assert answers["unknown"] == (401, {"message": "401 Unauthorized"})
        assert answers["expired"][0] == 401 and "expired" in answers["expired"][1]["error_description"]
        assert answers["blocked"] == (403, {"message": "403 Forbidden - Your account has been blocked."})
        # read_repository only: the API says insufficient_scope
        narrow = glp.pat()
        s.add_personal_token(w.alice, narrow, scopes=["read_repository"])
        try:
            w.client(narrow).projects.list()
        except gitlab.GitlabListError as e:
            assert e.response_code == 403 and json.loads(e.response_body)["error"] == "insufficient_scope"
        # GET /job with JOB-TOKEN, only while the job runs
        gj = gitlab.Gitlab(s.url, job_token=job)
        me = gj.http_get("/job")
        assert me["id"] == j.id and me["status"] == "running" and me["user"]["username"] == "alice"
        assert s.count(path="/api/v4/job", via="job-token", token=f"job-{j.id}") == 1
        s.set_job_status(j, "success")
        try:
            gj.http_get("/job")
            raise AssertionError("a finished job's token still works")
        except gitlab.GitlabAuthenticationError as e:
            assert e.response_code == 401
        # runner verification: form token=, 200 with the token echoed (as GitLab), 403 unknown
        anon = gitlab.Gitlab(s.url)
        ok = anon.http_post("/runners/verify", post_data={"token": runner})
        assert ok["token"] == runner and "token_expires_at" in ok
        try:
            anon.http_post("/runners/verify", post_data={"token": glp.token("gitlab.runner_auth")})
            raise AssertionError("an unknown runner token verified")
        except gitlab.GitlabHttpError as e:
            assert e.response_code == 403


def _git(*args, cwd=None, check=True):
    p = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"git {args[:2]}: {p.stderr}")
    return p


def test_git_clone_fetch_over_smart_http():
    with World() as w, glp.TempDir() as d:
        s = w.s
        p = w.projects[1]  # acme/platform/svc1, alice is a developer through acme/platform
        leak = glp.pat()
        first = s.add_commit(p, {"app.env": f"TOKEN={leak}\n", "README.md": "x\n"}, "add config")
        second = s.add_commit(p, {"app.env": None}, "remove config")
        mr = s.add_merge_request(p, "from a fork", files={"fork.txt": "only on the MR ref\n"})
        url = s.git_url(p, token=w.alice_token)
        clone = os.path.join(d, "clone")
        _git("clone", "-q", url, clone)
        assert _git("rev-parse", "HEAD", cwd=clone).stdout.strip() == second
        assert _git("show", f"{first}:app.env", cwd=clone).stdout == f"TOKEN={leak}\n"
        mark = s.log.mark()
        _git("fetch", "-q", "origin", "+refs/merge-requests/*:refs/remotes/origin/merge-requests/*", cwd=clone)
        head = _git("rev-parse", "origin/merge-requests/1/head", cwd=clone).stdout.strip()
        assert head == mr.sha
        contains = _git("branch", "-r", "--contains", head, cwd=clone).stdout.strip()
        assert contains == "origin/merge-requests/1/head"  # no branch has the MR's commit
        assert s.count(since=mark, git="fetch") == 1
        # a second fetch of an unchanged repository negotiates and transfers no pack
        mark = s.log.mark()
        _git("fetch", "-q", "origin", "+refs/merge-requests/*:refs/remotes/origin/merge-requests/*", cwd=clone)
        _git("fetch", "-q", "origin", cwd=clone)
        assert s.count(since=mark, git="fetch") == 0 and s.count(since=mark, git="ls-refs") == 2
        assert all(e["token"] in (None, "alice") for e in s.requests(since=mark))
        # new commits arrive with the next fetch; only they are sent
        third = s.add_commit(p, {"b.txt": "b\n"}, "more")
        mark = s.log.mark()
        _git("fetch", "-q", "origin", cwd=clone)
        assert _git("rev-parse", "origin/main", cwd=clone).stdout.strip() == third
        fetches = s.requests(since=mark, git="fetch")
        assert len(fetches) == 1 and fetches[0]["git_wants"] == 1
        # credentials: none -> 401 challenge; no rights -> not found; read_api only -> refused
        assert _git("ls-remote", s.git_url(p), check=False).returncode != 0
        outsider = glp.pat()
        s.add_personal_token(w.bob, outsider, scopes=["read_repository"])
        assert "not found" in _git("ls-remote", s.git_url(p, token=outsider), check=False).stderr
        api_only = glp.pat()
        s.add_personal_token(w.alice, api_only, scopes=["read_api"])
        assert _git("ls-remote", s.git_url(p, token=api_only), check=False).returncode != 0
        # deploy tokens need their own user name
        deploy = glp.token("gitlab.deploy_token")
        dtk = s.add_deploy_token(p, deploy)
        assert _git("ls-remote", s.git_url(p, user="someone", token=deploy), check=False).returncode != 0
        assert third in _git("ls-remote", s.git_url(p, user=dtk.deploy_username, token=deploy)).stdout
        # CI job tokens: user gitlab-ci-token, only while the job runs
        job = glp.token("gitlab.job_token")
        running = s.add_job(p, "clone", status="running", user=w.alice, token=job)
        assert third in _git("ls-remote", s.git_url(p, user="gitlab-ci-token", token=job)).stdout
        assert _git("ls-remote", s.git_url(p, user="alice", token=job), check=False).returncode != 0
        s.set_job_status(running, "success")
        assert _git("ls-remote", s.git_url(p, user="gitlab-ci-token", token=job), check=False).returncode != 0
        # pushing is refused (upload-pack only)
        _git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "x",
             cwd=clone)
        assert _git("push", "-q", "origin", "HEAD:main", cwd=clone, check=False).returncode != 0
        assert s.count(git="receive-pack") >= 1
        # a bare repository made elsewhere can be served as a project's repository
        bare = os.path.join(d, "made-by-test.git")
        _git("clone", "-q", "--bare", clone, bare)
        linked = s.add_project(w.sub, "linked", repo=bare)
        s.add_member(linked, w.alice, REPORTER)
        local = _git("rev-parse", "HEAD", cwd=clone).stdout.strip()
        assert local in _git("ls-remote", s.git_url(linked, token=w.alice_token)).stdout
        # a public project clones anonymously; http_url_to_repo may name another host
        pub = s.add_project(w.other, "open", visibility="public",
                            http_url_to_repo="https://git.example.com/o.git")
        s.add_commit(pub, {"a": "a\n"}, "a")
        _git("clone", "-q", s.git_url(pub), os.path.join(d, "pub"))
        assert w.client().projects.get(pub.id).http_url_to_repo == "https://git.example.com/o.git"


def test_faults_rate_limits_and_request_log():
    with World() as w, World() as elsewhere:
        s = w.s
        gl = w.client()
        pid = w.projects[0].id
        # 429 twice with Retry-After, then answered: python-gitlab waits and retries
        f = s.faults.add(rf"/projects/{pid}$", "ratelimit", times=2, retry_after=1)
        t0 = time.time()
        assert gl.projects.get(pid).id == pid
        assert time.time() - t0 >= 2 and f.fired == 2
        assert s.count(path=f"/api/v4/projects/{pid}", status=429) == 2
        assert s.count(path=f"/api/v4/projects/{pid}", status=200) == 1
        s.faults.add(r"/version$", "ratelimit", times=1, reset_in=1)
        try:
            gl.http_request("get", "/version", obey_rate_limit=False)
            raise AssertionError("the injected 429 did not answer")
        except gitlab.GitlabHttpError as e:
            assert e.response_code == 429 and e.response_body == b"Retry later\n"
        # 5xx: answered once with GitLab's bodies; python-gitlab retries when asked to
        s.faults.add(r"/groups$", "status", times=1, status=502)
        try:
            gl.groups.list()
            raise AssertionError("the injected 502 did not answer")
        except gitlab.GitlabListError as e:
            assert e.response_code == 502
        s.faults.add(r"/groups$", "status", times=1, status=503)
        assert len(w.client(retry_transient_errors=True).groups.list()) == 4
        # a delay beyond the client's timeout
        s.faults.add(r"/user$", "delay", times=1, delay=2)
        try:
            w.client(timeout=0.5).auth()
            raise AssertionError("the delay did not time out")
        except Exception as e:  # requests' ReadTimeout
            assert "timed out" in str(e).lower() or "timeout" in type(e).__name__.lower(), e
        # a redirect to another host: python-gitlab follows GET redirects, and sends PRIVATE-TOKEN
        # there too; the log shows both sides, which is what a client test asserts against
        s.faults.add(r"/projects$", "redirect", times=1, location=elsewhere.s.url, keep_path=True)
        try:
            gl.projects.list()
        except gitlab.GitlabError as e:
            assert e.response_code == 401  # the other host does not know the token
        assert s.count(path="/api/v4/projects", status=302) == 1
        leaked_to = elsewhere.s.requests(path="/api/v4/projects")
        assert len(leaked_to) == 1 and leaked_to[0]["token_sha256"] == sha256(w.admin_token)
        # a Link header pointing at another host
        s.faults.add(r"/projects$", "foreign_link", times=1, foreign_host=elsewhere.s.url)
        before = elsewhere.s.count()
        try:
            list(gl.projects.list(per_page=5, iterator=True))
        except gitlab.GitlabError as e:
            assert e.response_code == 401
        assert elsewhere.s.count() == before + 1  # python-gitlab follows it (a client must not)
        assert elsewhere.s.requests()[-1]["query"] == "page=2&per_page=5"
        # per-token faults and throttling
        s.faults.add(".", "status", times=None, token="alice", status=500)
        try:
            w.client(w.alice_token).auth()
            raise AssertionError("the per-token fault did not answer")
        except gitlab.GitlabError as e:
            assert e.response_code == 500
        assert gl.auth() is None  # the admin is unaffected
        s.faults.clear()
        s.rate_limit(3, period=4)  # Retry-After: until the window has passed
        mark = s.log.mark()
        t0 = time.time()
        for _ in range(4):
            gl.http_get("/version")
        assert s.count(since=mark, status=429) == 1 and time.time() - t0 >= 1
        assert s.count(since=mark, status=200) == 4
        s.rate_limit(None)
        # the log never holds a token value
        dump = json.dumps(s.requests(), default=str) + json.dumps(elsewhere.s.requests(), default=str)
        for tok in (w.admin_token, w.alice_token):
            assert tok not in dump
        assert s.count(token="admin", method="GET", path_prefix="/api/v4/") > 10


def test_tls_with_generated_certificate():
    with World(tls=True) as w:
        assert w.s.url.startswith("https://127.0.0.1:")
        gl = w.client(ssl_verify=w.s.cert)
        assert gl.http_get("/version")["version"] == "17.8.0"
        try:
            w.client().http_get("/version")  # the system trust store does not know it
            raise AssertionError("an untrusted certificate was accepted")
        except Exception as e:  # requests' SSLError
            assert "certificate" in str(e).lower() or "ssl" in str(e).lower(), e


def test_serve_cli_generates_an_instance():
    with glp.TempDir() as d:
        state = os.path.join(d, "state.json")
        proc = subprocess.Popen([sys.executable, os.path.join(glp.SRC, "tests", "support", "gitlab_standin.py"),
                                 "serve", "--projects", "10", "--port", "0", "--state-file", state],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.time() + 120
            while not os.path.exists(state) and time.time() < deadline and proc.poll() is None:
                time.sleep(0.2)
            assert os.path.exists(state), proc.stderr.read().decode() if proc.poll() is not None else "timeout"
            doc = json.load(open(state))
            assert oct(os.stat(state).st_mode & 0o777) == "0o600"
            gl = gitlab.Gitlab(doc["url"], private_token=doc["admin_token"])
            projects = gl.projects.list(get_all=True)
            assert len(projects) == 10 and doc["projects"] == 10
            one = gl.projects.get(projects[0].id)
            assert len(one.jobs.list()) == 2 and len(one.issues.list()[0].notes.list()) == 2
            assert one.mergerequests.list()[0].sha and one.wikis.list(with_content=1)[0].content
            planted = doc["planted"]
            assert len(planted) == 2 and all(len(x["token_sha256"]) == 64 for x in planted)
            with open(state) as f:
                text = f.read()
            assert doc["admin_token"] in text  # the state file is how a benchmark gets the admin token
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


if __name__ == "__main__":
    glp.main([
        test_groups_subgroups_and_visibility,
        test_offset_and_keyset_pagination,
        test_jobs_traces_and_disabled_features,
        test_snippets_project_and_personal,
        test_issues_merge_requests_notes,
        test_wikis_and_releases,
        test_token_inventory_and_self_endpoints,
        test_admin_token_api_and_revocation,
        test_rotation_and_reuse_detection,
        test_auth_answers_job_token_and_runner_verify,
        test_git_clone_fetch_over_smart_http,
        test_faults_rate_limits_and_request_log,
        test_tls_with_generated_certificate,
        test_serve_cli_generates_an_instance,
    ])
