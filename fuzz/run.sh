#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [TARGET...]
#   Builds every libFuzzer target (clang-14, ASan+UBSan, build-fuzz/), replays each target's
#   regression inputs (fuzz/regressions/<target>/: every reproducer ever found must pass), then
#   fuzzes each target for SECONDS (default 60) starting from the seed corpus fuzz/corpus/<target>/.
#   Targets run one after another (the machine is shared); exit 1 if any target failed.
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_WORK (default fuzz/corpus-run: grown
#   corpora and crash artifacts, gitignored), JOBS (build parallelism, default nproc).
# A crash leaves its input in $FUZZ_WORK/<target>/artifacts/; reproduce with
#   build-fuzz/fuzz/fuzz_<target> <file>
# and, once fixed, copy the file to fuzz/regressions/<target>/ (it must contain no token-shaped
# text: the project scans itself; tokens are planted by the target at run time).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
WORK=${FUZZ_WORK:-fuzz/corpus-run}
JOBS=${JOBS:-$(nproc)}

all_targets=()
for f in fuzz/fuzz_*.cc; do
  t=${f#fuzz/fuzz_}
  all_targets+=("${t%.cc}")
done
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

CC=${CC:-clang-14} CXX=${CXX:-clang++-14} cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGLPATROL_FUZZ=ON -DGLPATROL_TESTS=OFF -DGLPATROL_WERROR=ON >/dev/null
cmake --build "$BUILD" --target glpatrol_fuzzers -j "$JOBS"

# Per-target libFuzzer flags: input size limits fit what each parser sees.
flags_for() {
  case "$1" in
    matcher) echo "-max_len=65536" ;;     # the target stretches inputs past chunk boundaries
    routable) echo "-max_len=8192" ;;
    index_file) echo "-max_len=65536" ;;  # a few hundred entries with extensions
    *) echo "-max_len=16384" ;;
  esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=()
for t in "${targets[@]}"; do
  bin="$BUILD/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz/run.sh: no target $t" >&2; failed+=("$t"); continue; }
  mkdir -p "$WORK/$t/artifacts"
  if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
    echo "== $t: regression inputs"
    if ! "$bin" -timeout=60 -rss_limit_mb=2560 fuzz/regressions/"$t"/* >"$WORK/$t/regressions.log" 2>&1; then
      tail -40 "$WORK/$t/regressions.log"
      echo "fuzz/run.sh: $t: a regression input fails (log: $WORK/$t/regressions.log)" >&2
      failed+=("$t")
      continue
    fi
  fi
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=("-dict=fuzz/dict/$t.dict")
  echo "== $t: fuzzing for ${secs}s"
  # shellcheck disable=SC2046
  if ! "$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
       -artifact_prefix="$WORK/$t/artifacts/" "${dict[@]}" $(flags_for "$t") \
       "$WORK/$t" "fuzz/corpus/$t" >"$WORK/$t/fuzz.log" 2>&1; then
    grep -E "ERROR|ORACLE|SUMMARY|Test unit written|timeout|out-of-memory" "$WORK/$t/fuzz.log" | head -20
    echo "fuzz/run.sh: $t FAILED (log: $WORK/$t/fuzz.log, input in $WORK/$t/artifacts/)" >&2
    failed+=("$t")
    continue
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|DONE" "$WORK/$t/fuzz.log" | tr '\n' ' '
  echo
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz/run.sh: failed targets: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz/run.sh: all ${#targets[@]} targets passed (${secs}s each)"
