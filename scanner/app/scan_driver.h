#pragma once
// The scan driver shared by every scanning command (dir, stdin, git, ...):
//   load rules -> compile RuleDb -> run the source -> post-process findings (suppression,
//   verification) -> sort -> write every requested report -> exit code.
// A source is a function that feeds findings into ScanContext::add_finding from any thread.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/time.h"  // iso8601(), used by the commands
#include "findings/finding.h"
#include "findings/progress.h"
#include "findings/stats.h"
#include "matcher/rule_db.h"
#include "reporters/reporter.h"
#include "sources/fs_source.h"

namespace CLI { class App; }

namespace glpatrol { class Suppressor; }

namespace glpatrol {

/// Process exit codes (docs/exit-codes.md).
enum ExitCode : int {
  kExitClean = 0,
  kExitFindings = 1,     ///< configurable with --exit-code
  kExitError = 2,        ///< usage, configuration or runtime error
  kExitIncomplete = 3,   ///< coverage lost (unreadable input); shallow history only with --strict
};

struct ScanOptions {
  // Output
  std::string format = "human";          ///< stdout format
  std::vector<std::string> reports;      ///< FORMAT:PATH, repeatable
  bool show_secrets = false;
  std::string color = "auto";            ///< auto|always|never (NO_COLOR wins over auto)
  int exit_code_findings = kExitFindings;
  bool quiet = false;                    ///< no stdout report (report files still written)
  bool strict = false;                   ///< any skipped input -> exit 3
  unsigned jobs = 0;                     ///< 0 = all cores
  // Rules
  std::vector<std::string> rule_files;
  std::vector<std::string> pat_prefixes;
  std::vector<std::string> instance_prefixes;
  // Files
  FsOptions fs;
  std::string max_file_size;             ///< as typed: 10M, 1G, 12345
  // Configuration and suppression (docs/configuration.md, docs/suppression.md)
  std::vector<std::string> config_files; ///< --config FILE (trusted; repeatable)
  bool no_repo_config = false;           ///< --no-repo-config: ignore <root>/.glpatrol.toml
  std::vector<std::string> ignore_files; ///< --ignore-file (default <root>/.glpatrolignore)
  std::string baseline;                  ///< --baseline REPORT.json
  bool no_inline_allow = false;          ///< --no-inline-allow
  bool raw_extract = false;              ///< --gitlab-raw-extract (gitlab report)
  std::string progress = "auto";         ///< --progress auto|always|never (stderr line)
  std::vector<Rule> config_rules;        ///< extra rules from configuration files
  std::vector<std::string> disable_rules;  ///< from a trusted --config only
  std::shared_ptr<Suppressor> suppressor;  ///< prepared by run_scan (scan_policy.h)
  // Verification (scanner/verifier, docs/verification.md); registered by add_verify_options
  bool verify = false;                   ///< --verify: ask GitLab about unsuppressed tokens
  std::vector<std::string> gitlab_urls;  ///< --gitlab-url (repeatable); default gitlab.com
  std::string ca_bundle;                 ///< --ca-bundle: PEM file replacing the system CAs
  bool verify_runners = false;           ///< --verify-runners: POST /runners/verify (opt-in)
  double verify_timeout = 10.0;          ///< seconds per request
  double verify_budget = 120.0;          ///< seconds for all of verification
  unsigned verify_concurrency = 4;       ///< tokens checked in parallel
  // Sharding (docs/integrations.md, app/ci_env.h): this process scans shard `shard_index` of
  // `shard_total` (1-based like GitLab's CI_NODE_INDEX); shard_total <= 1 = everything.
  unsigned shard_index = 0;
  unsigned shard_total = 0;
};

/// Everything a source needs while it runs.
class ScanContext {
 public:
  ScanContext(const RuleDb& db, const ScanOptions& opts) : db_(db), opts_(opts) {}
  const RuleDb& db() const { return db_; }
  const ScanOptions& options() const { return opts_; }
  unsigned jobs() const;
  ScanStats stats;
  ScanInfo info;  ///< sources add targets, extra metadata, incomplete reasons
  ScanProgress progress;  ///< optional totals/phase for the progress line (findings/progress.h)

  /// Thread-safe. Findings beyond the per-file or per-scan cap are counted, not stored.
  void add_finding(Finding f);
  /// The stored findings; records a warning for every cap that dropped findings (call once,
  /// also when streaming, before the statistics snapshot).
  std::vector<Finding> take_findings();
  /// Streaming (jsonl): findings go to `sink` (called under the context's lock) instead of
  /// being stored. Set by run_scan before the source runs.
  void set_sink(std::function<void(Finding&&)> sink) { sink_ = std::move(sink); }
  /// Marks the scan incomplete with a reason shown in every report. `fault` = coverage was
  /// lost by an error (unreadable/corrupt input): exit 3 even without --strict. A known,
  /// expected limit (a shallow clone's boundary) passes fault=false: exit 3 only with --strict.
  void mark_incomplete(std::string reason, bool fault = true);
  bool incomplete_fault() const { return incomplete_fault_; }
  /// True when a cap dropped findings. They were never checked against suppression, so they
  /// count as findings for the exit code (a capped scan is never clean).
  bool capped() const { return capped_; }
  /// True when `key` (a blob id, a repository) belongs to this process's shard; always true
  /// without --shard. Deterministic on every machine (defined in app/ci_env.cc).
  bool in_shard(std::string_view key) const;

 private:
  const RuleDb& db_;
  const ScanOptions& opts_;
  std::mutex mu_;
  std::vector<Finding> findings_;
  std::function<void(Finding&&)> sink_;
  std::uint64_t dropped_ = 0;
  /// Findings seen per file/blob, for the per-file cap (a file of a million tokens must not
  /// cost gigabytes); places over the cap are named in a warning by take_findings().
  std::map<std::string, std::uint64_t> per_place_;
  bool capped_ = false;
  bool incomplete_fault_ = false;
};

using SourceFn = std::function<Status(ScanContext&)>;
/// A post-scan stage (suppression, verification): may annotate, reorder or add findings.
using PostStage = std::function<Status(std::vector<Finding>&, ScanContext&)>;

/// Adds the options every scanning command shares.
void add_scan_options(CLI::App& cmd, ScanOptions& opts);

/// The verification flags (--gitlab-url, --ca-bundle, --verify-*), shared by scans and the
/// verify/revoke commands. Defined in cmd_verify.cc.
void add_verify_options(CLI::App& cmd, ScanOptions& opts);
/// The verification post stage; does nothing (and opens no socket) without --verify.
/// Defined in cmd_verify.cc.
PostStage make_verification_stage(const ScanOptions& opts);

/// The built-in rules' Hyperscan database serialized at build time (see RuleDb::build).
std::string_view builtin_database();

/// Loads built-in rules, --rules files and prefix settings, and compiles them.
Result<RuleDb> load_rule_db(const ScanOptions& opts, std::vector<std::string>* loaded_files);

/// The post-scan stages every scan runs, in order: suppression (ignore file, inline allows,
/// baseline), then verification. Each stage reads what it needs from `opts`.
std::vector<PostStage> standard_post_stages(const ScanOptions& opts);

/// Runs a scan of `kind` over `targets` with `source`; returns the process exit code.
/// `post_stages` run after standard_post_stages(opts).
int run_scan(const std::string& kind, const std::vector<std::string>& targets,
             ScanOptions& opts, const SourceFn& source,
             const std::vector<PostStage>& post_stages = {});

/// Parses sizes like 512, 10K, 10M, 2G (binary units).
Result<std::uint64_t> parse_size(const std::string& text);

}  // namespace glpatrol
