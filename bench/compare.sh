#!/usr/bin/env bash
# glpatrol against its peers, on the same machine, in one run (medians of several runs).
#
#   bench/compare.sh [--repo PATH] [--tree PATH] [--runs N] [--gb G] [--skip-scaling | --scaling-only]
#   (--scaling-only re-runs only the 10%..100% history pass and rewrites the report from the
#   results of the last full run)
#
# Corpora (generated ones go to bench/work/, git-ignored; generation is seeded, so the same
# command on another machine builds the same bytes):
#   tree     ~1 GiB source-like directory tree      bench/gen_tree.py (seed 42), or --tree PATH
#   history  a real public repository you cloned (--repo PATH, e.g. `git clone --mirror
#            https://github.com/redis/redis`), otherwise a generated one of the same shape
#            (bench/git_make_repo.py --target-gb G, default 2.2: thousands of commits touching
#            source-like files, big generated files changed slightly, merges, one packed clone)
#   small    the small generated repository of the history tests' shape (git_make_repo.py
#            --target-gb 0.05 --files 200), where start-up dominates
# Tools (each only if installed; Debian: apt-get install ripgrep hyperfine git-secrets time
# python3-matplotlib): glpatrol, ripgrep, `git log -p --all | rg`, `git cat-file
# --batch-all-objects` (the read-everything floor), git-secrets (GitLab patterns only),
# gitleaks and trufflehog when on PATH (GitLab rules only, no verification).
# Output: bench/work/compare/results.{md,json}, bench/work/compare/throughput.svg; the
# Markdown is what bench/README.md's "Peer comparison" section shows.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REPO="" TREE="" RUNS=3 GB=2.2 SCALING=1 PEERS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --repo) REPO=$(realpath "$2"); shift 2 ;;
    --tree) TREE=$(realpath "$2"); shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --gb) GB=$2; shift 2 ;;
    --skip-scaling) SCALING=0; shift ;;
    --scaling-only) PEERS=0; shift ;;
    *) echo "usage: bench/compare.sh [--repo PATH] [--tree PATH] [--runs N] [--gb G] [--skip-scaling | --scaling-only]" >&2; exit 2 ;;
  esac
done
OUT=$ROOT/bench/work/compare
mkdir -p "$OUT"
BIN=${GLPATROL_BIN:-$ROOT/build/glpatrol}
# A wrong path would otherwise be "measured" as a 0 ms command that fails.
[ -f "$BIN" ] && [ -x "$BIN" ] && "$BIN" version >/dev/null 2>&1 ||
  { echo "bench/compare.sh: $BIN is not a working glpatrol binary (set GLPATROL_BIN)" >&2; exit 2; }
for t in rg hyperfine /usr/bin/time git python3; do
  command -v "$t" >/dev/null || { echo "missing $t (apt-get install ripgrep hyperfine time git)" >&2; exit 2; }
done
[ -x "$BIN" ] || ./build.sh
PY=/usr/bin/python3
export GIT_CONFIG_NOSYSTEM=1

# --- corpora --------------------------------------------------------------------------------
if [ -z "$TREE" ]; then
  TREE=$ROOT/bench/work/tree-1024
  [ -f "$TREE/.planted" ] || $PY bench/gen_tree.py "$TREE" 1024 42
fi
if [ -z "$REPO" ]; then
  REPO=$ROOT/bench/work/history-$GB
  [ -f "$REPO.done" ] || { rm -rf "$REPO"; $PY bench/git_make_repo.py "$REPO" --target-gb "$GB" --seed 1 && touch "$REPO.done"; }
fi
SMALL=$ROOT/bench/work/history-small
[ -f "$SMALL.done" ] || { rm -rf "$SMALL"; $PY bench/git_make_repo.py "$SMALL" --target-gb 0.05 --files 200 --seed 2 && touch "$SMALL.done"; }

blob_bytes() {  # total size of every blob in a repository (what a history scan must read)
  git -C "$1" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
    awk '$1=="blob"{s+=$2} END{printf "%.0f\n", s}'
}
tree_bytes() { du -sb --apparent-size "$1" | cut -f1; }

# GitLab-only pattern sets for the peers (the same token kinds glpatrol's rules cover).
PAT='(glpat|gloas|gldt|glrt|glrtr|glcbt|glptt|glft|glimt|glagent|glsoat|glffct|glwt)-[0-9A-Za-z_-]{20,}|GR1348941[0-9A-Za-z_-]{20}|_gitlab_session=[0-9a-z]{32,64}'
SECRETS_CFG=$OUT/git-secrets.gitconfig
SCRATCH=$OUT/git-secrets-scratch   # git-secrets needs some repository even for --no-index
[ -d "$SCRATCH/.git" ] || git init -q "$SCRATCH"
printf '[secrets]\n\tpatterns = %s\n' "$PAT" > "$SECRETS_CFG"
GITLEAKS_CFG=$OUT/gitleaks-gitlab.toml
cat > "$GITLEAKS_CFG" <<EOF
title = "GitLab tokens only (bench/compare.sh)"
[[rules]]
id = "gitlab-any"
regex = '''$PAT'''
EOF

# --- commands per corpus ----------------------------------------------------------------------
# name<TAB>command (run with bash -c; output discarded by hyperfine, counted separately).
commands_for() {  # $1 = kind (tree|repo), $2 = path
  local k=$1 p=$2
  if [ "$k" = tree ]; then
    printf 'glpatrol dir\t%q dir %q -q\n' "$BIN" "$p"
    printf 'ripgrep (GitLab regex)\trg -uuu -c %q %q\n' "$PAT" "$p"
    command -v git-secrets >/dev/null &&
      printf 'git-secrets --scan --no-index\tcd %q && GIT_DIR=%q GIT_CONFIG_GLOBAL=%q git secrets --scan --no-index .\n' "$p" "$SCRATCH/.git" "$SECRETS_CFG"
    command -v gitleaks >/dev/null &&
      printf 'gitleaks dir\tgitleaks dir --no-banner --exit-code 0 -c %q %q\n' "$GITLEAKS_CFG" "$p"
    command -v trufflehog >/dev/null &&
      printf 'trufflehog filesystem\ttrufflehog filesystem --no-verification --include-detectors gitlab --json %q\n' "$p"
  else
    printf 'glpatrol git\t%q git %q -q\n' "$BIN" "$p"
    printf 'git cat-file --batch-all-objects (floor)\tgit -C %q cat-file --batch-all-objects --batch --unordered\n' "$p"
    printf 'git cat-file | rg\tgit -C %q cat-file --batch-all-objects --batch --unordered | rg -a -c %q\n' "$p" "$PAT"
    printf 'git log -p --all | rg\tgit -C %q log -p --all | rg -c %q\n' "$p" "$PAT"
    command -v git-secrets >/dev/null &&
      printf 'git-secrets --scan-history\tcd %q && GIT_CONFIG_GLOBAL=%q git secrets --scan-history\n' "$p" "$SECRETS_CFG"
    command -v gitleaks >/dev/null &&
      printf 'gitleaks git\tgitleaks git --no-banner --exit-code 0 -c %q %q\n' "$GITLEAKS_CFG" "$p"
    command -v trufflehog >/dev/null &&
      printf 'trufflehog git\ttrufflehog git --no-verification --include-detectors gitlab --json file://%q\n' "$p"
  fi
  return 0
}

count_findings() {  # $1 = tool name, $2 = command; prints a findings count (tool's own unit)
  case "$1" in
    glpatrol*) bash -c "${2% -q} -f json" 2>/dev/null | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))' ;;
    *floor*) echo "-" ;;
    ripgrep*|*"| rg"*) bash -c "$2" 2>/dev/null | awk -F: '{s+=$NF} END {print s+0}' ;;
    git-secrets*) bash -c "$2" 2>&1 | grep -c -E "$PAT" || true ;;  # matching lines
    gitleaks*) bash -c "${2} --report-format json --report-path /dev/stdout" 2>/dev/null | $PY -c 'import json,sys; print(len(json.load(sys.stdin) or []))' ;;
    trufflehog*) bash -c "$2" 2>/dev/null | grep -c '"DetectorName"' || true ;;
  esac
}

peak_rss_mib() {  # peak RSS of the whole pipeline's largest process, MiB
  { /usr/bin/time -f %M bash -c "$1 >/dev/null 2>&1" 2>&1 >/dev/null || true; } | tail -1 |
    awk '{printf "%.0f", $1/1024}'
}

RESULTS=$OUT/results.tsv
EXTRA=$OUT/extra.tsv
if [ "$PEERS" = 1 ]; then
  : > "$RESULTS"
  : > "$EXTRA"
  bench_corpus() {  # $1 = label, $2 = kind, $3 = path, $4 = bytes
    local label=$1 kind=$2 path=$3 bytes=$4 json=$OUT/hyperfine-$1.json
    local -a args=()
    local -a names=()
    while IFS=$'\t' read -r name cmd; do
      args+=(-n "$name" "$cmd")
      names+=("$name")
    done < <(commands_for "$kind" "$path")
    echo "== $label ($((bytes / 1000000)) MB): ${names[*]}" >&2
    hyperfine -i --warmup 1 --runs "$RUNS" --export-json "$json" "${args[@]}" >&2
    while IFS=$'\t' read -r name cmd; do
      printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$bytes" "$name" "$(peak_rss_mib "$cmd")" "$(count_findings "$name" "$cmd")" >> "$RESULTS"
    done < <(commands_for "$kind" "$path")
  }

  bench_corpus tree tree "$TREE" "$(tree_bytes "$TREE")"
  bench_corpus history repo "$REPO" "$(blob_bytes "$REPO")"
  bench_corpus small repo "$SMALL" "$(blob_bytes "$SMALL")"

  # --- start-up, pre-commit latency, scaling ----------------------------------------------------
  EMPTY=$OUT/empty.txt
  : > "$EMPTY"
  hyperfine -N -i --warmup 3 --runs 20 --export-json "$OUT/startup.json" \
    -n "glpatrol dir (1 empty file)" "$BIN dir $EMPTY -q" \
    -n "glpatrol dir --pat-prefix corp- (rules compiled at start-up)" "$BIN dir $EMPTY -q --pat-prefix corp-" \
    -n "rg (1 empty file)" "rg -c glpat- $EMPTY" >&2

  # Pre-commit: a clone sharing the big repository's objects, one staged change.
  STAGE=$OUT/staged-clone
  rm -rf "$STAGE"
  git clone -q --shared "$REPO" "$STAGE" 2>/dev/null || git clone -q --shared --bare "$REPO" "$STAGE"
  if [ -d "$STAGE/.git" ]; then
    f=$(git -C "$STAGE" ls-files | sed -n 1p)  # (head would SIGPIPE git under pipefail)
    echo "// staged change" >> "$STAGE/$f"
    git -C "$STAGE" add "$f"
    hyperfine -N -i --warmup 2 --runs 10 --export-json "$OUT/staged.json" \
      -n "glpatrol git --staged (1 file staged, $(git -C "$STAGE" ls-files | wc -l) tracked files)" \
      "$BIN git $STAGE --staged -q" >&2
  fi
else
  sed -i "/^scaling\t/d" "$EXTRA"
fi

if [ "$SCALING" = 1 ]; then
  # Time and memory as the history grows: the range root..C introduces the unique content of
  # the first X% of the first-parent history (the root commit's own files excluded).
  mapfile -t chain < <(git -C "$REPO" rev-list --first-parent --reverse HEAD)
  n=${#chain[@]}
  for pct in 10 25 50 75 100; do
    c=${chain[$(( (n - 1) * pct / 100 ))]}
    cmd="$BIN git $REPO --range ${chain[0]}..$c -q"
    t0=$(date +%s.%N)
    rss=$(peak_rss_mib "$cmd")
    t1=$(date +%s.%N)
    bytes=$( ("$BIN" git "$REPO" --range "${chain[0]}..$c" -f json 2>/dev/null || true) | $PY -c 'import json,sys; print(json.load(sys.stdin)["scan"]["stats"]["bytes"])')
    printf 'scaling\t%s\t%s\t%s\t%s\n' "$pct" "$bytes" "$(awk "BEGIN{print $t1 - $t0}")" "$rss" >> "$EXTRA"
  done
fi

# --- report -----------------------------------------------------------------------------------
$PY - "$OUT" "$RUNS" "$TREE" "$REPO" "$SMALL" <<'PY'
import json, os, platform, subprocess, sys
out, runs, tree, repo, small = sys.argv[1:6]
rows = [l.rstrip("\n").split("\t") for l in open(f"{out}/results.tsv")]
def cpu():
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            return l.split(":", 1)[1].strip()
    return platform.processor()
mem = int(open("/proc/meminfo").read().split()[1]) // (1024 * 1024)
def ver(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout.splitlines()[0].strip()
    except Exception:
        return "n/a"
md = []
md.append(f"Machine: {cpu()}, {os.cpu_count()} vCPU, {mem} GiB RAM; {ver(['uname', '-sr'])}; "
          f"{ver([os.environ.get('GLPATROL_BIN', 'build/glpatrol'), '--version'])}; {ver(['rg', '--version'])}; "
          f"{ver(['git', '--version'])}; {ver(['hyperfine', '--version'])}. Medians of {runs} runs after 1 warm-up "
          f"(warm page cache); peak RSS from `/usr/bin/time -f %M` (largest process of a pipeline).")
md.append("")
def shown(p):
    r = os.path.relpath(p)
    return p if r.startswith("..") else r
labels = {"tree": f"Directory tree `{shown(tree)}`", "history": f"History `{shown(repo)}` (all blobs)",
          "small": f"Small history `{shown(small)}`"}
plot = []
for label in ("tree", "history", "small"):
    sel = [r for r in rows if r[0] == label]
    if not sel:
        continue
    hf = {r["command"]: r for r in json.load(open(f"{out}/hyperfine-{label}.json"))["results"]}
    size = int(sel[0][1])
    md.append(f"#### {labels[label]}: {size / 1e6:,.0f} MB")
    md.append("")
    md.append("| tool | median wall [s] | MB/s | CPU user+sys [s] | peak RSS [MiB] | findings |")
    md.append("|:---|---:|---:|---:|---:|---:|")
    for _, _, name, rss, found in sel:
        h = hf.get(name)
        if not h:
            continue
        med = h["median"]
        md.append(f"| {name.replace('|', chr(92) + '|')} | {med:.2f} | {size / med / 1e6:,.0f} | {h['user'] + h['system']:.2f} | {rss} | {found} |")
        plot.append((label, name, size / med / 1e6))
    md.append("")
def one(path, fmt):
    try:
        for r in json.load(open(path))["results"]:
            yield fmt(r)
    except FileNotFoundError:
        return
md.append("#### Start-up and pre-commit latency")
md.append("")
md.append("| command | median [ms] | min [ms] |")
md.append("|:---|---:|---:|")
for f in ("startup.json", "staged.json"):
    for line in one(f"{out}/{f}", lambda r: f"| {r['command'].replace('|', '/')} | {r['median'] * 1000:.1f} | {r['min'] * 1000:.1f} |"):
        md.append(line)
md.append("")
if os.path.exists(f"{out}/extra.tsv"):
    sc = [l.rstrip("\n").split("\t") for l in open(f"{out}/extra.tsv") if l.startswith("scaling")]
    if sc:
        md.append("#### Scaling with history length (`--range root..C`, C at X% of the first-parent chain)")
        md.append("")
        md.append("| history | unique blob bytes scanned | wall [s] | MB/s | peak RSS [MiB] |")
        md.append("|---:|---:|---:|---:|---:|")
        for _, pct, b, t, rss in sc:
            b, t = int(b), float(t)
            md.append(f"| {pct}% | {b / 1e6:,.0f} MB | {t:.2f} | {b / t / 1e6:,.0f} | {rss} |")
        md.append("")
open(f"{out}/results.md", "w").write("\n".join(md) + "\n")
json.dump({"rows": rows}, open(f"{out}/results.json", "w"), indent=1)
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    for ax, label in zip(axes, ("tree", "history", "small")):
        data = [(n, v) for l, n, v in plot if l == label]
        if not data:
            ax.set_visible(False)
            continue
        names = [n for n, _ in data][::-1]
        vals = [v for _, v in data][::-1]
        colors = ["#d9480f" if n.startswith("glpatrol") else "#868e96" for n in names]
        ax.barh(names, vals, color=colors)
        ax.set_xscale("log")
        ax.set_title(labels[label].replace("`", ""), fontsize=9)
        ax.set_xlabel("MB/s (log scale, higher is better)")
        ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(f"{out}/throughput.svg")
except ImportError:
    print("python3-matplotlib not installed: no plot", file=sys.stderr)
print(open(f"{out}/results.md").read())
PY
