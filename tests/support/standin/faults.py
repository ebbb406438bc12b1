"""Fault injection and rate limiting.

A Fault answers in place of the API for requests whose path matches a regular expression
(re.search on the raw path as sent, /api/v4 included, query excluded), optionally only for one
method or one registered token (label or Token), `times` times (None: every time). The first
matching fault with uses left wins. Kinds:

  ratelimit     429 "Retry later" with Retry-After (retry_after seconds) and/or RateLimit-Reset
                (epoch, reset_in seconds from now) and GitLab's other RateLimit-* headers
  status        status=500/502/503/401/403/404/... with GitLab's body for that status (or body=)
  delay         sleeps delay= seconds, then the request is answered normally
  hang          sleeps delay= seconds, then closes the connection without an answer (timeouts)
  drop          closes the connection at once without an answer
  redirect      status= (default 302) with Location: location= (+ the request's path and query
                when keep_path=True). A client must not follow it; the log shows whether it did.
  foreign_link  answered normally, but every Link header URL points at foreign_host= (e.g.
                "http://127.0.0.1:9"): a client must refuse to follow it
  raw           status=, body=, headers=, ctype= exactly as given

RateLimiter throttles per token (or per peer without one) after `limit` requests in `period`
seconds, answering like GitLab's Rack::Attack throttles.
"""
import email.utils
import re
import threading
import time

KINDS = ("ratelimit", "status", "delay", "hang", "drop", "redirect", "foreign_link", "raw")

STATUS_BODIES = {
    400: ({"message": "400 Bad request"}, "application/json"),
    401: ({"message": "401 Unauthorized"}, "application/json"),
    403: ({"message": "403 Forbidden"}, "application/json"),
    404: ({"message": "404 Not Found"}, "application/json"),
    405: ({"message": "405 Method Not Allowed"}, "application/json"),
    409: ({"message": "409 Conflict"}, "application/json"),
    422: ({"message": "422 Unprocessable Entity"}, "application/json"),
    500: ({"message": "500 Internal Server Error"}, "application/json"),
    # 502/503/504 come from the reverse proxy (Workhorse / NGINX), not from Rails: plain pages
    502: (b"<html><body><h1>502</h1><p>Whoops, GitLab is taking too much time to respond.</p></body></html>\n",
          "text/html"),
    503: (b"<html><body><h1>503 Service Unavailable</h1></body></html>\n", "text/html"),
    504: (b"<html><body><h1>504 Gateway Time-out</h1></body></html>\n", "text/html"),
}


def throttled(limit=600, observed=601, retry_after=None, reset_in=None, name="throttle_authenticated_api"):
    """(status, headers, body, ctype) of GitLab's 429 answer."""
    now = int(time.time())
    headers = {"RateLimit-Name": name, "RateLimit-Limit": str(limit),
               "RateLimit-Observed": str(observed), "RateLimit-Remaining": "0"}
    if reset_in is not None:
        reset = now + int(reset_in)
        headers["RateLimit-Reset"] = str(reset)
        headers["RateLimit-ResetTime"] = email.utils.formatdate(reset, usegmt=True)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return 429, headers, b"Retry later\n", "text/plain"


class Fault:
    def __init__(self, pattern, kind, times=1, method=None, token=None, **kw):
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {KINDS}")
        self.pattern = pattern
        self.rx = re.compile(pattern)
        self.kind = kind
        self.remaining = times
        self.method = method
        self.token = getattr(token, "label", token)
        self.kw = kw
        self.fired = 0

    def matches(self, method, path, token_label):
        return ((self.remaining is None or self.remaining > 0)
                and (self.method is None or self.method == method)
                and (self.token is None or self.token == token_label)
                and self.rx.search(path) is not None)

    def answer(self, path, query):
        """(status, headers, body, ctype) for terminal kinds."""
        kw = self.kw
        if self.kind == "ratelimit":
            return throttled(retry_after=kw.get("retry_after"), reset_in=kw.get("reset_in"))
        if self.kind == "status":
            status = kw.get("status", 500)
            body, ctype = STATUS_BODIES.get(status, ({"message": f"{status}"}, "application/json"))
            return status, dict(kw.get("headers") or {}), kw.get("body", body), kw.get("ctype", ctype)
        if self.kind == "redirect":
            loc = kw["location"]
            if kw.get("keep_path"):
                loc = loc.rstrip("/") + path + (("?" + query) if query else "")
            return kw.get("status", 302), {"Location": loc}, b"", "text/html"
        if self.kind == "raw":
            return (kw.get("status", 200), dict(kw.get("headers") or {}), kw.get("body", b""),
                    kw.get("ctype", "application/json"))
        raise AssertionError(self.kind)


class FaultInjector:
    def __init__(self):
        self._lock = threading.Lock()
        self.faults = []

    def add(self, pattern, kind, times=1, method=None, token=None, **kw):
        """Adds a fault (see the module doc); returns it (its .fired counts its uses)."""
        f = Fault(pattern, kind, times=times, method=method, token=token, **kw)
        with self._lock:
            self.faults.append(f)
        return f

    def clear(self, token=None):
        """Removes every fault, or only those bound to one token (label or Token)."""
        label = getattr(token, "label", token)
        with self._lock:
            self.faults[:] = [] if label is None else [f for f in self.faults if f.token != label]

    def take(self, method, path, token_label):
        """The fault that answers this request (its use counted), or None."""
        with self._lock:
            for f in self.faults:
                if f.matches(method, path, token_label):
                    if f.remaining is not None:
                        f.remaining -= 1
                    f.fired += 1
                    return f
        return None


class RateLimiter:
    def __init__(self, limit, period=60.0, retry_after=None, path_pattern=None):
        self.limit = limit
        self.period = period
        self.retry_after = retry_after
        self.rx = re.compile(path_pattern) if path_pattern else None
        self._lock = threading.Lock()
        self._hits = {}

    def check(self, key, path):
        """None when the request may pass, else GitLab's 429 answer."""
        if self.rx is not None and not self.rx.search(path):
            return None
        now = time.time()
        with self._lock:
            hits = [t for t in self._hits.get(key, []) if t > now - self.period]
            hits.append(now)
            self._hits[key] = hits
            if len(hits) <= self.limit:
                return None
            reset_in = max(1, int(hits[0] + self.period - now) + 1)
        return throttled(limit=self.limit, observed=len(hits),
                         retry_after=self.retry_after if self.retry_after is not None else reset_in,
                         reset_in=reset_in)
