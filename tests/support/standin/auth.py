"""Who is asking: credentials, tokens, scopes, as GitLab's API guard decides.

Credentials are read from (first match wins): PRIVATE-TOKEN, Authorization: Bearer,
Authorization: Basic (git only: any user name with the token as password; deploy tokens need
their own user name), JOB-TOKEN, the _gitlab_session cookie, the private_token / access_token /
job_token query parameters, and the `token` form field of POST /runners/verify.

Route authentication modes (Router.add(auth=...)):
  public   anonymous allowed; a token, if sent, must be valid and have api/read_api
  read     a user with api or read_api (GET) / api (other methods)
  user     a user with api, read_api or read_user (GET /user)
  self     a personal, impersonation, project or group access token, any scope
  admin    `read` plus an administrator (with the admin_mode scope when admin mode is on)
  job      a CI/CD job token of a running job (GET /job)
  none     no check (the handler decides; POST /runners/verify)
"""
import base64
import datetime as _dt
from dataclasses import dataclass
from typing import Optional

from .model import PAT_KINDS, Token, User, sha256
from .router import ApiError

UNAUTHORIZED = {"message": "401 Unauthorized"}
REVOKED = {"error": "invalid_token",
           "error_description": "Token was revoked. You have to re-authorize from the user."}
EXPIRED = {"error": "invalid_token",
           "error_description": "Token is expired. You can either do re-authorization or token refresh."}
BLOCKED = {"message": "403 Forbidden - Your account has been blocked."}
DEACTIVATED = {"message": "403 Forbidden - Your account has been deactivated by your administrator. "
                          "Please log back in to reactivate your account."}
NOT_A_PAT = {"message": "400 Bad request - This endpoint requires token type to be a personal access token"}
READ_SCOPES = ("api", "read_api")


def insufficient_scope(scopes):
    return ApiError(403, {"error": "insufficient_scope",
                          "error_description": "The request requires higher privileges than provided "
                                               "by the access token.",
                          "scope": " ".join(scopes)},
                    headers={"WWW-Authenticate": 'Bearer realm="Protected by OAuth 2.0", '
                                                 'error="insufficient_scope", '
                                                 'error_description="The request requires higher privileges '
                                                 'than provided by the access token.", '
                                                 f'scope="{" ".join(scopes)}"'})


@dataclass
class Credential:
    value: Optional[str]
    via: Optional[str]
    basic_user: Optional[str] = None

    @property
    def digest(self):
        return sha256(self.value) if self.value else None


@dataclass
class Principal:
    user: Optional[User]
    token: Optional[Token]
    via: Optional[str]
    admin_mode_required: bool = False

    @property
    def scopes(self):
        if self.token is None or self.token.kind == "session":
            return ["api", "read_api", "read_user", "read_repository", "write_repository", "admin_mode"]
        return list(self.token.scopes)

    def has_scope(self, *names):
        if self.token is not None and self.token.granular:
            # fine-grained tokens: reading is governed by their boundaries (allows_*), not scopes
            return any(n in ("read_api", "read_repository", "read_user") for n in names)
        return any(s in names for s in self.scopes)

    @property
    def is_admin(self):
        if self.user is None or not self.user.is_admin:
            return False
        return not self.admin_mode_required or self.has_scope("admin_mode")

    def _granular_bounds(self):
        if self.token is None or not self.token.granular:
            return None
        bounds = [g for g in self.token.granular_scopes if g.get("project_id") or g.get("group_id")]
        return bounds or None

    def allows_project(self, inst, p):
        bounds = self._granular_bounds()
        if bounds is None:
            return True
        groups = set()
        if p.namespace_kind == "group":
            groups = {g.id for g in inst.group_ancestors(inst.groups[p.namespace_id])}
        return any(b.get("project_id") == p.id or b.get("group_id") in groups for b in bounds)

    def allows_group(self, inst, g):
        bounds = self._granular_bounds()
        if bounds is None:
            return True
        return any(b.get("group_id") in {a.id for a in inst.group_ancestors(g)} for b in bounds)


ANONYMOUS = Principal(None, None, None)


class Auth:
    def __init__(self, inst):
        self.inst = inst

    @staticmethod
    def credential(req, api_path=None):
        h = req.headers
        if h.get("PRIVATE-TOKEN"):
            return Credential(h["PRIVATE-TOKEN"], "private-token")
        auth = h.get("Authorization") or ""
        if auth[:7].lower() == "bearer ":
            return Credential(auth[7:].strip(), "bearer")
        if auth[:6].lower() == "basic ":
            try:
                user, _, pw = base64.b64decode(auth[6:].strip()).decode("utf-8", "replace").partition(":")
            except (ValueError, UnicodeDecodeError):
                return Credential(None, None)
            return Credential(pw or None, "basic", user)
        if h.get("JOB-TOKEN"):
            return Credential(h["JOB-TOKEN"], "job-token")
        cookie = h.get("Cookie") or ""
        if "_gitlab_session=" in cookie:
            return Credential(cookie.split("_gitlab_session=", 1)[1].split(";")[0].strip(), "cookie")
        for name in ("private_token", "access_token", "job_token"):
            if name in req.params:
                return Credential(req.params[name][-1], "query")
        if req.method == "POST" and api_path == "/runners/verify":
            v = req.body_args.get("token")
            if v:
                return Credential(str(v), "form")
        return Credential(None, None)

    def authenticate(self, cred, mode):
        """The principal for a credential under a route's auth mode, or ApiError (401/403)."""
        inst = self.inst
        if mode == "none":
            return ANONYMOUS
        if cred.value is None:
            return ANONYMOUS
        if cred.via == "job-token" and mode != "job":
            return ANONYMOUS  # GitLab reads JOB-TOKEN only on routes that accept job tokens
        tok = inst.token_for_value(cred.value)
        now = inst.now()
        if tok is None:
            raise ApiError(401, UNAUTHORIZED)
        if tok.kind in PAT_KINDS:
            if tok.revoked:
                raise ApiError(401, REVOKED)
            if tok.expired(now):
                raise ApiError(401, EXPIRED)
        elif tok.kind == "job":
            job = inst.job(tok.job_id)
            if job is None or job.status != "running" or tok.revoked:
                raise ApiError(401, UNAUTHORIZED)
        elif tok.kind == "session":
            if tok.revoked:
                raise ApiError(401, UNAUTHORIZED)
        else:  # deploy, runner, trigger, feed, ... cannot authenticate to the REST API
            raise ApiError(401, UNAUTHORIZED)
        user = inst.users.get(tok.user_id)
        if user is None:
            raise ApiError(401, UNAUTHORIZED)
        if user.state in ("blocked", "banned"):
            raise ApiError(403, BLOCKED)
        if user.state == "deactivated":
            raise ApiError(403, DEACTIVATED)
        if tok.kind in PAT_KINDS and inst.track_last_used:
            # GitLab records use at most every 10 minutes, during authentication
            if tok.last_used_at is None or now - tok.last_used_at > _dt.timedelta(minutes=10):
                tok.last_used_at = now
        return Principal(user, tok, cred.via, inst.admin_mode)

    @staticmethod
    def check(principal, mode, method):
        """Raises ApiError when the principal may not call a route of this mode."""
        write = method not in ("GET", "HEAD")
        if mode in ("none", "public") and principal.user is None:
            return
        if mode == "job":
            if principal.token is None or principal.token.kind != "job":
                raise ApiError(401, UNAUTHORIZED)
            return
        if principal.user is None:
            raise ApiError(401, UNAUTHORIZED)
        if principal.token is not None and principal.token.kind == "job":
            raise ApiError(401, UNAUTHORIZED)
        if mode == "self":
            if principal.token is None or principal.token.kind not in PAT_KINDS:
                raise ApiError(400, NOT_A_PAT)
            return
        if mode == "user":
            wanted = ("api",) if write else ("api", "read_api", "read_user")
        else:
            wanted = ("api",) if write else READ_SCOPES
        if not principal.has_scope(*wanted):
            raise insufficient_scope(wanted)
        if mode == "admin" and not principal.is_admin:
            raise ApiError(403, {"message": "403 Forbidden"})
