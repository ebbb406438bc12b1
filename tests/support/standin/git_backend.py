"""Git side of the stand-in: bare repositories built at test time, served over smart HTTP.

RepoStore creates one bare repository per project under a root directory and writes commits with
`git fast-import` (one process per batch, no work tree), so a generator can build hundreds of small
histories quickly. Commits may go to a branch or to any ref, e.g. GitLab's merge-request refs
`refs/merge-requests/<iid>/head`, including commits no branch contains (as a fork's MR gives).

GitHttpBackend answers the smart HTTP protocol by running `git http-backend` as a CGI program
(GIT_PROJECT_ROOT = the store's root, GIT_HTTP_EXPORT_ALL). Only upload-pack (clone/fetch) is
served; receive-pack answers 403. Protocol v2 is passed through (Git-Protocol header), so fetch
negotiates and a fetch of an unchanged repository transfers no pack. Each request is classified
(advertise / ls-refs / fetch / upload-pack with N wants) for the request log.
"""
import os
import shutil
import subprocess
import tempfile
import threading

# Let git read repositories owned by another uid (a test may hand in an existing bare repository).
_SAFE = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "*"}


def _git_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(_SAFE)
    env.update({"GIT_AUTHOR_NAME": "Stand-in", "GIT_AUTHOR_EMAIL": "standin@example.com",
                "GIT_COMMITTER_NAME": "Stand-in", "GIT_COMMITTER_EMAIL": "standin@example.com",
                "GIT_TERMINAL_PROMPT": "0"})
    env.update(extra or {})
    return env


class RepoStore:
    def __init__(self, root=None):
        self.owned = root is None
        self.root = root or tempfile.mkdtemp(prefix="gitlab-standin-repos-")
        self._locks = {}
        self._guard = threading.Lock()

    def close(self):
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)

    def path_for(self, full_path):
        return os.path.join(self.root, full_path + ".git")

    def _lock(self, path):
        with self._guard:
            return self._locks.setdefault(path, threading.Lock())

    def _template(self):
        """An empty bare repository made once with `git init`; new repositories are copies of
        it (no git process per project)."""
        with self._guard:
            tpl = os.path.join(self.root, ".template.git")
            if not os.path.isdir(tpl):
                subprocess.run(["git", "init", "-q", "--bare", tpl], check=True, env=_git_env())
                shutil.rmtree(os.path.join(tpl, "hooks"), ignore_errors=True)  # samples only
                # as GitLab (Gitaly) allows: fetching a reachable commit by its id
                with open(os.path.join(tpl, "config"), "a") as f:
                    f.write("[uploadpack]\n\tallowReachableSHA1InWant = true\n")
            return tpl

    def create(self, full_path, default_branch="main", existing=None):
        """A bare repository for a project at <root>/<full_path>.git; `existing` links a bare
        repository the test made itself instead of creating an empty one."""
        path = self.path_for(full_path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if existing:
            os.symlink(os.path.abspath(existing), path)
            return path
        shutil.copytree(self._template(), path, symlinks=True)
        with open(os.path.join(path, "HEAD"), "w") as f:
            f.write(f"ref: refs/heads/{default_branch}\n")
        return path

    @staticmethod
    def tip(path, ref):
        """The sha a full ref points at, read from the ref files (loose, then packed-refs)."""
        try:
            with open(os.path.join(path, ref)) as f:
                return f.read().strip() or None
        except OSError:
            pass
        try:
            with open(os.path.join(path, "packed-refs")) as f:
                for line in f:
                    sha, _, name = line.strip().partition(" ")
                    if name == ref:
                        return sha
        except OSError:
            pass
        return None

    def rev_parse(self, path, ref):
        """A commit id for a branch name, a full ref, a sha or any revision expression."""
        if len(ref) == 40 and all(c in "0123456789abcdef" for c in ref):
            return ref
        if ref.startswith("refs/") or "/" not in ref and not any(c in ref for c in "~^@:"):
            full = ref if ref.startswith("refs/") else "refs/heads/" + ref
            if os.path.isdir(os.path.join(path, "refs")) and not os.path.islink(path):
                return self.tip(path, full)
        p = subprocess.run(["git", "-C", path, "rev-parse", "--verify", "-q", ref + "^{commit}"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_git_env())
        return p.stdout.decode().strip() or None

    def commit(self, path, ref, files, message, parent=None, when=None, author=None):
        """One commit on `ref` changing `files` ({path: str|bytes|None}; None deletes) on top of
        `parent` (a sha or ref; default: the ref's current tip). Returns the new commit's sha."""
        return self.commits(path, [dict(ref=ref, files=files, message=message, parent=parent,
                                        when=when, author=author)])[-1]

    def commits(self, path, specs):
        """Writes several commits in one fast-import run; returns their shas in order. A spec's
        parent defaults to the previous commit written to the same ref in this batch, or the
        ref's tip in the repository."""
        with self._lock(path):
            stream, tips, marks = [], {}, []
            for n, s in enumerate(specs, 1):
                ref = s["ref"] if s["ref"].startswith("refs/") else "refs/heads/" + s["ref"]
                parent = s.get("parent")
                if parent is None:
                    parent = tips.get(ref) or self.rev_parse(path, ref)
                elif not parent.startswith(":"):
                    parent = self.rev_parse(path, parent) or parent
                name, email = s.get("author") or ("Stand-in", "standin@example.com")
                when = int(s["when"].timestamp()) if s.get("when") else 1700000000 + n
                msg = s["message"].encode()
                stream.append(f"commit {ref}\nmark :{n}\n".encode())
                stream.append(f"author {name} <{email}> {when} +0000\n".encode())
                stream.append(f"committer {name} <{email}> {when} +0000\n".encode())
                stream.append(b"data %d\n%s\n" % (len(msg), msg))
                if parent:
                    stream.append(f"from {parent}\n".encode())
                for fpath, content in s["files"].items():
                    if content is None:
                        stream.append(f"D {fpath}\n".encode())
                        continue
                    data = content.encode() if isinstance(content, str) else content
                    stream.append(f"M 100644 inline {fpath}\n".encode())
                    stream.append(b"data %d\n%s\n" % (len(data), data))
                tips[ref] = f":{n}"
                marks.append(n)
            with tempfile.NamedTemporaryFile(prefix="marks-", delete=False) as mf:
                marks_file = mf.name
            try:
                p = subprocess.run(["git", "-C", path, "fast-import", "--quiet", "--force",
                                    f"--export-marks={marks_file}"],
                                   input=b"".join(stream), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=_git_env())
                if p.returncode != 0:
                    raise RuntimeError("git fast-import failed: " + p.stderr.decode(errors="replace"))
                exported = {}
                with open(marks_file) as f:
                    for line in f:
                        mark, sha = line.split()
                        exported[int(mark[1:])] = sha
            finally:
                os.unlink(marks_file)
            return [exported[n] for n in marks]

    def update_ref(self, path, ref, sha):
        subprocess.run(["git", "-C", path, "update-ref", ref, sha], check=True, env=_git_env())


def classify_upload_pack(body):
    """What an upload-pack POST asks for: 'ls-refs' / 'fetch' (protocol v2) or 'upload-pack'
    (v0/v1), and how many objects it wants. The body is a pkt-line stream (maybe gzipped)."""
    import gzip
    import zlib
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            return "upload-pack", 0
    command, wants, pos = None, 0, 0
    while pos + 4 <= len(body):
        try:
            n = int(body[pos:pos + 4], 16)
        except ValueError:
            break
        if n < 4:  # flush / delim / response-end
            pos += 4
            continue
        line = body[pos + 4:pos + n]
        pos += n
        if line.startswith(b"command="):
            command = line[8:].strip().decode(errors="replace")
        elif line.startswith(b"want "):
            wants += 1
    return (command or "upload-pack"), wants


class GitHttpBackend:
    """Serves /<namespace>/<project>.git/... through `git http-backend` (CGI)."""

    SUFFIXES = ("/info/refs", "/git-upload-pack", "/git-receive-pack", "/HEAD")

    def __init__(self, store):
        self.store = store
        self.binary = self._find_backend()

    @staticmethod
    def _find_backend():
        exec_path = subprocess.run(["git", "--exec-path"], stdout=subprocess.PIPE,
                                   check=True).stdout.decode().strip()
        return os.path.join(exec_path, "git-http-backend")

    @classmethod
    def split(cls, path):
        """'/a/b.git/info/refs' -> ('a/b', '/info/refs'); None when the path is not a git URL."""
        if ".git/" not in path:
            return None
        repo, _, rest = path.partition(".git/")
        rest = "/" + rest
        if rest not in cls.SUFFIXES and not rest.startswith("/objects/"):
            return None
        return repo.lstrip("/"), rest

    def run(self, method, full_path, suffix, query, headers, body):
        """Runs the CGI program. Returns (status, headers list, body chunk iterator)."""
        env = _git_env({
            "GIT_PROJECT_ROOT": self.store.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": method,
            "PATH_INFO": "/" + full_path + ".git" + suffix,
            "QUERY_STRING": query or "",
            "CONTENT_TYPE": headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_USER": "standin",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
        })
        if headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = headers["Git-Protocol"]
        if headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = headers["Content-Encoding"]
        proc = subprocess.Popen([self.binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env)
        # Feed stdin from a thread: http-backend may start writing before it has read everything.
        feeder = threading.Thread(target=self._feed, args=(proc, body), daemon=True)
        feeder.start()
        status, out_headers = 200, []
        while True:
            line = proc.stdout.readline()
            if not line or line in (b"\r\n", b"\n"):
                break
            k, _, v = line.decode("latin-1").rstrip("\r\n").partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            else:
                out_headers.append((k.strip(), v.strip()))

        def stream():
            try:
                while True:
                    chunk = proc.stdout.read1(1 << 16)
                    if not chunk:
                        break
                    yield chunk
            finally:
                proc.stdout.close()
                proc.wait()
                feeder.join()

        return status, out_headers, stream()

    @staticmethod
    def _feed(proc, body):
        try:
            proc.stdin.write(body)
        except (BrokenPipeError, OSError):
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass
