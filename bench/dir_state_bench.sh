#!/usr/bin/env bash
# Incremental directory scans (dir --state-dir): a full scan vs. the first scan that fills the
# state vs. a rescan of the unchanged tree vs. a rescan after 1% of the files changed, with the
# findings of each compared to a full scan's. Wall time, best of RUNS (default 3), warm cache.
#
#   GLPATROL_BIN=build/glpatrol bench/dir_state_bench.sh [TREE_MIB]
#
# The tree is bench/gen_tree.py's (default 1024 MiB, the directory benchmark's), copied to a
# temporary directory so that changing files never touches the generated one. Files changed
# by the benchmark are dated an hour back: a file changed within two seconds of a scan is
# "racily clean" and never remembered (docs/git-history.md, "Directory trees").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BIN="$(realpath "${GLPATROL_BIN:-$here/../build/glpatrol}")"
RUNS="${RUNS:-3}"
SIZE="${1:-1024}"
TREE="$here/work/tree-$SIZE"
[ -f "$TREE/.planted" ] || /usr/bin/python3 "$here/gen_tree.py" "$TREE" "$SIZE" 42

exec /usr/bin/python3 - "$BIN" "$RUNS" "$TREE" <<'PY'
import json, os, shutil, subprocess, sys, tempfile, time
bin_, runs, tree = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def run(args):
    t = time.monotonic()
    p = subprocess.run([bin_] + args + ["-f", "json", "--progress", "never"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.monotonic() - t
    if p.returncode not in (0, 1):
        sys.exit(f"glpatrol {args}: rc {p.returncode}\n{p.stderr.decode()[-2000:]}")
    doc = json.loads(p.stdout)
    key = sorted(json.dumps({k: v for k, v in f.items() if k != "verification"}, sort_keys=True)
                 for f in doc["findings"])
    return dt, key, doc["scan"]["stats"]

def best(args):
    results = [run(args) for _ in range(runs)]
    return min(r[0] for r in results), results[-1][1], results[-1][2]

with tempfile.TemporaryDirectory(prefix="glpatrol-dir-state-") as tmp:
    work = os.path.join(tmp, "tree")
    shutil.copytree(tree, work)
    files = sorted(os.path.join(r, f) for r, _, fs in os.walk(work) for f in fs)
    hour_ago = time.time() - 3600
    for f in files:
        os.utime(f, (hour_ago, hour_ago))
    time.sleep(2.1)  # every ctime out of the racy window
    state = os.path.join(tmp, "state")
    full_t, full_k, full_s = best(["dir", work])
    t0 = time.monotonic()
    first_k = run(["dir", work, "--state-dir", state])[1]
    first_t = time.monotonic() - t0
    re_t, re_k, re_s = best(["dir", work, "--state-dir", state])
    # 1% of the files get a line appended (every 100th file).
    changed = files[::100]
    for f in changed:
        with open(f, "a") as fh:
            fh.write("# touched\n")
        os.utime(f, (hour_ago, hour_ago))
    time.sleep(2.1)
    full2_k = run(["dir", work])[1]
    t0 = time.monotonic()
    ch_k, ch_s = run(["dir", work, "--state-dir", state])[1:]
    ch_t = time.monotonic() - t0
    print(f"| tree | files | full scan [s] | first with state [s] | rescan unchanged [s] | "
          f"after {len(changed)} files changed [s] | findings identical |")
    print("|:---|---:|---:|---:|---:|---:|:---|")
    same = first_k == full_k and re_k == full_k and ch_k == full2_k
    print(f"| {os.path.basename(tree)} | {len(files)} | {full_t:.3f} | {first_t:.3f} ({first_t / full_t:.2f}x) | "
          f"{re_t:.3f} ({re_t / full_t:.2f}x, {re_s.get('reused', 0)} reused) | "
          f"{ch_t:.3f} ({ch_t / full_t:.2f}x, {ch_s.get('reused', 0)} reused) | {'yes' if same else 'NO'} |")
    if not same:
        sys.exit("findings differ from a full scan")
PY
