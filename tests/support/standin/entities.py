"""JSON shapes of GitLab's REST API v4 entities (lib/api/entities/*, docs.gitlab.com/api/*).

Each function turns a model object into what GitLab answers for it. Fields GitLab documents are
present with GitLab's types (null where GitLab sends null); fields no client of ours reads are
left out rather than invented.
"""
import hashlib

from .model import OWNER, iso, iso_date


class Entities:
    def __init__(self, inst):
        self.inst = inst

    @property
    def base(self):
        return (self.inst.external_url or "http://127.0.0.1").rstrip("/")

    # -- users ----------------------------------------------------------------------------
    def user_basic(self, u):
        if u is None:
            return None
        return {"id": u.id, "username": u.username, "name": u.name, "state": u.state,
                "locked": u.state == "blocked", "avatar_url": None,
                "web_url": f"{self.base}/{u.username}"}

    def user(self, u, admin_view=False, self_view=False):
        d = self.user_basic(u)
        d.update({"created_at": iso(u.created_at), "bio": "", "location": "", "public_email": None,
                  "linkedin": "", "twitter": "", "discord": "", "website_url": "", "organization": "",
                  "job_title": "", "pronouns": None, "bot": u.bot, "work_information": None,
                  "local_time": None})
        if admin_view or self_view:
            d.update({"last_sign_in_at": None, "confirmed_at": iso(u.created_at),
                      "last_activity_on": iso_date(u.last_activity_on),
                      "email": u.email or f"{u.username}@example.com",
                      "projects_limit": 100000, "current_sign_in_at": None, "identities": [],
                      "can_create_group": True, "can_create_project": True,
                      "two_factor_enabled": False, "external": u.external, "private_profile": False})
        if admin_view:
            d.update({"is_admin": u.is_admin, "note": None, "is_auditor": False,
                      "using_license_seat": not u.bot, "namespace_id": u.id,
                      "created_by": None, "user_type": u.user_type or "human"})
        return d

    def member(self, u, level):
        d = self.user_basic(u)
        d.update({"access_level": level, "created_at": iso(u.created_at), "expires_at": None,
                  "membership_state": "active"})
        return d

    # -- groups and projects -----------------------------------------------------------
    def namespace(self, p):
        inst = self.inst
        if p.namespace_kind == "group":
            g = inst.groups[p.namespace_id]
            full = inst.group_full_path(g)
            return {"id": g.id, "name": g.name, "path": g.path, "kind": "group", "full_path": full,
                    "parent_id": g.parent_id, "avatar_url": None, "web_url": f"{self.base}/groups/{full}"}
        u = inst.users[p.namespace_id]
        return {"id": u.id, "name": u.name, "path": u.username, "kind": "user", "full_path": u.username,
                "parent_id": None, "avatar_url": None, "web_url": f"{self.base}/{u.username}"}

    def group(self, g):
        full = self.inst.group_full_path(g)
        return {"id": g.id, "web_url": f"{self.base}/groups/{full}", "name": g.name, "path": g.path,
                "description": g.description, "visibility": g.visibility,
                "share_with_group_lock": False, "require_two_factor_authentication": False,
                "two_factor_grace_period": 48, "project_creation_level": "developer",
                "auto_devops_enabled": None, "subgroup_creation_level": "maintainer",
                "emails_disabled": False, "emails_enabled": True, "mentions_disabled": None,
                "lfs_enabled": True, "default_branch": None, "request_access_enabled": True,
                "full_name": self.inst.group_full_name(g), "full_path": full,
                "created_at": iso(g.created_at), "parent_id": g.parent_id, "organization_id": 1,
                "avatar_url": None, "ldap_cn": None, "ldap_access": None,
                "marked_for_deletion_on": None, "archived": False}

    def repo_url(self, p):
        if p.http_url_to_repo:
            return p.http_url_to_repo
        return f"{self.base}/{self.inst.project_full_path(p)}.git"

    def project_web_url(self, p):
        return p.web_url or f"{self.base}/{self.inst.project_full_path(p)}"

    def project_basic(self, p):
        inst = self.inst
        ns = self.namespace(p)
        full = inst.project_full_path(p)
        host = self.base.split("://", 1)[-1].split("/")[0].split(":")[0]
        return {"id": p.id, "description": p.description, "name": p.name,
                "name_with_namespace": f"{self._ns_name(p)} / {p.name}", "path": p.path,
                "path_with_namespace": full, "created_at": iso(p.created_at),
                "default_branch": p.default_branch, "tag_list": [], "topics": [],
                "ssh_url_to_repo": f"git@{host}:{full}.git", "http_url_to_repo": self.repo_url(p),
                "web_url": self.project_web_url(p), "readme_url": None, "forks_count": 0,
                "avatar_url": None, "star_count": 0, "last_activity_at": iso(p.last_activity_at),
                "namespace": ns}

    def _ns_name(self, p):
        if p.namespace_kind == "group":
            return self.inst.group_full_name(self.inst.groups[p.namespace_id])
        return self.inst.users[p.namespace_id].name

    def project(self, p, user=None):
        inst = self.inst
        d = self.project_basic(p)
        full = d["path_with_namespace"]
        api = f"{self.base}/api/v4/projects/{p.id}"
        level = {f: p.feature(f) for f in ("repository", "issues", "merge_requests", "builds",
                                          "wiki", "snippets")}
        d.update({
            "updated_at": iso(p.last_activity_at), "empty_repo": p.repo_path is None,
            "archived": p.archived, "visibility": p.visibility,
            "container_registry_image_prefix": f"registry.example.com/{full}",
            "_links": {"self": api, "issues": f"{api}/issues", "merge_requests": f"{api}/merge_requests",
                       "repo_branches": f"{api}/repository/branches", "labels": f"{api}/labels",
                       "events": f"{api}/events", "members": f"{api}/members",
                       "cluster_agents": f"{api}/cluster_agents"},
            "packages_enabled": True,
            "issues_enabled": level["issues"] != "disabled",
            "merge_requests_enabled": level["merge_requests"] != "disabled",
            "wiki_enabled": level["wiki"] != "disabled",
            "jobs_enabled": level["builds"] != "disabled",
            "snippets_enabled": level["snippets"] != "disabled",
            "container_registry_enabled": False, "service_desk_enabled": False,
            "can_create_merge_request_in": True,
            "issues_access_level": level["issues"], "repository_access_level": level["repository"],
            "merge_requests_access_level": level["merge_requests"],
            "forking_access_level": "enabled", "wiki_access_level": level["wiki"],
            "builds_access_level": level["builds"], "snippets_access_level": level["snippets"],
            "pages_access_level": "private", "analytics_access_level": "enabled",
            "container_registry_access_level": "disabled", "security_and_compliance_access_level": "private",
            "releases_access_level": "enabled", "environments_access_level": "enabled",
            "public_jobs": p.public_jobs, "shared_runners_enabled": True, "lfs_enabled": True,
            "creator_id": None, "import_status": "none", "open_issues_count": sum(
                1 for i in p.issues if i.state == "opened"),
            "ci_default_git_depth": 20, "ci_config_path": None, "shared_with_groups": [],
            "only_allow_merge_if_pipeline_succeeds": False, "request_access_enabled": True,
            "merge_method": "merge", "squash_option": "default_off",
        })
        if p.namespace_kind == "user":
            d["owner"] = self.user_basic(inst.users[p.namespace_id])
        if user is not None:
            direct = p.members.get(user.id)
            group_level = None
            if p.namespace_kind == "group":
                gl = inst.group_access(user, inst.groups[p.namespace_id])
                group_level = gl or None
            if p.namespace_kind == "user" and p.namespace_id == user.id:
                direct = OWNER
            d["permissions"] = {
                "project_access": None if direct is None else {"access_level": direct, "notification_level": 3},
                "group_access": None if group_level is None else {"access_level": group_level,
                                                                  "notification_level": 3}}
        return d

    # -- CI ------------------------------------------------------------------------------
    def job(self, j, p):
        inst = self.inst
        duration = None
        if j.started_at and j.finished_at:
            duration = (j.finished_at - j.started_at).total_seconds()
        trace_size = None
        if j.trace is not None:
            trace_size = j.trace.size if hasattr(j.trace, "size") else len(j.trace)
        sha = j.sha or "0" * 40
        d = {"id": j.id, "status": j.status, "stage": j.stage, "name": j.name, "ref": j.ref,
             "tag": False, "coverage": None, "allow_failure": False,
             "created_at": iso(j.created_at), "started_at": iso(j.started_at),
             "finished_at": iso(j.finished_at), "erased_at": None, "duration": duration,
             "queued_duration": 0.5 if j.started_at else None,
             "user": self.user(inst.users[j.user_id]) if j.user_id in inst.users else None,
             "commit": {"id": sha, "short_id": sha[:8], "created_at": iso(j.created_at),
                        "parent_ids": [], "title": "commit", "message": "commit",
                        "author_name": "Stand-in", "author_email": "standin@example.com",
                        "authored_date": iso(j.created_at), "committer_name": "Stand-in",
                        "committer_email": "standin@example.com", "committed_date": iso(j.created_at),
                        "trailers": {}, "extended_trailers": {},
                        "web_url": f"{self.project_web_url(p)}/-/commit/{sha}"},
             "pipeline": {"id": j.pipeline_id, "iid": j.pipeline_id, "project_id": p.id, "sha": sha,
                          "ref": j.ref, "status": j.status, "source": "push",
                          "created_at": iso(j.created_at), "updated_at": iso(j.finished_at or j.created_at),
                          "web_url": f"{self.project_web_url(p)}/-/pipelines/{j.pipeline_id}"},
             "web_url": f"{self.project_web_url(p)}/-/jobs/{j.id}",
             "project": {"ci_job_token_scope_enabled": False},
             "artifacts": ([] if trace_size is None else
                           [{"file_type": "trace", "size": trace_size, "filename": "job.log",
                             "file_format": None}]),
             "runner": None, "runner_manager": None, "artifacts_expire_at": None, "archived": False,
             "tag_list": list(j.tag_list)}
        if j.status == "failed":
            d["failure_reason"] = j.failure_reason or "script_failure"
        return d

    def runner(self, r, details=False):
        d = {"id": r.id, "description": r.description, "ip_address": None,
             "active": not r.paused, "paused": r.paused, "is_shared": r.runner_type == "instance_type",
             "runner_type": r.runner_type, "name": "gitlab-runner", "online": r.contacted_at is not None,
             "status": "online" if r.contacted_at is not None else "never_contacted",
             "created_at": iso(r.created_at)}
        if details:
            tok = next((t for t in self.inst.tokens.values()
                        if t.kind == "runner" and t.runner_id == r.id and not t.revoked), None)
            d.update({"tag_list": [], "run_untagged": True, "locked": False, "maximum_timeout": None,
                      "access_level": "not_protected", "version": None, "revision": None,
                      "platform": None, "architecture": None, "contacted_at": iso(r.contacted_at),
                      "maintenance_note": None,
                      "token_expires_at": iso(tok.token_expires_at) if tok else None,
                      "projects": [{"id": pid} for pid in r.project_ids],
                      "groups": [{"id": gid} for gid in r.group_ids]})
        return d

    # -- issues, merge requests, notes ------------------------------------------------------
    def _author(self, uid):
        return self.user_basic(self.inst.users.get(uid))

    def issue(self, i, p):
        full = self.inst.project_full_path(p)
        web = f"{self.project_web_url(p)}/-/issues/{i.iid}"
        api = f"{self.base}/api/v4/projects/{p.id}/issues/{i.iid}"
        return {"id": i.id, "iid": i.iid, "project_id": p.id, "title": i.title,
                "description": i.description, "state": i.state,
                "created_at": iso(i.created_at), "updated_at": iso(i.updated_at),
                "closed_at": iso(i.closed_at), "closed_by": None, "labels": list(i.labels),
                "milestone": None, "assignees": [], "author": self._author(i.author_id),
                "type": "ISSUE", "assignee": None,
                "user_notes_count": sum(1 for n in i.notes if not n.system),
                "merge_requests_count": 0, "upvotes": 0, "downvotes": 0, "due_date": None,
                "confidential": i.confidential, "discussion_locked": None, "issue_type": "issue",
                "web_url": web,
                "time_stats": {"time_estimate": 0, "total_time_spent": 0,
                               "human_time_estimate": None, "human_total_time_spent": None},
                "task_completion_status": {"count": 0, "completed_count": 0},
                "blocking_issues_count": 0, "has_tasks": False,
                "_links": {"self": api, "notes": f"{api}/notes", "award_emoji": f"{api}/award_emoji",
                           "project": f"{self.base}/api/v4/projects/{p.id}",
                           "closed_as_duplicate_of": None},
                "references": {"short": f"#{i.iid}", "relative": f"#{i.iid}", "full": f"{full}#{i.iid}"},
                "severity": "UNKNOWN", "moved_to_id": None, "imported": False,
                "imported_from": "none", "service_desk_reply_to": None}

    def merge_request(self, m, p):
        full = self.inst.project_full_path(p)
        return {"id": m.id, "iid": m.iid, "project_id": p.id, "title": m.title,
                "description": m.description, "state": m.state,
                "created_at": iso(m.created_at), "updated_at": iso(m.updated_at),
                "merged_by": None, "merge_user": None, "merged_at": iso(m.merged_at),
                "closed_by": None, "closed_at": iso(m.closed_at),
                "target_branch": m.target_branch, "source_branch": m.source_branch,
                "user_notes_count": sum(1 for n in m.notes if not n.system),
                "upvotes": 0, "downvotes": 0, "author": self._author(m.author_id),
                "assignees": [], "assignee": None, "reviewers": [],
                "source_project_id": m.source_project_id or p.id, "target_project_id": p.id,
                "labels": list(m.labels), "draft": False, "imported": False, "imported_from": "none",
                "work_in_progress": False, "milestone": None, "merge_when_pipeline_succeeds": False,
                "merge_status": "can_be_merged", "detailed_merge_status": "mergeable",
                "merge_after": None, "sha": m.sha, "merge_commit_sha": None, "squash_commit_sha": None,
                "discussion_locked": None, "should_remove_source_branch": None,
                "force_remove_source_branch": False, "prepared_at": iso(m.created_at),
                "reference": f"!{m.iid}",
                "references": {"short": f"!{m.iid}", "relative": f"!{m.iid}", "full": f"{full}!{m.iid}"},
                "web_url": f"{self.project_web_url(p)}/-/merge_requests/{m.iid}",
                "time_stats": {"time_estimate": 0, "total_time_spent": 0,
                               "human_time_estimate": None, "human_total_time_spent": None},
                "squash": False, "squash_on_merge": False,
                "task_completion_status": {"count": 0, "completed_count": 0},
                "has_conflicts": False, "blocking_discussions_resolved": True}

    def note(self, n, noteable, noteable_type, p):
        d = {"id": n.id, "type": None if not n.discussion_id.startswith("d") else "DiscussionNote",
             "body": n.body, "author": self._author(n.author_id),
             "created_at": iso(n.created_at), "updated_at": iso(n.updated_at),
             "system": n.system, "noteable_id": noteable.id, "noteable_type": noteable_type,
             "project_id": p.id, "resolvable": False, "confidential": n.internal,
             "internal": n.internal, "imported": False, "imported_from": "none",
             "noteable_iid": noteable.iid, "commands_changes": {}, "attachment": None}
        if noteable_type == "MergeRequest":
            d["resolved"] = False
            d["resolved_by"] = None
            d["resolved_at"] = None
        return d

    def discussions(self, noteable, noteable_type, p):
        groups, order = {}, []
        for n in sorted(noteable.notes, key=lambda n: (n.created_at, n.id)):
            key = n.discussion_id or f"n{n.id}"
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(n)
        out = []
        for key in order:
            notes = groups[key]
            did = hashlib.sha1(f"{noteable_type}:{noteable.id}:{key}".encode()).hexdigest()
            out.append({"id": did, "individual_note": not key.startswith("d"),
                        "notes": [self.note(n, noteable, noteable_type, p) for n in notes]})
        return out

    # -- snippets, wikis, releases ---------------------------------------------------------
    def snippet(self, s, list_view=False):
        inst = self.inst
        if s.project_id is not None:
            p = inst.projects[s.project_id]
            web = f"{self.project_web_url(p)}/-/snippets/{s.id}"
        else:
            web = f"{self.base}/-/snippets/{s.id}"
        first = next(iter(s.files), "")
        d = {"id": s.id, "title": s.title, "description": s.description or None,
             "visibility": s.visibility, "author": self.user_basic(inst.users.get(s.author_id)),
             "created_at": iso(s.created_at), "updated_at": iso(s.updated_at),
             "project_id": s.project_id, "web_url": web, "raw_url": f"{web}/raw",
             "file_name": first, "imported": False, "imported_from": "none",
             "files": [{"path": f, "raw_url": f"{web}/raw/main/{f}"} for f in s.files],
             "repository_storage": "default"}
        if not list_view:
            d["expires_at"] = None
            host = self.base.split("://", 1)[-1].split("/")[0].split(":")[0]
            d["ssh_url_to_repo"] = f"git@{host}:snippets/{s.id}.git"
            d["http_url_to_repo"] = f"{self.base}/snippets/{s.id}.git"
        return d

    def wiki_page(self, w, with_content):
        d = {"format": w.format, "slug": w.slug, "title": w.title, "encoding": "UTF-8"}
        if with_content:
            d["content"] = w.content
        return d

    def release(self, r, p):
        web = self.project_web_url(p)
        sha = r.commit_sha or "0" * 40
        return {"tag_name": r.tag_name, "description": r.description, "name": r.name,
                "created_at": iso(r.created_at), "released_at": iso(r.released_at),
                "upcoming_release": False, "author": self._author(r.author_id),
                "commit": {"id": sha, "short_id": sha[:8], "title": "release", "message": "release",
                           "created_at": iso(r.created_at), "parent_ids": [],
                           "author_name": "Stand-in", "author_email": "standin@example.com",
                           "authored_date": iso(r.created_at), "committer_name": "Stand-in",
                           "committer_email": "standin@example.com", "committed_date": iso(r.created_at)},
                "milestones": [], "commit_path": f"/{self.inst.project_full_path(p)}/-/commit/{sha}",
                "tag_path": f"/{self.inst.project_full_path(p)}/-/tags/{r.tag_name}",
                "assets": {"count": 2, "sources": [
                    {"format": "zip", "url": f"{web}/-/archive/{r.tag_name}/{p.path}-{r.tag_name}.zip"},
                    {"format": "tar.gz", "url": f"{web}/-/archive/{r.tag_name}/{p.path}-{r.tag_name}.tar.gz"}],
                    "links": []},
                "evidences": [],
                "_links": {"closed_issues_url":
                           f"{web}/-/issues?release_tag={r.tag_name}&scope=all&state=closed",
                           "self": f"{web}/-/releases/{r.tag_name}"}}

    # -- tokens ---------------------------------------------------------------------------
    def pat(self, t, now, with_granular=True):
        d = {"id": t.id, "name": t.name, "revoked": t.revoked, "created_at": iso(t.created_at),
             "description": t.description, "scopes": ["granular"] if t.granular else list(t.scopes),
             "user_id": t.user_id, "last_used_at": iso(t.last_used_at), "active": t.active(now),
             "expires_at": iso_date(t.expires_at), "granular": t.granular}
        if t.granular and with_granular:
            d["granular_scopes"] = [dict(access=g.get("access", "all_memberships"),
                                         permissions=list(g.get("permissions", [])),
                                         project_id=g.get("project_id"), group_id=g.get("group_id"))
                                    for g in t.granular_scopes]
        if t.kind == "impersonation":
            d["impersonation"] = True
        if t.kind in ("project_access", "group_access"):
            d["access_level"] = t.access_level
            d["resource_type"] = t.resource_type
            d["resource_id"] = t.resource_id
        return d

    def pat_admin_info(self, t):
        """The token information API's answer for personal, project and group access tokens."""
        return {"id": t.id, "user_id": t.user_id, "name": t.name, "revoked": t.revoked,
                "expires_at": iso_date(t.expires_at), "created_at": iso(t.created_at),
                "updated_at": iso(t.updated_at or t.created_at),
                "scopes": ["granular"] if t.granular else list(t.scopes),
                "impersonation": t.kind == "impersonation", "expire_notification_delivered": False,
                "last_used_at": iso(t.last_used_at), "after_expiry_notification_delivered": False,
                "previous_personal_access_token_id": t.previous_id, "advanced_scopes": None,
                "organization_id": 1}

    def deploy_token(self, t, now):
        return {"id": t.id, "name": t.name, "username": t.deploy_username,
                "expires_at": iso(t.expires_at) if t.expires_at else None,
                "revoked": t.revoked, "expired": t.expired(now), "scopes": list(t.scopes)}

    def association_group(self, g, level):
        full = self.inst.group_full_path(g)
        return {"id": g.id, "web_url": f"{self.base}/groups/{full}", "name": g.name,
                "parent_id": g.parent_id, "organization_id": 1, "access_levels": level,
                "visibility": g.visibility}

    def association_project(self, p, project_level, group_level):
        b = self.project_basic(p)
        return {"id": p.id, "description": p.description, "name": p.name,
                "name_with_namespace": b["name_with_namespace"], "path": p.path,
                "path_with_namespace": b["path_with_namespace"], "created_at": iso(p.created_at),
                "access_levels": {"project_access_level": project_level,
                                  "group_access_level": group_level},
                "visibility": p.visibility, "web_url": b["web_url"], "namespace": b["namespace"]}

