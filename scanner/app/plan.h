#pragma once
// The scan plan: everything a scan needs, resolved once from the command line and the
// configuration before anything is read — configuration files merged (with the trust each
// deserves), the rule database compiled, ignore files and baseline loaded, every output
// checked. Immutable afterwards; a mistake fails here in milliseconds, never after an hour.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/options.h"
#include "findings/suppress/suppress.h"
#include "matcher/rule_db.h"
#include "reporters/hook_message.h"
#include "reporters/reporter.h"
#include "scan/context.h"

namespace glpatrol {

/// Where the scanned content's own configuration stands.
enum class TreeTrust {
  /// A developer's or operator's own checkout: .glpatrol.toml may add rules, prefixes,
  /// excludes and a size limit; .glpatrolignore suppresses.
  Own,
  /// The content is the change under review (CI, server hooks): it must not narrow its own
  /// scan. Its .glpatrol.toml may only add rules and prefixes, and its .glpatrolignore is not
  /// applied (pass a reviewed one with --ignore-file).
  Untrusted,
};

/// What the command knows before the plan is made.
struct PlanInputs {
  std::string kind;                  ///< scan.kind in the report
  std::vector<std::string> targets;  ///< as given; directory targets are configuration roots
  TreeTrust tree = TreeTrust::Own;
  bool read_tree_config = true;  ///< false: targets are not trees (merge, stdin)
};

struct OutputSpec {
  std::string format;
  std::string path;  ///< "-" = stdout
};

struct ScanPlan {
  std::string kind;
  std::vector<std::string> targets;
  ScanOptions options;  ///< as given, plus what configuration added (hosts...)
  std::shared_ptr<const RuleDb> db;
  std::shared_ptr<Suppressor> suppressor;
  std::vector<OutputSpec> outputs;
  ReportOptions report;
  StepOptions step;
  FsOptions fs;  ///< excludes and size limit merged from configuration
  unsigned jobs = 1;
  Shard shard;
  std::vector<std::string> loaded_files;  ///< configuration, rule and ignore files read
  std::vector<std::string> notices;       ///< refused settings, disabled rules...
  /// Git hooks: the blocked-developer message on stderr after the scan.
  std::optional<HookMessageOptions> hook_message;

  /// The operator's blob size limit (0 = none), for the git source.
  std::uint64_t max_blob_size() const { return fs.max_file_size; }
};

/// Resolves the plan. Errors are usage or configuration errors (exit 2).
Result<ScanPlan> make_plan(const ScanOptions& options, const PlanInputs& in);

/// Git hooks: prints the blocked-developer message after the scan. `context`: "commit" or
/// "push"; `server`: pre-receive (GL-HOOK-ERR: lines). Revocation links use the first
/// configured GitLab URL.
void enable_hook_message(ScanPlan& plan, const std::string& context, bool server);

/// Parses sizes like 512, 10K, 10M, 2G (binary units).
Result<std::uint64_t> parse_size(const std::string& text);

/// The number of worker threads for `requested` (0 = all cores).
unsigned worker_count(unsigned requested);

}  // namespace glpatrol
