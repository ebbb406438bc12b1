#include "app/run.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <sstream>

#include "app/verification.h"
#include "common/encoding.h"
#include "common/time.h"
#include "reporters/progress_line.h"
#include "reporters/report_file.h"
#include "reporters/report_json.h"

namespace glpatrol {

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

SuppressionInfo suppression_info(const Suppressor& s, ScanStats& stats) {
  SuppressionInfo o;
  o.inline_allow = s.inline_allow();
  o.ignore_entries = s.entries();
  if (s.baseline()) {
    o.baseline = s.baseline()->path;
    o.baseline_fingerprints = s.baseline()->fingerprints.size();
  }
  o.ignore_file = s.count("ignore-file");
  o.inline_count = s.count("inline");
  o.baseline_count = s.count("baseline");
  for (const auto& u : s.unused()) {
    o.unused.push_back({u.file, u.line, u.fingerprint, u.path_glob});
    stats.warn(fmt::format("{}:{}: ignore entry {}{} matched no finding; remove it if the token is gone",
                           u.file, u.line, u.fingerprint, u.path_glob.empty() ? "" : " " + u.path_glob));
  }
  return o;
}

/// Streamed jsonl: each finding is suppressed, serialized and written as it is confirmed, so
/// memory does not grow with the number of findings. Report files stay atomic (a temporary
/// file renamed at the end).
class JsonlStream {
 public:
  Status open(const ScanPlan& plan) {
    for (const auto& o : plan.outputs) {
      if (o.path == "-") {
        to_stdout_ = true;
        continue;
      }
      auto f = AtomicFile::create(o.path);
      if (!f) return f.error();
      files_.push_back(std::move(*f));
    }
    return Status::ok();
  }
  void write(Finding&& f, Suppressor& sup, const ReportOptions& ro) {
    sup.apply(f);
    if (!f.suppressed) ++unsuppressed_;
    const std::string line =
        finding_to_json(f, ro).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    if (to_stdout_) std::cout << line;
    for (auto& file : files_) {
      if (failed_) break;
      if (auto s = file->write(line); !s) {
        std::cerr << "glpatrol: " << terminal_message(s.error().message) << "\n";
        failed_ = true;
      }
    }
  }
  /// Flushes stdout and renames the files into place; false when any output failed.
  bool commit() {
    std::cout << std::flush;
    if (to_stdout_ && !std::cout) failed_ = true;
    for (auto& file : files_) {
      if (failed_) break;
      if (auto s = file->commit(); !s) {
        std::cerr << "glpatrol: " << terminal_message(s.error().message) << "\n";
        failed_ = true;
      }
    }
    return !failed_;
  }
  std::uint64_t unsuppressed() const { return unsuppressed_; }

 private:
  std::vector<std::unique_ptr<AtomicFile>> files_;
  bool to_stdout_ = false, failed_ = false;
  std::uint64_t unsuppressed_ = 0;
};

/// Every operator value the report repeats (targets, files, range, hosts, baseline) goes through
/// the one echo redaction (common/echo.h): a token pasted into an option never reaches a report.
void redact_echoes(ScanInfo& info) {
  for (auto& t : info.targets) t = redact_token_shaped(t);
  for (auto& f : info.config_files) f = redact_token_shaped(f);
  if (info.git) {
    info.git->repository = redact_token_shaped(info.git->repository);
    if (info.git->range) info.git->range->spec = redact_token_shaped(info.git->range->spec);
  }
  for (auto& r : info.repositories) r.repository = redact_token_shaped(r.repository);
  if (info.suppression && info.suppression->baseline)
    info.suppression->baseline = redact_token_shaped(*info.suppression->baseline);
  if (info.verification)
    for (auto& h : info.verification->hosts) h = redact_token_shaped(h);
  for (auto& r : info.incomplete_reasons) r = redact_token_shaped(r);
}

}  // namespace

Status write_report(Reporter& reporter, const Report& report, const std::string& path) {
  std::ostringstream buf;
  if (auto s = reporter.write(report, buf); !s) return s;
  if (path != "-") return write_file_atomically(path, buf.str());
  std::cout << buf.str() << std::flush;
  if (!std::cout) return Error::io("standard output: the report could not be written");
  return Status::ok();
}

namespace {

/// Renders the report in every requested format; false when any output failed.
bool write_reports(const ScanPlan& plan, const Report& report) {
  bool ok = true;
  for (const auto& o : plan.outputs) {
    ReportOptions ro = plan.report;
    ro.color = o.path == "-" && o.format == "human" && want_color(plan.options.color);
    auto reporter = make_reporter(o.format, ro);
    if (auto s = write_report(**reporter, report, o.path); !s) {
      std::cerr << "glpatrol: " << terminal_message(s.error().message) << "\n";
      ok = false;
    }
  }
  return ok;
}

/// -v: what the plan resolved, before anything is read (stderr; never a token: rules and
/// files are named, not shown).
void print_plan(const ScanPlan& plan, std::ostream& err) {
  std::size_t builtin = 0;
  for (const auto& r : plan.db->rules()) builtin += r.origin == "builtin" ? 1 : 0;
  err << fmt::format("glpatrol: {} scan of {} target(s) on {} worker(s); {} rules ({} built-in)\n", plan.kind,
                     plan.targets.size(), plan.jobs, plan.db->rules().size(), builtin);
  for (const auto& f : plan.loaded_files) err << "glpatrol: loaded " << escape_for_terminal(f) << "\n";
  if (plan.fs.max_file_size != 0) err << "glpatrol: size limit " << plan.fs.max_file_size << " bytes\n";
  for (const auto& g : plan.fs.exclude_globs) err << "glpatrol: exclude " << escape_for_terminal(g) << "\n";
  for (const auto& o : plan.outputs)
    err << "glpatrol: report " << o.format << " -> "
        << (o.path == "-" ? "stdout" : escape_for_terminal(o.path)) << "\n";
  if (plan.hook_message) err << "glpatrol: hook mode (" << plan.hook_message->context << ")\n";
}

}  // namespace

int exit_code_for(bool has_findings, const ScanInfo& scan, bool incomplete_fault, const ScanOptions& opts) {
  if (has_findings) return opts.exit_code_findings;
  if (!scan.complete && (incomplete_fault || opts.strict)) return kExitIncomplete;
  if (opts.strict) {
    // Deliberate policy skips (symlinks not followed, .git/, excludes) are not lost coverage.
    for (const auto& k : scan.stats.skips)
      if (k.reason != "symlink" && k.reason != "git-dir" && k.reason != "excluded") return kExitIncomplete;
  }
  return kExitClean;
}

int run_scan(const ScanPlan& plan, Source& source, ScanInfo seed, RunOptions run) {
  install_signal_cleanup();
  const ScanOptions& opts = plan.options;
  for (const auto& n : plan.notices) std::cerr << "glpatrol: " << terminal_message(n) << "\n";

  const auto t0 = std::chrono::steady_clock::now();
  ScanInfo info = std::move(seed);
  info.kind = plan.kind;
  info.targets = plan.targets;
  info.started_at = iso8601(std::chrono::system_clock::now());
  info.config_files = plan.loaded_files;
  info.rules = plan.db->rules();

  FindingCollector collector;
  ScanContext ctx(*plan.db, plan.step, plan.jobs, plan.shard, collector, info);
  for (const auto& n : plan.notices) ctx.stats.warn(n);

  // jsonl streams when every output is jsonl and nothing needs the whole set first
  // (verification, the hook message, a sorted merge). Order: as confirmed.
  const bool streaming = run.allow_streaming && !plan.outputs.empty() && !opts.verify && !plan.hook_message &&
                         std::all_of(plan.outputs.begin(), plan.outputs.end(),
                                     [](const OutputSpec& o) { return o.format == "jsonl"; });
  JsonlStream stream;
  if (streaming) {
    if (auto s = stream.open(plan); !s) {
      std::cerr << "glpatrol: " << terminal_message(s.error().message) << "\n";
      return kExitError;
    }
    collector.stream([&](Finding&& f) { stream.write(std::move(f), *plan.suppressor, plan.report); });
  }

  std::unique_ptr<ProgressLine> progress;
  if (progress_wanted(opts.progress)) progress = std::make_unique<ProgressLine>(ctx.stats, ctx.progress);
  if (opts.verbose) print_plan(plan, std::cerr);
  const Status st = source.scan(ctx);
  if (progress) progress->stop();
  info.phase_seconds = ctx.progress.phase_seconds();
  const auto t_scanned = std::chrono::steady_clock::now();
  if (!st) {
    std::cerr << "glpatrol: " << terminal_message(st.error().message) << "\n";
    return kExitError;
  }

  std::vector<Finding> findings = collector.take(ctx.stats);  // empty when streamed
  for (auto& f : findings) plan.suppressor->apply(f);
  info.suppression = suppression_info(*plan.suppressor, ctx.stats);
  const auto t_verify = std::chrono::steady_clock::now();
  if (opts.verify)
    if (auto s = verify_findings(opts, info.rules, findings, info, ctx.stats); !s) {
      std::cerr << "glpatrol: " << terminal_message(s.error().message) << "\n";
      return kExitError;
    }
  if (plan.hook_message) {
    const std::string msg = hook_message(findings, info.rules, *plan.hook_message);
    if (!msg.empty()) std::cerr << msg << std::flush;
  }
  std::sort(findings.begin(), findings.end(), finding_less);
  const auto t_reported = std::chrono::steady_clock::now();

  info.finished_at = iso8601(std::chrono::system_clock::now());
  info.duration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  info.stats = ctx.stats.snapshot();
  if (ctx.stats.has_errors())
    ctx.mark_incomplete(fmt::format("{} input(s) could not be read", info.stats.errors));

  redact_echoes(info);

  bool has_findings = collector.capped();
  bool ok = true;
  if (streaming) {
    ok = stream.commit();
    has_findings |= stream.unsuppressed() != 0;
    // jsonl has no summary object: what a summary would say goes to stderr.
    for (const auto& w : info.stats.warnings)
      std::cerr << "glpatrol: warning: " << terminal_message(w) << "\n";
    for (const auto& r : info.incomplete_reasons)
      std::cerr << "glpatrol: scan incomplete: " << terminal_message(r) << "\n";
  } else {
    has_findings |=
        std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return !f.suppressed; });
    ok = write_reports(plan, Report{info, std::move(findings)});
  }
  if (opts.verbose) {
    const auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    const auto t_end = std::chrono::steady_clock::now();
    std::cerr << fmt::format(
        "glpatrol: timings: scan {:.3f} s, suppression {:.3f} s, verification {:.3f} s, "
        "reports {:.3f} s\n",
        secs(t0, t_scanned), secs(t_scanned, t_verify), opts.verify ? secs(t_verify, t_reported) : 0.0,
        secs(t_reported, t_end));
    std::cerr << fmt::format(
        "glpatrol: read {} files, {} blobs, {} commits, {} bytes; {} skipped ({} faults)\n", info.stats.files,
        info.stats.blobs, info.stats.commits, info.stats.bytes, info.stats.skipped, info.stats.errors);
  }
  if (!ok) return kExitError;
  return exit_code_for(has_findings, info, ctx.incomplete_fault(), opts);
}

}  // namespace glpatrol
