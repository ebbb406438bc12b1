"""Requests, responses, the route table and GitLab's pagination.

Routes are templates over the path below /api/v4 ("/projects/:id/jobs/:job_id/trace"); a
":name" segment matches one raw path segment and is URL-decoded, so "group%2Fproject" is one id,
as GitLab requires. A route may exist only from a GitLab version on, or behind a feature flag
until the version it became generally available; elsewhere it answers like an unknown route.
"""
import json
import math
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass
class Request:
    method: str
    raw_path: str      # the request target as sent (absolute-form reduced to its path)
    path: str          # raw path without the query
    query: str
    headers: object    # http.client.HTTPMessage (case-insensitive get)
    body: bytes
    host: str
    peer: tuple
    principal: object = None
    params: dict = field(default_factory=dict)   # query parameters: name -> [values]
    _body_args: Optional[dict] = None

    def __post_init__(self):
        self.params = {}
        for k, v in urllib.parse.parse_qsl(self.query, keep_blank_values=True):
            self.params.setdefault(k[:-2] if k.endswith("[]") else k, []).append(v)

    @property
    def body_args(self):
        """JSON object or form fields of the body (POST/PUT/DELETE)."""
        if self._body_args is None:
            self._body_args = {}
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if self.body:
                if ctype == "application/json":
                    try:
                        doc = json.loads(self.body)
                        self._body_args = doc if isinstance(doc, dict) else {}
                    except ValueError:
                        self._body_args = {}
                else:
                    for k, v in urllib.parse.parse_qsl(self.body.decode("utf-8", "replace"),
                                                       keep_blank_values=True):
                        self._body_args[k] = v
        return self._body_args

    def arg(self, name, default=None):
        """A parameter from the query, else from the body."""
        if name in self.params:
            return self.params[name][-1]
        return self.body_args.get(name, default)

    def args(self, name):
        if name in self.params:
            return list(self.params[name])
        v = self.body_args.get(name)
        return [] if v is None else (v if isinstance(v, list) else [v])

    def flag(self, name, default=False):
        v = self.arg(name)
        if v is None:
            return default
        return str(v).lower() in ("1", "true", "yes", "on")

    def int_arg(self, name, default=None):
        v = self.arg(name)
        try:
            return int(v) if v not in (None, "") else default
        except (TypeError, ValueError):
            raise ApiError(400, {"error": f"{name} is invalid"})


class Response:
    """status, headers (dict), body: bytes or an iterator of bytes (streamed chunked)."""

    def __init__(self, status=200, body=b"", headers=None, ctype="application/json"):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.ctype = ctype


def json_response(obj, status=200, headers=None):
    return Response(status, json.dumps(obj).encode(), headers)


class ApiError(Exception):
    """Raised by handlers: becomes a JSON answer with GitLab's body for it."""

    def __init__(self, status, body=None, headers=None, ctype="application/json"):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.ctype = ctype

    def response(self):
        if isinstance(self.body, (bytes, str)):
            data = self.body.encode() if isinstance(self.body, str) else self.body
            return Response(self.status, data, self.headers, self.ctype)
        return json_response(self.body, self.status, self.headers)


def not_found(what=None):
    return ApiError(404, {"message": f"404 {what} Not Found" if what else "404 Not Found"})


def forbidden(message="403 Forbidden"):
    return ApiError(403, {"message": message})


ROUTE_NOT_FOUND = {"error": "404 Not Found"}


@dataclass
class Route:
    method: str
    segments: list
    handler: Callable
    auth: str            # see auth.Auth.check
    since: Optional[str] = None
    flag: Optional[str] = None
    ga: Optional[str] = None  # version from which `flag` is no longer needed

    def match(self, method, segs):
        if method != self.method and not (self.method == "GET" and method == "HEAD"):
            return None
        if len(segs) != len(self.segments):
            return None
        params = {}
        for want, got in zip(self.segments, segs):
            if want.startswith(":"):
                if got == "":
                    return None
                params[want[1:]] = urllib.parse.unquote(got)
            elif want != got:
                return None
        return params

    def available(self, inst):
        if self.ga and inst.version_at_least(self.ga):
            return True
        if self.since and not inst.version_at_least(self.since):
            return False
        return self.flag is None or self.flag in inst.flags


class Router:
    def __init__(self):
        self.routes = []

    def add(self, method, template, handler, auth="read", since=None, flag=None, ga=None):
        self.routes.append(Route(method, template.strip("/").split("/"), handler, auth, since, flag, ga))

    def resolve(self, inst, method, api_path):
        """(route, params) for a path below /api/v4, or (None, None)."""
        segs = api_path.strip("/").split("/")
        for r in self.routes:
            params = r.match(method, segs)
            if params is not None and r.available(inst):
                return r, params
        return None, None


class Paginator:
    """GitLab's offset pagination (page/per_page, Link + X-* headers) and keyset pagination."""

    def __init__(self, inst, count_limit=10000):
        self.inst = inst
        self.count_limit = count_limit  # above it GitLab omits X-Total, X-Total-Pages and rel=last

    def _url(self, req, **replace):
        params = [(k, v) for k, v in urllib.parse.parse_qsl(req.query, keep_blank_values=True)
                  if k not in replace]
        params += [(k, str(v)) for k, v in replace.items()]
        base = (self.inst.external_url or "").rstrip("/")
        return f"{base}{req.path}?{urllib.parse.urlencode(params)}"

    @staticmethod
    def per_page(req, default=20):
        n = req.int_arg("per_page", default)
        return default if n is None or n < 1 else min(n, 100)

    def offset(self, req, items, render, default_per_page=20):
        page = req.int_arg("page", 1)
        page = 1 if page is None or page < 1 else page
        per_page = self.per_page(req, default_per_page)
        total = len(items)
        pages = max(1, math.ceil(total / per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page),
                   "X-Next-Page": str(page + 1) if page < pages else "",
                   "X-Prev-Page": str(page - 1) if 1 < page <= pages + 1 else ""}
        links = []
        if 1 < page <= pages + 1:
            links.append(f'<{self._url(req, page=page - 1, per_page=per_page)}>; rel="prev"')
        if page < pages:
            links.append(f'<{self._url(req, page=page + 1, per_page=per_page)}>; rel="next"')
        links.append(f'<{self._url(req, page=1, per_page=per_page)}>; rel="first"')
        if total <= self.count_limit:
            links.append(f'<{self._url(req, page=pages, per_page=per_page)}>; rel="last"')
            headers["X-Total"] = str(total)
            headers["X-Total-Pages"] = str(pages)
        headers["Link"] = ", ".join(links)
        return json_response([render(x) for x in chunk], headers=headers)

    def keyset(self, req, items, render, key, cursor_param):
        """Keyset pagination over `items` already sorted by `key` in the requested order.
        cursor_param: "id_after"/"id_before" style (projects) or "cursor" (opaque, base64 JSON).
        Link rel="next" only while more records exist; no X-Total headers, as GitLab."""
        import base64
        per_page = self.per_page(req)
        desc = (req.arg("sort") or "asc") == "desc"
        start = None
        if cursor_param == "cursor" and req.arg("cursor"):
            try:
                start = int(json.loads(base64.urlsafe_b64decode(req.arg("cursor") + "==").decode())["id"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(400, {"error": "cursor is invalid"})
        elif cursor_param != "cursor":
            start = req.int_arg("id_before" if desc else "id_after")
        if start is not None:
            items = [x for x in items if (key(x) < start if desc else key(x) > start)]
        chunk = items[:per_page]
        headers = {}
        if len(items) > per_page:
            last = key(chunk[-1])
            if cursor_param == "cursor":
                token = base64.urlsafe_b64encode(json.dumps({"id": str(last), "_kd": "n"}).encode())
                nxt = self._url(req, cursor=token.decode().rstrip("="))
            else:
                nxt = self._url(req, **{("id_before" if desc else "id_after"): last})
            headers["Link"] = f'<{nxt}>; rel="next"'
        return json_response([render(x) for x in chunk], headers=headers)
