"""The stand-in's data model: what a GitLab instance holds, built at test time.

Every object is a plain dataclass owned by one `Instance`; objects refer to each other by id, as
GitLab's tables do. The instance also answers the questions the API layer asks (who may see what,
which token is this, what is a user's role in a project), so those rules live in one place.

Token values are never stored: a token is registered by the SHA-256 of its value (GitLab stores
digests too), and the request log records the token's label. Callers keep the values they made.
"""
import datetime as _dt
import hashlib
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional

UTC = _dt.timezone.utc

# Roles (GitLab's access levels).
NO_ACCESS, MINIMAL, GUEST, PLANNER, REPORTER, DEVELOPER, MAINTAINER, OWNER = 0, 5, 10, 15, 20, 30, 40, 50
ROLE_NAMES = {GUEST: "guest", PLANNER: "planner", REPORTER: "reporter", DEVELOPER: "developer",
              MAINTAINER: "maintainer", OWNER: "owner"}

USER_STATES = ("active", "blocked", "deactivated", "banned")
VISIBILITIES = ("private", "internal", "public")
# Project features whose switch the API reports as <name>_access_level.
FEATURES = ("repository", "issues", "merge_requests", "builds", "wiki", "snippets")
FEATURE_ALIASES = {"jobs": "builds", "ci": "builds", "mrs": "merge_requests"}

# Token kinds. "personal" covers PATs of humans and of service accounts; project and group access
# tokens are PATs of a bot user (kinds "project_access" / "group_access"), as in GitLab.
PAT_KINDS = ("personal", "impersonation", "project_access", "group_access")
OTHER_KINDS = ("deploy", "runner", "job", "feed", "session", "oauth_app", "trigger",
               "incoming_email", "agent", "ff_client")
TOKEN_KINDS = PAT_KINDS + OTHER_KINDS


def sha256(value):
    if isinstance(value, str):
        value = value.encode()
    return hashlib.sha256(value).hexdigest()


def parse_time(value):
    """datetime (aware, UTC) from a datetime, a date, or an ISO 8601 string (Z or offset)."""
    if value is None or isinstance(value, _dt.datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=UTC)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip().replace(" ", "+")  # a '+' sent unencoded arrives as a space
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    t = _dt.datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def parse_date(value):
    if value is None or isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.datetime):
        return value.date()
    return _dt.date.fromisoformat(str(value)[:10])


def iso(t):
    """GitLab's timestamp format: 2026-01-02T03:04:05.000Z (UTC)."""
    if t is None:
        return None
    t = parse_time(t).astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def iso_date(d):
    return None if d is None else parse_date(d).isoformat()


@dataclass
class User:
    id: int
    username: str
    name: str
    state: str = "active"
    is_admin: bool = False
    bot: bool = False
    email: Optional[str] = None
    external: bool = False
    created_at: _dt.datetime = None
    last_activity_on: Optional[_dt.date] = None
    # project_bot / group_bot / service_account for bots; None for humans
    user_type: Optional[str] = None


@dataclass
class Group:
    id: int
    name: str
    path: str
    parent_id: Optional[int] = None
    visibility: str = "private"
    description: str = ""
    created_at: _dt.datetime = None
    members: Dict[int, int] = field(default_factory=dict)  # user id -> access level


@dataclass
class Project:
    id: int
    name: str
    path: str
    namespace_kind: str  # "group" or "user"
    namespace_id: int    # group id, or the owning user's id
    visibility: str = "private"
    archived: bool = False
    default_branch: str = "main"
    description: str = ""
    created_at: _dt.datetime = None
    last_activity_at: _dt.datetime = None
    features: Dict[str, str] = field(default_factory=dict)  # feature -> enabled/private/disabled
    public_jobs: bool = True
    http_url_to_repo: Optional[str] = None  # override; default derives from the instance URL
    web_url: Optional[str] = None           # override
    repo_path: Optional[str] = None          # bare repository on disk
    members: Dict[int, int] = field(default_factory=dict)
    jobs: List["Job"] = field(default_factory=list)
    issues: List["Issue"] = field(default_factory=list)
    merge_requests: List["MergeRequest"] = field(default_factory=list)
    wiki_pages: List["WikiPage"] = field(default_factory=list)
    releases: List["Release"] = field(default_factory=list)

    def feature(self, name):
        return self.features.get(FEATURE_ALIASES.get(name, name), "enabled")


@dataclass
class Job:
    id: int
    project_id: int
    name: str
    status: str = "success"
    stage: str = "test"
    ref: str = "main"
    sha: Optional[str] = None
    pipeline_id: int = 0
    user_id: Optional[int] = None
    created_at: _dt.datetime = None
    started_at: Optional[_dt.datetime] = None
    finished_at: Optional[_dt.datetime] = None
    trace: object = None  # bytes, str, a LargeTrace, or None (no log)
    tag_list: List[str] = field(default_factory=list)
    failure_reason: Optional[str] = None


class LargeTrace:
    """A job log generated on the fly: `size` bytes of `filler` lines with `inserts` (offset ->
    bytes) spliced in at the given offsets. Lets tests serve logs of hundreds of MiB without
    holding them in memory; the content is deterministic, so a client can be checked against it."""

    def __init__(self, size, filler=b"Running step...\n", inserts=None):
        self.size = int(size)
        self.filler = filler if isinstance(filler, bytes) else filler.encode()
        self.inserts = {int(k): (v if isinstance(v, bytes) else v.encode())
                        for k, v in (inserts or {}).items()}

    def chunks(self, chunk=1 << 16):
        pos, marks = 0, sorted(self.inserts.items())
        while pos < self.size:
            nxt = marks[0][0] if marks else self.size
            if pos >= nxt and marks:
                data = marks.pop(0)[1][: self.size - pos]
                yield data
                pos += len(data)
                continue
            n = min(chunk, nxt - pos, self.size - pos)
            reps = self.filler * (n // len(self.filler) + 1)
            start = pos % len(self.filler)
            yield (self.filler[start:] + reps)[:n]
            pos += n


@dataclass
class Note:
    id: int
    body: str
    author_id: int
    created_at: _dt.datetime
    updated_at: _dt.datetime
    system: bool = False
    discussion_id: str = ""
    internal: bool = False


@dataclass
class Issuable:
    """What issues and merge requests share (GitLab's Issuable concern)."""
    id: int
    iid: int
    project_id: int
    title: str
    description: str = ""
    state: str = "opened"
    author_id: int = 0
    created_at: _dt.datetime = None
    updated_at: _dt.datetime = None
    closed_at: Optional[_dt.datetime] = None
    labels: List[str] = field(default_factory=list)
    notes: List[Note] = field(default_factory=list)


@dataclass
class Issue(Issuable):
    confidential: bool = False


@dataclass
class MergeRequest(Issuable):
    source_branch: str = "feature"
    target_branch: str = "main"
    source_project_id: Optional[int] = None
    sha: Optional[str] = None
    merged_at: Optional[_dt.datetime] = None


@dataclass
class Snippet:
    id: int
    title: str
    author_id: int
    project_id: Optional[int] = None  # None: a personal snippet
    files: Dict[str, str] = field(default_factory=dict)  # path -> content (insertion order kept)
    description: str = ""
    visibility: str = "private"
    created_at: _dt.datetime = None
    updated_at: _dt.datetime = None


@dataclass
class WikiPage:
    slug: str
    title: str
    content: str
    format: str = "markdown"
    updated_at: _dt.datetime = None


@dataclass
class Release:
    tag_name: str
    name: str
    description: str = ""
    author_id: Optional[int] = None
    commit_sha: Optional[str] = None
    created_at: _dt.datetime = None
    released_at: _dt.datetime = None


@dataclass
class Runner:
    id: int
    runner_type: str = "instance_type"  # instance_type / group_type / project_type
    description: str = ""
    paused: bool = False
    group_ids: List[int] = field(default_factory=list)
    project_ids: List[int] = field(default_factory=list)
    created_at: _dt.datetime = None
    contacted_at: Optional[_dt.datetime] = None


@dataclass
class Token:
    """One credential of any kind. `label` names it in the request log (unique per instance)."""
    id: int
    kind: str
    label: str
    digest: str
    name: str = ""
    description: str = ""
    user_id: Optional[int] = None
    scopes: List[str] = field(default_factory=list)
    created_at: _dt.datetime = None
    updated_at: _dt.datetime = None
    expires_at: Optional[_dt.date] = None
    last_used_at: Optional[_dt.datetime] = None
    revoked: bool = False
    # project_access / group_access: the resource and the bot's role there
    resource_type: Optional[str] = None  # "project" or "group"
    resource_id: Optional[int] = None
    access_level: Optional[int] = None
    # deploy tokens: owner (project/group id, or None for an instance-wide listing) and username
    deploy_username: Optional[str] = None
    # runner / job tokens
    runner_id: Optional[int] = None
    job_id: Optional[int] = None
    # fine-grained PATs: [{"access":..., "permissions": [...], "project_id":..., "group_id":...}]
    granular_scopes: Optional[List[dict]] = None
    previous_id: Optional[int] = None
    token_expires_at: Optional[_dt.datetime] = None  # runner authentication tokens

    @property
    def granular(self):
        return self.granular_scopes is not None

    def expired(self, now):
        if self.kind == "runner":
            return self.token_expires_at is not None and now >= self.token_expires_at
        return self.expires_at is not None and now.date() >= self.expires_at

    def active(self, now):
        return not self.revoked and not self.expired(now)


class Instance:
    """All state of one stand-in GitLab. Thread-safe: the server threads read it while the test
    thread adds to it; every mutation and every compound read holds `lock`."""

    def __init__(self, version="17.8.0", revision="6f7a0c1d2e3"):
        self.lock = threading.RLock()
        self.version = version
        self.revision = revision
        self.enterprise = True
        self.flags = set()
        self.external_url = None  # set by the server when it starts unless a test chose one
        self.users: Dict[int, User] = {}
        self.groups: Dict[int, Group] = {}
        self.projects: Dict[int, Project] = {}
        self.snippets: Dict[int, Snippet] = {}
        self.runners: Dict[int, Runner] = {}
        self.tokens: Dict[str, Token] = {}  # by label; ids are per kind, as in GitLab
        self.by_digest: Dict[str, Token] = {}
        self.labels: Dict[str, Token] = {}
        self._next = {}
        self.clock = None  # callable returning an aware datetime; None = wall clock
        # GitLab records a token's use (last_used_at, at most every 10 minutes) while
        # authenticating, so GET /personal_access_tokens/self already shows the current request.
        self.track_last_used = True
        # Admin mode: administrator requests need a token with the admin_mode scope.
        self.admin_mode = False

    # -- ids and time -------------------------------------------------------------------
    def next_id(self, kind, start=1):
        with self.lock:
            n = self._next.get(kind, start)
            self._next[kind] = n + 1
            return n

    def now(self):
        return self.clock() if self.clock else _dt.datetime.now(UTC)

    def version_at_least(self, wanted):
        def parts(v):
            out = []
            for p in str(v).split("-")[0].split("."):
                out.append(int("".join(c for c in p if c.isdigit()) or 0))
            return tuple(out + [0] * (3 - len(out)))
        return parts(self.version) >= parts(wanted)

    # -- tokens --------------------------------------------------------------------------
    def register_token(self, value, kind, label=None, id=None, **attrs):
        """Registers a credential by the SHA-256 of `value`; the value itself is not kept.
        `label` names it in the request log (default "<kind>-<id>"); labels are unique."""
        if kind not in TOKEN_KINDS:
            raise ValueError(f"unknown token kind {kind!r}; one of {TOKEN_KINDS}")
        with self.lock:
            digest = sha256(value)
            if digest in self.by_digest:
                raise ValueError("this token value is already registered")
            tid = id if id is not None else self.next_id("token:" + ("pat" if kind in PAT_KINDS else kind))
            label = label or f"{kind}-{tid}"
            if label in self.labels:
                raise ValueError(f"token label {label!r} is already used")
            attrs.setdefault("created_at", self.now())
            for k in ("created_at", "updated_at", "last_used_at", "token_expires_at"):
                if attrs.get(k) is not None:
                    attrs[k] = parse_time(attrs[k])
            if attrs.get("expires_at") is not None:
                attrs["expires_at"] = parse_date(attrs["expires_at"])
            t = Token(id=tid, kind=kind, label=label, digest=digest, **attrs)
            self.tokens[label] = t
            self.by_digest[digest] = t
            self.labels[label] = t
            return t

    def unregister_token(self, value):
        """Forgets the token with this value (as if it had never existed); returns it or None."""
        with self.lock:
            t = self.by_digest.pop(sha256(value), None)
            if t is not None:
                self.tokens.pop(t.label, None)
                self.labels.pop(t.label, None)
            return t

    def rotated_label(self, old):
        n = 2
        base = old.label.split("~")[0]
        while f"{base}~{n}" in self.labels:
            n += 1
        return f"{base}~{n}"

    # -- lookups ------------------------------------------------------------------------
    def group_full_path(self, g):
        return "/".join(a.path for a in reversed(self.group_ancestors(g)))

    def group_full_name(self, g):
        return " / ".join(a.name for a in reversed(self.group_ancestors(g)))

    def group_ancestors(self, g):
        """g, its parent, ... up to the top-level group."""
        out = []
        while g is not None:
            out.append(g)
            g = self.groups.get(g.parent_id) if g.parent_id else None
        return out

    def group_descendants(self, g):
        out, todo = [], [g.id]
        while todo:
            gid = todo.pop(0)
            kids = sorted((c for c in self.groups.values() if c.parent_id == gid), key=lambda c: c.id)
            out.extend(kids)
            todo.extend(c.id for c in kids)
        return out

    def project_namespace_path(self, p):
        if p.namespace_kind == "group":
            return self.group_full_path(self.groups[p.namespace_id])
        return self.users[p.namespace_id].username

    def project_full_path(self, p):
        return f"{self.project_namespace_path(p)}/{p.path}"

    def _find(self, table, ref, path_of):
        """By numeric id or by (decoded) path."""
        with self.lock:
            if str(ref).isdigit():
                return table.get(int(ref))
            return next((x for x in table.values() if path_of(x) == ref), None)

    def find_project(self, ref):
        return self._find(self.projects, ref, self.project_full_path)

    def find_group(self, ref):
        return self._find(self.groups, ref, self.group_full_path)

    def find_user(self, ref):
        return self._find(self.users, ref, lambda u: u.username)

    def token_for_value(self, value):
        return self.by_digest.get(sha256(value)) if value else None

    def job(self, job_id):
        for p in self.projects.values():
            for j in p.jobs:
                if j.id == job_id:
                    return j
        return None

    # -- roles and visibility ---------------------------------------------------------------
    def group_access(self, user, g):
        """A user's role in a group: the highest of its direct membership and its ancestors'."""
        if user is None:
            return NO_ACCESS
        return max([a.members.get(user.id, NO_ACCESS) for a in self.group_ancestors(g)] or [NO_ACCESS])

    def project_access(self, user, p):
        if user is None:
            return NO_ACCESS
        level = p.members.get(user.id, NO_ACCESS)
        if p.namespace_kind == "group":
            level = max(level, self.group_access(user, self.groups[p.namespace_id]))
        elif p.namespace_id == user.id:
            level = OWNER
        return level

    def can_read_project(self, user, p):
        if user is not None and user.is_admin:
            return True
        if p.visibility == "public":
            return True
        if p.visibility == "internal" and user is not None and not user.external:
            return True
        return self.project_access(user, p) >= GUEST

    def can_read_group(self, user, g):
        if user is not None and user.is_admin:
            return True
        if g.visibility == "public" or (g.visibility == "internal" and user is not None and not user.external):
            return True
        if self.group_access(user, g) >= GUEST:
            return True
        # GitLab shows a private group to members of anything below it
        for d in self.group_descendants(g):
            if self.group_access(user, d) >= GUEST:
                return True
        subtree = {g.id} | {d.id for d in self.group_descendants(g)}
        return any(p.namespace_kind == "group" and p.namespace_id in subtree
                   and self.project_access(user, p) >= GUEST for p in self.projects.values())

    def can_use_feature(self, user, p, feature):
        """Feature switch of a project: disabled for everyone, private for members only."""
        level = p.feature(feature)
        if level == "disabled":
            return False
        if level == "private":
            return (user is not None and user.is_admin) or self.project_access(user, p) >= GUEST
        return True

    def member_projects(self, user):
        return [p for p in self.projects.values() if self.project_access(user, p) >= GUEST]

    def member_groups(self, user):
        return [g for g in self.groups.values() if g.members.get(user.id, NO_ACCESS) >= GUEST]
