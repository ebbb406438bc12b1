"""Shared helpers for glpatrol end-to-end tests.

Tests run the real binary (GLPATROL_BIN) on trees and repositories created at test time.
Tokens are generated here at run time: no token-shaped literal is ever committed, because
glpatrol scans its own repository and must come out clean.
"""
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zlib

BIN = os.path.abspath(os.environ.get("GLPATROL_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "glpatrol"))
def _sanitized(path):
    try:
        with open(path, "rb") as fh:
            return b"__asan_init" in fh.read()
    except OSError:
        return False


def as_nobody():
    """preexec_fn: drop root so that file permissions apply (tests run as root in CI)."""
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)


_bin_for_nobody = None


def bin_for_nobody():
    """The binary at a path user nobody can execute, for runs with preexec_fn=as_nobody: the
    build tree may sit below a directory only root can enter (a CI checkout in `mktemp -d`,
    mode 0700). A copy in a 0755 temporary directory, removed at exit."""
    global _bin_for_nobody
    if os.geteuid() != 0:
        return BIN
    if _bin_for_nobody is None:
        import atexit
        d = tempfile.mkdtemp(prefix="glp-bin-")
        os.chmod(d, 0o755)
        path = os.path.join(d, "glpatrol")
        shutil.copy(BIN, path)
        os.chmod(path, 0o755)
        atexit.register(shutil.rmtree, d, True)
        _bin_for_nobody = path
    return _bin_for_nobody


# AddressSanitizer builds use several times more memory (shadow memory, quarantine): memory
# bounds in tests scale by MEMORY_FACTOR so they still catch unbounded growth there.
SANITIZED = _sanitized(BIN)
MEMORY_FACTOR = 4 if SANITIZED else 1
if SANITIZED and "quarantine_size_mb=" not in os.environ.get("ASAN_OPTIONS", ""):
    # ASan keeps up to 256 MB of freed memory in quarantine by default: a streamed 96 MiB input
    # fills it and a memory bound measures the quarantine instead of glpatrol. 32 MB still
    # catches use-after-free of recently freed buffers.
    os.environ["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "quarantine_size_mb=32"]))
if SANITIZED and "suppressions=" not in os.environ.get("LSAN_OPTIONS", ""):
    # A bounded leak inside Debian's libgit2 1.5.1; see the file for why and how narrow.
    os.environ["LSAN_OPTIONS"] = ":".join(filter(None, [
        os.environ.get("LSAN_OPTIONS", ""),
        "suppressions=" + os.path.abspath(os.path.join(
            os.path.dirname(__file__), "..", "sanitizers", "lsan-e2e.supp"))]))

SRC = os.environ.get("GLPATROL_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")

# Verification results are cached by default (XDG_CACHE_HOME/glpatrol). Every process the tests
# start sees a private cache root, never the user's; run() gives each call its own empty one, so
# a test sees the cache only where it asks for it (--verify-cache-dir or env XDG_CACHE_HOME).
_CACHE_ROOT = tempfile.mkdtemp(prefix="glpatrol-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE_ROOT
import atexit  # noqa: E402
atexit.register(shutil.rmtree, _CACHE_ROOT, True)

_rng = random.Random(int(os.environ.get("GLPATROL_TEST_SEED", "20261127")))

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
DEVISE = "".join(c for c in B64URL if c not in "lIO0")
HEX = "0123456789abcdef"
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def rand(alphabet, n):
    while True:
        s = "".join(_rng.choice(alphabet) for _ in range(n))
        # Real tokens mix classes; keep generated ones clear of placeholder heuristics.
        if any(c.isdigit() for c in s) and any(c.isalpha() for c in s):
            return s


def base36(n, width=0):
    out = ""
    while True:
        out = B36[n % 36] + out
        n //= 36
        if n == 0:
            break
    return out.rjust(width, "0")


def _p(*parts):
    # Prefixes are assembled from parts so this file holds no token-shaped literal.
    return "".join(parts)


PAT = _p("gl", "pat-")


def pat():
    """A legacy 20-character personal access token."""
    return PAT + rand(DEVISE, 20)


def routable(prefix=None, versioned=True, routing=None, bad_crc=False):
    """A routable token (GitLab's generator, lib/authn/token_field/generator/routable_token.rb)."""
    prefix = PAT if prefix is None else prefix
    routing = routing or {"o": "1", "u": base36(_rng.randrange(1, 36 ** 5))}
    payload = "\n".join(f"{k}:{v}" for k, v in sorted(routing.items())).encode()
    rnd = bytes(_rng.randrange(256) for _ in range(16))
    enc = (rnd + payload + bytes([len(payload)])) if versioned else (payload + rnd + bytes([16]))
    b64 = base64.urlsafe_b64encode(enc).rstrip(b"=").decode()
    body = prefix + b64 + "." + ("01." if versioned else "") + base36(len(b64), 2)
    crc = zlib.crc32(body.encode())
    if bad_crc:
        crc ^= 0x5A5A5A5A
    return body + base36(crc, 7)


# Every built-in token kind (rule id) and a generator for it; tokens exist only at run time.
_GENERATORS = {
    "gitlab.pat": pat,
    "gitlab.pat.routable": lambda: routable(),
    "gitlab.pat.routable_unversioned": lambda: routable(versioned=False),
    "gitlab.runner_auth": lambda: _p("gl", "rt-t1_") + rand(DEVISE, 20),
    "gitlab.runner_auth.routable": lambda: routable(_p("gl", "rt-t3_"), routing={"o": "1", "p": "2a", "t": "3"}),
    "gitlab.runner_registration": lambda: _p("GR13", "48941") + rand(DEVISE, 20),
    "gitlab.oauth_app_secret": lambda: _p("gl", "oas-") + rand(HEX, 64),
    "gitlab.deploy_token": lambda: _p("gl", "dt-") + rand(DEVISE, 20),
    "gitlab.job_token": lambda: _p("gl", "cbt-") + rand(ALNUM, 2) + "_" + rand(DEVISE, 20),
    "gitlab.pipeline_trigger": lambda: _p("gl", "ptt-") + rand(HEX, 40),
    "gitlab.feed_token": lambda: _p("gl", "ft-") + rand(DEVISE, 20),
    "gitlab.incoming_mail": lambda: _p("gl", "imt-") + rand(B36, 25),
    "gitlab.agent_token": lambda: _p("gl", "agent-") + rand(DEVISE, 50),
    "gitlab.scim_token": lambda: _p("gl", "soat-") + rand(DEVISE, 20),
    "gitlab.feature_flags_client": lambda: _p("gl", "ffct-") + rand(DEVISE, 20),
    "gitlab.workspace_token": lambda: _p("gl", "wt-") + rand(DEVISE, 20),
}
TOKEN_KINDS = list(_GENERATORS)


def token(kind):
    """A token of a given rule id, generated at run time."""
    return _GENERATORS[kind]()


def drain_pty(master):
    """Reads a pseudo-terminal's master side until the other side is closed (EOF or EIO), then
    closes it; returns every byte written to the terminal."""
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the slave side is closed and nothing is left
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    return data


class PtyDrain:
    """Drains a pseudo-terminal's master side in a thread while the process writes to the slave
    side (a terminal buffers only a few KiB: a process that draws progress faster than nobody
    reads it blocks for ever). Close the parent's slave fd right after starting the process;
    bytes() returns everything once the process has closed its side."""

    def __init__(self, master):
        import threading
        self._data = b""
        self._thread = threading.Thread(target=self._run, args=(master,), daemon=True)
        self._thread.start()

    def _run(self, master):
        self._data = drain_pty(master)

    def bytes(self, timeout=300):
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the terminal was not closed in time"
        return self._data


def run(args, stdin=None, cwd=None, env=None, check_rc=None, timeout=300):
    """Runs glpatrol; returns CompletedProcess with text stdout/stderr (bytes-safe)."""
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e["XDG_CACHE_HOME"] = tempfile.mkdtemp(dir=_CACHE_ROOT)
    if env:
        e.update(env)
    p = subprocess.run([BIN] + list(args), input=stdin, cwd=cwd, env=e,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    p.out = p.stdout.decode("utf-8", "replace")
    p.err = p.stderr.decode("utf-8", "replace")
    if check_rc is not None and p.returncode != check_rc:
        raise AssertionError(f"glpatrol {args}: rc={p.returncode}, expected {check_rc}\n"
                             f"stdout:\n{p.out[:4000]}\nstderr:\n{p.err[:4000]}")
    return p


def run_json(args, **kw):
    p = run(list(args) + ["-f", "json"], **kw)
    try:
        p.doc = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"invalid JSON from {args}: {e}\n{p.out[:2000]}\n{p.err[:2000]}")
    return p


class TempDir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="glpatrol-test-")

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        for root, dirs, files in os.walk(self.path):
            for d in dirs:
                try:
                    os.chmod(os.path.join(root, d), 0o755)
                except OSError:
                    pass
        shutil.rmtree(self.path, ignore_errors=True)


def write(path, data, mode="wb"):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(path, mode) as f:
        f.write(data)


class Skip(Exception):
    """Raised by a test that cannot run here (not root, a git without sha256...): the runner
    prints 'skip' with the reason instead of a silent 'ok'."""


def skip(reason):
    raise Skip(reason)


def main(tests):
    """Runs test functions; prints 'N passed, N skipped, N failed' and exits non-zero on failure.
    With GLPATROL_REQUIRE_ALL_TESTS=1 (CI sets it) a skipped test is a failure: CI must not pass
    because a test could not run."""
    only = sys.argv[1:]
    require_all = os.environ.get("GLPATROL_REQUIRE_ALL_TESTS") == "1"
    passed = failed = skipped = 0
    for t in tests:
        if only and t.__name__ not in only:
            continue
        try:
            t()
            passed += 1
            print(f"ok   {t.__name__}")
        except Skip as e:
            if require_all:
                failed += 1
                print(f"FAIL {t.__name__}: skipped ({e}) but GLPATROL_REQUIRE_ALL_TESTS=1")
            else:
                skipped += 1
                print(f"skip {t.__name__}: {e}")
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            import traceback
            print(f"FAIL {t.__name__}: {e}")
            traceback.print_exc()
    print(f"{passed} passed, {skipped} skipped, {failed} failed")
    sys.exit(1 if failed else 0)
