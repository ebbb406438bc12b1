"""The Python API that builds an instance at test time (users, groups, projects, repositories,
CI jobs, issues, merge requests, notes, snippets, wiki pages, releases, runners and tokens).

Objects are passed around as the model's dataclasses (User, Group, Project, ...); where a method
takes a user, group or project it also accepts its id or its (full) path. Times accept datetime,
date or ISO 8601 strings and default to "now" (the instance clock). Every method is safe to call
while the server runs.
"""
import datetime as _dt
import hashlib

from .model import (DEVELOPER, FEATURE_ALIASES, MAINTAINER, OWNER, PAT_KINDS, USER_STATES,
                    VISIBILITIES, Group, Issue, Job, MergeRequest, Note, Project, Release, Runner,
                    Snippet, User, WikiPage, parse_time)

_DEFAULT = object()


def _features(features):
    """{"jobs": False, "wiki": "private"} -> {"builds": "disabled", "wiki": "private"}"""
    return {FEATURE_ALIASES.get(k, k): {True: "enabled", False: "disabled"}.get(v, v)
            for k, v in (features or {}).items()}


class Builder:
    def __init__(self, inst, repos):
        self.inst = inst
        self.repos = repos

    # -- resolution --------------------------------------------------------------------------
    @staticmethod
    def _resolve(obj, cls, find, what):
        if obj is None and cls is User or isinstance(obj, cls):
            return obj
        found = find(obj)
        if found is None:
            raise KeyError(f"no {what} {obj!r}")
        return found

    def _user(self, u):
        return self._resolve(u, User, self.inst.find_user, "user")

    def _group(self, g):
        return self._resolve(g, Group, self.inst.find_group, "group")

    def _project(self, p):
        return self._resolve(p, Project, self.inst.find_project, "project")

    def _t(self, value):
        return self.inst.now() if value is None else parse_time(value)

    # -- instance settings ---------------------------------------------------------------------
    def set_version(self, version, revision=None):
        """GitLab version the instance reports and behaves as (routes appear by version)."""
        with self.inst.lock:
            self.inst.version = version
            if revision:
                self.inst.revision = revision

    def enable_flag(self, name):
        """Feature flags: admin_agnostic_token_finder (before 17.8), api_admin_token_revoke,
        group_agnostic_token_revocation."""
        with self.inst.lock:
            self.inst.flags.add(name)

    def disable_flag(self, name):
        with self.inst.lock:
            self.inst.flags.discard(name)

    # -- users, groups, projects, members ----------------------------------------------------------
    def add_user(self, username, name=None, state="active", is_admin=False, bot=False, email=None,
                 external=False, created_at=None, last_activity_on=None, user_type=None, id=None):
        if state not in USER_STATES:
            raise ValueError(f"state must be one of {USER_STATES}")
        with self.inst.lock:
            uid = id if id is not None else self.inst.next_id("user")
            if uid in self.inst.users:
                raise ValueError(f"user id {uid} exists")
            u = User(id=uid, username=username, name=name or username.replace("_", " ").title(),
                     state=state, is_admin=is_admin, bot=bot, email=email, external=external,
                     created_at=self._t(created_at),
                     last_activity_on=None if last_activity_on is None else parse_time(last_activity_on).date(),
                     user_type=user_type or ("service_account" if bot else None))
            self.inst.users[uid] = u
            return u

    def set_user_state(self, user, state):
        if state not in USER_STATES:
            raise ValueError(f"state must be one of {USER_STATES}")
        with self.inst.lock:
            self._user(user).state = state

    def add_group(self, path, parent=None, name=None, visibility="private", description="",
                  created_at=None, id=None):
        if visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {VISIBILITIES}")
        with self.inst.lock:
            gid = id if id is not None else self.inst.next_id("namespace", start=100)
            g = Group(id=gid, name=name or path, path=path,
                      parent_id=self._group(parent).id if parent is not None else None,
                      visibility=visibility, description=description, created_at=self._t(created_at))
            self.inst.groups[gid] = g
            return g

    def add_project(self, namespace, path, name=None, visibility="private", archived=False,
                    default_branch="main", description="", features=None, public_jobs=True,
                    http_url_to_repo=None, web_url=None, repo=True, created_at=None,
                    last_activity_at=None, id=None):
        """namespace: a Group or a User (personal project). features: {"jobs"|"builds", "wiki",
        "issues", "merge_requests", "snippets", "repository": True/False or "enabled"/"private"/
        "disabled"}. repo: True creates an empty bare repository, a path links an existing bare
        repository, False makes a project without one. http_url_to_repo: what the API reports
        (e.g. pointing at another host); cloning always works at the stand-in's own URL."""
        if visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {VISIBILITIES}")
        inst = self.inst
        with inst.lock:
            if isinstance(namespace, User):
                kind, nsid = "user", namespace.id
            else:
                kind, nsid = "group", self._group(namespace).id
            pid = id if id is not None else inst.next_id("project")
            feats = _features(features)
            created = self._t(created_at)
            p = Project(id=pid, name=name or path, path=path, namespace_kind=kind, namespace_id=nsid,
                        visibility=visibility, archived=archived, default_branch=default_branch,
                        description=description, created_at=created,
                        last_activity_at=parse_time(last_activity_at) if last_activity_at else created,
                        features=feats, public_jobs=public_jobs, http_url_to_repo=http_url_to_repo,
                        web_url=web_url)
            inst.projects[pid] = p
            full = inst.project_full_path(p)
        if repo:
            existing = repo if isinstance(repo, str) else None
            p.repo_path = self.repos.create(full, default_branch, existing=existing)
        return p

    def add_member(self, target, user, access_level=DEVELOPER):
        """Direct membership of a user in a Group or Project (10 guest ... 50 owner)."""
        with self.inst.lock:
            u = self._user(user)
            if isinstance(target, (Group, Project)):
                target.members[u.id] = access_level
            else:
                obj = self.inst.find_project(target) or self._group(target)
                obj.members[u.id] = access_level

    # -- git --------------------------------------------------------------------------------
    def add_commit(self, project, files, message="Update files", branch=None, parent=None, when=None,
                   author=None):
        """One commit on `branch` (default: the default branch) or on any ref ("refs/..."),
        changing `files` ({path: str|bytes|None}); returns its sha."""
        return self.add_commits(project, [dict(files=files, message=message, branch=branch,
                                               parent=parent, when=when, author=author)])[-1]

    def add_commits(self, project, specs):
        """Several commits in one git process; each spec takes add_commit's keywords."""
        p = self._project(project)
        if p.repo_path is None:
            raise ValueError(f"project {p.path} has no repository")
        batch = [dict(ref=s.get("branch") or p.default_branch, files=s["files"],
                      message=s.get("message", "Update files"), parent=s.get("parent"),
                      when=parse_time(s["when"]) if s.get("when") else None, author=s.get("author"))
                 for s in specs]
        shas = self.repos.commits(p.repo_path, batch)
        with self.inst.lock:
            p.last_activity_at = max(p.last_activity_at, self.inst.now())
        return shas

    def set_ref(self, project, ref, sha):
        self.repos.update_ref(self._project(project).repo_path, ref, sha)

    def head(self, project, ref=None):
        p = self._project(project)
        return self.repos.rev_parse(p.repo_path, ref or p.default_branch)

    # -- CI ------------------------------------------------------------------------------------
    def add_job(self, project, name="build", status="success", trace=None, stage="test", ref=None,
                sha=None, user=None, created_at=None, started_at=None, finished_at=None, token=None,
                pipeline_id=None, failure_reason=None, tag_list=None, id=None):
        """A CI job with its log (`trace`: str, bytes, a LargeTrace, or None for no log).
        token: a CI/CD job token value, valid while the job's status is "running"."""
        p = self._project(project)
        with self.inst.lock:
            u = self._user(user)
            jid = id if id is not None else self.inst.next_id("job", start=1000)
            created = self._t(created_at)
            j = Job(id=jid, project_id=p.id, name=name, status=status, stage=stage,
                    ref=ref or p.default_branch, sha=sha, user_id=u.id if u else None,
                    pipeline_id=pipeline_id or self.inst.next_id("pipeline", start=500),
                    created_at=created,
                    started_at=parse_time(started_at) if started_at else (
                        None if status in ("created", "pending", "manual") else created),
                    finished_at=parse_time(finished_at) if finished_at else (
                        created + _dt.timedelta(seconds=42) if status in ("success", "failed", "canceled")
                        else None),
                    trace=trace, tag_list=list(tag_list or []), failure_reason=failure_reason)
            p.jobs.append(j)
            if token is not None:
                if u is None:
                    raise ValueError("a job token needs the job's user")
                self.inst.register_token(token, "job", name=f"job {jid}", user_id=u.id, job_id=jid,
                                         label=f"job-{jid}")
            return j

    def set_job_status(self, job, status):
        with self.inst.lock:
            job.status = status

    def add_runner(self, value, runner_type="instance_type", owner=None, description="", paused=False,
                   token_expires_at=None, created_at=None, label=None):
        """A runner and its authentication token. owner: a Group (group_type) or Project
        (project_type)."""
        with self.inst.lock:
            rid = self.inst.next_id("runner")
            r = Runner(id=rid, runner_type=runner_type, description=description, paused=paused,
                       created_at=self._t(created_at))
            if isinstance(owner, Group):
                r.group_ids.append(owner.id)
            elif isinstance(owner, Project):
                r.project_ids.append(owner.id)
            self.inst.runners[rid] = r
            self.inst.register_token(value, "runner", name=description, runner_id=rid,
                                     token_expires_at=token_expires_at, label=label or f"runner-{rid}")
            return r

    # -- issues, merge requests, notes ------------------------------------------------------------
    def add_issue(self, project, title, description="", author=None, state="opened", created_at=None,
                  updated_at=None, confidential=False, labels=None):
        p = self._project(project)
        with self.inst.lock:
            created = self._t(created_at)
            i = Issue(id=self.inst.next_id("issue", start=3000), iid=len(p.issues) + 1, project_id=p.id,
                      title=title, description=description, state=state,
                      author_id=self._author(author), created_at=created,
                      updated_at=parse_time(updated_at) if updated_at else created,
                      closed_at=created if state == "closed" else None, confidential=confidential,
                      labels=list(labels or []))
            p.issues.append(i)
            return i

    def _author(self, author):
        u = self._user(author)
        if u is not None:
            return u.id
        admins = sorted(x.id for x in self.inst.users.values() if x.is_admin)
        return admins[0] if admins else (min(self.inst.users) if self.inst.users else 0)

    def add_merge_request(self, project, title, description="", author=None, source_branch="feature",
                          target_branch=None, files=None, message=None, state="opened", created_at=None,
                          updated_at=None, source_project=None, head_sha=None):
        """A merge request. With `files`, a commit on top of the target branch is written to
        refs/merge-requests/<iid>/head only (no branch has it, as with a fork's MR); with
        head_sha, that commit (already written, e.g. by add_commits to that ref) is the head;
        with neither, the head ref points at `source_branch` if the repository has it."""
        p = self._project(project)
        with self.inst.lock:
            iid = len(p.merge_requests) + 1
            created = self._t(created_at)
            m = MergeRequest(id=self.inst.next_id("mr", start=7000), iid=iid, project_id=p.id, title=title,
                             description=description, state=state, author_id=self._author(author),
                             source_branch=source_branch, target_branch=target_branch or p.default_branch,
                             source_project_id=self._project(source_project).id if source_project else None,
                             created_at=created, updated_at=parse_time(updated_at) if updated_at else created,
                             merged_at=created if state == "merged" else None,
                             closed_at=created if state == "closed" else None)
            p.merge_requests.append(m)
        if head_sha is not None:
            m.sha = head_sha
        elif p.repo_path is not None:
            ref = f"refs/merge-requests/{iid}/head"
            if files:
                m.sha = self.repos.commit(p.repo_path, ref, files, message or title,
                                          parent=self.repos.rev_parse(p.repo_path, m.target_branch))
            else:
                sha = self.repos.rev_parse(p.repo_path, source_branch)
                if sha:
                    self.repos.update_ref(p.repo_path, ref, sha)
                    m.sha = sha
        return m

    def add_note(self, noteable, body, author=None, system=False, internal=False, created_at=None,
                 updated_at=None, discussion=None, touch=True):
        """A comment on an Issue or MergeRequest. discussion: a name shared by the notes of one
        threaded discussion (None: an individual note). touch: the noteable's updated_at moves
        to the note's time, as GitLab does."""
        with self.inst.lock:
            created = self._t(created_at)
            n = Note(id=self.inst.next_id("note", start=9000), body=body, author_id=self._author(author),
                     created_at=created, updated_at=parse_time(updated_at) if updated_at else created,
                     system=system, internal=internal,
                     discussion_id=("d:" + discussion) if discussion else "")
            noteable.notes.append(n)
            if touch and n.updated_at > noteable.updated_at:
                noteable.updated_at = n.updated_at
            return n

    # -- snippets, wikis, releases -----------------------------------------------------------------
    def add_snippet(self, project, title, files, author=None, visibility="private", description="",
                    created_at=None, updated_at=None):
        """project: a Project, or None for a personal snippet. files: {path: content} (ordered)."""
        with self.inst.lock:
            created = self._t(created_at)
            s = Snippet(id=self.inst.next_id("snippet", start=200), title=title, author_id=self._author(author),
                        project_id=self._project(project).id if project is not None else None,
                        files=dict(files), description=description, visibility=visibility,
                        created_at=created, updated_at=parse_time(updated_at) if updated_at else created)
            self.inst.snippets[s.id] = s
            return s

    def add_wiki_page(self, project, title, content, slug=None, format="markdown", updated_at=None):
        p = self._project(project)
        with self.inst.lock:
            w = WikiPage(slug=slug or title.strip().replace(" ", "-"), title=title, content=content,
                         format=format, updated_at=self._t(updated_at))
            p.wiki_pages.append(w)
            return w

    def add_release(self, project, tag_name, description="", name=None, author=None, created_at=None,
                    released_at=None, commit_sha=None):
        p = self._project(project)
        with self.inst.lock:
            created = self._t(created_at)
            r = Release(tag_name=tag_name, name=name or tag_name, description=description,
                        author_id=self._author(author), commit_sha=commit_sha, created_at=created,
                        released_at=parse_time(released_at) if released_at else created)
            p.releases.append(r)
            return r

    # -- tokens -----------------------------------------------------------------------------
    def _expiry(self, expires_at, created_at):
        if expires_at is _DEFAULT:
            return (self._t(created_at) + _dt.timedelta(days=365)).date()
        return expires_at

    def add_personal_token(self, user, value, name="token", scopes=("api",), expires_at=_DEFAULT,
                           created_at=None, last_used_at=None, revoked=False, description="",
                           granular_scopes=None, label=None, id=None, impersonation=False):
        """A personal access token (impersonation=True: an impersonation token). expires_at
        defaults to a year after created_at; None means it never expires. granular_scopes (a
        fine-grained token): [{"access": ..., "permissions": [...], "project_id"|"group_id": ...}]."""
        u = self._user(user)
        return self.inst.register_token(
            value, "impersonation" if impersonation else "personal", label=label, id=id, name=name,
            description=description, user_id=u.id, scopes=list(scopes),
            created_at=self._t(created_at), expires_at=self._expiry(expires_at, created_at),
            last_used_at=last_used_at, revoked=revoked, granular_scopes=granular_scopes)

    def _bot(self, kind, owner_id, name, seed):
        h = hashlib.sha256(seed.encode()).hexdigest()[:8]
        return self.add_user(f"{kind}_{owner_id}_bot_{h}", name=name, bot=True, user_type=f"{kind}_bot",
                             email=f"{kind}_{owner_id}_bot_{h}@noreply.example.com")

    def _resource_token(self, kind, owner, value, name, scopes, access_level, expires_at, created_at,
                        last_used_at, revoked, description, label, id):
        rtype = "project" if kind == "project_access" else "group"
        bot = self._bot(rtype, owner.id, name, f"{rtype}:{owner.id}:{name}:{label}:{self.inst.next_id('bot')}")
        owner.members[bot.id] = access_level
        return self.inst.register_token(
            value, kind, label=label, id=id, name=name, description=description, user_id=bot.id,
            scopes=list(scopes), created_at=self._t(created_at),
            expires_at=self._expiry(expires_at, created_at), last_used_at=last_used_at,
            revoked=revoked, resource_type=rtype, resource_id=owner.id, access_level=access_level)

    def add_project_token(self, project, value, name="project token", scopes=("api",),
                          access_level=MAINTAINER, expires_at=_DEFAULT, created_at=None,
                          last_used_at=None, revoked=False, description="", label=None, id=None):
        """A project access token: a PAT of a new bot user that is a member of the project."""
        return self._resource_token("project_access", self._project(project), value, name, scopes,
                                    access_level, expires_at, created_at, last_used_at, revoked,
                                    description, label, id)

    def add_group_token(self, group, value, name="group token", scopes=("api",), access_level=OWNER,
                        expires_at=_DEFAULT, created_at=None, last_used_at=None, revoked=False,
                        description="", label=None, id=None):
        """A group access token: a PAT of a new bot user that is a member of the group."""
        return self._resource_token("group_access", self._group(group), value, name, scopes,
                                    access_level, expires_at, created_at, last_used_at, revoked,
                                    description, label, id)

    def add_deploy_token(self, owner, value, name="deploy token", username=None,
                         scopes=("read_repository",), expires_at=None, created_at=None, revoked=False,
                         label=None):
        """A deploy token of a Project or Group; git needs its username (default
        gitlab+deploy-token-<id>) with the token as password."""
        with self.inst.lock:
            rtype = "project" if isinstance(owner, Project) else "group"
            obj = self._project(owner) if rtype == "project" else self._group(owner)
            tid = self.inst.next_id("token:deploy")
            return self.inst.register_token(
                value, "deploy", label=label, id=tid, name=name,
                deploy_username=username or f"gitlab+deploy-token-{tid}", scopes=list(scopes),
                created_at=self._t(created_at), expires_at=expires_at, revoked=revoked,
                resource_type=rtype, resource_id=obj.id)

    def add_token(self, kind, value, user=None, name="", label=None, created_at=None, revoked=False,
                  **attrs):
        """Any other credential the token information API knows: feed, session (a
        _gitlab_session cookie value), incoming_email, oauth_app, trigger, agent, ff_client."""
        if kind in PAT_KINDS or kind in ("deploy", "runner", "job"):
            raise ValueError(f"use the dedicated add_* method for {kind} tokens")
        u = self._user(user)
        return self.inst.register_token(value, kind, label=label, name=name,
                                        user_id=u.id if u else None, created_at=self._t(created_at),
                                        revoked=revoked, **attrs)

    def update(self, obj, **attrs):
        """Changes fields of any model object under the instance lock, e.g.
        update(project, archived=True), update(issue, title="x", updated_at="2026-05-01T00:00Z"),
        update(project, features={"wiki": "disabled"}). Times (*_at) accept what add_* accept."""
        with self.inst.lock:
            for k, v in attrs.items():
                if not hasattr(obj, k):
                    raise AttributeError(f"{type(obj).__name__} has no field {k!r}")
                if k.endswith("_at") and v is not None and k != "expires_at":
                    v = parse_time(v)
                if k == "features":
                    v = dict(obj.features, **_features(v))
                setattr(obj, k, v)
        return obj

    def revoke(self, token):
        with self.inst.lock:
            token.revoked = True

    def token(self, label):
        """The registered token with this label."""
        return self.inst.labels[label]
