#pragma once
// Everything a report says about the scan itself (not its findings), as typed values. Sources,
// the driver and post stages fill it; reporters render it; `glpatrol merge` reads it back
// (reporters/report_json.h is the one JSON mapping, both directions). A section that does not
// apply to a scan is absent (std::nullopt), never half-filled.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "findings/stats.h"
#include "rules/rule.h"

namespace glpatrol {

/// `git.range`: what a range scan covered.
struct GitRangeInfo {
  std::string spec;                    ///< "A..B" as given, or "pushed" (pre-receive/pre-push)
  std::optional<std::string> from;     ///< resolved lower end (A..B)
  std::optional<std::string> to;       ///< resolved upper end (A..B)
  std::vector<std::string> tips;       ///< pushed: the new commits the walk starts from
  std::optional<std::uint64_t> stops;  ///< pushed: commits already known (not scanned)
  std::uint64_t commits = 0;
  std::uint64_t blobs = 0;
};

/// `git.pack_reader`: how the history's blobs were read.
struct PackReaderInfo {
  std::uint64_t packs = 0;
  std::string inflate;              ///< libdeflate | zlib
  std::uint64_t blobs_decoded = 0;  ///< by glpatrol's pack reader
  std::uint64_t blobs_read_by_libgit2 = 0;
  /// Commits and trees the history walk read from the packs / asked the packs for in vain
  /// (then read through libgit2: loose, elsewhere, or a shape left to libgit2's parser).
  std::uint64_t walk_objects_decoded = 0;
  std::uint64_t walk_objects_read_by_libgit2 = 0;
};

/// `git.index`: how staged mode read the index.
struct IndexInfo {
  std::string reader;  ///< glpatrol | libgit2
  std::uint64_t entries = 0, trees_read = 0, directories_skipped = 0;
};

/// `git.state`: what an incremental scan (--state-dir) took from the state database.
struct GitStateInfo {
  std::string dir;
  /// The refs, reflogs and options were those of a stored complete scan: its findings were
  /// reported without walking or reading anything.
  bool history_reused = false;
  std::uint64_t blobs_reused = 0;   ///< blobs not read: their matches came from the state
  std::uint64_t blobs_scanned = 0;  ///< blobs read and matched in this run (stored when complete)
  /// History mode over the whole repository when refs moved: "new-commits" (only the commits
  /// made since the stored scan were walked) or "all"; and why not, when a stored scan was there.
  std::optional<std::string> walk;
  std::optional<std::string> full_walk_reason;
  std::optional<std::string> ignored;  ///< why the state was not used (corrupt, foreign, locked...)
};

/// `git`: one repository's history, range or staged scan.
struct GitInfo {
  std::string mode;                 ///< history | all-objects | range | staged
  std::string repository;           ///< its .git (or bare) directory
  std::optional<bool> bare;         ///< (not reported for staged)
  std::optional<std::string> head;  ///< null when unborn
  /// The repository's web address from its "origin" remote (https only, credentials removed;
  /// sources/git/git_repo.h web_url_from_remote), for links in reports. Absent when unknown.
  std::optional<std::string> web_url;
  std::optional<GitRangeInfo> range;
  std::optional<std::uint64_t> refs, reflog_entries, reflog_entries_pruned;
  std::optional<bool> shallow;
  std::vector<std::string> shallow_boundary_commits;
  std::optional<std::uint64_t> unreachable_blobs;  ///< --all-objects
  std::optional<PackReaderInfo> pack_reader;
  std::optional<std::uint64_t> commits, blobs, blob_places;
  std::optional<std::uint64_t> submodule_entries_not_scanned;
  std::optional<std::uint64_t> messages_scanned;
  std::optional<std::uint64_t> later_versions_folded;
  std::optional<IndexInfo> index;             ///< staged
  std::optional<std::uint64_t> staged_paths;  ///< staged
  std::optional<GitStateInfo> state;          ///< --state-dir
};

/// `ci`: what `--ci` chose.
struct CiInfo {
  std::string provider, event, description;
  std::optional<std::string> range;  ///< null: full history
};

/// `shard`: this report is one part of a sharded scan.
struct ShardInfo {
  unsigned index = 0, total = 0;  ///< 1-based index of total
  std::string by;                 ///< path | repository
  std::string origin;             ///< --shard | CI_NODE_INDEX/CI_NODE_TOTAL
  std::optional<std::uint64_t> repositories_in_other_shards;
};

/// `repositories[]`: one entry per repository of a multi-repository scan.
struct RepositoryInfo {
  std::string repository;  ///< as given
  std::optional<GitInfo> git;
  std::optional<std::string> error;  ///< why it could not be scanned
};

/// `push`: the ref updates a hook checked.
struct RefUpdateInfo {
  std::string ref, old_id, new_id;
};
struct PushInfo {
  std::vector<RefUpdateInfo> updates;
  std::uint64_t new_commits = 0;
};

/// `suppression`: what suppressed findings, and ignore entries that matched nothing.
struct UnusedIgnoreInfo {
  std::string file;
  std::uint64_t line = 0;
  std::string fingerprint;
  std::string path_glob;  ///< "" = any path
};
struct SuppressionInfo {
  bool inline_allow = true;
  std::uint64_t ignore_entries = 0;
  std::optional<std::string> baseline;  ///< the baseline report's path
  std::uint64_t baseline_fingerprints = 0;
  std::uint64_t ignore_file = 0, inline_count = 0, baseline_count = 0;  ///< suppressed, by kind
  std::vector<UnusedIgnoreInfo> unused;
};

/// `verification`: what verification asked, and of whom.
struct VerificationInfo {
  std::vector<std::string> hosts;
  std::uint64_t unique_tokens = 0, requests = 0;
  bool budget_exhausted = false;
};

/// `merge`: how `glpatrol merge` combined its inputs.
struct MergeInfo {
  std::uint64_t reports = 0;
  std::optional<unsigned> shards_total;
  std::string shards_by;
  std::uint64_t shards_present = 0;
  std::uint64_t duplicates_removed = 0;
};

/// `gitlab`: what an instance scan (`glpatrol gitlab`) read. Per-surface counts are keyed by
/// surface name (git, job_logs, snippets, issues, merge_requests, wiki, releases).
struct GitLabInfo {
  std::string url;                     ///< the instance
  std::vector<std::string> surfaces;   ///< the surfaces asked for
  std::uint64_t projects = 0;          ///< projects scanned by this process
  std::uint64_t projects_refused = 0;  ///< refused (foreign host in http_url_to_repo)
  std::uint64_t projects_in_other_shards = 0;
  std::uint64_t requests = 0, retries = 0;        ///< REST requests (git traffic not counted)
  std::map<std::string, std::uint64_t> items;     ///< surface -> items read (jobs, notes, files...)
  std::map<std::string, std::uint64_t> disabled;  ///< surface -> projects where it is off (404)
  std::map<std::string, std::uint64_t> reused;    ///< surface -> items unchanged since the last run
  std::optional<std::string> state_dir;
};

struct ScanInfo {
  std::string kind;                  ///< dir | stdin | git | staged | range | pre-receive | pre-push | merge
  std::vector<std::string> targets;  ///< paths / repositories as given
  std::string started_at, finished_at;  ///< ISO 8601 UTC
  double duration_seconds = 0.0;
  /// `timings.phases`: seconds per source phase (ScanProgress::phase_seconds), in order.
  std::vector<std::pair<std::string, double>> phase_seconds;
  StatsSnapshot stats;
  bool complete = true;
  std::vector<std::string> incomplete_reasons;
  std::vector<std::string> config_files;  ///< configuration, rule and ignore files loaded
  std::vector<Rule> rules;                ///< every loaded rule, in rule-index order
  // Sections (absent when they do not apply)
  std::optional<GitInfo> git;
  std::vector<RepositoryInfo> repositories;  ///< several repositories in one scan
  std::optional<CiInfo> ci;
  std::optional<ShardInfo> shard;
  std::optional<PushInfo> push;
  std::optional<SuppressionInfo> suppression;
  std::optional<VerificationInfo> verification;
  std::optional<MergeInfo> merge;
  std::optional<GitLabInfo> gitlab;
};

}  // namespace glpatrol
