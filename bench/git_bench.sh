#!/usr/bin/env bash
# History-scan benchmark: glpatrol git vs. reading every object once (git cat-file) vs. the
# diff-based pipeline (git log -p --all | rg). Builds the benchmark repository first when it
# is missing (bench/git_make_repo.py, seeded: the same repository every time).
#
#   GLPATROL_BIN=build/glpatrol bench/git_bench.sh [REPO]
#
# Writes bench/work/git_bench.md (hyperfine table + peak RSS + staged latency).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BIN="$(realpath "${GLPATROL_BIN:-$here/../build/glpatrol}")"
REPO="${1:-${GLPATROL_BENCH_REPO:-/tmp/glpatrol-bench/repo}}"
OUT="$here/work"
mkdir -p "$OUT"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
if [ ! -d "$REPO/.git" ]; then
  mkdir -p "$(dirname "$REPO")"
  /usr/bin/python3 "$here/git_make_repo.py" "$REPO" --target-gb 2.2 --seed 1
fi
for tool in hyperfine rg /usr/bin/time; do command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install hyperfine ripgrep time)"; exit 2; }; done

cd "$REPO"
echo "repository: $REPO"
git count-objects -vH | grep -E "in-pack|size-pack"
echo "commits: $(git rev-list --all --count)"
"$BIN" git . -q -r "json:$OUT/git_bench_report.json" || true
python3 - "$OUT/git_bench_report.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["scan"]
print(f"glpatrol: {s['stats']['blobs']} blobs, {s['stats']['bytes'] / 1e9:.3f} GB of blob content, "
      f"{s['stats']['commits']} commits; pack reader: {s['git'].get('pack_reader')}")
PY

hyperfine --warmup 1 --runs "${RUNS:-3}" -i --export-markdown "$OUT/git_bench_history.md" \
  -n "glpatrol git" "$BIN git . -q" \
  -n "git cat-file --batch-all-objects" "git cat-file --batch-all-objects --batch --unordered > /dev/null" \
  -n "git log -p --all | rg glpat-" "git log -p --all | rg -c 'glpat-' || true"

# Wall clock alone misleads on a shared machine: CPU time (user + sys) and peak RSS per run.
echo "wall s / user s / sys s / peak RSS KiB, 3 runs each:"
for _ in 1 2 3; do { /usr/bin/time -f "glpatrol git  %e / %U / %S / %M" "$BIN" git . -q 2>&1 >/dev/null || true; } | tail -1; done
for _ in 1 2 3; do
  { /usr/bin/time -f "git cat-file  %e / %U / %S / %M" \
      git cat-file --batch-all-objects --batch --unordered 2>&1 >/dev/null || true; } | tail -1
done

# Staged mode on the same repository: a scratch clone sharing the objects, one staged edit.
ST="$(mktemp -d)"
trap 'rm -rf "$ST"' EXIT
git clone -q --shared "$REPO" "$ST/w"
f="$(git -C "$ST/w" ls-files | head -1)"
echo "/* staged edit */" >> "$ST/w/$f"
git -C "$ST/w" add "$f"
echo "index entries: $(git -C "$ST/w" ls-files | wc -l)"
hyperfine --warmup 3 --runs 20 -i --export-markdown "$OUT/git_bench_staged.md" \
  -n "glpatrol git --staged" "$BIN git $ST/w --staged -q"
