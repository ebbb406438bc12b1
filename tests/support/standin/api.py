"""The REST API v4 endpoints the stand-in answers, with GitLab's filters, orders and errors.

Every handler takes (req, **path params) and returns a Response or raises ApiError; `req.principal`
is the authenticated caller. Visibility follows GitLab: administrators see everything, others see
public and internal projects and what they are members of; a resource a caller may not see is
404, a feature switched off or a role too low is 403.
"""
import datetime as _dt

from .auth import REVOKED, UNAUTHORIZED
from .model import (GUEST, MAINTAINER, NO_ACCESS, OWNER, PAT_KINDS, REPORTER, iso,
                    parse_time)
from .router import ApiError, Response, forbidden, json_response, not_found

JOB_SCOPES = ("created", "pending", "running", "failed", "success", "canceled", "skipped",
              "waiting_for_resource", "manual", "preparing", "scheduled", "canceling",
              "waiting_for_callback")

# Token information API: the version from which each kind is identified (doc/api/admin/token.md)
ADMIN_INFO_SINCE = {"personal": "17.5", "impersonation": "17.5", "project_access": "17.5",
                    "group_access": "17.5", "deploy": "17.5", "feed": "17.6", "oauth_app": "17.7",
                    "agent": "17.7", "runner": "17.7", "trigger": "17.7", "job": "17.9",
                    "ff_client": "17.9", "session": "17.9", "incoming_email": "17.9"}
# ... and what DELETE /admin/token does to each kind
ADMIN_REVOKE = {"personal": "revoke", "impersonation": "revoke", "project_access": "revoke",
                "group_access": "revoke", "deploy": "revoke", "agent": "revoke", "trigger": "revoke",
                "feed": "reset", "runner": "reset", "oauth_app": "reset", "incoming_email": "reset",
                "ff_client": "reset", "session": "delete"}


def _time_arg(req, name):
    v = req.arg(name)
    if v in (None, ""):
        return None
    try:
        return parse_time(v)
    except ValueError:
        raise ApiError(400, {"error": f"{name} is invalid"})


def _sorted(items, req, allowed, default_order="created_at", default_sort="desc"):
    order = req.arg("order_by") or default_order
    if order not in allowed:
        raise ApiError(400, {"error": "order_by does not have a valid value"})
    sort = req.arg("sort") or default_sort
    if sort not in ("asc", "desc"):
        raise ApiError(400, {"error": "sort does not have a valid value"})
    return sorted(items, key=lambda x: (getattr(x, order), x.id), reverse=(sort == "desc"))


class RestApi:
    def __init__(self, inst, entities, paginator, rotate_value=None):
        self.inst = inst
        self.e = entities
        self.pg = paginator
        # makes the value of a token minted by rotation (kind -> str); set by the server
        self.rotate_value = rotate_value

    # -- helpers ------------------------------------------------------------------------
    def _user(self, req):
        return req.principal.user

    def _admin(self, req):
        return req.principal.is_admin

    def _project(self, req, ref):
        inst = self.inst
        p = inst.find_project(ref)
        if p is None or not inst.can_read_project(req.principal.user, p) \
                or not req.principal.allows_project(inst, p):
            raise not_found("Project")
        return p

    def _group(self, req, ref):
        inst = self.inst
        g = inst.find_group(ref)
        if g is None or not inst.can_read_group(req.principal.user, g) \
                or not req.principal.allows_group(inst, g):
            raise not_found("Group")
        return g

    def _feature(self, req, p, feature):
        if not self.inst.can_use_feature(req.principal.user, p, feature):
            raise forbidden()

    def _role(self, req, p, level):
        if self._admin(req):
            return
        if self.inst.project_access(req.principal.user, p) < level:
            raise forbidden()

    def _group_role(self, req, g, level):
        if self._admin(req):
            return
        if self.inst.group_access(req.principal.user, g) < level:
            raise forbidden()

    def _visible_projects(self, req):
        inst, user = self.inst, req.principal.user
        return [p for p in inst.projects.values()
                if inst.can_read_project(user, p) and req.principal.allows_project(inst, p)]

    # -- registration ----------------------------------------------------------------------
    def register(self, r):
        r.add("GET", "/version", self.version, auth="user")
        r.add("GET", "/metadata", self.metadata, auth="user", since="15.2")
        r.add("GET", "/user", self.current_user, auth="user")
        r.add("GET", "/users", self.users, auth="public")
        r.add("GET", "/users/:id", self.get_user, auth="public")
        r.add("GET", "/users/:id/impersonation_tokens", self.impersonation_tokens, auth="admin")
        r.add("GET", "/groups", self.groups, auth="public")
        r.add("GET", "/groups/:id", self.get_group, auth="public")
        r.add("GET", "/groups/:id/subgroups", self.subgroups, auth="public")
        r.add("GET", "/groups/:id/descendant_groups", self.descendant_groups, auth="public", since="13.5")
        r.add("GET", "/groups/:id/projects", self.group_projects, auth="public")
        r.add("GET", "/groups/:id/members", self.group_members, auth="public")
        r.add("GET", "/groups/:id/members/all", self.group_members_all, auth="public")
        r.add("GET", "/groups/:id/access_tokens", self.group_access_tokens, auth="read", since="14.7")
        r.add("GET", "/groups/:id/access_tokens/:token_id", self.group_access_token, auth="read", since="14.7")
        r.add("GET", "/groups/:id/deploy_tokens", self.group_deploy_tokens, auth="read")
        r.add("POST", "/groups/:id/tokens/revoke", self.group_revoke_token, auth="read",
              since="17.2", flag="group_agnostic_token_revocation")
        r.add("GET", "/projects", self.projects, auth="public")
        r.add("GET", "/projects/:id", self.get_project, auth="public")
        r.add("GET", "/projects/:id/members", self.project_members, auth="public")
        r.add("GET", "/projects/:id/members/all", self.project_members_all, auth="public")
        r.add("GET", "/projects/:id/jobs", self.jobs, auth="public")
        r.add("GET", "/projects/:id/jobs/:job_id", self.get_job, auth="public")
        r.add("GET", "/projects/:id/jobs/:job_id/trace", self.trace, auth="public")
        r.add("GET", "/projects/:id/snippets", self.project_snippets, auth="public")
        r.add("GET", "/projects/:id/snippets/:sid", self.project_snippet, auth="public")
        r.add("GET", "/projects/:id/snippets/:sid/raw", self.project_snippet_raw, auth="public")
        r.add("GET", "/projects/:id/snippets/:sid/files/:ref/:file_path/raw", self.project_snippet_file,
              auth="public", since="13.3")
        r.add("GET", "/projects/:id/issues", self.issues, auth="public")
        r.add("GET", "/projects/:id/issues/:iid", self.get_issue, auth="public")
        r.add("GET", "/projects/:id/issues/:iid/notes", self.issue_notes, auth="public")
        r.add("GET", "/projects/:id/issues/:iid/discussions", self.issue_discussions, auth="public")
        r.add("GET", "/projects/:id/merge_requests", self.merge_requests, auth="public")
        r.add("GET", "/projects/:id/merge_requests/:iid", self.get_merge_request, auth="public")
        r.add("GET", "/projects/:id/merge_requests/:iid/notes", self.mr_notes, auth="public")
        r.add("GET", "/projects/:id/merge_requests/:iid/discussions", self.mr_discussions, auth="public")
        r.add("GET", "/projects/:id/wikis", self.wikis, auth="public")
        r.add("GET", "/projects/:id/wikis/:slug", self.get_wiki, auth="public")
        r.add("GET", "/projects/:id/releases", self.releases, auth="public")
        r.add("GET", "/projects/:id/releases/:tag", self.get_release, auth="public")
        r.add("GET", "/projects/:id/access_tokens", self.project_access_tokens, auth="read", since="13.9")
        r.add("GET", "/projects/:id/access_tokens/:token_id", self.project_access_token, auth="read",
              since="13.9")
        r.add("GET", "/projects/:id/deploy_tokens", self.project_deploy_tokens, auth="read")
        r.add("GET", "/snippets", self.my_snippets, auth="read")
        r.add("GET", "/snippets/public", self.public_snippets, auth="read")
        r.add("GET", "/snippets/all", self.all_snippets, auth="read", since="16.3")
        r.add("GET", "/snippets/:sid", self.get_snippet, auth="public")
        r.add("GET", "/snippets/:sid/raw", self.snippet_raw, auth="public")
        r.add("GET", "/snippets/:sid/files/:ref/:file_path/raw", self.snippet_file, auth="public",
              since="13.3")
        r.add("GET", "/personal_access_tokens", self.pats, auth="read", since="13.3")
        r.add("GET", "/personal_access_tokens/self", self.pat_self, auth="self", since="15.5")
        r.add("DELETE", "/personal_access_tokens/self", self.pat_self_revoke, auth="self", since="15.0")
        r.add("GET", "/personal_access_tokens/self/associations", self.pat_associations, auth="self",
              since="17.4")
        r.add("POST", "/personal_access_tokens/self/rotate", self.pat_self_rotate, auth="self",
              since="16.10")
        r.add("GET", "/personal_access_tokens/:token_id", self.get_pat, auth="read", since="15.1")
        r.add("DELETE", "/personal_access_tokens/:token_id", self.revoke_pat, auth="read")
        r.add("POST", "/personal_access_tokens/:token_id/rotate", self.rotate_pat, auth="read", since="16.0")
        r.add("GET", "/deploy_tokens", self.deploy_tokens, auth="admin")
        r.add("GET", "/runners", self.owned_runners, auth="read")
        r.add("GET", "/runners/all", self.all_runners, auth="admin")
        r.add("GET", "/runners/:rid", self.get_runner, auth="read")
        r.add("POST", "/runners/verify", self.runner_verify, auth="none")
        r.add("GET", "/job", self.current_job, auth="job", since="13.10")
        r.add("POST", "/admin/token", self.admin_token_info, auth="admin", since="17.5",
              flag="admin_agnostic_token_finder", ga="17.8")
        r.add("DELETE", "/admin/token", self.admin_token_revoke, auth="admin", since="17.7",
              flag="api_admin_token_revoke")

    # -- instance and users ----------------------------------------------------------------
    def version(self, req):
        return json_response({"version": self.inst.version, "revision": self.inst.revision})

    def metadata(self, req):
        return json_response({"version": self.inst.version, "revision": self.inst.revision,
                              "kas": {"enabled": False, "externalUrl": None, "externalK8sProxyUrl": None,
                                      "version": None},
                              "enterprise": self.inst.enterprise})

    def current_user(self, req):
        u = self._user(req)
        return json_response(self.e.user(u, admin_view=self._admin(req), self_view=True))

    def users(self, req):
        inst = self.inst
        items = sorted(inst.users.values(), key=lambda u: u.id, reverse=True)
        if req.arg("username"):
            items = [u for u in items if u.username.lower() == req.arg("username").lower()]
        if req.flag("active"):
            items = [u for u in items if u.state == "active"]
        if req.flag("blocked"):
            items = [u for u in items if u.state in ("blocked", "banned")]
        if req.flag("humans") or req.flag("exclude_internal"):
            items = [u for u in items if not u.bot]
        if req.flag("without_project_bots"):
            items = [u for u in items if u.user_type != "project_bot"]
        if req.flag("admins"):
            items = [u for u in items if u.is_admin]
        if req.arg("search"):
            q = req.arg("search").lower()
            items = [u for u in items if q in u.username.lower() or q in u.name.lower()]
        admin = self._admin(req)
        return self.pg.offset(req, items, lambda u: self.e.user(u, admin_view=admin)
                              if admin else self.e.user_basic(u))

    def get_user(self, req, id):
        u = self.inst.find_user(id)
        if u is None:
            raise not_found("User")
        return json_response(self.e.user(u, admin_view=self._admin(req)))

    # -- groups -------------------------------------------------------------------------
    def _visible_groups(self, req):
        inst, user = self.inst, req.principal.user
        return [g for g in inst.groups.values()
                if inst.can_read_group(user, g) and req.principal.allows_group(inst, g)]

    def _group_list(self, req, items):
        inst, user = self.inst, req.principal.user
        if req.arg("search"):
            q = req.arg("search").lower()
            items = [g for g in items if q in g.name.lower() or q in g.path.lower()]
        if req.flag("owned"):
            items = [g for g in items if inst.group_access(user, g) >= OWNER]
        mal = req.int_arg("min_access_level")
        if mal is not None:
            items = [g for g in items if inst.group_access(user, g) >= mal]
        if req.flag("top_level_only"):
            items = [g for g in items if g.parent_id is None]
        order = req.arg("order_by") or "name"
        if order not in ("name", "path", "id", "similarity"):
            raise ApiError(400, {"error": "order_by does not have a valid value"})
        keyf = {"name": lambda g: (g.name, g.id), "path": lambda g: (g.path, g.id),
                "id": lambda g: g.id, "similarity": lambda g: (g.name, g.id)}[order]
        items = sorted(items, key=keyf, reverse=(req.arg("sort") or "asc") == "desc")
        return self.pg.offset(req, items, self.e.group)

    def groups(self, req):
        inst, user = self.inst, req.principal.user
        items = self._visible_groups(req)
        if user is not None and not self._admin(req) and not req.flag("all_available"):
            # without all_available, a non-admin lists the groups it is a member of
            items = [g for g in items if inst.group_access(user, g) >= GUEST]
        return self._group_list(req, items)

    def get_group(self, req, id):
        return json_response(self.e.group(self._group(req, id)))

    def subgroups(self, req, id):
        g = self._group(req, id)
        kids = [c for c in self._visible_groups(req) if c.parent_id == g.id]
        return self._group_list(req, kids)

    def descendant_groups(self, req, id):
        g = self._group(req, id)
        visible = {x.id for x in self._visible_groups(req)}
        return self._group_list(req, [d for d in self.inst.group_descendants(g) if d.id in visible])

    def group_projects(self, req, id):
        inst = self.inst
        g = self._group(req, id)
        gids = {g.id}
        if req.flag("include_subgroups"):
            gids |= {d.id for d in inst.group_descendants(g)}
        items = [p for p in self._visible_projects(req)
                 if p.namespace_kind == "group" and p.namespace_id in gids]
        return self._project_list(req, items)

    def _members(self, req, members):
        inst = self.inst
        rows = sorted(((inst.users[uid], lvl) for uid, lvl in members.items() if uid in inst.users),
                      key=lambda x: x[0].id)
        return self.pg.offset(req, rows, lambda r: self.e.member(*r))

    def group_members(self, req, id):
        return self._members(req, self._group(req, id).members)

    def group_members_all(self, req, id):
        g = self._group(req, id)
        merged = {}
        for a in reversed(self.inst.group_ancestors(g)):
            for uid, lvl in a.members.items():
                merged[uid] = max(merged.get(uid, NO_ACCESS), lvl)
        return self._members(req, merged)

    # -- projects ------------------------------------------------------------------------
    def _project_list(self, req, items):
        inst, user = self.inst, req.principal.user
        if req.arg("archived") is not None:
            want = req.flag("archived")
            items = [p for p in items if p.archived == want]
        if req.arg("visibility"):
            items = [p for p in items if p.visibility == req.arg("visibility")]
        if req.flag("membership"):
            items = [p for p in items if inst.project_access(user, p) >= GUEST]
        if req.flag("owned"):
            items = [p for p in items if inst.project_access(user, p) >= OWNER]
        mal = req.int_arg("min_access_level")
        if mal is not None:
            items = [p for p in items if inst.project_access(user, p) >= mal]
        if req.arg("search"):
            q = req.arg("search").lower()
            items = [p for p in items if q in p.name.lower() or q in p.path.lower()]
        for flag, feature in (("with_issues_enabled", "issues"),
                              ("with_merge_requests_enabled", "merge_requests")):
            if req.flag(flag):
                items = [p for p in items if p.feature(feature) != "disabled"]
        after, before = _time_arg(req, "last_activity_after"), _time_arg(req, "last_activity_before")
        if after:
            items = [p for p in items if p.last_activity_at > after]
        if before:
            items = [p for p in items if p.last_activity_at < before]
        mid = req.int_arg("id_after")
        simple = req.flag("simple")
        render = (self.e.project_basic if simple else (lambda p: self.e.project(p, user)))
        if req.arg("pagination") == "keyset":
            if (req.arg("order_by") or "id") != "id":
                raise ApiError(405, {"message": "405 Method Not Allowed - keyset pagination is not "
                                                "supported for this order"})
            items = sorted(items, key=lambda p: p.id, reverse=(req.arg("sort") or "asc") == "desc")
            return self.pg.keyset(req, items, render, key=lambda p: p.id, cursor_param="id")
        if mid is not None:
            items = [p for p in items if p.id > mid]
        if req.int_arg("id_before") is not None:
            items = [p for p in items if p.id < req.int_arg("id_before")]
        order = req.arg("order_by") or "created_at"
        keys = {"id": lambda p: p.id, "name": lambda p: (p.name, p.id), "path": lambda p: (p.path, p.id),
                "created_at": lambda p: (p.created_at, p.id), "updated_at": lambda p: (p.last_activity_at, p.id),
                "last_activity_at": lambda p: (p.last_activity_at, p.id)}
        if order not in keys:
            raise ApiError(400, {"error": "order_by does not have a valid value"})
        items = sorted(items, key=keys[order], reverse=(req.arg("sort") or "desc") == "desc")
        return self.pg.offset(req, items, render)

    def projects(self, req):
        return self._project_list(req, self._visible_projects(req))

    def get_project(self, req, id):
        return json_response(self.e.project(self._project(req, id), req.principal.user))

    def project_members(self, req, id):
        return self._members(req, self._project(req, id).members)

    def project_members_all(self, req, id):
        inst = self.inst
        p = self._project(req, id)
        merged = dict(p.members)
        if p.namespace_kind == "group":
            for a in inst.group_ancestors(inst.groups[p.namespace_id]):
                for uid, lvl in a.members.items():
                    merged[uid] = max(merged.get(uid, NO_ACCESS), lvl)
        return self._members(req, merged)

    # -- CI jobs -------------------------------------------------------------------------
    def _job_project(self, req, id):
        p = self._project(req, id)
        self._feature(req, p, "builds")
        user = req.principal.user
        if not (self._admin(req) or self.inst.project_access(user, p) >= REPORTER
                or (p.public_jobs and p.visibility != "private")):
            raise forbidden()
        return p

    def jobs(self, req, id):
        p = self._job_project(req, id)
        scopes = req.args("scope")
        bad = [s for s in scopes if s not in JOB_SCOPES]
        if bad:
            raise ApiError(400, {"error": "scope does not have a valid value"})
        items = sorted((j for j in p.jobs if not scopes or j.status in scopes),
                       key=lambda j: j.id, reverse=True)  # newest first
        render = lambda j: self.e.job(j, p)  # noqa: E731
        if req.arg("pagination") == "keyset":
            if (req.arg("order_by") or "id") != "id" or (req.arg("sort") or "desc") != "desc":
                raise ApiError(405, {"message": "405 Method Not Allowed"})
            return self.pg.keyset(req, items, render, key=lambda j: j.id, cursor_param="cursor")
        return self.pg.offset(req, items, render)

    def _find_job(self, p, job_id):
        j = next((j for j in p.jobs if str(j.id) == job_id), None)
        if j is None:
            raise not_found()
        return j

    def get_job(self, req, id, job_id):
        p = self._job_project(req, id)
        return json_response(self.e.job(self._find_job(p, job_id), p))

    def trace(self, req, id, job_id):
        p = self._job_project(req, id)
        j = self._find_job(p, job_id)
        if j.trace is None:
            raise not_found()
        if hasattr(j.trace, "chunks"):
            resp = Response(200, j.trace.chunks(), ctype="text/plain")
            resp.headers["Content-Length"] = str(j.trace.size)
            return resp
        data = j.trace.encode() if isinstance(j.trace, str) else j.trace
        return Response(200, data, ctype="text/plain")

    def current_job(self, req):
        tok = req.principal.token
        j = self.inst.job(tok.job_id)
        return json_response(self.e.job(j, self.inst.projects[j.project_id]))

    # -- snippets ------------------------------------------------------------------------
    def _can_read_snippet(self, req, s):
        inst, user = self.inst, req.principal.user
        if self._admin(req):
            return True
        if s.project_id is not None:
            p = inst.projects[s.project_id]
            if not inst.can_read_project(user, p) or not inst.can_use_feature(user, p, "snippets"):
                return False
            if s.visibility == "private":
                return inst.project_access(user, p) >= GUEST
        if s.visibility == "public":
            return True
        if s.visibility == "internal":
            return user is not None and not user.external
        return user is not None and (s.author_id == user.id or s.project_id is not None)

    def _snippet_files_raw(self, s, ref, file_path):
        if ref not in ("main", "master", "HEAD") or file_path not in s.files:
            raise not_found("File")
        content = s.files[file_path]
        return Response(200, content.encode() if isinstance(content, str) else content, ctype="text/plain")

    def _project_snippet(self, req, id, sid):
        p = self._project(req, id)
        self._feature(req, p, "snippets")
        s = self.inst.snippets.get(int(sid)) if sid.isdigit() else None
        if s is None or s.project_id != p.id or not self._can_read_snippet(req, s):
            raise not_found("Snippet")
        return s

    def project_snippets(self, req, id):
        p = self._project(req, id)
        self._feature(req, p, "snippets")
        items = sorted((s for s in self.inst.snippets.values()
                        if s.project_id == p.id and self._can_read_snippet(req, s)),
                       key=lambda s: s.id, reverse=True)
        return self.pg.offset(req, items, lambda s: self.e.snippet(s, list_view=True))

    def project_snippet(self, req, id, sid):
        return json_response(self.e.snippet(self._project_snippet(req, id, sid)))

    def project_snippet_raw(self, req, id, sid):
        s = self._project_snippet(req, id, sid)
        first = next(iter(s.files.values()), "")
        return Response(200, first.encode() if isinstance(first, str) else first, ctype="text/plain")

    def project_snippet_file(self, req, id, sid, ref, file_path):
        return self._snippet_files_raw(self._project_snippet(req, id, sid), ref, file_path)

    def _snippet(self, req, sid):
        s = self.inst.snippets.get(int(sid)) if sid.isdigit() else None
        if s is None or not self._can_read_snippet(req, s):
            raise not_found("Snippet")
        return s

    def _snippet_list(self, req, items):
        after, before = _time_arg(req, "created_after"), _time_arg(req, "created_before")
        if after:
            items = [s for s in items if s.created_at > after]
        if before:
            items = [s for s in items if s.created_at < before]
        items = sorted(items, key=lambda s: s.id, reverse=True)
        return self.pg.offset(req, items, lambda s: self.e.snippet(s, list_view=True))

    def my_snippets(self, req):
        uid = req.principal.user.id
        return self._snippet_list(req, [s for s in self.inst.snippets.values() if s.author_id == uid])

    def public_snippets(self, req):
        return self._snippet_list(req, [s for s in self.inst.snippets.values()
                                        if s.project_id is None and s.visibility == "public"])

    def all_snippets(self, req):
        return self._snippet_list(req, [s for s in self.inst.snippets.values()
                                        if self._can_read_snippet(req, s)])

    def get_snippet(self, req, sid):
        return json_response(self.e.snippet(self._snippet(req, sid)))

    def snippet_raw(self, req, sid):
        s = self._snippet(req, sid)
        first = next(iter(s.files.values()), "")
        return Response(200, first.encode() if isinstance(first, str) else first, ctype="text/plain")

    def snippet_file(self, req, sid, ref, file_path):
        return self._snippet_files_raw(self._snippet(req, sid), ref, file_path)

    # -- issues and merge requests ---------------------------------------------------------
    def _issuable_filter(self, req, items):
        state = req.arg("state") or "all"
        if state not in ("opened", "closed", "merged", "locked", "all"):
            raise ApiError(400, {"error": "state does not have a valid value"})
        if state != "all":
            items = [x for x in items if x.state == state]
        for name, cmp in (("updated_after", lambda a, b: a > b), ("updated_before", lambda a, b: a < b)):
            t = _time_arg(req, name)
            if t is not None:
                items = [x for x in items if cmp(x.updated_at, t)]
        for name, cmp in (("created_after", lambda a, b: a > b), ("created_before", lambda a, b: a < b)):
            t = _time_arg(req, name)
            if t is not None:
                items = [x for x in items if cmp(x.created_at, t)]
        iids = [int(x) for x in req.args("iids") if str(x).isdigit()]
        if iids:
            items = [x for x in items if x.iid in iids]
        if req.arg("search"):
            q = req.arg("search").lower()
            items = [x for x in items if q in x.title.lower() or q in (x.description or "").lower()]
        return _sorted(items, req, ("created_at", "updated_at"))

    def _visible_issue(self, req, p, i):
        if not i.confidential:
            return True
        user = req.principal.user
        return self._admin(req) or (user is not None and (user.id == i.author_id or
                                                          self.inst.project_access(user, p) >= REPORTER))

    def issues(self, req, id):
        p = self._project(req, id)
        if not self.inst.can_use_feature(req.principal.user, p, "issues"):
            return self.pg.offset(req, [], None)  # IssuesFinder finds nothing in such a project
        items = [i for i in p.issues if self._visible_issue(req, p, i)]
        return self.pg.offset(req, self._issuable_filter(req, items), lambda i: self.e.issue(i, p))

    def _issue(self, req, id, iid):
        p = self._project(req, id)
        i = next((i for i in p.issues if str(i.iid) == iid), None)
        if i is None or not self.inst.can_use_feature(req.principal.user, p, "issues") \
                or not self._visible_issue(req, p, i):
            raise not_found("Issue")
        return p, i

    def get_issue(self, req, id, iid):
        p, i = self._issue(req, id, iid)
        return json_response(self.e.issue(i, p))

    def _notes(self, req, noteable, kind, p):
        notes = list(noteable.notes)
        if not (self._admin(req) or self.inst.project_access(req.principal.user, p) >= REPORTER):
            notes = [n for n in notes if not n.internal]
        notes = _sorted(notes, req, ("created_at", "updated_at"))
        return self.pg.offset(req, notes, lambda n: self.e.note(n, noteable, kind, p))

    def issue_notes(self, req, id, iid):
        p, i = self._issue(req, id, iid)
        return self._notes(req, i, "Issue", p)

    def issue_discussions(self, req, id, iid):
        p, i = self._issue(req, id, iid)
        return self.pg.offset(req, self.e.discussions(i, "Issue", p), lambda d: d)

    def _mr_project(self, req, id):
        p = self._project(req, id)
        self._feature(req, p, "merge_requests")
        return p

    def merge_requests(self, req, id):
        p = self._mr_project(req, id)
        return self.pg.offset(req, self._issuable_filter(req, list(p.merge_requests)),
                              lambda m: self.e.merge_request(m, p))

    def _mr(self, req, id, iid):
        p = self._mr_project(req, id)
        m = next((m for m in p.merge_requests if str(m.iid) == iid), None)
        if m is None:
            raise not_found("Merge Request")
        return p, m

    def get_merge_request(self, req, id, iid):
        p, m = self._mr(req, id, iid)
        return json_response(self.e.merge_request(m, p))

    def mr_notes(self, req, id, iid):
        p, m = self._mr(req, id, iid)
        return self._notes(req, m, "MergeRequest", p)

    def mr_discussions(self, req, id, iid):
        p, m = self._mr(req, id, iid)
        return self.pg.offset(req, self.e.discussions(m, "MergeRequest", p), lambda d: d)

    # -- wikis and releases ---------------------------------------------------------------
    def wikis(self, req, id):
        p = self._project(req, id)
        self._feature(req, p, "wiki")
        with_content = req.flag("with_content")
        pages = sorted(p.wiki_pages, key=lambda w: w.slug)
        # the wiki list is not paginated in GitLab: every page in one answer
        return json_response([self.e.wiki_page(w, with_content) for w in pages])

    def get_wiki(self, req, id, slug):
        p = self._project(req, id)
        self._feature(req, p, "wiki")
        w = next((w for w in p.wiki_pages if w.slug == slug), None)
        if w is None:
            raise not_found("Wiki Page")
        return json_response(self.e.wiki_page(w, True))

    def releases(self, req, id):
        p = self._project(req, id)
        order = req.arg("order_by") or "released_at"
        if order not in ("released_at", "created_at"):
            raise ApiError(400, {"error": "order_by does not have a valid value"})
        items = sorted(p.releases, key=lambda r: (getattr(r, order), r.tag_name),
                       reverse=(req.arg("sort") or "desc") == "desc")
        return self.pg.offset(req, items, lambda r: self.e.release(r, p))

    def get_release(self, req, id, tag):
        p = self._project(req, id)
        r = next((r for r in p.releases if r.tag_name == tag), None)
        if r is None:
            raise not_found()
        return json_response(self.e.release(r, p))

    # -- access tokens ----------------------------------------------------------------------
    def _tokens(self, kind=None, **attrs):
        return sorted((t for t in self.inst.tokens.values()
                       if (kind is None or t.kind in ((kind,) if isinstance(kind, str) else kind))
                       and all(getattr(t, k) == v for k, v in attrs.items())),
                      key=lambda t: t.id)

    def _state_filter(self, req, items):
        now = self.inst.now()
        state = req.arg("state")
        if state == "active":
            items = [t for t in items if t.active(now)]
        elif state == "inactive":
            items = [t for t in items if not t.active(now)]
        return items

    def _resource_owner(self, req, rtype, id):
        if rtype == "project":
            owner = self._project(req, id)
            self._role(req, owner, MAINTAINER)
        else:
            owner = self._group(req, id)
            self._group_role(req, owner, OWNER)
        return owner

    def _resource_token_list(self, req, id, rtype):
        owner = self._resource_owner(req, rtype, id)
        items = self._state_filter(req, self._tokens(rtype + "_access", resource_type=rtype,
                                                     resource_id=owner.id))
        now = self.inst.now()
        return self.pg.offset(req, items, lambda t: self.e.pat(t, now))

    def _resource_token_get(self, req, id, token_id, rtype):
        owner = self._resource_owner(req, rtype, id)
        t = next((t for t in self._tokens(rtype + "_access", resource_type=rtype, resource_id=owner.id)
                  if str(t.id) == token_id), None)
        if t is None:
            raise not_found(f"{rtype.title()} Access Token")
        return json_response(self.e.pat(t, self.inst.now()))

    def project_access_tokens(self, req, id):
        return self._resource_token_list(req, id, "project")

    def project_access_token(self, req, id, token_id):
        return self._resource_token_get(req, id, token_id, "project")

    def group_access_tokens(self, req, id):
        return self._resource_token_list(req, id, "group")

    def group_access_token(self, req, id, token_id):
        return self._resource_token_get(req, id, token_id, "group")

    def impersonation_tokens(self, req, id):
        u = self.inst.find_user(id)
        if u is None:
            raise not_found("User")
        items = [t for t in self._tokens("impersonation", user_id=u.id)]
        state = req.arg("state")
        now = self.inst.now()
        if state in ("active", "inactive"):
            items = [t for t in items if t.active(now) == (state == "active")]
        return self.pg.offset(req, items, lambda t: self.e.pat(t, now))

    def _deploy_list(self, req, items):
        now = self.inst.now()
        if req.flag("active"):
            items = [t for t in items if t.active(now)]
        return self.pg.offset(req, items, lambda t: self.e.deploy_token(t, now))

    def deploy_tokens(self, req):
        return self._deploy_list(req, self._tokens("deploy"))

    def project_deploy_tokens(self, req, id):
        p = self._project(req, id)
        self._role(req, p, MAINTAINER)
        return self._deploy_list(req, self._tokens("deploy", resource_type="project", resource_id=p.id))

    def group_deploy_tokens(self, req, id):
        g = self._group(req, id)
        self._group_role(req, g, MAINTAINER)
        return self._deploy_list(req, self._tokens("deploy", resource_type="group", resource_id=g.id))

    def pats(self, req):
        inst, now = self.inst, self.inst.now()
        user = req.principal.user
        items = self._tokens(PAT_KINDS)
        if self._admin(req):
            if req.arg("user_id"):
                u = inst.find_user(req.arg("user_id"))
                items = [t for t in items if u is not None and t.user_id == u.id]
        else:
            if req.arg("user_id") and inst.find_user(req.arg("user_id")) is not user:
                raise ApiError(401, UNAUTHORIZED)
            items = [t for t in items if t.user_id == user.id]
        if req.arg("revoked") is not None:
            items = [t for t in items if t.revoked == req.flag("revoked")]
        items = self._state_filter(req, items)
        for name, attr, cmp in (("created_after", "created_at", lambda a, b: a > b),
                                ("created_before", "created_at", lambda a, b: a < b),
                                ("last_used_after", "last_used_at", lambda a, b: a is not None and a > b),
                                ("last_used_before", "last_used_at", lambda a, b: a is not None and a < b)):
            t0 = _time_arg(req, name)
            if t0 is not None:
                items = [t for t in items if cmp(getattr(t, attr), t0)]
        if req.arg("search"):
            items = [t for t in items if req.arg("search").lower() in t.name.lower()]
        return self.pg.offset(req, items, lambda t: self.e.pat(t, now))

    def _pat_by_id(self, req, token_id):
        if not token_id.isdigit():  # e.g. "self" on a version without the self routes
            raise ApiError(400, {"error": "id is invalid"})
        t = next((t for t in self._tokens(PAT_KINDS) if str(t.id) == token_id), None)
        if self._admin(req):
            if t is None:
                raise not_found("Personal Access Token")
            return t
        if t is None or t.user_id != req.principal.user.id:
            raise ApiError(401, UNAUTHORIZED)
        return t

    def pat_self(self, req):
        return json_response(self.e.pat(req.principal.token, self.inst.now()))

    def get_pat(self, req, token_id):
        return json_response(self.e.pat(self._pat_by_id(req, token_id), self.inst.now()))

    def pat_self_revoke(self, req):
        req.principal.token.revoked = True
        return Response(204, b"")

    def revoke_pat(self, req, token_id):
        t = self._pat_by_id(req, token_id)
        if not (self._admin(req) or req.principal.has_scope("api")):
            raise forbidden()
        t.revoked = True
        return Response(204, b"")

    def _rotate(self, t, req):
        inst = self.inst
        now = inst.now()
        if t.revoked:
            # automatic reuse detection: the whole token family is revoked
            family = self._family(t)
            for other in inst.tokens.values():
                if other.kind == t.kind and other.id in family:
                    other.revoked = True
            raise ApiError(401, REVOKED)
        if t.expired(now):
            raise ApiError(401, UNAUTHORIZED)
        expires = req.arg("expires_at")
        expires = _dt.date.fromisoformat(expires) if expires else (now + _dt.timedelta(days=7)).date()
        if self.rotate_value is None:
            raise ApiError(400, {"message": "400 Bad request - rotation unavailable"})
        value = self.rotate_value(t.kind)
        new = inst.register_token(value, kind=t.kind, name=t.name, description=t.description,
                                  user_id=t.user_id, scopes=list(t.scopes), expires_at=expires,
                                  resource_type=t.resource_type, resource_id=t.resource_id,
                                  access_level=t.access_level, granular_scopes=t.granular_scopes,
                                  previous_id=t.id, label=inst.rotated_label(t))
        t.revoked = True
        d = self.e.pat(new, now)
        d["token"] = value
        return json_response(d)

    def _family(self, t):
        """Ids of the tokens linked to t through rotation (previous_id), both ways."""
        toks = [x for x in self.inst.tokens.values() if x.kind == t.kind]
        fam, changed = {t.id}, True
        while changed:
            changed = False
            for x in toks:
                if x.id in fam or x.previous_id in fam:
                    for i in (x.id, x.previous_id):
                        if i is not None and i not in fam:
                            fam.add(i)
                            changed = True
        return fam

    def pat_self_rotate(self, req):
        if not req.principal.has_scope("api", "self_rotate"):
            raise forbidden()
        return self._rotate(req.principal.token, req)

    def rotate_pat(self, req, token_id):
        t = self._pat_by_id(req, token_id)
        if t.kind not in ("personal", "impersonation"):
            raise ApiError(405, {"message": "405 Method Not Allowed"})
        if not (self._admin(req) or req.principal.has_scope("api")):
            raise forbidden()
        return self._rotate(t, req)

    def pat_associations(self, req):
        inst = self.inst
        user = req.principal.user
        mal = req.int_arg("min_access_level") or GUEST
        groups = sorted((g for g in inst.groups.values() if g.members.get(user.id, NO_ACCESS) >= mal
                         and req.principal.allows_group(inst, g)), key=lambda g: g.id)
        projects = []
        for p in sorted(inst.projects.values(), key=lambda p: p.id):
            direct = p.members.get(user.id)
            glevel = None
            if p.namespace_kind == "group":
                glevel = inst.group_access(user, inst.groups[p.namespace_id]) or None
            if p.namespace_kind == "user" and p.namespace_id == user.id:
                direct = OWNER
            if max(direct or 0, glevel or 0) >= mal and req.principal.allows_project(inst, p):
                projects.append((p, direct, glevel))
        page = max(1, req.int_arg("page", 1) or 1)
        per_page = self.pg.per_page(req)
        sl = slice((page - 1) * per_page, page * per_page)
        total = max(len(groups), len(projects))
        pages = max(1, -(-total // per_page))
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(total),
                   "X-Total-Pages": str(pages), "X-Next-Page": str(page + 1) if page < pages else "",
                   "X-Prev-Page": str(page - 1) if page > 1 else ""}
        if page < pages:
            headers["Link"] = f'<{self.pg._url(req, page=page + 1, per_page=per_page)}>; rel="next"'
        return json_response({
            "groups": [self.e.association_group(g, g.members[user.id]) for g in groups[sl]],
            "projects": [self.e.association_project(p, d, gl) for p, d, gl in projects[sl]]},
            headers=headers)

    # -- runners ----------------------------------------------------------------------------
    def owned_runners(self, req):
        inst, user = self.inst, req.principal.user
        items = []
        for r in sorted(inst.runners.values(), key=lambda r: r.id):
            if any(inst.project_access(user, inst.projects[pid]) >= MAINTAINER for pid in r.project_ids
                   if pid in inst.projects) or any(
                    inst.group_access(user, inst.groups[gid]) >= OWNER for gid in r.group_ids
                    if gid in inst.groups):
                items.append(r)
        return self.pg.offset(req, items, self.e.runner)

    def all_runners(self, req):
        items = sorted(self.inst.runners.values(), key=lambda r: r.id)
        if req.arg("type"):
            items = [r for r in items if r.runner_type == req.arg("type")]
        return self.pg.offset(req, items, self.e.runner)

    def get_runner(self, req, rid):
        r = self.inst.runners.get(int(rid)) if rid.isdigit() else None
        if r is None:
            raise not_found("Runner")
        if not self._admin(req):
            raise forbidden("403 Forbidden - No access granted")
        return json_response(self.e.runner(r, details=True))

    def runner_verify(self, req):
        value = req.body_args.get("token")
        t = self.inst.token_for_value(value) if value else None
        if t is None or t.kind != "runner" or not t.active(self.inst.now()) \
                or t.runner_id not in self.inst.runners:
            raise ApiError(403, {"message": "403 Forbidden"})
        r = self.inst.runners[t.runner_id]
        r.contacted_at = self.inst.now()  # verification is a heartbeat (not side-effect free)
        return json_response({"id": r.id, "token": value, "token_expires_at": iso(t.token_expires_at)})

    # -- token information and revocation -----------------------------------------------------
    def _admin_token_arg(self, req):
        value = req.body_args.get("token") or req.arg("token")
        if not value:
            raise ApiError(400, {"error": "token is missing"})
        return value, self.inst.token_for_value(value)

    def admin_token_info(self, req):
        inst = self.inst
        value, t = self._admin_token_arg(req)
        if t is None:
            raise not_found()
        since = ADMIN_INFO_SINCE.get(t.kind)
        if since is None or not inst.version_at_least(since):
            raise ApiError(422, {"message": "422 Unprocessable Entity"})
        now = inst.now()
        if t.kind in PAT_KINDS:
            return json_response(self.e.pat_admin_info(t))
        if t.kind == "deploy":
            return json_response(self.e.deploy_token(t, now))
        if t.kind == "runner":
            return json_response(self.e.runner(inst.runners[t.runner_id], details=True))
        if t.kind == "job":
            j = inst.job(t.job_id)
            return json_response(self.e.job(j, inst.projects[j.project_id]))
        if t.kind in ("feed", "session", "incoming_email"):
            return json_response(self.e.user(inst.users[t.user_id], admin_view=True))
        return json_response({"id": t.id, "name": t.name, "created_at": iso(t.created_at),
                              "revoked": t.revoked, "user_id": t.user_id})

    def admin_token_revoke(self, req):
        value, t = self._admin_token_arg(req)
        if t is None:
            raise not_found()
        action = ADMIN_REVOKE.get(t.kind)
        if action is None:
            raise ApiError(422, {"message": "422 Unprocessable Entity"})
        t.revoked = True  # revoke, reset (the old value stops working) and delete look alike here
        return Response(204, b"")

    def group_revoke_token(self, req, id):
        inst = self.inst
        g = self._group(req, id)
        if g.parent_id is not None:
            raise ApiError(400, {"message": "400 Bad request - group must be a top-level group"})
        self._group_role(req, g, OWNER)
        value = req.body_args.get("token")
        t = inst.token_for_value(value) if value else None
        if t is None or t.kind not in PAT_KINDS + ("deploy", "feed"):
            raise ApiError(422, {"message": "422 Unprocessable Entity"})
        subtree = {g.id} | {d.id for d in inst.group_descendants(g)}
        if t.kind == "deploy":
            reach = t.resource_type == "group" and t.resource_id in subtree
        else:
            u = inst.users.get(t.user_id)
            reach = u is not None and (
                any(inst.group_access(u, inst.groups[x]) >= GUEST for x in subtree) or
                any(p.namespace_kind == "group" and p.namespace_id in subtree and
                    inst.project_access(u, p) >= GUEST for p in inst.projects.values()))
        if not reach:
            raise not_found()
        t.revoked = True
        now = inst.now()
        if t.kind == "deploy":
            return json_response(self.e.deploy_token(t, now))
        return json_response(self.e.pat(t, now))

