#include "app/options.h"

#include <CLI/CLI.hpp>

#include "app/verification.h"
#include "reporters/reporter.h"

namespace glpatrol {

namespace {

/// Fills FORMAT:PATH in for a bare report path with a known extension (-r out.sarif).
std::string report_spec(const std::string& given) {
  const auto colon = given.find(':');
  if (colon != std::string::npos && colon > 0) {
    const std::string fmt = given.substr(0, colon);
    for (const auto& known : reporter_formats())
      if (fmt == known) return given;
  }
  const auto slash = given.rfind('/');
  const std::string base = slash == std::string::npos ? given : given.substr(slash + 1);
  auto ends = [&](std::string_view e) {
    return base.size() > e.size() && base.compare(base.size() - e.size(), e.size(), e) == 0;
  };
  if (base.rfind("gl-secret-detection-report", 0) == 0 && ends(".json")) return "gitlab:" + given;
  if (ends(".sarif") || ends(".sarif.json")) return "sarif:" + given;
  if (ends(".jsonl") || ends(".ndjson")) return "jsonl:" + given;
  if (ends(".json")) return "json:" + given;
  if (ends(".html") || ends(".htm")) return "html:" + given;
  if (ends(".txt")) return "human:" + given;
  return given;  // refused with a clear message by the plan
}

}  // namespace

void add_scan_options(CLI::App& cmd, ScanOptions& o, unsigned families) {
  if (families & kOutputOptions) {
    const char* g = "Output";
    cmd.add_option("-f,--format", o.format, "stdout format: human, json, jsonl, sarif, gitlab, html")
        ->capture_default_str()
        ->group(g);
    cmd.add_option("-r,--report", o.reports,
                   "also write a report file: FORMAT:PATH, or PATH with a known extension (.json, "
                   ".jsonl, .sarif, .html, gl-secret-detection-report.json); repeatable; written "
                   "atomically, mode 0600")
        ->transform([](std::string v) { return report_spec(v); }, "", "")
        ->group(g);
    // One meaning everywhere: -q takes output away (the stdout report), -v adds to stderr.
    // Errors and warnings are printed either way; a quiet scan still sets the exit code.
    auto* q = cmd.add_flag("-q,--quiet", o.quiet,
                           "print no report on stdout (report files are still written; errors and "
                           "warnings still go to stderr, the exit code is unchanged)")
                  ->group(g);
    cmd.add_flag("-v,--verbose", o.verbose,
                 "also say on stderr what the plan loaded (rules, configuration and ignore files, "
                 "limits, outputs) and how long each stage took")
        ->group(g)
        ->excludes(q);
    cmd.add_option("--color", o.color, "auto, always or never (NO_COLOR disables auto)")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->group(g);
    cmd.add_flag_callback(
           "--no-color", [&o] { o.color = "never"; }, "same as --color never")
        ->group(g);
    cmd.add_option("--progress", o.progress,
                   "progress line on stderr: auto (only on a terminal), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->group(g);
    cmd.add_flag("--show-secrets", o.show_secrets,
                 "include raw tokens in every output (default: redacted everywhere)")
        ->group(g);
    cmd.add_flag("--gitlab-raw-extract", o.raw_extract,
                 "gitlab report: include the raw token as raw_source_code_extract (needed by GitLab's "
                 "token status features; puts the token into the CI artifact)")
        ->group(g);
    cmd.add_option("--exit-code", o.exit_code_findings, "exit code when findings remain (default 1)")
        ->group(g);
    cmd.add_flag("--strict", o.strict, "exit 3 when any input was skipped or coverage is incomplete")
        ->group(g);
  }
  if (families & kRuleOptions) {
    const char* g = "Rules";
    cmd.add_option("--rules", o.rule_files, "extra rule file(s) in glpatrol's TOML rule format")->group(g);
    cmd.add_option("--pat-prefix", o.pat_prefixes,
                   "custom personal access token prefix of a self-managed GitLab (repeatable)")
        ->group(g);
    cmd.add_option("--instance-prefix", o.instance_prefixes,
                   "instance token prefix of a self-managed GitLab, without the '-' (repeatable)")
        ->group(g);
  }
  if (families & (kContentOptions | kTreeOptions | kPathOptions)) {
    const char* g = "What is scanned";
    if (families & kContentOptions) {
      cmd.add_option("--max-file-size", o.max_file_size, "skip files and blobs larger than this (e.g. 100M)")
          ->group(g);
      cmd.add_flag("--no-decode", o.no_decode,
                   "do not look behind encodings or into archives (base64, percent and JSON escapes, "
                   "UTF-16, zip/jar/tar/gzip/...; docs/decoding.md)")
          ->group(g);
      cmd.add_flag("--no-archives", o.no_archives, "do not open archives and compressed files")->group(g);
      cmd.add_option("--max-decode-depth", o.max_decode_depth,
                     "layers of decoding and nested archives followed (default 4)")
          ->check(CLI::Range(1u, 64u))
          ->group(g);
      cmd.add_option("--max-decoded-size", o.max_decoded_size,
                     "decoded and decompressed bytes per file or blob, all layers (default 256M)")
          ->group(g);
    }
    if (families & kPathOptions)
      cmd.add_option("--exclude", o.fs.exclude_globs,
                     "skip paths matching this glob (repeatable; files, and git blobs by their path)")
          ->group(g);
    if (families & kTreeOptions) {
      cmd.add_flag("--follow-symlinks", o.fs.follow_symlinks, "follow symlinks inside directories")->group(g);
      cmd.add_flag("--scan-git-dir", o.fs.scan_git_dir, "also scan files under .git/ directories")->group(g);
    }
  }
  if (families & (kConfigOptions | kRepoConfigOptions | kSuppressOptions)) {
    const char* g = "Configuration and suppression";
    if (families & kConfigOptions)
      cmd.add_option("--config", o.config_files,
                     "configuration file (trusted; repeatable). <root>/.glpatrol.toml is also read, "
                     "but may only add rules, prefixes and excludes")
          ->group(g);
    if (families & kRepoConfigOptions)
      cmd.add_flag("--no-repo-config", o.no_repo_config, "do not read .glpatrol.toml from the scanned tree")
          ->group(g);
    if (families & kSuppressOptions) {
      cmd.add_option("--ignore-file", o.ignore_files,
                     "fingerprint ignore file (repeatable; default: <root>/.glpatrolignore)")
          ->group(g);
      cmd.add_option("--baseline", o.baseline,
                     "a previous glpatrol JSON report: its findings are suppressed, only new ones count")
          ->group(g);
      cmd.add_flag("--no-inline-allow", o.no_inline_allow,
                   "ignore glpatrol:allow / gitleaks:allow comments (CI on untrusted contributions)")
          ->group(g);
    }
  }
  if (families & kContentOptions)
    cmd.add_option("-j,--jobs", o.jobs, "worker threads (default: all cores)")->group("Performance");
  if (families & kVerifyOptions) {
    cmd.add_flag("--verify", o.verify,
                 "ask GitLab whether each unique unsuppressed token is live (sends tokens to the "
                 "--gitlab-url hosts only; see docs/verification.md)")
        ->group("Verification");
    add_verify_options(cmd, o);
  }
}

void add_verify_options(CLI::App& cmd, ScanOptions& o) {
  auto url_check = CLI::Validator(
      [](std::string& v) -> std::string {
        auto h = parse_gitlab_url(v);
        return h ? std::string() : h.error().message;
      },
      "URL");
  const char* g = "Verification";
  cmd.add_option("--gitlab-url", o.gitlab_urls,
                 "GitLab to verify against (repeatable; https, or http to loopback only). "
                 "Default: CI_SERVER_URL in GitLab CI, else https://gitlab.com")
      ->check(url_check)
      ->allow_extra_args(false)
      ->group(g);
  cmd.add_option("--ca-bundle", o.ca_bundle, "PEM CA file for a private CA (replaces the system CAs)")
      ->check(CLI::ExistingFile)
      ->group(g);
  cmd.add_flag("--verify-runners", o.verify_runners,
               "also check runner tokens with POST /runners/verify (updates the runner's contact time)")
      ->group(g);
  // Flag callbacks, not CLI11's "!--no-x" form: that would print "{false}" in the help.
  cmd.add_flag_callback(
         "--no-verify-reach", [&o] { o.verify_reach = false; },
         "skip listing the groups and projects each live personal/project/group access token reaches (listed "
         "by default: 1 to 10 more read-only requests per live token)")
      ->group(g);
  cmd.add_flag_callback(
         "--verify-reach", [&o] { o.verify_reach = true; }, "list what each live token reaches (the default)")
      ->group(g);
  cmd.add_option("--admin-token-file", o.admin_token_file,
                 "an administrator's token (first line of FILE; default: GITLAB_ADMIN_TOKEN) to identify "
                 "any token kind with GitLab's token information API (POST /admin/token, 17.8+)")
      ->check(CLI::ExistingFile)
      ->group(g);
  cmd.add_flag_callback(
         "--no-verify-cache", [&o] { o.verify_cache = false; },
         "do not read or keep verification results across runs (default: kept for --verify-ttl in "
         "--verify-cache-dir)")
      ->group(g);
  cmd.add_option(
         "--verify-cache-dir", o.verify_cache_dir,
         "where verification results are kept (default $XDG_CACHE_HOME/glpatrol or ~/.cache/glpatrol; "
         "mode 0700, file 0600, token hashes only)")
      ->group(g);
  cmd.add_option("--verify-ttl", o.verify_ttl, "seconds a kept verification result is used (default 3600)")
      ->check(CLI::Range(1.0, 30.0 * 86400))
      ->group(g);
  cmd.add_option("--verify-timeout", o.verify_timeout, "seconds per verification request (default 10)")
      ->check(CLI::Range(0.1, 600.0))
      ->group(g);
  cmd.add_option("--verify-budget", o.verify_budget, "seconds for all verification requests (default 120)")
      ->check(CLI::Range(0.1, 86400.0))
      ->group(g);
  cmd.add_option("--verify-concurrency", o.verify_concurrency, "tokens verified in parallel (default 4)")
      ->check(CLI::Range(1u, 32u))
      ->group(g);
  // A bad CI_SERVER_URL must fail before an hour-long scan, not after it.
  cmd.parse_complete_callback([&o] {
    if (!o.verify) return;
    if (auto h = hosts_for(o); !h) throw CLI::ValidationError("--verify", h.error().message);
  });
}

}  // namespace glpatrol

#include "app/commands.h"

namespace glpatrol {

void add_untrusted_tree_flag(CLI::App& cmd, bool& flag) {
  cmd.add_flag("--untrusted-tree", flag,
               "the scanned content is a change under review (CI): its .glpatrol.toml may only add "
               "rules and prefixes (no excludes or size limit) and its .glpatrolignore is not applied "
               "(pass a reviewed one with --ignore-file). Implied by git --ci and pre-receive")
      ->group("Configuration and suppression");
}

}  // namespace glpatrol
