"""Helpers for the hostile-input suite (tests/e2e/test_hostile_*.py).

Each test is named after its row in ../shared/docs/bad-inputs.md (A5) and mapped in
docs/hostile-inputs.md. Tokens are generated at run time (glp.py); nothing token-shaped is
committed.
"""
import json
import os
import subprocess
import threading

import glp

FORMATS = ["human", "json", "jsonl", "sarif", "gitlab", "html"]


def is_sanitized_build():
    """True for the ASan/UBSan build (./build.sh asan): big inputs are scaled down there."""
    if os.environ.get("GLPATROL_HOSTILE_FULL") == "1":
        return False
    # glp.SANITIZED looks for __asan_init: GCC links the ASan runtime as a shared library, so
    # the runtime's own strings ("AddressSanitizer") are not in the binary.
    return glp.SANITIZED


SANITIZED = is_sanitized_build()


def big(n, sanitized=None):
    """`n` bytes in the release build; `sanitized` (default n/8) in the sanitizer build."""
    if not SANITIZED:
        return n
    return sanitized if sanitized is not None else n // 8


def run_rss(args, stdin_bytes=None, stdin_fd=None, cwd=None, env=None, timeout=600,
            preexec_fn=None):
    """Runs glpatrol; returns (returncode, stdout bytes, stderr bytes, peak RSS in MiB).

    The child is reaped with wait4 so the peak RSS is that child's own, not the test's.
    """
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    if env:
        e.update(env)
    p = subprocess.Popen([glp.BIN] + list(args), cwd=cwd, env=e, preexec_fn=preexec_fn,
                         stdin=stdin_fd if stdin_fd is not None else (subprocess.PIPE if stdin_bytes is not None else subprocess.DEVNULL),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = [], []

    def pump(src, sink):
        while True:
            b = src.read(1 << 16)
            if not b:
                break
            sink.append(b)

    threads = [threading.Thread(target=pump, args=(p.stdout, out)),
               threading.Thread(target=pump, args=(p.stderr, err))]
    if stdin_bytes is not None:
        def feed():
            try:
                p.stdin.write(stdin_bytes)
                p.stdin.close()
            except BrokenPipeError:
                pass
        threads.append(threading.Thread(target=feed))
    for t in threads:
        t.daemon = True
        t.start()
    timer = threading.Timer(timeout, p.kill)
    timer.start()
    try:
        _, status, ru = os.wait4(p.pid, 0)
    finally:
        timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    for t in threads:
        t.join(10)
    return p.returncode, b"".join(out), b"".join(err), ru.ru_maxrss / 1024.0


def all_outputs(args, tmpdir, extra=(), **kw):
    """Runs `args` once per format on stdout, plus every format as a report file; returns
    {name: bytes} of every stdout, stderr and report file, and the set of exit codes."""
    outs, codes = {}, set()
    for fmt in FORMATS:
        p = glp.run(list(args) + ["-f", fmt] + list(extra), **kw)
        outs[f"stdout.{fmt}"] = p.stdout
        outs[f"stderr.{fmt}"] = p.stderr
        codes.add(p.returncode)
    reports = []
    for fmt in FORMATS:
        reports += ["-r", f"{fmt}:{tmpdir}/report.{fmt}"]
    p = glp.run(list(args) + ["-q"] + reports + list(extra), **kw)
    codes.add(p.returncode)
    outs["stderr.reports"] = p.stderr
    for fmt in FORMATS:
        with open(f"{tmpdir}/report.{fmt}", "rb") as f:
            outs[f"report.{fmt}"] = f.read()
    return outs, codes


def assert_no_token(outputs, tokens):
    """No output holds any token (nor its last 16 characters) unless explicitly allowed."""
    for name, data in outputs.items():
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        for t in tokens:
            assert t not in text, f"{name} contains a raw token"
            assert t[-16:] not in text, f"{name} contains the end of a token"


def valid_json_outputs(outputs):
    """Every JSON-shaped output parses (json, sarif, gitlab whole; jsonl line by line)."""
    for name, data in outputs.items():
        if name.endswith((".json", ".sarif", ".gitlab")) and not name.startswith("stderr"):
            json.loads(data)
        elif name.endswith(".jsonl") and not name.startswith("stderr"):
            for line in data.splitlines():
                if line.strip():
                    json.loads(line)


as_nobody = glp.as_nobody


def skipped(doc):
    return [(s["path"], s["reason"], s["error"]) for s in doc["scan"]["skipped"]]
