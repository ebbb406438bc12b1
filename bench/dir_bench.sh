#!/usr/bin/env bash
# Directory-mode benchmark: glpatrol dir (every GitLab rule) vs ripgrep with one PAT regex,
# on a generated ~1 GiB source-like tree, warm page cache, hyperfine medians.
#   bench/dir_bench.sh [SIZE_MIB] [RUNS]
# Needs: the Release build (build/glpatrol), ripgrep, hyperfine, python3 (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1024}
RUNS=${2:-7}
TREE=bench/work/tree-$SIZE
BIN=$PWD/build/glpatrol
for tool in rg hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install ripgrep hyperfine time)" >&2; exit 2; }
done
[ -x "$BIN" ] || ./build.sh
if [ ! -f "$TREE/.planted" ]; then
  /usr/bin/python3 bench/gen_tree.py "$TREE" "$SIZE" 42
fi
read -r planted files bytes < "$TREE/.planted"

# Warm the page cache and check both tools find every planted token.
found_rg=$(rg -uuu -c 'glpat-[0-9A-Za-z_-]{20}' "$TREE" | awk -F: '{s+=$NF} END {print s+0}')
found_gp=$({ "$BIN" dir "$TREE" -f json || true; } | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
echo "planted=$planted files=$files bytes=$bytes glpatrol_found=$found_gp rg_matched_lines=$found_rg" >&2

out=bench/work/dir-bench.json
hyperfine -N -i --warmup 2 --runs "$RUNS" --export-json "$out" \
  -n "glpatrol dir (all $(${BIN} rules list | tail -1))" "$BIN dir $TREE -q" \
  -n "rg -uuu 'glpat-[0-9A-Za-z_-]{20}'" "rg -uuu -c 'glpat-[0-9A-Za-z_-]{20}' $TREE" >&2

rss() { /usr/bin/time -f %M "$@" >/dev/null 2>/tmp/glpatrol-rss || true; tail -1 /tmp/glpatrol-rss; }
rss_gp=$(rss "$BIN" dir "$TREE" -q)
rss_rg=$(rss rg -uuu -c 'glpat-[0-9A-Za-z_-]{20}' "$TREE")

echo "### Directory mode: $((bytes / 1048576)) MiB, $files files, $planted planted tokens"
echo
/usr/bin/python3 - "$out" "$bytes" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1])); size = int(sys.argv[2])
print("| command | median [s] | min [s] | max [s] | user [s] | system [s] | throughput |")
print("|:---|---:|---:|---:|---:|---:|---:|")
for r in doc["results"]:
    print(f"| `{r['command']}` | {r['median']:.3f} | {r['min']:.3f} | {r['max']:.3f} | "
          f"{r['user']:.3f} | {r['system']:.3f} | {size / r['median'] / 1e9:.2f} GB/s |")
PY
echo
echo "| tool | peak RSS | findings |"
echo "|:---|---:|---:|"
echo "| glpatrol dir | $((rss_gp / 1024)) MiB | $found_gp of $planted planted |"
echo "| rg -uuu (one regex) | $((rss_rg / 1024)) MiB | $found_rg matching lines (legacy PATs only) |"
