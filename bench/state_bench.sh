#!/usr/bin/env bash
# Incremental rescans (--state-dir): a full history scan vs. the first scan that fills the
# state vs. a rescan of the unchanged repository vs. rescans after each of two new commits
# (each adding a token generated at run time) and after a force push that drops the last one,
# with the findings of each compared to the full scan's. Wall time, best of RUNS (default 3)
# for the scans without state, one run for each rescan (a rescan changes the state).
#
#   GLPATROL_BIN=build/glpatrol bench/state_bench.sh [REPO...]
#
# Default repositories: the generated history (bench/git_make_repo.py, built when missing at
# --target-gb ${TARGET_GB:-0.3}) and this checkout. A repository is copied before the "new
# commit" step, so the one given is never changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BIN="$(realpath "${GLPATROL_BIN:-$here/../build/glpatrol}")"
RUNS="${RUNS:-3}"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
if [ "$#" -eq 0 ]; then
  gen="${GLPATROL_STATE_BENCH_REPO:-/tmp/glpatrol-bench/state-repo}"
  if [ ! -d "$gen/.git" ]; then
    mkdir -p "$(dirname "$gen")"
    /usr/bin/python3 "$here/git_make_repo.py" "$gen" --target-gb "${TARGET_GB:-0.3}" --seed 1
  fi
  set -- "$gen" "$(cd "$here/.." && git rev-parse --show-toplevel)"
fi

exec /usr/bin/python3 - "$BIN" "$RUNS" "$@" <<'PY'
import json, os, random, shutil, string, subprocess, sys, tempfile, time
bin_, runs, repos = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def run(args):
    t = time.monotonic()
    p = subprocess.run([bin_] + args + ["-f", "json", "--progress", "never"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.monotonic() - t
    if p.returncode not in (0, 1):
        sys.exit(f"glpatrol {args}: rc {p.returncode}\n{p.stderr.decode()[-2000:]}")
    doc = json.loads(p.stdout)
    key = sorted(json.dumps({k: v for k, v in f.items() if k != "verification"}, sort_keys=True)
                 for f in doc["findings"])
    return dt, key, doc["scan"]["git"].get("state")

def best(args):
    results = [run(args) for _ in range(runs)]
    return min(r[0] for r in results), results[-1][1], results[-1][2]

for repo in repos:
    with tempfile.TemporaryDirectory(prefix="glpatrol-state-bench-") as tmp:
        work = os.path.join(tmp, "repo")
        subprocess.run(["git", "clone", "-q", "--mirror", repo, work], check=True)
        state = os.path.join(tmp, "state")
        full_t, full_k, _ = best(["git", work])
        t0 = time.monotonic()
        _, first_k, _ = run(["git", work, "--state-dir", state])
        first_t = time.monotonic() - t0
        re_t, re_k, re_s = best(["git", work, "--state-dir", state])
        # Two new commits on top of HEAD, one after the other, each adding a file with a token
        # generated here (so the second rescan has stored findings to carry over and new ones
        # to add): each rescan is compared with a full scan of the same refs.
        wt = os.path.join(tmp, "wt")
        subprocess.run(["git", "clone", "-q", work, wt], check=True)
        env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.com",
                   GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@example.com")
        rounds = []
        for i in range(2):
            token = "glpat-" + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(20))
            with open(os.path.join(wt, f"bench-new-file-{i}.txt"), "w") as fh:
                fh.write(f"a new file for the incremental benchmark\nTOKEN={token}\n")
            subprocess.run(["git", "-C", wt, "add", "."], check=True)
            subprocess.run(["git", "-C", wt, "commit", "-q", "-m", f"bench {i}"], check=True, env=env)
            subprocess.run(["git", "-C", wt, "push", "-q", work, "HEAD:refs/heads/bench-new"], check=True)
            full2_t, full2_k, _ = best(["git", work])
            t0 = time.monotonic()
            _, new_k, new_s = run(["git", work, "--state-dir", state])
            new_t = time.monotonic() - t0
            rounds.append((f"after new commit {i + 1}", full2_t, new_t, new_s, new_k == full2_k, len(full2_k)))
        # A force push that drops the last commit: the stored tip is gone, everything is walked
        # again (with the stored matches of every blob).
        subprocess.run(["git", "-C", wt, "push", "-q", "-f", work, "HEAD~1:refs/heads/bench-new"], check=True)
        full2_t, full2_k, _ = best(["git", work])
        t0 = time.monotonic()
        _, new_k, new_s = run(["git", work, "--state-dir", state])
        new_t = time.monotonic() - t0
        rounds.append(("after a force push", full2_t, new_t, new_s, new_k == full2_k, len(full2_k)))
        same = first_k == full_k and re_k == full_k and all(r[4] for r in rounds)
        after = " | ".join(
            f"{what}: {new_t:.3f} s = {new_t / full2_t:.3f}x of full {full2_t:.3f} s "
            f"(walk {new_s.get('walk')}, blobs read {new_s['blobs_scanned']}, from state "
            f"{new_s['blobs_reused']}, findings {n}, identical {ok})"
            for what, full2_t, new_t, new_s, ok, n in rounds)
        print(f"{repo}: full {full_t:.3f} s | first --state-dir {first_t:.3f} s | "
              f"rescan {re_t:.3f} s = {re_t / full_t:.3f}x (history_reused={re_s['history_reused']}) | "
              f"{after} | findings identical: {same} ({len(full_k)} before the new commits)")
        if not same:
            sys.exit(1)
PY
