#!/usr/bin/env bash
# The script behind action.yml (composite GitHub Action). Two steps:
#   github-action.sh install   find or build glpatrol; exports GLPATROL_BIN via $GITHUB_ENV
#   github-action.sh scan      run the scan, write SARIF + JSON, the job summary, annotations
#                              and the step outputs; decide the step's result
# Inputs arrive as GLP_* environment variables (action.yml maps them with env:). Nothing from
# the inputs, the event or the scanned repository is ever evaluated as shell text: values are
# passed as single arguments, and everything printed as a workflow command is escaped by
# the Python part below (actions/toolkit rules: %25 %0D %0A, plus %3A %2C in properties).
set -euo pipefail
set -f  # no globbing anywhere (extra-args are split on whitespace only)

die() {  # the message may hold input values: escape it like actions/toolkit does
  local m=${1//%/%25}
  m=${m//$'\r'/%0D}
  m=${m//$'\n'/%0A}
  printf '::error title=glpatrol::%s\n' "$m"
  exit 2
}

write_env_file() {  # write_env_file FILE NAME VALUE  (multi-line safe, GitHub's delimiter form)
  local file=$1 name=$2 value=$3 delim
  delim="glpatrol_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  case "$value" in *"$delim"*) die "output value contains the delimiter" ;; esac
  printf '%s<<%s\n%s\n%s\n' "$name" "$delim" "$value" "$delim" >>"$file"
}

cmd_install() {
  local bin=${GLP_BINARY:-}
  if [ -n "$bin" ]; then
    [ -x "$bin" ] || die "glpatrol-path '$bin' is not an executable file"
  elif command -v glpatrol >/dev/null 2>&1; then
    bin=$(command -v glpatrol)
  else
    # Build from the action's own source (Debian/Ubuntu runners; apt packages via sudo).
    local src=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
    local out=${RUNNER_TEMP:-/tmp}/glpatrol-build
    echo "glpatrol: no binary given or on PATH; building from $src"
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
      sudo -n "$src/build.sh" deps build  # only what building needs
    fi
    BUILD_DIR="$out" "$src/build.sh" build
    bin="$out/glpatrol"
  fi
  "$bin" --version
  if [ -n "${GITHUB_ENV:-}" ]; then write_env_file "$GITHUB_ENV" GLPATROL_BIN "$bin"; fi
  echo "glpatrol: using $bin"
}

cmd_scan() {
  local bin=${GLPATROL_BIN:-glpatrol}
  local path=${GLP_PATH:-.} mode=${GLP_MODE:-auto}
  local sarif=${GLP_SARIF_FILE:-glpatrol.sarif} report=${GLP_REPORT_FILE:-glpatrol.json}
  local fail=${GLP_FAIL_ON_FINDINGS:-true} max_ann=${GLP_MAX_ANNOTATIONS:-10}
  case "$max_ann" in ''|*[!0-9]*) die "max-annotations must be a number" ;; esac
  case "$fail" in true|false) ;; *) die "fail-on-findings must be true or false" ;; esac

  local -a args=(git "$path" -r "sarif:$sarif" -r "json:$report" --progress never)
  case "$mode" in
    auto) args+=(--ci) ;;
    history) args+=(--untrusted-tree) ;;
    range)
      [ -n "${GLP_BASE:-}" ] || die "mode range needs the base input"
      case "$GLP_BASE${GLP_HEAD:-}" in -*|*..*|*' '*) die "base/head must be plain revisions" ;; esac
      args+=(--range "$GLP_BASE..${GLP_HEAD:-HEAD}" --untrusted-tree) ;;
    *) die "mode must be auto, history or range" ;;
  esac
  [ "${GLP_INLINE_ALLOW:-false}" = true ] || args+=(--no-inline-allow)
  [ -z "${GLP_CONFIG:-}" ] || args+=(--config "$GLP_CONFIG")
  if [ -n "${GLP_EXTRA_ARGS:-}" ]; then
    local -a extra
    read -r -a extra <<<"$GLP_EXTRA_ARGS"
    args+=("${extra[@]}")
  fi
  if [ -f "$path/.git/shallow" ] || [ -f "$path/shallow" ]; then
    echo "::warning title=glpatrol%3A shallow clone::The checkout is shallow, so history (and possibly the range base) is missing. Use actions/checkout with fetch-depth: 0."
  fi

  rm -f -- "$sarif" "$report"
  local rc=0
  # The human report quotes scanned data (paths, commit messages) and the command line holds
  # input values: workflow commands are switched off while they print.
  local stop
  stop="glpatrol-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  echo "::stop-commands::$stop"
  echo "glpatrol: $bin ${args[*]}"
  NO_COLOR=1 "$bin" "${args[@]}" || rc=$?
  echo "::$stop::"

  # Summary, annotations and outputs (Python: exact escaping, no shell interpolation).
  local count=0
  if [ -f "$report" ]; then
    local countfile
    countfile=$(mktemp "${RUNNER_TEMP:-/tmp}/glpatrol-count.XXXXXX")
    python3 - "$report" "$max_ann" "${GITHUB_STEP_SUMMARY:-/dev/null}" "$rc" "$countfile" <<'PY' || die "could not read the JSON report"
import html, json, sys

report, max_ann, summary_path, rc, countfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
doc = json.load(open(report, encoding="utf-8"))
findings = [f for f in doc.get("findings", []) if not f.get("suppressed")]
SEV = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}

def rank(f):
    v = (f.get("verification") or {}).get("status")
    return (0 if v == "active" else 1, SEV.get(str(f.get("severity", "")).lower(), 5),
            f.get("path", ""), f.get("line", 0))

findings.sort(key=rank)

def esc_data(s):
    return str(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

def esc_prop(s):
    return esc_data(s).replace(":", "%3A").replace(",", "%2C")

out = sys.stdout
for f in findings[:max_ann]:
    props = []
    if f.get("path") and f.get("location_kind") in ("file", "blob"):
        props.append("file=" + esc_prop(f["path"]))
        props.append("line=%d" % int(f.get("line", 1)))
        props.append("endLine=%d" % int(f.get("end_line", f.get("line", 1))))
        props.append("col=%d" % int(f.get("column", 1)))
        props.append("endColumn=%d" % max(1, int(f.get("end_column", 1))))
    props.append("title=" + esc_prop("glpatrol: " + f.get("rule_name", f.get("rule_id", "token"))))
    where = f.get("path") or f.get("location_kind", "")
    c = f.get("commit") or {}
    msg = "Leaked %s (%s) %s in %s:%s" % (f.get("rule_name", ""), f.get("rule_id", ""),
                                        f.get("redacted", ""), where, f.get("line", 1))
    if c.get("sha"):
        msg += ", commit %s" % c["sha"][:12]
    v = (f.get("verification") or {}).get("status")
    if v:
        msg += ", GitLab says: %s" % v
    msg += ". Revoke the token in GitLab first, then remove it from the history."
    out.write("::error %s::%s\n" % (",".join(props), esc_data(msg)))
if findings:
    shown = min(len(findings), max_ann)
    out.write("::notice title=glpatrol::%s\n" % esc_data(
        "%d finding(s); %d shown as annotations (verified and most severe first). "
        "The job summary and the SARIF/JSON reports list all of them." % (len(findings), shown)))

# Job summary: HTML-escaped Markdown, capped well below GitHub's 1 MiB per step.
CAP = 900 * 1024
def cell(s):
    return html.escape(str(s).replace("\r", " ").replace("\n", " "), quote=True).replace("|", "&#124;")
scan = doc.get("scan", {})
parts = ["## glpatrol: GitLab token scan\n\n"]
status = {0: "clean", 1: "findings", 2: "error", 3: "incomplete"}.get(rc, "exit %d" % rc)
parts.append("**%d finding(s)** (%s). Scan kind: `%s`.\n\n" % (len(findings), cell(status), cell(scan.get("kind", ""))))
ci = scan.get("ci") or {}
if ci.get("description"):
    parts.append("Range: %s\n\n" % cell(ci["description"]))
if not scan.get("complete", True):
    parts.append("> **Incomplete scan:** %s\n\n" % cell("; ".join(scan.get("incomplete_reasons", []))))
if findings:
    parts.append("| Severity | Rule | Token | Location | Commit | GitLab |\n|---|---|---|---|---|---|\n")
size = sum(len(p.encode()) for p in parts)
rows = 0
for f in findings:
    c = f.get("commit") or {}
    row = "| %s | %s | `%s` | %s | %s | %s |\n" % (
        cell(f.get("severity", "")), cell(f.get("rule_id", "")), cell(f.get("redacted", "")).replace("`", "&#96;"),
        cell("%s:%s" % (f.get("path") or f.get("location_kind", ""), f.get("line", 1))),
        cell(c.get("sha", "")[:12]), cell((f.get("verification") or {}).get("status", "")))
    if size + len(row.encode()) > CAP - 512:
        break
    parts.append(row)
    size += len(row.encode())
    rows += 1
if rows < len(findings):
    parts.append("\n%d more finding(s) not shown here (summary size limit); see the JSON/SARIF reports.\n" % (len(findings) - rows))
if findings:
    parts.append("\n**What to do:** revoke each token in GitLab first (it is compromised once "
                 "committed), then remove it from the history. A false positive: add its "
                 "fingerprint with a reason to `.glpatrolignore`.\n")
with open(summary_path, "a", encoding="utf-8") as s:
    s.write("".join(parts))
with open(countfile, "w") as cf:
    cf.write("%d" % len(findings))
PY
    count=$(cat "$countfile")
    rm -f -- "$countfile"
  fi

  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    write_env_file "$GITHUB_OUTPUT" findings-count "$count"
    write_env_file "$GITHUB_OUTPUT" exit-code "$rc"
    if [ -f "$sarif" ]; then write_env_file "$GITHUB_OUTPUT" sarif-file "$sarif"; else write_env_file "$GITHUB_OUTPUT" sarif-file ""; fi
    if [ -f "$report" ]; then write_env_file "$GITHUB_OUTPUT" report-file "$report"; else write_env_file "$GITHUB_OUTPUT" report-file ""; fi
  fi

  case "$rc" in
    0) echo "glpatrol: clean" ;;
    1) if [ "$fail" = true ]; then
         echo "::error title=glpatrol::$count GitLab token finding(s). Revoke the tokens in GitLab, then remove them from the history."
         exit 1
       fi
       echo "glpatrol: $count finding(s) (fail-on-findings is false)" ;;
    3) echo "::error title=glpatrol::The scan is incomplete (see the log and the job summary); it is not a clean result."
       exit 3 ;;
    *) echo "::error title=glpatrol::glpatrol failed with exit code $rc (see the log)."
       exit "$rc" ;;
  esac
}

case "${1:-}" in
  install) cmd_install ;;
  scan) cmd_scan ;;
  *) echo "usage: github-action.sh install|scan" >&2; exit 2 ;;
esac
