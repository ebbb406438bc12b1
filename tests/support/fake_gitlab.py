"""A loopback fake GitLab for verification tests (Python 3 stdlib only).

Mimics the documented answers of the endpoints glpatrol uses (docs/verification.md):
  GET    /api/v4/personal_access_tokens/self   PAT metadata (any scope), 401 revoked/expired
  GET    /api/v4/user                          needs api/read_api/read_user, else 403
  GET    /api/v4/job                           JOB-TOKEN of a running job
  POST   /api/v4/runners/verify                form token=
  DELETE /api/v4/personal_access_tokens/self   204, the token becomes revoked
Every request is recorded (method, path, which known token it carried) so that tests can
assert exact request counts. Tokens are registered at run time; none is stored in this file.

    srv = FakeGitLab(tls=False)            # or tls=True: certificate generated with openssl
    srv.add(token, "active", scopes=["api"], expires_at="2027-01-01")
    url = srv.start()                       # http://127.0.0.1:PORT (bound to port 0)
    ...
    srv.count(token)                        # requests that carried this token
    srv.stop()
"""
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UNAUTHORIZED = {"message": "401 Unauthorized"}
REVOKED = {"error": "invalid_token",
           "error_description": "Token was revoked. You have to re-authorize from the user."}
EXPIRED = {"error": "invalid_token",
           "error_description": "Token is expired. You can either do re-authorization or token refresh."}
INSUFFICIENT = {"error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by the access token.",
                "scope": "api read_user"}


def make_cert(directory):
    """Self-signed certificate for 127.0.0.1/localhost, generated now with the openssl CLI."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class Token:
    def __init__(self, behaviour, **meta):
        self.behaviour = behaviour
        self.meta = meta
        self.hits = 0


class FakeGitLab:
    def __init__(self, tls=False):
        self.tls = tls
        self.tokens = {}
        self.requests = []
        self.lock = threading.Lock()
        self.httpd = None
        self.thread = None
        self.certdir = None
        self.cert = None
        self.url = None

    # -- configuration ----------------------------------------------------------------
    def add(self, token, behaviour="active", **meta):
        """behaviour: active, revoked, expired, old (no self endpoint), forbidden-self,
        ratelimit (meta n=failures, retry_after), error500, slow (meta delay), redirect
        (meta location), html, huge, job, session, runner."""
        self.tokens[token] = Token(behaviour, **meta)

    # -- inspection -------------------------------------------------------------------
    def count(self, token=None, path=None, method=None):
        with self.lock:
            return sum(1 for r in self.requests
                       if (token is None or r["token"] == token)
                       and (path is None or r["path"] == path)
                       and (method is None or r["method"] == method))

    def all_requests(self):
        with self.lock:
            return list(self.requests)

    # -- lifecycle --------------------------------------------------------------------
    def start(self):
        srv = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like GitLab
            disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms stalls)

            def log_message(self, *a):  # quiet
                pass

            def do_GET(self):
                srv._handle(self, "GET")

            def do_POST(self):
                srv._handle(self, "POST")

            def do_DELETE(self):
                srv._handle(self, "DELETE")

            def do_CONNECT(self):
                srv._tunnel(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):  # TLS failures etc.: quiet
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        scheme = "http"
        if self.tls:
            self.certdir = tempfile.mkdtemp(prefix="fake-gitlab-")
            self.cert, key = make_cert(self.certdir)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.cert, key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
            scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        return self.url

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
        if self.certdir:
            shutil.rmtree(self.certdir, ignore_errors=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- protocol ---------------------------------------------------------------------
    def _handle(self, h, method):
        raw_path = h.path
        proxied = raw_path.startswith("http://") or raw_path.startswith("https://")
        parts = urllib.parse.urlsplit(raw_path)
        path = parts.path
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(min(length, 1 << 20)) if length else b""
        token, via = None, None
        auth = h.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token, via = auth[7:], "bearer"
        elif h.headers.get("PRIVATE-TOKEN"):
            token, via = h.headers["PRIVATE-TOKEN"], "private-token"
        elif h.headers.get("JOB-TOKEN"):
            token, via = h.headers["JOB-TOKEN"], "job-token"
        elif "_gitlab_session=" in h.headers.get("Cookie", ""):
            token, via = h.headers["Cookie"].split("_gitlab_session=", 1)[1].split(";")[0], "cookie"
        elif method == "POST" and body:
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            if "token" in form:
                token, via = form["token"][0], "form"
        rec = {"method": method, "path": path, "token": token, "via": via, "proxied": proxied,
               "raw_path": raw_path, "query": parts.query, "time": time.time(),
               "host": h.headers.get("Host", ""), "peer": h.client_address}
        with self.lock:
            self.requests.append(rec)
        t = self.tokens.get(token)
        if t is not None:
            with self.lock:
                t.hits += 1
                hit = t.hits
        try:
            self._answer(h, method, path, t, hit if t else 0)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def _tunnel(self, h):
        """Acts as an HTTPS proxy: records the CONNECT target, then relays bytes blindly."""
        import select
        import socket
        with self.lock:
            self.requests.append({"method": "CONNECT", "path": h.path, "token": None, "via": None,
                                  "proxied": True, "raw_path": h.path, "query": "",
                                  "time": time.time(), "host": h.headers.get("Host", "")})
        host, _, port = h.path.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            return self._send(h, 502, {"message": "bad gateway"})
        h.send_response(200, "Connection established")
        h.end_headers()
        client = h.connection
        try:
            while True:
                r, _, _ = select.select([client, upstream], [], [], 10)
                if not r:
                    break
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (upstream if s is client else client).sendall(data)
        except OSError:
            pass
        finally:
            upstream.close()
            h.close_connection = True

    def _send(self, h, status, obj=None, headers=None, raw=None, ctype="application/json"):
        data = raw if raw is not None else (b"" if obj is None else json.dumps(obj).encode())
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if status != 204:
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if status != 204:
            h.wfile.write(data)

    def _pat_json(self, t):
        m = t.meta
        return {"id": m.get("id", 42), "name": m.get("name", "ci token"), "revoked": False,
                "created_at": m.get("created_at", "2026-11-01T10:00:00.000Z"),
                "description": "", "scopes": m.get("scopes", ["read_api"]),
                "user_id": m.get("user_id", 7), "last_used_at": m.get("last_used_at"),
                "active": True, "expires_at": m.get("expires_at", "2027-01-01")}

    def _user_json(self, t):
        m = t.meta
        u = {"id": m.get("user_id", 7), "username": m.get("username", "alice"), "state": "active"}
        if m.get("is_admin") is not None:
            u["is_admin"] = m["is_admin"]
        return u

    def _answer(self, h, method, path, t, hit):
        self_path = "/api/v4/personal_access_tokens/self"
        if t is None:
            if path == "/api/v4/runners/verify":
                return self._send(h, 403, {"message": "403 Forbidden"})
            return self._send(h, 401, UNAUTHORIZED)
        b = t.behaviour
        if b == "ratelimit":
            if hit <= t.meta.get("n", 1):
                hdrs = {}
                if t.meta.get("retry_after") is not None:
                    hdrs["Retry-After"] = str(t.meta["retry_after"])
                return self._send(h, 429, raw=b"Retry later", headers=hdrs, ctype="text/plain")
            b = "active"
        if b == "revoked":
            return self._send(h, 401, REVOKED)
        if b == "expired":
            return self._send(h, 401, EXPIRED)
        if b == "error500":
            return self._send(h, 500, {"message": "500 Internal Server Error"})
        if b == "slow":
            time.sleep(t.meta.get("delay", 5))
            return self._send(h, 200, self._pat_json(t))
        if b == "redirect":
            return self._send(h, 302, raw=b"", headers={"Location": t.meta["location"] + path})
        if b == "html":
            return self._send(h, 200, raw=b"<html><body>Sign in</body></html>", ctype="text/html")
        if b == "huge":
            return self._send(h, 200, raw=b"[" + b"0," * (1 << 19) + b"0]")
        if b == "job":
            if path == "/api/v4/job" and method == "GET":
                return self._send(h, 200, {"id": 99, "status": "running",
                                           "user": {"id": 7, "username": "alice"}})
            return self._send(h, 401, UNAUTHORIZED)
        if b == "session":
            if path == "/api/v4/user" and method == "GET":
                return self._send(h, 200, self._user_json(t))
            return self._send(h, 401, UNAUTHORIZED)
        if b == "runner":
            if path == "/api/v4/runners/verify" and method == "POST":
                return self._send(h, 200, {"id": 5, "token_expires_at": None})
            return self._send(h, 401, UNAUTHORIZED)
        # PAT behaviours: active, old, forbidden-self
        if path == self_path and method == "DELETE":
            t.behaviour = "revoked"
            return self._send(h, 204)
        if path == self_path and method == "GET":
            if b == "old":
                return self._send(h, 404, {"message": "404 Not Found"})
            if b == "forbidden-self":
                return self._send(h, 403, INSUFFICIENT)
            return self._send(h, 200, self._pat_json(t))
        if path == "/api/v4/user" and method == "GET":
            scopes = t.meta.get("scopes", ["read_api"])
            if not any(s in ("api", "read_api", "read_user", "sudo") for s in scopes):
                return self._send(h, 403, INSUFFICIENT)
            return self._send(h, 200, self._user_json(t))
        return self._send(h, 404, {"message": "404 Not Found"})


if __name__ == "__main__":
    # Manual use: python3 fake_gitlab.py [--tls]  (serves until interrupted)
    import sys
    s = FakeGitLab(tls="--tls" in sys.argv)
    print(s.start(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        s.stop()
