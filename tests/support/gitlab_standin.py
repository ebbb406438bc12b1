#!/usr/bin/env python3
"""A loopback GitLab stand-in: REST API v4 and git over smart HTTP, built at test time.

One server answers verification, instance scans and token audits at once, as GitLab's REST API v4
documents them (docs.gitlab.com/api/*): groups with subgroups, projects (offset and keyset
pagination), CI jobs and their logs, project and personal snippets (multi-file, raw files),
issues and merge requests with notes and discussions, wiki pages, releases, users, personal /
impersonation / project / group access tokens, deploy tokens, runners, job tokens, the token
information API (admin), group token revocation, self-rotation, /personal_access_tokens/self
(+ /associations), /version and /metadata. Git clone and fetch work over smart HTTP through
`git http-backend` (upload-pack only). Routes appear and disappear with the instance version and
feature flags, as in GitLab (e.g. 17.3 has no /self/associations; 17.8 has the admin token API).

Nothing token-shaped is stored here: tests generate tokens at run time and register them; the
stand-in keeps only their SHA-256, and its request log names tokens by label.

Python use (all on 127.0.0.1, port 0):

    from gitlab_standin import GitLabStandin
    with GitLabStandin(version="17.8.0") as gl:          # or tls=True (gl.cert is the CA file)
        root = gl.add_user("root", is_admin=True)
        admin = gl.add_personal_token(root, value, scopes=["api", "admin_mode"])
        grp = gl.add_group("platform"); sub = gl.add_group("backend", parent=grp)
        p = gl.add_project(sub, "api")                   # a bare repository comes with it
        gl.add_commit(p, {"config.env": "TOKEN=..."}, "add config")
        gl.add_job(p, "build", trace="log ...")
        ... python-gitlab / glpatrol / git against gl.url ...
        gl.count(path_prefix="/api/v4/projects", method="GET", token=admin)
        gl.faults.add(r"/jobs$", "ratelimit", times=2, retry_after=1)

Benchmark instance from the command line:

    python3 tests/support/gitlab_standin.py serve --projects 200 --port 0 --state-file F

generates an instance (nested groups; per project a small git history, jobs with logs, issues
with notes, merge requests, snippets, wiki pages, releases; some of them contain generated
tokens), serves it on 127.0.0.1 until SIGTERM/SIGINT, prints the URL, and writes F (mode 0600,
it holds the admin token) as JSON: {"url", "admin_token", "projects", "groups", "pid", "cert",
"planted": [{"where", "project", "kind", "token_sha256"}]}. Options: --seed N (layout and
where tokens go), --tls (then "cert" is the CA file to trust), --version V (default 17.8.0).
200 projects take about 40 s to generate on a busy 2-core machine (one fast-import per repo).
"""
import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from standin.builder import Builder  # noqa: E402
from standin.faults import FaultInjector, RateLimiter  # noqa: E402
from standin.git_backend import RepoStore  # noqa: E402
from standin.model import (DEVELOPER, GUEST, MAINTAINER, OWNER, REPORTER, Instance,  # noqa: E402,F401
                           LargeTrace, sha256)
from standin.reqlog import RequestLog  # noqa: E402
from standin.server import StandinServer, make_cert  # noqa: E402,F401


def _rotation_value(kind):
    """A new token for POST .../rotate, in the current (routable) format, made at run time."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
    import glp
    return glp.routable()


class GitLabStandin(Builder):
    """The stand-in: a Builder (the model's Python API) plus the server, its request log, fault
    injection and rate limiting."""

    def __init__(self, tls=False, version="17.8.0", repo_root=None, external_url=None):
        """tls: serve HTTPS with a certificate made now (self.cert). version: the GitLab version
        answered and behaved as (set_version() changes it later). repo_root: where the bare
        repositories go (default: a temporary directory removed by stop()). external_url: the
        URL GitLab believes it has (web_url, http_url_to_repo, pagination Link headers);
        default: the server's own URL."""
        inst = Instance(version=version)
        super().__init__(inst, RepoStore(repo_root))
        self.log = RequestLog()
        self.faults = FaultInjector()
        self.server = StandinServer(inst, self.repos, self.log, self.faults, tls=tls)
        self.server.api.rotate_value = _rotation_value
        self._external_url = external_url
        self.url = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self):
        """Binds 127.0.0.1 on a free port; returns the base URL (http:// or https://)."""
        self.url = self.server.start()
        with self.inst.lock:
            self.inst.external_url = self._external_url or self.url
        return self.url

    def stop(self):
        self.server.stop()
        self.repos.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def api_url(self):
        return self.url + "/api/v4"

    @property
    def cert(self):
        """The self-signed certificate (PEM) of a TLS stand-in, to trust as a CA bundle."""
        return self.server.cert

    def git_url(self, project, user=None, token=None):
        """Clone URL at this server (whatever http_url_to_repo says), with credentials if given."""
        p = self._project(project)
        auth = ""
        if token is not None:
            import urllib.parse
            auth = f"{urllib.parse.quote(user or 'oauth2', safe='')}:{urllib.parse.quote(token, safe='')}@"
        scheme, rest = self.url.split("://", 1)
        return f"{scheme}://{auth}{rest}/{self.inst.project_full_path(p)}.git"

    # -- throttling and the log ------------------------------------------------------------------
    def rate_limit(self, limit, period=60.0, retry_after=None, path_pattern=None):
        """Throttle every token (or anonymous peer) after `limit` requests per `period` seconds
        (429 with Retry-After and RateLimit-* headers); limit=None removes it."""
        self.server.rate_limiter = None if limit is None else RateLimiter(limit, period, retry_after,
                                                                          path_pattern)

    def count(self, **filters):
        """Requests matching the filters (see RequestLog.entries): path, path_prefix, pattern,
        method, token (label or Token), status, via, git, since, token_sha256."""
        return self.log.count(**filters)

    def requests(self, **filters):
        return self.log.entries(**filters)


# -- command line ------------------------------------------------------------------------------
def _serve(argv):
    import argparse
    from standin.generate import generate
    ap = argparse.ArgumentParser(prog="gitlab_standin.py serve")
    ap.add_argument("--projects", type=int, default=20)
    ap.add_argument("--port", type=int, default=0, help="only 0 (a free port) is supported")
    ap.add_argument("--state-file", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--version", default="17.8.0")
    a = ap.parse_args(argv)
    if a.port != 0:
        ap.error("--port must be 0: the stand-in binds a free loopback port")
    gl = GitLabStandin(tls=a.tls, version=a.version)
    gl.start()
    state = generate(gl, a.projects, seed=a.seed)
    state.update({"url": gl.url, "pid": os.getpid(), "cert": gl.cert})
    tmp = a.state_file + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds an admin token
    with os.fdopen(fd, "w") as f:
        json.dump(state, f, indent=1)
    os.replace(tmp, a.state_file)
    print(gl.url, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    gl.stop()


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "serve":
        _serve(sys.argv[2:])
    else:
        print(__doc__)
        sys.exit(2)
