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

#include "app/scan_policy.h"
#include "common/encoding.h"
#include "matcher/rule_check.h"
#include "matcher/to_finding.h"
#include "reporters/progress_line.h"
#include "reporters/report_file.h"

extern const unsigned char glpatrol_builtin_hsdb[];
extern const std::size_t glpatrol_builtin_hsdb_size;

namespace glpatrol {

std::string_view builtin_database() {
  return {reinterpret_cast<const char*>(glpatrol_builtin_hsdb), glpatrol_builtin_hsdb_size};
}

namespace {
// Bounded memory (bad-inputs C14): a stored finding costs ~8 KiB through the report writers, so
// a million of them cost ~8 GiB. Stored findings beyond the caps are counted and named in
// warnings; the per-file cap keeps one token dump from starving every other file. Streamed
// jsonl stores nothing and has no cap.
constexpr std::size_t kMaxFindingsPerScan = 100'000;
constexpr std::uint64_t kMaxFindingsPerFile = 50'000;  ///< per file, blob or stream
constexpr std::size_t kMaxCapWarnings = 20;

/// Commit subjects and authors are printed in every report. A token typed into one (also one
/// that was not scanned, with --no-messages) must not be printed raw: every span the rules match is
/// replaced by its redacted form (bad-inputs R01; found by test_hostile_git.py G26).
class MessageRedactor {
 public:
  explicit MessageRedactor(const RuleDb& db) : matcher_(Matcher::create(db)) {}
  void apply(Finding& f) {
    if (!f.commit) return;
    for (std::string* field : {&f.commit->message, &f.commit->author_name, &f.commit->author_email}) {
      if (field->empty()) continue;
      auto it = cache_.find(*field);
      if (it == cache_.end()) it = cache_.emplace(*field, redact(*field)).first;
      *field = it->second;
    }
  }

 private:
  std::string redact(std::string text) {
    if (!matcher_) return "(commit message withheld: no matcher)";
    std::vector<LocatedMatch> found;
    if (!matcher_->scan(text, found)) return "(commit message withheld)";
    for (auto m = found.rbegin(); m != found.rend(); ++m) {
      const std::string secret = text.substr(m->match.start, m->match.end - m->match.start);
      text.replace(m->match.start, m->match.end - m->match.start,
                   redact_token(secret, token_kind_prefix(secret)));
    }
    return text;
  }
  Result<Matcher> matcher_;
  std::map<std::string, std::string> cache_;
};

}  // namespace

unsigned ScanContext::jobs() const {
  if (opts_.jobs != 0) return opts_.jobs;
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 2 : hc;
}

void ScanContext::add_finding(Finding f) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sink_) {  // streamed: nothing is stored, so nothing needs a cap
    sink_(std::move(f));
    return;
  }
  std::string place = f.path;
  if (f.blob_id) place += '\0' + *f.blob_id;
  if (++per_place_[place] > kMaxFindingsPerFile) {  // counted; named by take_findings()
    capped_ = true;
    return;
  }
  if (findings_.size() >= kMaxFindingsPerScan) {
    ++dropped_;
    capped_ = true;
    return;
  }
  findings_.push_back(std::move(f));
}

std::vector<Finding> ScanContext::take_findings() {
  std::lock_guard<std::mutex> lock(mu_);
  if (dropped_ != 0)
    stats.warn(fmt::format("{} findings beyond the cap of {} were counted but not reported",
                           dropped_, kMaxFindingsPerScan));
  std::size_t over = 0;
  for (const auto& [place, n] : per_place_) {
    if (n <= kMaxFindingsPerFile) continue;
    if (++over <= kMaxCapWarnings)
      stats.warn(fmt::format("{} more findings in {} beyond the per-file cap of {} were counted "
                             "but not reported", n - kMaxFindingsPerFile,
                             escape_for_terminal(place.substr(0, place.find('\0'))), kMaxFindingsPerFile));
  }
  if (over > kMaxCapWarnings)
    stats.warn(fmt::format("{} more files exceeded the per-file cap of {}", over - kMaxCapWarnings,
                           kMaxFindingsPerFile));
  per_place_.clear();
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
  // Configuration and suppression (docs/configuration.md, docs/suppression.md)
  cmd.add_option("--config", o.config_files,
                 "configuration file (trusted; repeatable). <root>/.glpatrol.toml is also read, "
                 "but may only add rules, prefixes and excludes");
  cmd.add_flag("--no-repo-config", o.no_repo_config,
               "do not read .glpatrol.toml from the scanned tree");
  cmd.add_option("--ignore-file", o.ignore_files,
                 "fingerprint ignore file (repeatable; default: <root>/.glpatrolignore)");
  cmd.add_option("--baseline", o.baseline,
                 "a previous glpatrol JSON report: its findings are suppressed, only new ones count");
  cmd.add_flag("--no-inline-allow", o.no_inline_allow,
               "ignore glpatrol:allow / gitleaks:allow comments (CI on untrusted contributions)");
  cmd.add_flag("--gitlab-raw-extract", o.raw_extract,
               "gitlab report: include the raw token as raw_source_code_extract (needed by GitLab's "
               "token status features; puts the token into the CI artifact)");
  cmd.add_option("--progress", o.progress, "progress line on stderr: auto (only on a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd.add_flag("--verify", o.verify,
               "ask GitLab whether each unique unsuppressed token is live (sends tokens to the "
               "--gitlab-url hosts only; see docs/verification.md)");
  add_verify_options(cmd, o);
}

Result<RuleDb> load_rule_db(const ScanOptions& opts, std::vector<std::string>* loaded_files) {
  RuleSet set;
  set.rules = builtin_rules();
  // Rules disabled by a trusted --config (a configuration inside the scanned tree cannot).
  for (const auto& id : opts.disable_rules) {
    auto it = std::find_if(set.rules.begin(), set.rules.end(), [&](const Rule& r) { return r.id == id; });
    if (it == set.rules.end()) return Error::config("disable_rules: unknown rule id '" + id + "'");
    set.rules.erase(it);
  }
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
  // Rules from configuration files: never replace a rule, and must prove themselves with
  // their examples (a rule that matches nothing would be a silent hole).
  const std::size_t first_config_rule = set.rules.size();
  for (const auto& r : opts.config_rules) {
    for (const auto& existing : set.rules)
      if (existing.id == r.id)
        return Error::config(r.origin + ": rule id '" + r.id + "' is already defined (" +
                             existing.origin + "); built-in rules cannot be replaced");
    set.rules.push_back(r);
  }
  set.prefixes.pat_prefixes = opts.pat_prefixes;
  set.prefixes.instance_prefixes = opts.instance_prefixes;
  auto db = RuleDb::build(std::move(set), builtin_database());
  if (db && first_config_rule < db->rules().size()) {
    const RuleCheckResult check = check_rules(*db, first_config_rule);
    if (!check.ok()) {
      std::string msg = "configuration rules failed their examples:";
      for (const auto& p : check.problems) msg += "\n  " + p.rule_id + ": " + p.message;
      return Error::config(msg);
    }
  }
  return db;
}

std::vector<PostStage> standard_post_stages(const ScanOptions& opts) {
  std::vector<PostStage> stages;
  // Suppression (issue: reports & suppression) goes first, verification after it.
  stages.push_back(make_suppression_stage(opts));
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

int exit_code_for(bool has_findings, const ScanInfo& scan, bool incomplete_fault,
                  const ScanOptions& opts) {
  if (has_findings) return opts.exit_code_findings;
  if (!scan.complete && (incomplete_fault || opts.strict)) return kExitIncomplete;
  if (opts.strict) {
    // Deliberate policy skips (symlinks not followed, .git/, excludes) are not lost coverage.
    for (const auto& k : scan.stats.skips)
      if (k.reason != "symlink" && k.reason != "git-dir" && k.reason != "excluded")
        return kExitIncomplete;
  }
  return kExitClean;
}

}  // namespace

int run_scan(const std::string& kind, const std::vector<std::string>& targets, ScanOptions& opts,
             const SourceFn& source, const std::vector<PostStage>& post_stages) {
  install_signal_cleanup();
  // Configuration first: it may add rules, prefixes and excludes and set the file size limit.
  std::vector<std::string> config_loaded, notices;
  if (auto s = apply_configuration(opts, targets, config_loaded, notices); !s) {
    std::cerr << "glpatrol: " << s.error().message << "\n";
    return kExitError;
  }
  for (const auto& n : notices) std::cerr << "glpatrol: " << n << "\n";
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
  ropts.raw_extract = opts.raw_extract;
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

  // Suppression files are read before the scan, so a broken ignore file or baseline fails
  // in milliseconds (exit 2), never after an hour, and never as "empty, all clean".
  std::vector<std::string> ignore_loaded;
  {
    auto sup = prepare_suppression(opts, targets, ignore_loaded);
    if (!sup) {
      std::cerr << "glpatrol: " << sup.error().message << "\n";
      return kExitError;
    }
    opts.suppressor = *sup;
  }

  const auto started = std::chrono::system_clock::now();
  const auto t0 = std::chrono::steady_clock::now();
  ScanContext ctx(*db, opts);
  ctx.info.kind = kind;
  ctx.info.targets = targets;
  ctx.info.started_at = iso8601(started);
  ctx.info.config_files = config_loaded;
  ctx.info.config_files.insert(ctx.info.config_files.end(), rule_files.begin(), rule_files.end());
  ctx.info.config_files.insert(ctx.info.config_files.end(), ignore_loaded.begin(), ignore_loaded.end());
  ctx.info.rules = db->rules();
  for (const auto& n : notices) ctx.stats.warn(n);

  // jsonl streams: when every output is jsonl and no post stage needs the whole set
  // (verification, command-specific stages), each finding is suppressed, serialized and
  // written as it is confirmed, so memory does not grow with the number of findings. Report
  // files are still atomic (a temporary file renamed at the end). Order: as confirmed.
  const bool streaming =
      !outputs.empty() && post_stages.empty() && !opts.verify &&
      std::all_of(outputs.begin(), outputs.end(), [](const ReportTarget& o) { return o.format == "jsonl"; });
  MessageRedactor redactor(ctx.db());
  std::vector<std::unique_ptr<AtomicFile>> stream_files;
  bool stream_to_stdout = false, stream_failed = false;
  std::uint64_t streamed_unsuppressed = 0;
  if (streaming) {
    for (const auto& o : outputs) {
      if (o.path == "-") {
        stream_to_stdout = true;
        continue;
      }
      auto f = AtomicFile::create(o.path);
      if (!f) {
        std::cerr << "glpatrol: " << f.error().message << "\n";
        return kExitError;
      }
      stream_files.push_back(std::move(*f));
    }
    ctx.set_sink([&](Finding&& f) {
      if (!opts.show_secrets) redactor.apply(f);
      opts.suppressor->apply(f);
      if (!f.suppressed) ++streamed_unsuppressed;
      const std::string line =
          finding_to_json(f, ropts).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
      if (stream_to_stdout) std::cout << line;
      for (auto& file : stream_files) {
        if (stream_failed) break;
        if (auto s = file->write(line); !s) {
          std::cerr << "glpatrol: " << s.error().message << "\n";
          stream_failed = true;
        }
      }
    });
  }

  std::unique_ptr<ProgressLine> progress;
  if (progress_wanted(opts.progress)) progress = std::make_unique<ProgressLine>(ctx.stats, ctx.progress);

  Status st = source(ctx);
  if (!st) {
    if (progress) progress->stop();
    std::cerr << "glpatrol: " << st.error().message << "\n";
    return kExitError;
  }
  if (streaming) {
    if (progress) progress->stop();
    ctx.set_sink(nullptr);
    (void)ctx.take_findings();  // nothing stored; records the cap warnings
    record_suppression(*opts.suppressor, ctx);
    ctx.info.stats = ctx.stats.snapshot();
    if (ctx.stats.has_errors())
      ctx.mark_incomplete(fmt::format("{} input(s) could not be read", ctx.info.stats.errors));
    std::cout << std::flush;
    if (stream_to_stdout && !std::cout) stream_failed = true;
    for (auto& file : stream_files) {
      if (stream_failed) break;
      if (auto s = file->commit(); !s) {
        std::cerr << "glpatrol: " << s.error().message << "\n";
        stream_failed = true;
      }
    }
    // jsonl has no summary object: what a summary would say goes to stderr.
    for (const auto& w : ctx.info.stats.warnings) std::cerr << "glpatrol: warning: " << w << "\n";
    for (const auto& r : ctx.info.incomplete_reasons) std::cerr << "glpatrol: scan incomplete: " << r << "\n";
    if (stream_failed) return kExitError;
    return exit_code_for(streamed_unsuppressed != 0 || ctx.capped(), ctx.info, ctx.incomplete_fault(), opts);
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
  if (!opts.show_secrets)
    for (auto& f : findings) redactor.apply(f);
  std::sort(findings.begin(), findings.end(), finding_less);
  if (progress) progress->stop();

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
  return exit_code_for(has_findings || ctx.capped(), report.scan, ctx.incomplete_fault(), opts);
}

}  // namespace glpatrol
