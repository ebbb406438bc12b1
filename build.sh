#!/usr/bin/env bash
# glpatrol build entry point.
#   ./build.sh            install the Debian packages the build needs (when root), configure and
#                         build a Release binary at build/glpatrol
#   ./build.sh test       the same plus the test tools, then run the whole test suite (ctest)
#   ./build.sh asan       Debug build with -fsanitize=address,undefined in build-asan/, then tests
#   ./build.sh tidy       clang-tidy (.clang-tidy) over every translation unit of the Release build
#   ./build.sh package    Release build in build-pkg/ with Debian's hardening flags, then the
#                         Debian package: build-pkg/glpatrol_<version>_<arch>.deb (cmake/Packaging.cmake)
#   ./build.sh deps [GROUP...]  only install dependencies: build, test, fuzz, package
#                         (default: all of them; CI uses that)
# Environment: BUILD_DIR (default build / build-asan / build-pkg), JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")"

# Debian 12 packages, by what needs them. Building the default configuration needs only
# BUILD: it builds the unit-test binary too (doctest) and registers the e2e tests, whose
# interpreter tests/CMakeLists.txt finds at configure time (python3).
BUILD_PKGS=(cmake g++ make pkg-config python3
            libhyperscan-dev libgit2-dev libfmt-dev doctest-dev
            libpcre2-dev libssl-dev zlib1g-dev libcurl4-openssl-dev
            nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
            libarchive-dev   # libarchive: archives and compressed streams (scanner/decode)
            libsqlite3-dev)  # sqlite3: the state database of glpatrol gitlab (scanner/sources/gitlab)
# Running the tests: fixtures (git), e2e scripts and schema checks (python3-*), a TLS fake
# GitLab (openssl, ca-certificates), the no-socket check (strace), the hook and CI
# integration tests (pre-commit, rsync, nodejs for gitlab-ci-local), the html report checked in
# a real browser (chromium, driven through chromium-driver: tests/e2e/test_html_report.py).
TEST_PKGS=(git python3-jsonschema python3-yaml openssl ca-certificates strace
           pre-commit rsync nodejs chromium chromium-driver
           python3-gitlab)  # python3-gitlab: drives the GitLab stand-in (tests/e2e/test_gitlab_standin.py)
# fuzz/run.sh (libFuzzer needs clang).
FUZZ_PKGS=(clang-14 libclang-rt-14-dev libfuzzer-14-dev)
# cpack -G DEB: dpkg-shlibdeps derives the package's Depends; CPack finds ELF files with file.
PACKAGE_PKGS=(dpkg-dev file)
# ./build.sh lint (clang-format check, CI) and ./build.sh tidy (clang-tidy, .clang-tidy).
LINT_PKGS=(clang-format-14 clang-tidy-14)

pkgs_of() {  # pkgs_of GROUP...  -> the packages of those groups, one per line
  local g
  for g in "$@"; do
    case "$g" in
      build) printf '%s\n' "${BUILD_PKGS[@]}" ;;
      test) printf '%s\n' "${TEST_PKGS[@]}" ;;
      fuzz) printf '%s\n' "${FUZZ_PKGS[@]}" ;;
      package) printf '%s\n' "${PACKAGE_PKGS[@]}" ;;
      lint) printf '%s\n' "${LINT_PKGS[@]}" ;;
      *) echo "build.sh: unknown dependency group '$g' (build, test, fuzz, package, lint)" >&2; exit 2 ;;
    esac
  done
}

install_deps() {  # install_deps GROUP...
  local p out=() wanted
  wanted=$(pkgs_of "$@")
  for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
  done
  [ ${#out[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "build.sh: installing: ${out[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${out[@]}" >/dev/null
  else
    echo "build.sh: missing Debian packages. Run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${out[*]}" >&2
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

# Debian's hardening flags (what a package built by dpkg-buildpackage gets: fortified libc
# calls, stack protector, control-flow protection, full RELRO, immediate binding), passed
# explicitly so a reconfigured build folder cannot keep stale flags. -g is dropped: the
# package is stripped.
hardening_args() {
  local -a cxx=() f
  export DEB_BUILD_MAINT_OPTIONS=hardening=+all
  for f in $(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS); do
    [ "$f" = -g ] || cxx+=("$f")
  done
  printf '%s\n' "-DCMAKE_CXX_FLAGS=${cxx[*]}" "-DCMAKE_EXE_LINKER_FLAGS=$(dpkg-buildflags --get LDFLAGS)"
}

case "$mode" in
  deps)
    shift
    [ $# -eq 0 ] && set -- build test fuzz package lint
    install_deps "$@" ;;
  build|release) install_deps build; configure_build "${BUILD_DIR:-build}" Release ;;
  test)
    install_deps build test
    configure_build "${BUILD_DIR:-build}" Release
    ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$JOBS"
    ;;
  asan)
    install_deps build test
    configure_build "${BUILD_DIR:-build-asan}" Debug -DGLPATROL_SANITIZE=ON
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      ctest --test-dir "${BUILD_DIR:-build-asan}" --output-on-failure -j "$JOBS"
    ;;
  package)
    install_deps build package
    dir=${BUILD_DIR:-build-pkg}
    mapfile -t flags < <(hardening_args)
    configure_build "$dir" Release -DGLPATROL_TESTS=OFF "${flags[@]}"
    rm -f "$dir"/glpatrol_*.deb "$dir"/glpatrol_*.deb.sha256
    (cd "$dir" && cpack -G DEB)
    ;;
  lint)
    # Every tracked C++ file formatted as .clang-format says (fails on the first difference).
    install_deps lint
    git ls-files -z '*.cc' '*.h' | xargs -0 clang-format-14 --dry-run --Werror
    echo "build.sh lint: formatting OK"
    ;;
  tidy)
    # clang-tidy with .clang-tidy over every translation unit of the build (slow: ~10 s each).
    install_deps build lint
    configure_build "${BUILD_DIR:-build}" Release
    # Fails when any file has a finding (.clang-tidy: WarningsAsErrors); the per-file count of
    # suppressed system-header warnings is dropped from the log.
    git ls-files '*.cc' | grep -v '^fuzz/' | xargs -P "$JOBS" -n 4 clang-tidy-14 -p "${BUILD_DIR:-build}" --quiet 2>&1 |
      { grep -v ' warnings generated\.$' || true; }
    echo "build.sh tidy: clang-tidy OK"
    ;;
  *) echo "usage: ./build.sh [build|test|asan|package|lint|tidy|deps [build|test|fuzz|package|lint...]]" >&2; exit 2 ;;
esac
