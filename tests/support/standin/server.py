"""The HTTP(S) front: one threaded server on 127.0.0.1 that logs every request, applies faults
and rate limits, then hands git smart-HTTP paths to the git backend and /api/v4 to the router.

Order per request: read it (Content-Length or chunked body), identify the credential (for the
log and for per-token faults), record it, apply the first matching fault, the rate limiter, then
answer. Responses with a known size carry Content-Length; streams (large job logs, git) are sent
chunked. Connections are kept alive (HTTP/1.1), like GitLab behind its proxy.
"""
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .api import RestApi
from .auth import Auth
from .entities import Entities
from .git_backend import GitHttpBackend, classify_upload_pack
from .model import PAT_KINDS
from .reqlog import redact_query
from .router import ROUTE_NOT_FOUND, ApiError, Paginator, Request, Response, Router, json_response

MAX_BODY = 64 << 20

GIT_DENIED = (b"HTTP Basic: Access denied. If a password was provided for Git authentication, the password "
              b"was incorrect or you're required to use a token instead of a password. If a token was "
              b"provided, it was either incorrect, expired, or improperly scoped.\n")
NO_DOWNLOAD = b"You are not allowed to download code from this project.\n"
GIT_NOT_FOUND = (b"The project you were looking for could not be found or you don't have permission to "
                 b"view it.\n")


def make_cert(directory):
    """Self-signed certificate for 127.0.0.1/localhost, generated now with the openssl CLI."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class _Closed(Exception):
    """The connection is to be closed without an answer (hang / drop faults)."""


class StandinServer:
    def __init__(self, inst, repos, log, faults, tls=False):
        self.inst = inst
        self.log = log
        self.faults = faults
        self.tls = tls
        self.rate_limiter = None
        self.auth = Auth(inst)
        self.entities = Entities(inst)
        self.paginator = Paginator(inst)
        self.api = RestApi(inst, self.entities, self.paginator)
        self.router = Router()
        self.api.register(self.router)
        self.git = GitHttpBackend(repos)
        self.httpd = None
        self.thread = None
        self.certdir = None
        self.cert = None
        self.url = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        srv = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *a):
                pass

            def do_GET(self):
                srv.handle(self, "GET")

            def do_HEAD(self):
                srv.handle(self, "HEAD")

            def do_POST(self):
                srv.handle(self, "POST")

            def do_PUT(self):
                srv.handle(self, "PUT")

            def do_DELETE(self):
                srv.handle(self, "DELETE")

            def do_CONNECT(self):
                srv.tunnel(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 64

            def handle_error(self, request, client_address):  # TLS failures, resets: quiet
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        scheme = "http"
        if self.tls:
            self.certdir = tempfile.mkdtemp(prefix="gitlab-standin-tls-")
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
            self.httpd = None
        if self.certdir:
            shutil.rmtree(self.certdir, ignore_errors=True)
            self.certdir = None

    # -- one request --------------------------------------------------------------------------
    @staticmethod
    def _read_body(h):
        if (h.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += h.rfile.read(size)
                h.rfile.readline()
                if len(out) > MAX_BODY:
                    raise _Closed()
        length = int(h.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise _Closed()
        return h.rfile.read(length) if length else b""

    def handle(self, h, method):
        target = h.path
        proxied = target.startswith(("http://", "https://"))
        parts = urllib.parse.urlsplit(target)
        path = parts.path or "/"
        entry = None
        try:
            body = self._read_body(h)
            req = Request(method, path + (("?" + parts.query) if parts.query else ""), path, parts.query,
                          h.headers, body, h.headers.get("Host", ""), h.client_address)
            api_path = path[len("/api/v4"):] if path.startswith("/api/v4/") else None
            cred = self.auth.credential(req, api_path)
            tok = self.inst.token_for_value(cred.value) if cred.value else None
            label = tok.label if tok else None
            entry = self.log.add({
                "method": method, "path": path, "query": redact_query(parts.query),
                "raw_path": path + (("?" + redact_query(parts.query)) if parts.query else ""),
                "host": req.host, "peer": h.client_address, "proxied": proxied,
                "token": label, "token_sha256": cred.digest, "token_kind": tok.kind if tok else None,
                "via": cred.via, "status": None, "bytes_out": 0, "fault": None, "git": None})
            resp = self._faulted(req, entry, label, cred)
            if resp is None:
                resp = self._route(req, entry, api_path, cred)
            self._send(h, method, resp, entry)
        except _Closed:
            h.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            h.close_connection = True

    def _faulted(self, req, entry, label, cred):
        """The answer of a fault or of the rate limiter, or None to answer normally."""
        f = self.faults.take(req.method, req.path, label)
        if f is not None:
            entry["fault"] = f.kind
            if f.kind == "delay":
                time.sleep(f.kw.get("delay", 1.0))
            elif f.kind == "hang":
                time.sleep(f.kw.get("delay", 30.0))
                raise _Closed()
            elif f.kind == "drop":
                raise _Closed()
            elif f.kind == "foreign_link":
                entry["_foreign"] = f.kw["foreign_host"]
            else:
                status, headers, body, ctype = f.answer(req.path, req.query)
                if isinstance(body, (dict, list)):
                    resp = json_response(body, status, headers)
                else:
                    resp = Response(status, body.encode() if isinstance(body, str) else body, headers, ctype)
                return resp
        if self.rate_limiter is not None:
            key = label or cred.digest or req.peer[0]
            hit = self.rate_limiter.check(key, req.path)
            if hit is not None:
                entry["fault"] = "ratelimit"
                status, headers, body, ctype = hit
                return Response(status, body, headers, ctype)
        return None

    def _route(self, req, entry, api_path, cred):
        split = GitHttpBackend.split(req.path)
        if split is not None:
            return self._git(req, entry, cred, *split)
        if api_path is None:
            return Response(404, b"<html><body>404 Not Found</body></html>\n", ctype="text/html")
        with self.inst.lock:
            route, params = self.router.resolve(self.inst, req.method, api_path)
            if route is None:
                return json_response(ROUTE_NOT_FOUND, 404)
            try:
                req.principal = self.auth.authenticate(cred, route.auth)
                self.auth.check(req.principal, route.auth, req.method)
                return route.handler(req, **params)
            except ApiError as e:
                return e.response()
            except Exception:  # a bug in the stand-in: show it, answer like GitLab would
                traceback.print_exc(file=sys.stderr)
                return json_response({"message": "500 Internal Server Error"}, 500)

    # -- git smart HTTP -----------------------------------------------------------------------
    def _git_access(self, cred, p):
        """(user, None) when the credential may clone p, else (None, the denial). Git over HTTP
        takes Basic auth only: any user name with a personal/project/group token as password;
        deploy tokens need their own user name (and have no user: user is None); job tokens need
        the user name gitlab-ci-token and work only while their job runs."""
        inst = self.inst
        denied = Response(401, GIT_DENIED, {"WWW-Authenticate": 'Basic realm="GitLab"'}, "text/plain")
        missing = Response(404, GIT_NOT_FOUND, ctype="text/plain")
        if cred.value is None or cred.via != "basic":
            return (None, None) if p is not None and p.visibility == "public" else (None, denied)
        t = inst.token_for_value(cred.value)
        if t is None or not t.active(inst.now()):
            return None, denied
        if p is None:
            return None, missing
        if t.kind == "deploy":
            if cred.basic_user != t.deploy_username or "read_repository" not in t.scopes:
                return None, denied
            if t.resource_type == "project":
                reach = t.resource_id == p.id
            else:
                reach = p.namespace_kind == "group" and t.resource_id in {
                    g.id for g in inst.group_ancestors(inst.groups[p.namespace_id])}
            return (None, None) if reach else (None, missing)
        if t.kind == "job":
            job = inst.job(t.job_id)
            if job is None or job.status != "running" or cred.basic_user != "gitlab-ci-token":
                return None, denied
        elif t.kind in PAT_KINDS:
            if not ({"read_repository", "write_repository", "api"} & set(t.scopes) or t.granular):
                return None, Response(403, NO_DOWNLOAD, ctype="text/plain")
        else:
            return None, denied
        user = inst.users.get(t.user_id)
        if user is None or user.state != "active":
            return None, denied
        if not inst.can_read_project(user, p):
            return None, missing
        return user, None

    def _git(self, req, entry, cred, full_path, suffix):
        inst = self.inst
        with inst.lock:
            p = inst.find_project(full_path)
            user, denial = self._git_access(cred, p)
            if denial is None and not inst.can_use_feature(user, p, "repository"):
                denial = Response(403, NO_DOWNLOAD, ctype="text/plain")
            repo_path = p.repo_path if p is not None else None
            full = inst.project_full_path(p) if p is not None else None
        if suffix == "/git-receive-pack" or req.params.get("service") == ["git-receive-pack"]:
            entry["git"] = "receive-pack"
            return denial or Response(403, b"You are not allowed to push code to this project.\n",
                                      ctype="text/plain")
        if denial is not None:
            return denial
        if repo_path is None:
            return Response(404, GIT_NOT_FOUND, ctype="text/plain")
        if suffix == "/info/refs":
            entry["git"] = "advertise"
        elif suffix == "/git-upload-pack":
            entry["git"], entry["git_wants"] = classify_upload_pack(req.body)
        status, headers, chunks = self.git.run(req.method, full, suffix, req.query, req.headers, req.body)
        hdrs = {}
        ctype = "application/octet-stream"
        for k, v in headers:
            if k.lower() == "content-type":
                ctype = v
            else:
                hdrs[k] = v
        return Response(status, chunks, hdrs, ctype)

    # -- sending ----------------------------------------------------------------------------
    def _send(self, h, method, resp, entry):
        status = resp.status
        headers = dict(resp.headers)
        if entry.get("_foreign") and "Link" in headers:
            headers["Link"] = self._foreign(headers["Link"], entry.pop("_foreign"))
        entry["status"] = status
        h.send_response(status)
        for k, v in headers.items():
            if k.lower() != "content-length":
                h.send_header(k, v)
        body = resp.body
        streamed = not isinstance(body, (bytes, bytearray))
        if status in (204, 304):
            h.end_headers()
            return
        h.send_header("Content-Type", resp.ctype)
        if not streamed:
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            if method != "HEAD":
                h.wfile.write(body)
                entry["bytes_out"] = len(body)
            return
        known = headers.get("Content-Length")
        if known is not None:
            h.send_header("Content-Length", known)
        else:
            h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        sent = 0
        for chunk in body:
            if method == "HEAD" or not chunk:
                continue
            if known is not None:
                h.wfile.write(chunk)
            else:
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        if known is None and method != "HEAD":
            h.wfile.write(b"0\r\n\r\n")
        entry["bytes_out"] = sent

    @staticmethod
    def _foreign(link, foreign_host):
        out = []
        for part in link.split(","):
            url, _, rest = part.strip().partition(">")
            u = urllib.parse.urlsplit(url.lstrip("<"))
            f = urllib.parse.urlsplit(foreign_host)
            out.append("<" + urllib.parse.urlunsplit((f.scheme, f.netloc, u.path, u.query, "")) + ">" + rest)
        return ", ".join(out)

    # -- HTTPS proxy (CONNECT) for proxy tests --------------------------------------------------
    def tunnel(self, h):
        """Acts as an HTTPS proxy: records the CONNECT target, then relays bytes blindly."""
        self.log.add({"method": "CONNECT", "path": h.path, "query": "", "raw_path": h.path,
                      "host": h.headers.get("Host", ""), "peer": h.client_address, "proxied": True,
                      "token": None, "token_sha256": None, "token_kind": None, "via": None,
                      "status": 200, "bytes_out": 0, "fault": None, "git": None})
        host, _, port = h.path.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except (OSError, ValueError):
            resp = json_response({"message": "bad gateway"}, 502)
            return self._send(h, "GET", resp, {})
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

