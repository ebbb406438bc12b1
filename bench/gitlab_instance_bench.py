#!/usr/bin/env python3
"""glpatrol gitlab on a generated stand-in instance: requests, wall time and peak RSS of the first
run and of an incremental rerun (same state directory), and whether every planted token was found.

    python3 bench/gitlab_instance_bench.py [PROJECTS=200] [JOBS=2]

The instance (tests/support/standin/generate.py): nested groups, per project a 4-commit history
with a merge-request ref, 2 jobs with logs, an issue with notes (one system note), a merge request
with a note, a 2-file snippet, a wiki page and a release; every 5th project carries a token in one
of those places, plus personal snippets. Loopback HTTP; the token is passed through GITLAB_TOKEN.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from gitlab_standin import GitLabStandin  # noqa: E402
from standin.generate import generate  # noqa: E402

BIN = os.environ.get("GLPATROL_BIN") or os.path.join(HERE, "..", "build", "glpatrol")


def run(gl, admin, state, jobs, report):
    mark = gl.log.mark()
    cmd = ["/usr/bin/time", "-f", "%e %M", BIN, "gitlab", "--gitlab-url", gl.url, "--all-projects",
           "--state-dir", state, "-j", str(jobs), "--progress", "never", "-q", "-r", f"json:{report}"]
    env = dict(os.environ, GITLAB_TOKEN=admin, GITLAB_CI="")
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    elapsed, rss_kb = p.stderr.strip().splitlines()[-1].split()
    reqs = gl.log.entries(since=mark)
    api = [e for e in reqs if e["path"].startswith("/api/v4/")]
    git = [e for e in reqs if not e["path"].startswith("/api/v4/")]
    packs = [e for e in git if e.get("git") in ("fetch", "upload-pack")]
    traces = [e for e in api if e["path"].endswith("/trace")]
    with open(report) as fh:
        doc = json.load(fh)
    return {"rc": p.returncode, "wall_s": round(wall, 2), "time_s": float(elapsed), "rss_mib": round(int(rss_kb) / 1024, 1),
            "api_requests": len(api), "git_requests": len(git), "pack_requests": len(packs),
            "trace_downloads": len(traces), "findings": len(doc["findings"]),
            "unique_tokens": len({f["secret_sha256"] for f in doc["findings"]}),
            "reused": doc["scan"]["gitlab"]["reused"], "complete": doc["scan"]["complete"],
            "hashes": {f["secret_sha256"] for f in doc["findings"]}}


def main():
    projects = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with tempfile.TemporaryDirectory(prefix="glpatrol-bench-") as tmp:
        gl = GitLabStandin()
        gl.start()
        try:
            t0 = time.monotonic()
            state = generate(gl, projects, seed=1)
            print(f"instance: {projects} projects, {state['groups']} groups, {len(state['planted'])} planted tokens, "
                  f"generated in {time.monotonic() - t0:.1f} s", flush=True)
            planted = {p["token_sha256"] for p in state["planted"]}
            results = {}
            for name in ("first", "rerun"):
                r = run(gl, state["admin_token"], os.path.join(tmp, "state"), jobs, os.path.join(tmp, f"{name}.json"))
                missing = planted - r.pop("hashes")
                r["planted_found"] = f"{len(planted) - len(missing)}/{len(planted)}"
                results[name] = r
                print(f"{name:6} {json.dumps(r)}", flush=True)
        finally:
            gl.stop()


if __name__ == "__main__":
    main()
