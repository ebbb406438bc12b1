#include "app/scan_driver.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "reporters/report_file.h"

extern const unsigned char glpatrol_builtin_hsdb[];
extern const std::size_t glpatrol_builtin_hsdb_size;

namespace glpatrol {

std::string_view builtin_database() {
  return {reinterpret_cast<const char*>(glpatrol_builtin_hsdb), glpatrol_builtin_hsdb_size};
}

namespace {
constexpr std::size_t kMaxFindingsPerScan = 1'000'000;
}

unsigned ScanContext::jobs() const {
  if (opts_.jobs != 0) return opts_.jobs;
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 2 : hc;
}

void ScanContext::add_finding(Finding f) {
  std::lock_guard<std::mutex> lock(mu_);
  if (findings_.size() >= kMaxFindingsPerScan) {
    ++dropped_;
    return;
  }
  findings_.push_back(std::move(f));
}

std::vector<Finding> ScanContext::take_findings() {
  std::lock_guard<std::mutex> lock(mu_);
  if (dropped_ != 0)
    stats.warn(fmt::format("{} findings beyond the cap of {} were counted but not reported",
                           dropped_, kMaxFindingsPerScan));
  return std::move(findings_);
}

void ScanContext::mark_incomplete(std::string reason, bool fault) {
  std::lock_guard<std::mutex> lock(mu_);
  info.complete = false;
  incomplete_fault_ |= fault;
  if (std::find(info.incomplete_reasons.begin(), info.incomplete_reasons.end(), reason) ==
      info.incomplete_reasons.end())
    info.incomplete_reasons.push_back(std::move(reason));
}

std::string iso8601(std::chrono::system_clock::time_point tp) {
  const std::time_t t = std::chrono::system_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::uint64_t> parse_size(const std::string& text) {
  if (text.empty()) return Error::usage("empty size");
  std::size_t i = 0;
  std::uint64_t v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    v = v * 10 + static_cast<std::uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == 0) return Error::usage("invalid size '" + text + "'");
  std::string unit = text.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.empty() || unit == "B") return v;
  if (unit == "K" || unit == "KB" || unit == "KIB") return v << 10;
  if (unit == "M" || unit == "MB" || unit == "MIB") return v << 20;
  if (unit == "G" || unit == "GB" || unit == "GIB") return v << 30;
  return Error::usage("invalid size unit in '" + text + "' (use K, M or G)");
}

void add_scan_options(CLI::App& cmd, ScanOptions& o) {
  cmd.add_option("-f,--format", o.format, "stdout format: human, json, jsonl, sarif, gitlab")
      ->capture_default_str();
  cmd.add_option("-r,--report", o.reports,
                 "also write a report file, FORMAT:PATH (repeatable; written atomically, mode 0600)");
  cmd.add_flag("--show-secrets", o.show_secrets,
               "include raw tokens in every output (default: redacted everywhere)");
  cmd.add_option("--color", o.color, "auto, always or never (NO_COLOR disables auto)")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd.add_option("--exit-code", o.exit_code_findings, "exit code when findings remain (default 1)");
  cmd.add_flag("-q,--quiet", o.quiet, "print no report on stdout (report files are still written)");
  cmd.add_flag("--strict", o.strict, "exit 3 when any input was skipped or coverage is incomplete");
  cmd.add_option("-j,--jobs", o.jobs, "worker threads (default: all cores)");
  cmd.add_option("--rules", o.rule_files, "extra rule file(s) in glpatrol's TOML rule format");
  cmd.add_option("--pat-prefix", o.pat_prefixes,
                 "custom personal access token prefix of a self-managed GitLab (repeatable)");
  cmd.add_option("--instance-prefix", o.instance_prefixes,
                 "instance token prefix of a self-managed GitLab, without the '-' (repeatable)");
  cmd.add_option("--max-file-size", o.max_file_size, "skip files larger than this (e.g. 100M)");
  cmd.add_flag("--follow-symlinks", o.fs.follow_symlinks, "follow symlinks inside directories");
  cmd.add_flag("--scan-git-dir", o.fs.scan_git_dir, "also scan files under .git/ directories");
  cmd.add_option("--exclude", o.fs.exclude_globs, "skip paths matching this glob (repeatable)");
  cmd.add_flag("--verify", o.verify,
               "ask GitLab whether each unique unsuppressed token is live (sends tokens to the "
               "--gitlab-url hosts only; see docs/verification.md)");
  add_verify_options(cmd, o);
}

Result<RuleDb> load_rule_db(const ScanOptions& opts, std::vector<std::string>* loaded_files) {
  RuleSet set;
  set.rules = builtin_rules();
  for (const auto& path : opts.rule_files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::config(path + ": cannot read rule file");
    std::stringstream ss;
    ss << in.rdbuf();
    auto rules = parse_rules_toml(ss.str(), path);
    if (!rules) return rules.error();
    for (auto& r : *rules) {
      for (const auto& existing : set.rules)
        if (existing.id == r.id)
          return Error::config(path + ": rule id '" + r.id + "' is already defined (" +
                               existing.origin + "); built-in rules cannot be replaced");
      set.rules.push_back(std::move(r));
    }
    if (loaded_files) loaded_files->push_back(path);
  }
  set.prefixes.pat_prefixes = opts.pat_prefixes;
  set.prefixes.instance_prefixes = opts.instance_prefixes;
  return RuleDb::build(std::move(set), builtin_database());
}

std::vector<PostStage> standard_post_stages(const ScanOptions& opts) {
  std::vector<PostStage> stages;
  // Suppression (issue: reports & suppression) goes first, verification after it.
  stages.push_back(make_verification_stage(opts));  // verification: last standard stage
  return stages;
}

namespace {

bool want_color(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* nc = std::getenv("NO_COLOR");
  if (nc != nullptr && nc[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string(term) == "dumb") return false;
  return ::isatty(STDOUT_FILENO) == 1;
}

struct ReportTarget {
  std::string format;
  std::string path;
};

}  // namespace

int run_scan(const std::string& kind, const std::vector<std::string>& targets, ScanOptions& opts,
             const SourceFn& source, const std::vector<PostStage>& post_stages) {
  install_signal_cleanup();
  if (!opts.max_file_size.empty()) {
    auto sz = parse_size(opts.max_file_size);
    if (!sz) {
      std::cerr << "glpatrol: --max-file-size: " << sz.error().message << "\n";
      return kExitError;
    }
    opts.fs.max_file_size = *sz;
  }
  // Validate every output before scanning, so a typo fails in milliseconds, not after an hour.
  ReportOptions ropts;
  ropts.show_secrets = opts.show_secrets;
  std::vector<ReportTarget> outputs;
  if (!opts.quiet) outputs.push_back({opts.format, "-"});
  for (const auto& spec : opts.reports) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
      std::cerr << "glpatrol: --report expects FORMAT:PATH, got '" << spec << "'\n";
      return kExitError;
    }
    outputs.push_back({spec.substr(0, colon), spec.substr(colon + 1)});
  }
  for (const auto& o : outputs) {
    if (auto r = make_reporter(o.format, ropts); !r) {
      std::cerr << "glpatrol: " << r.error().message << "\n";
      return kExitError;
    }
  }

  std::vector<std::string> rule_files;
  auto db = load_rule_db(opts, &rule_files);
  if (!db) {
    std::cerr << "glpatrol: " << db.error().message << "\n";
    return kExitError;
  }

  const auto started = std::chrono::system_clock::now();
  const auto t0 = std::chrono::steady_clock::now();
  ScanContext ctx(*db, opts);
  ctx.info.kind = kind;
  ctx.info.targets = targets;
  ctx.info.started_at = iso8601(started);
  ctx.info.config_files = rule_files;
  ctx.info.rules = db->rules();

  Status st = source(ctx);
  if (!st) {
    std::cerr << "glpatrol: " << st.error().message << "\n";
    return kExitError;
  }
  std::vector<Finding> findings = ctx.take_findings();
  std::vector<PostStage> stages = standard_post_stages(opts);
  stages.insert(stages.end(), post_stages.begin(), post_stages.end());
  for (const auto& stage : stages) {
    if (auto s = stage(findings, ctx); !s) {
      std::cerr << "glpatrol: " << s.error().message << "\n";
      return kExitError;
    }
  }
  std::sort(findings.begin(), findings.end(), finding_less);

  const auto t1 = std::chrono::steady_clock::now();
  ctx.info.finished_at = iso8601(std::chrono::system_clock::now());
  ctx.info.duration_seconds = std::chrono::duration<double>(t1 - t0).count();
  ctx.info.stats = ctx.stats.snapshot();
  if (ctx.stats.has_errors())
    ctx.mark_incomplete(fmt::format("{} input(s) could not be read", ctx.info.stats.errors));

  Report report{ctx.info, std::move(findings)};
  report.scan.complete = ctx.info.complete;
  report.scan.incomplete_reasons = ctx.info.incomplete_reasons;

  bool write_failed = false;
  for (const auto& o : outputs) {
    ReportOptions ro = ropts;
    ro.color = o.path == "-" && o.format == "human" && want_color(opts.color);
    auto reporter = make_reporter(o.format, ro);
    std::ostringstream buf;
    if (auto s = (*reporter)->write(report, buf); !s) {
      std::cerr << "glpatrol: " << s.error().message << "\n";
      write_failed = true;
      continue;
    }
    if (o.path == "-") {
      std::cout << buf.str() << std::flush;
      if (!std::cout) write_failed = true;
    } else if (auto s = write_file_atomically(o.path, buf.str()); !s) {
      std::cerr << "glpatrol: " << s.error().message << "\n";
      write_failed = true;
    }
  }

  if (write_failed) return kExitError;
  const bool has_findings = std::any_of(report.findings.begin(), report.findings.end(),
                                        [](const Finding& f) { return !f.suppressed; });
  if (has_findings) return opts.exit_code_findings;
  if (!report.scan.complete && (ctx.incomplete_fault() || opts.strict)) return kExitIncomplete;
  if (opts.strict) {
    // Deliberate policy skips (symlinks not followed, .git/, excludes) are not lost coverage.
    for (const auto& k : report.scan.stats.skips)
      if (k.reason != "symlink" && k.reason != "git-dir" && k.reason != "excluded")
        return kExitIncomplete;
  }
  return kExitClean;
}

}  // namespace glpatrol
