#pragma once
// glpatrol git: the history source. Three modes share one engine:
//   history (default)  every commit, tree and blob reachable from any ref, HEAD and the
//                      reflogs (--all-objects: every object in the database);
//   range              commits in A..B (or REV..HEAD): what those commits introduced;
//   staged             index blobs that differ from HEAD (pre-commit).
// Each unique blob is read and scanned once; provenance (path, introducing commit) comes from
// a tree walk that visits only subtrees that changed between a commit and its parents.
// The engine sees the scan through GitScanIo only, so it does not depend on the app layer.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "findings/finding.h"
#include "findings/stats.h"
#include "matcher/rule_db.h"

namespace glpatrol {

/// Blobs above this are never read (CVE-2026-53585: crafted deltas expanding to huge
/// objects); they are recorded as skipped (reason "size").
inline constexpr std::uint64_t kMaxGitBlobSize = (2ull << 30) - (1ull << 20);

struct GitScanOptions {
  std::string repo = ".";
  bool all_objects = false;       ///< also every unreachable object in the database
  std::string range;              ///< "A..B"
  std::string since;              ///< REV: same as REV..HEAD
  bool staged = false;            ///< index vs HEAD
  bool trust_repo_owner = false;  ///< disable libgit2's ownership check (explicit opt-in)
  bool scan_messages = true;      ///< commit and annotated-tag messages
  std::uint64_t max_blob_size = 0;  ///< 0 = kMaxGitBlobSize; larger blobs are skipped
  bool pack_reader = true;        ///< decode packs with the own reader (history mode)
  /// Range given as commit sets (pre-receive, app/cmd_hooks.cc): the commits reachable from
  /// `range_tips` without passing a commit of `range_stops` (stops are not scanned).
  std::vector<std::string> range_tips;
  std::vector<std::string> range_stops;
  /// Object directories read in addition to the repository's (a pre-receive hook's
  /// quarantine: GIT_QUARANTINE_PATH / GIT_OBJECT_DIRECTORY); never taken from the environment
  /// by the engine itself.
  std::vector<std::string> extra_object_dirs;
  /// Sharding (--shard I/N): only blobs / commit messages / tag messages whose object id
  /// this returns true for are scanned. Empty = all.
  std::function<bool(std::string_view key)> in_shard;
};

/// What the engine may touch of the running scan.
struct GitScanIo {
  const RuleDb& db;
  unsigned jobs = 1;
  ScanStats& stats;
  std::function<void(Finding)> add_finding;                      ///< thread-safe
  std::function<void(std::string reason, bool fault)> mark_incomplete;
  nlohmann::ordered_json& extra;                                 ///< merged into the report
};

/// Runs the mode selected by `opts`. Errors (unopenable repository, bad range, empty range)
/// are returned; per-object faults are recorded in io.stats and make the scan incomplete.
Status scan_git(const GitScanOptions& opts, GitScanIo& io);

/// The short mode name for the report's scan.kind: "git", "range" or "staged".
std::string git_scan_kind(const GitScanOptions& opts);

}  // namespace glpatrol
