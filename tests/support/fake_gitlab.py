"""The verification tests' fake GitLab: a compatibility layer over the GitLab stand-in
(tests/support/gitlab_standin.py), keeping the small per-token API those tests were written with.

Each token is registered with a behaviour; the layer turns it into model objects (a user and a
personal access token, a running job, a session, a runner) plus, where a behaviour is a fault
(rate limits, errors, delays, redirects, odd bodies), a fault bound to that token:

    srv = FakeGitLab(tls=False)            # or tls=True: certificate generated with openssl
    srv.add(token, "active", scopes=["api"], expires_at="2027-01-01")
    url = srv.start()                       # http://127.0.0.1:PORT (bound to port 0)
    ...
    srv.count(token)                        # requests that carried this token
    srv.stop()

The instance clock is fixed at 2026-11-01T12:00Z so that the default expiry (2027-01-01) stays in
the future, and token use does not move last_used_at, so the metadata a test sets is what the
scanner reads. all_requests() shows the token value for tokens added here (the stand-in's log
itself holds only SHA-256 digests and labels).
"""
import datetime as _dt
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gitlab_standin import GitLabStandin  # noqa: E402
from standin.model import sha256  # noqa: E402
from standin.server import make_cert  # noqa: E402,F401  (re-exported for older imports)

SELF = "/api/v4/personal_access_tokens/self"
INSUFFICIENT = {"error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by the access token.",
                "scope": "api read_user"}
CLOCK = _dt.datetime(2026, 11, 1, 12, 0, tzinfo=_dt.timezone.utc)


class FakeGitLab:
    def __init__(self, tls=False):
        self.tls = tls
        self.standin = GitLabStandin(tls=tls)
        self.standin.inst.clock = lambda: CLOCK
        self.standin.inst.track_last_used = False
        self._values = {}  # sha256 -> token value, for all_requests()
        self._n = 0
        self._ci_project = None

    @property
    def url(self):
        return self.standin.url

    @property
    def cert(self):
        return self.standin.cert

    # -- configuration ----------------------------------------------------------------
    def _user(self, meta):
        s = self.standin
        uid = meta.get("user_id", 7)
        u = s.inst.users.get(uid)
        if u is None:
            u = s.add_user(meta.get("username", "alice"), id=uid)
        elif "username" in meta:
            u.username = meta["username"]
        if meta.get("is_admin") is not None:
            u.is_admin = bool(meta["is_admin"])
        return u

    def _pat(self, token, label, meta, **extra):
        m = dict(meta)
        attrs = dict(name=m.get("name", "ci token"), scopes=m.get("scopes", ["read_api"]),
                     created_at=m.get("created_at", "2026-11-01T10:00:00.000Z"),
                     expires_at=m.get("expires_at", "2027-01-01"), last_used_at=m.get("last_used_at"),
                     id=m.get("id", 42), label=label, granular_scopes=m.get("granular_scopes"))
        attrs.update(extra)
        return self.standin.add_personal_token(self._user(m), token, **attrs)

    def add(self, token, behaviour="active", **meta):
        """behaviour: active, revoked, expired, old (no self endpoint), forbidden-self,
        ratelimit (meta n=failures, retry_after), error500, slow (meta delay), redirect
        (meta location), html, huge, job, session, runner."""
        s = self.standin
        self._forget(token)
        self._n += 1
        label = f"fake-{self._n}"
        self._values[sha256(token)] = token
        f = s.faults
        if behaviour == "job":
            if self._ci_project is None:
                self._ci_project = s.add_project(s.add_group("fake-ci"), "ci", repo=False)
            s.add_job(self._ci_project, "build", status="running", user=self._user(meta), token=token,
                      id=meta.get("job_id"))
        elif behaviour == "session":
            s.add_token("session", token, user=self._user(meta), label=label)
        elif behaviour == "runner":
            s.add_runner(token, label=label)
        elif behaviour == "revoked":
            self._pat(token, label, meta, revoked=True)
        elif behaviour == "expired":
            self._pat(token, label, meta, expires_at="2026-01-01")
        else:
            self._pat(token, label, meta)
        kinds = {
            "old": lambda: f.add(SELF, "status", times=None, token=label, status=404,
                                 body={"message": "404 Not Found"}),
            "forbidden-self": lambda: f.add(SELF, "status", times=None, token=label, status=403,
                                            body=INSUFFICIENT),
            "ratelimit": lambda: f.add(".", "ratelimit", times=meta.get("n", 1), token=label,
                                       retry_after=meta.get("retry_after")),
            "error500": lambda: f.add(".", "status", times=None, token=label, status=500),
            "slow": lambda: f.add(".", "delay", times=None, token=label, delay=meta.get("delay", 5)),
            "redirect": lambda: f.add(".", "redirect", times=None, token=label,
                                      location=meta["location"], keep_path=True),
            "html": lambda: f.add(".", "raw", times=None, token=label, status=200, ctype="text/html",
                                  body=b"<html><body>Sign in</body></html>"),
            "huge": lambda: f.add(".", "raw", times=None, token=label, status=200,
                                  body=b"[" + b"0," * (1 << 19) + b"0]"),
        }
        if behaviour in kinds:
            kinds[behaviour]()

    def _forget(self, token):
        """Re-adding a token replaces its earlier registration."""
        t = self.standin.inst.unregister_token(token)
        if t is not None:
            self.standin.faults.clear(token=t)

    # -- inspection -------------------------------------------------------------------
    def count(self, token=None, path=None, method=None):
        return self.standin.count(token_sha256=sha256(token) if token is not None else None,
                                  path=path, method=method)

    def all_requests(self):
        return [dict(e, token=self._values.get(e["token_sha256"], e["token_sha256"]))
                for e in self.standin.requests()]

    # -- lifecycle --------------------------------------------------------------------
    def start(self):
        return self.standin.start()

    def stop(self):
        self.standin.stop()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    # Manual use: python3 fake_gitlab.py [--tls]  (serves until interrupted)
    import time
    s = FakeGitLab(tls="--tls" in sys.argv)
    print(s.start(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        s.stop()
