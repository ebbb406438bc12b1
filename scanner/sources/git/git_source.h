#pragma once
// glpatrol git: the history source. Three modes share one engine:
//   history (default)  every commit, tree and blob reachable from any ref, HEAD and the
//                      reflogs (--all-objects: every object in the database);
//   range              commits in A..B (or REV..HEAD, or pushed tips/stops): what those
//                      commits introduced;
//   staged             index blobs that differ from HEAD (pre-commit).
// Each unique blob is read and scanned once; provenance (path, introducing commit) comes from
// a tree walk that visits only subtrees that changed between a commit and its parents.
// Content goes through the scan step (scan/step.h) like every other source.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scan/context.h"

namespace glpatrol::state {
class ContentCache;
}

namespace glpatrol {

/// Blobs above this are never read whole (CVE-2026-53585: crafted deltas expanding to huge
/// objects). Without an operator's limit a larger blob makes the scan incomplete (exit 3);
/// with --max-file-size it is a policy skip.
inline constexpr std::uint64_t kMaxGitBlobSize = (2ull << 30) - (1ull << 20);

struct GitScanOptions {
  std::string repo = ".";
  bool all_objects = false;  ///< also every unreachable object in the database
  bool reflogs = true;       ///< start points include reflog entries (--no-reflogs: false)
  std::string range;         ///< "A..B"
  std::string since;         ///< REV: same as REV..HEAD
  /// --since DATE: only commits whose committer date is at or after this (Unix seconds): what
  /// they introduced, their messages. Set by the command when --since is a date.
  std::optional<std::int64_t> since_time;
  /// Paths whose blobs are not reported (--exclude, configuration excludes): a blob is still
  /// read when it also sits at another path. Names and messages are not excluded.
  std::vector<std::string> exclude_globs;
  bool staged = false;              ///< index vs HEAD
  bool trust_repo_owner = false;    ///< disable libgit2's ownership check (explicit opt-in)
  bool scan_messages = true;        ///< commit and annotated-tag messages
  std::uint64_t max_blob_size = 0;  ///< operator's limit (--max-file-size); 0 = none
  bool pack_reader = true;          ///< decode packs with the own reader (history mode)
  /// Range given as commit sets (pre-receive/pre-push, sources/git/push.h): the commits
  /// reachable from `range_tips` without passing a commit of `range_stops` (not scanned).
  std::vector<std::string> range_tips;
  std::vector<std::string> range_stops;
  /// Object directories read in addition to the repository's (a pre-receive hook's
  /// quarantine); never taken from the environment by the engine itself.
  std::vector<std::string> extra_object_dirs;
  /// --shard splits this repository by path (every version of a file in one shard) and its
  /// messages by object id. Off when several repositories are split by repository.
  bool shard_by_path = true;
  /// Several repositories in one report: the repository as given. Paths are prefixed with
  /// it, findings name it, and incomplete reasons start with it.
  std::string repository_label;
  /// Instance scans (glpatrol gitlab): the project's place (kind git, project path, web_url =
  /// the project's web URL). Findings then carry it with web_url pointing at the blob at the
  /// introducing commit (#L<line>) or at the commit of a message.
  std::optional<SourceRef> source;
  /// --state-dir (history mode): an incremental scan (state/state_db.h, docs/git-history.md);
  /// "" = none. A state that cannot be used is reported in a warning and the scan runs whole.
  std::string state_dir;
  /// Set by the engine, not by callers: this scan's content cache (null without state) and
  /// the sink that records the findings for the state (null: the context's sink).
  state::ContentCache* contents = nullptr;
  FindingSink* findings_sink = nullptr;
};

/// The short mode name for the report's scan.kind: "git", "range" or "staged".
std::string git_scan_kind(const GitScanOptions& opts);

/// Checks option combinations that no mode accepts (a usage error, exit 2).
Status validate_git_options(const GitScanOptions& opts);

/// Scans one repository in the mode `opts` selects; fills `info` (ScanInfo::git, or a
/// repository entry of a multi-repository scan). Errors: unopenable repository, bad or empty
/// range. Per-object faults are recorded in ctx and make the scan incomplete.
Status scan_git_repository(const GitScanOptions& opts, ScanContext& ctx, GitInfo& info);

/// One repository (`glpatrol git [REPO]`).
class GitSource final : public Source {
 public:
  explicit GitSource(GitScanOptions opts) : opts_(std::move(opts)) {}
  Status scan(ScanContext& ctx) override;

 private:
  GitScanOptions opts_;
};

/// Several repositories in one report (`glpatrol git A B`, --repos-from). A repository that
/// cannot be scanned is recorded (skipped, error) and makes the scan incomplete; the others
/// are still scanned. --shard splits the list by repository.
class MultiRepoGitSource final : public Source {
 public:
  MultiRepoGitSource(std::vector<std::string> repos, GitScanOptions base)
      : repos_(std::move(repos)), base_(std::move(base)) {}
  Status scan(ScanContext& ctx) override;

 private:
  std::vector<std::string> repos_;
  GitScanOptions base_;
};

}  // namespace glpatrol
