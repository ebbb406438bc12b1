#!/usr/bin/env bash
# What decoding (base64, escapes, UTF-16, archives: docs/decoding.md) costs a scan: the same
# scan with the default decoding and with --no-decode, on the generated ~1 GiB directory tree
# and a generated git history, warm page cache, hyperfine medians with user and system CPU.
#   bench/decode_cost.sh [TREE_MIB] [HISTORY_GB] [RUNS]
#   EXTRA_DIRS="/usr/include /usr/share/perl" bench/decode_cost.sh   # real source trees too
# Needs: the Release build (build/glpatrol), hyperfine, python3 (Debian packages).
# The goal (issue "tokens behind encodings"): decoding on stays within 1.15x of --no-decode.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1024}
GB=${2:-0.5}
RUNS=${3:-5}
TREE=bench/work/tree-$SIZE
REPO=bench/work/history-$GB
BIN=$PWD/build/glpatrol
command -v hyperfine >/dev/null || { echo "missing hyperfine (apt-get install hyperfine)" >&2; exit 2; }
[ -x "$BIN" ] || ./build.sh
[ -f "$TREE/.planted" ] || /usr/bin/python3 bench/gen_tree.py "$TREE" "$SIZE" 42
[ -d "$REPO" ] || /usr/bin/python3 bench/git_make_repo.py "$REPO" --target-gb "$GB" --seed 1

findings() { { "$@" -f json || true; } | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))'; }
echo "dir: decode=$(findings "$BIN" dir "$TREE") no-decode=$(findings "$BIN" dir "$TREE" --no-decode) findings;" \
     "git: decode=$(findings "$BIN" git "$REPO") no-decode=$(findings "$BIN" git "$REPO" --no-decode) findings;" \
     "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

out=bench/work/decode-cost.json
modes=(dir git)
cmds=(-n "dir (decoding)" "$BIN dir $TREE -q" -n "dir --no-decode" "$BIN dir $TREE -q --no-decode"
      -n "git (decoding)" "$BIN git $REPO -q" -n "git --no-decode" "$BIN git $REPO -q --no-decode")
for d in ${EXTRA_DIRS:-}; do
  modes+=("dir $d")
  cmds+=(-n "dir $d (decoding)" "$BIN dir $d -q" -n "dir $d --no-decode" "$BIN dir $d -q --no-decode")
done
hyperfine -N -i --warmup 1 --runs "$RUNS" --export-json "$out" "${cmds[@]}" >&2

/usr/bin/python3 - "$out" "${modes[@]}" <<'PY'
import json, sys
rs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
print("| scan | median [s] | user [s] | system [s] | CPU vs --no-decode | wall vs --no-decode |")
print("|:---|---:|---:|---:|---:|---:|")
for mode in sys.argv[2:]:
    on, off = rs[f"{mode} (decoding)"], rs[f"{mode} --no-decode"]
    for name, r in ((f"{mode} (decoding)", on), (f"{mode} --no-decode", off)):
        cpu = (r["user"] + r["system"]) / (off["user"] + off["system"])
        print(f"| `{name}` | {r['median']:.3f} | {r['user']:.3f} | {r['system']:.3f} | {cpu:.2f}x | "
              f"{r['median'] / off['median']:.2f}x |")
PY
