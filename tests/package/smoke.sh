#!/usr/bin/env bash
# tests/package/smoke.sh: checks an installed glpatrol Debian package (run as a user would, after
# `apt-get install ./glpatrol_*.deb`; .ci/run does). Needs git, sha256sum and dpkg.
#   - `glpatrol --version` runs (every runtime library resolved) and names the package's version;
#   - `glpatrol git REPO` on a repository built here, with a token generated here that is
#     still in the history but no longer in HEAD, exits 1, finds exactly that token (by its
#     SHA-256) and never prints it; the same scan of a clean repository exits 0;
#   - the files the package ships are where the documentation says (docs, copyright, the
#     GitLab CI template) and, when the package has them, the man page (`man -w`) and the
#     bash completion (loads and registers `glpatrol`).
# Environment: GLPATROL (default /usr/bin/glpatrol).
set -euo pipefail

BIN=${GLPATROL:-/usr/bin/glpatrol}
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
ok() { echo "smoke: ok: $*"; }

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

# --- the package and the binary -------------------------------------------------------------
version=$(dpkg-query -W -f='${Version}' glpatrol 2>/dev/null) || fail "the glpatrol package is not installed"
files=$(dpkg -L glpatrol)
grep -qx "$BIN" <<<"$files" || fail "$BIN is not a file of the glpatrol package"
if missing=$(ldd "$BIN" | grep "not found"); then fail "unresolved libraries: $missing"; fi
out=$("$BIN" --version) || fail "$BIN --version exited $?"
# The first line is "glpatrol VERSION" with the commit it was built from in brackets when
# the build knew it; the lines after it name the libraries and the rule set.
first=${out%%$'\n'*}
[[ $first == "glpatrol $version" || $first == "glpatrol $version ("* ]] ||
  fail "--version prints '$first' but the package is $version"
grep -q '^  hyperscan ' <<<"$out" || fail "--version does not name the libraries: $out"
ok "$first"

# --- a token in the history -----------------------------------------------------------------
# A legacy personal access token: the prefix is built from parts and the 20 characters are
# random (the project scans itself, so no token is ever written into it). The alphabet leaves
# out l, I, O and 0 like GitLab's generator; mixed classes keep it clear of placeholders.
alphabet='ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789_-'
while :; do
  body=$(head -c 4096 /dev/urandom | LC_ALL=C tr -dc "$alphabet")  # ~900 characters
  body=${body:0:20}
  [[ $body =~ [A-Z] && $body =~ [a-z] && $body =~ [1-9] ]] && break
done
token="gl""pat-$body"
sha=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)

git_() { git -C "$work/repo" -c user.name=smoke -c user.email=smoke@example.invalid "$@"; }
git init -q "$work/repo"
printf 'deploy:\n  token: %s\n' "$token" >"$work/repo/config.yml"
git_ add config.yml
git_ commit -q -m "add deploy config"
printf 'deploy:\n  token: from the environment\n' >"$work/repo/config.yml"
git_ commit -q -am "read the token from the environment"

rc=0
"$BIN" git "$work/repo" -f json >"$work/report.json" 2>"$work/stderr" || rc=$?
[ "$rc" -eq 1 ] || fail "glpatrol git exited $rc, expected 1 (findings): $(cat "$work/stderr")"
grep -q "\"secret_sha256\": *\"$sha\"" "$work/report.json" || fail "the JSON report does not name the planted token"
grep -q '"rule_id": *"gitlab.pat"' "$work/report.json" || fail "the finding is not a gitlab.pat finding"
rc=0
"$BIN" git "$work/repo" >"$work/human.txt" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "glpatrol git (human output) exited $rc, expected 1"
grep -q "config.yml" "$work/human.txt" || fail "the human report does not name config.yml"
if grep -qF "$body" "$work/report.json" "$work/stderr" "$work/human.txt"; then
  fail "the raw token was printed (redaction is the default)"
fi
ok "glpatrol git finds the token in the history (exit 1), redacted"

git init -q "$work/clean"
printf 'nothing to see\n' >"$work/clean/README"
git -C "$work/clean" add README
git -C "$work/clean" -c user.name=smoke -c user.email=smoke@example.invalid commit -q -m init
rc=0
"$BIN" git "$work/clean" >"$work/clean.txt" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "a clean repository exited $rc: $(cat "$work/clean.txt")"
ok "a clean repository exits 0"

# --- shipped files --------------------------------------------------------------------------
for f in /usr/share/doc/glpatrol/copyright /usr/share/doc/glpatrol/README.md /usr/share/doc/glpatrol/CHANGELOG.md \
         /usr/share/doc/glpatrol/LICENSE /usr/share/doc/glpatrol/docs/integrations.md \
         /usr/share/glpatrol/ci/glpatrol.gitlab-ci.yml; do
  if ! grep -qx "$f" <<<"$files" || [ ! -s "$f" ]; then fail "$f is missing"; fi
done
ok "documentation and CI template installed"

man_page=/usr/share/man/man1/glpatrol.1.gz
if grep -qx "$man_page" <<<"$files"; then
  gzip -t "$man_page" || fail "$man_page is not a valid gzip file"
  if command -v man >/dev/null; then
    [ "$(man -w glpatrol)" = "$man_page" ] || fail "man -w glpatrol does not find $man_page"
  fi
  ok "man page $man_page"
else
  echo "smoke: note: the package has no man page (the build did not generate one)"
fi

bash_comp=/usr/share/bash-completion/completions/glpatrol
if grep -qx "$bash_comp" <<<"$files"; then
  bash -c "source '$bash_comp' && complete -p glpatrol" >/dev/null ||
    fail "$bash_comp does not register a completion for glpatrol"
  ok "bash completion $bash_comp"
else
  echo "smoke: note: the package has no bash completion (the build did not generate one)"
fi
echo "smoke: all checks passed"
