#!/usr/bin/env bash
# glpatrol build entry point.
#   ./build.sh            install Debian build dependencies (when root), configure and build a
#                         Release binary at build/glpatrol
#   ./build.sh test       the same, then run the whole test suite (ctest)
#   ./build.sh asan       Debug build with -fsanitize=address,undefined in build-asan/, then tests
#   ./build.sh deps       only install the dependencies
# Environment: BUILD_DIR (default build / build-asan), JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")"

# Everything the build and the test suite need, from Debian 12 packages.
PKGS=(cmake g++ make pkg-config git
      libhyperscan-dev libgit2-dev libfmt-dev doctest-dev
      libpcre2-dev libssl-dev zlib1g-dev libcurl4-openssl-dev
      nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
      python3 python3-jsonschema openssl ca-certificates strace  # strace: verification e2e (no socket without --verify)
      clang-14 libclang-rt-14-dev libfuzzer-14-dev  # fuzz/run.sh (CI step 4)
      pre-commit python3-yaml rsync nodejs)  # integration tests: pre-commit, action.yml, gitlab-ci-local

missing_pkgs() {
  local p out=()
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
  done
  echo "${out[@]:-}"
}

install_deps() {
  local missing
  missing=$(missing_pkgs)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "build.sh: installing: $missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "build.sh: missing Debian packages. Run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y $missing" >&2
    exit 2
  fi
}

JOBS=${JOBS:-$(nproc)}
mode=${1:-build}

configure_build() {
  local dir=$1 type=$2; shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DGLPATROL_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

case "$mode" in
  deps) install_deps ;;
  build|release) install_deps; configure_build "${BUILD_DIR:-build}" Release ;;
  test)
    install_deps
    configure_build "${BUILD_DIR:-build}" Release
    ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$JOBS"
    ;;
  asan)
    install_deps
    configure_build "${BUILD_DIR:-build-asan}" Debug -DGLPATROL_SANITIZE=ON
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      ctest --test-dir "${BUILD_DIR:-build-asan}" --output-on-failure -j "$JOBS"
    ;;
  *) echo "usage: ./build.sh [build|test|asan|deps]" >&2; exit 2 ;;
esac
