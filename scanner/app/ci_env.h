#pragma once
// Where glpatrol runs (docs/integrations.md): CI detection for `glpatrol git --ci`, sharding
// (`--shard I/N`, GitLab `parallel:`), and the pieces of the git command that integrations
// add (several repositories, --repos-from). No git or Hyperscan types here: the CI logic is
// pure string work on an environment, so it is unit-tested with fake environments.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/lines.h"

namespace CLI { class App; }

namespace glpatrol {

struct ScanOptions;
struct GitScanOptions;

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

/// The shard (1-based) `key` belongs to out of `total`: FNV-1a 64 of the key's bytes, mod
/// total. The same on every machine and every run. Keys: a path in the repository (blobs
/// and findings), a commit or tag id (messages), a repository as given (several).
unsigned shard_of(std::string_view key, unsigned total);

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

// ---------------------------------------------------------------------------------------
// The git command's integration options (registered by cmd_git.cc)

struct GitIntegration {
  std::vector<std::string> repos;   ///< positional repositories (0..n)
  std::string repos_from;           ///< --repos-from FILE ('-' = stdin)
  bool ci = false;                  ///< --ci
  std::string shard;                ///< --shard I/N | none
  bool hook = false;                ///< --hook: blocked-developer message on stderr
};

/// Registers the positional repositories, --repos-from, --ci, --shard and --hook.
void add_git_integration_options(CLI::App& cmd, GitIntegration& gi);

/// Runs `glpatrol git` with the integration options applied (one or several repositories,
/// CI range, shard, hook message). Returns the process exit code.
int run_git_command(GitIntegration& gi, GitScanOptions& git, ScanOptions& opts);

// ---------------------------------------------------------------------------------------
// Git hooks (app/cmd_hooks.cc): install-hook, pre-push, pre-receive

struct Finding;
struct HookMessageOptions {
  std::string context;       ///< "commit" (pre-commit) or "push" (pre-push, pre-receive)
  bool server = false;       ///< pre-receive: prefix "GL-HOOK-ERR: ", server-side advice
  std::string gitlab_url;    ///< where to revoke (default https://gitlab.com)
  std::size_t max_listed = 20;
};
/// The message a blocked developer sees: what was found (redacted), where, and what to do
/// (revoke in GitLab with the settings path, remove, mark a false positive). Only
/// unsuppressed findings are listed; "" when there are none.
std::string hook_message(const std::vector<Finding>& findings, const HookMessageOptions& o);

/// The hook script `glpatrol install-hook` writes (kind: "pre-commit" or "pre-push").
std::string hook_script(const std::string& kind, const std::string& binary);

/// Reads a --repos-from list: one repository per line, '#' comments and blank lines
/// skipped, duplicates removed (first wins).
Result<std::vector<std::string>> read_repo_list(std::string_view text, const std::string& origin);

}  // namespace glpatrol
