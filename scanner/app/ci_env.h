#pragma once
// Where glpatrol runs (docs/integrations.md): CI detection for `glpatrol git --ci`, the shard
// a CI job scans (`--shard I/N`, GitLab `parallel:`) and --repos-from lists. No git or
// Hyperscan types here: the CI logic is pure string work on an environment, so it is
// unit-tested with fake environments.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/lines.h"

namespace glpatrol {

/// Reads one environment variable; nullopt when unset. Tests pass a map-backed function.
using EnvFn = std::function<std::optional<std::string>(const char* name)>;
EnvFn process_env();

// ---------------------------------------------------------------------------------------
// Sharding

struct ShardSpec {
  unsigned index = 0;  ///< 1-based
  unsigned total = 0;
  std::string origin;  ///< "--shard" or "CI_NODE_INDEX/CI_NODE_TOTAL"
  bool active() const { return total > 1; }
};

/// Parses "I/N" (1 <= I <= N <= 10000).
Result<ShardSpec> parse_shard(std::string_view text);

/// `flag` (--shard) when given; else GitLab's CI_NODE_INDEX/CI_NODE_TOTAL (set by
/// `parallel: N`) when both are set; else no sharding. "none" disables the CI default.
Result<ShardSpec> resolve_shard(const std::string& flag, const EnvFn& env);

// ---------------------------------------------------------------------------------------
// CI detection (glpatrol git --ci)

/// What `--ci` decided to scan, and why (printed to stderr and stored in the report).
struct CiPlan {
  std::string provider;     ///< "gitlab" | "github"
  std::string event;        ///< merge_request | push | pull_request | new-branch | history ...
  std::string range;        ///< "A..B"; empty = full history
  std::string description;  ///< one line for humans
  std::string shallow_fix;  ///< what to change when the clone is too shallow
};

/// Chooses the range from the CI environment:
///  GitLab: SECRET_DETECTION_HISTORIC_SCAN=true -> full history; merge request pipelines ->
///          CI_MERGE_REQUEST_DIFF_BASE_SHA..CI_COMMIT_SHA; pushes ->
///          CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA; a new branch (before = 000..0) or anything
///          else -> full history (never a silently narrower scan).
///  GitHub: pull_request / pull_request_target -> base.sha..head.sha from GITHUB_EVENT_PATH;
///          push -> before..after; a new branch or other events -> full history.
/// Error when no CI is detected or the event file is unusable.
Result<CiPlan> detect_ci(const EnvFn& env);

/// True when the repository at `repo` (work tree, .git or bare directory) is a shallow clone.
bool repo_is_shallow(const std::string& repo);

/// Reads a --repos-from list: one repository per line, '#' comments and blank lines
/// skipped, duplicates removed (first wins).
Result<std::vector<std::string>> read_repo_list(std::string_view text, const std::string& origin);

}  // namespace glpatrol
