#!/usr/bin/env bash
# Pre-commit latency: `glpatrol git --staged` on a repository with a large index.
#
#   GLPATROL_BIN=build/glpatrol bench/staged_bench.sh [FILES] [DIRS]
#
# Builds bench/work/staged-FILES (seeded, git fast-import: FILES files of ~2 KB spread over
# DIRS directories two levels deep, one commit) when missing, then stages a typical commit
# (3 edited files, 1 new file) and times the hook command with hyperfine (warm cache; 3
# warm-ups, 30 runs), plus `git diff --cached --name-only` (git's own cost of finding what is
# staged) as the floor. Writes bench/work/staged-FILES.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BIN="$(realpath "${GLPATROL_BIN:-$here/../build/glpatrol}")"
FILES=${1:-100000}
DIRS=${2:-2000}
REPO="$here/work/staged-$FILES"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
for tool in hyperfine git; do command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install hyperfine git)"; exit 2; }; done

if [ ! -f "$REPO.done" ]; then
  rm -rf "$REPO"
  git init -q -b main "$REPO"
  /usr/bin/python3 - "$FILES" "$DIRS" <<'PY' | git -C "$REPO" fast-import --quiet
import random, sys
files, dirs = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(7)
words = ["config", "value", "return", "self", "request", "buffer", "client", "handler", "index"]
out = sys.stdout.buffer
out.write(b"commit refs/heads/main\nmark :1\ncommitter bench <bench@example.com> 1700000000 +0000\n"
          b"data 7\ninitial\n")
for i in range(files):
    d = i % dirs
    path = f"src/m{d // 50:03d}/d{d:05d}/f{i:07d}.py"
    body = "\n".join(f"{rng.choice(words)}_{j} = {rng.choice(words)}({i}, {j})" for j in range(60)) + "\n"
    data = body.encode()
    out.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
PY
  git -C "$REPO" reset -q --hard main
  touch "$REPO.done"
fi

cd "$REPO"
git reset -q --hard main
git clean -qfd
mapfile -t some < <(git ls-files | awk 'NR % 25013 == 1' | head -3)
for f in "${some[@]}"; do printf 'edited = True\n' >> "$f"; done
printf 'new_module = 1\n' > src/new_module.py
git add "${some[@]}" src/new_module.py
entries=$(git ls-files | wc -l)
echo "repository: $REPO ($entries index entries; staged: ${#some[@]} edits + 1 new file)"
"$BIN" git . --staged -f json | /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin)["scan"]["stats"]; print("glpatrol scanned", s["blobs"], "blobs,", s["bytes"], "bytes")'
hyperfine -N --warmup 3 --runs 30 --export-markdown "$here/work/staged-$FILES.md" \
  -n "glpatrol git --staged ($entries index entries)" "$BIN git . --staged -q" \
  -n "git diff --cached --name-only (floor)" "git diff --cached --name-only"
/usr/bin/time -f "glpatrol git --staged peak RSS: %M KB" "$BIN" git . --staged -q
