#pragma once
// Types shared by the git source's parts (history, range, pack pass, messages, emit, staged,
// push). Internal to scanner/sources/git.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scan/context.h"
#include "sources/git/git_repo.h"
#include "sources/git/git_source.h"

namespace glpatrol::git {

/// What the scan step found in each blob that had matches (blobs without are not kept).
using BlobMatches = std::unordered_map<git_oid, std::shared_ptr<const ContentMatches>, OidHash, OidEq>;

/// The largest blob read whole: the operator's --max-file-size, capped by kMaxGitBlobSize.
std::uint64_t blob_cap(const GitScanOptions& opts);

/// Records a blob above blob_cap: a policy skip when the operator set the limit, else lost
/// coverage (the scan is incomplete and never exits clean).
void report_oversized_blob(ScanContext& ctx, const GitScanOptions& opts, const git_oid& id,
                           std::uint64_t size);

/// ctx.mark_incomplete with the repository's label in front when several are scanned.
void mark_incomplete(ScanContext& ctx, const GitScanOptions& opts, std::string reason, bool fault);

/// Records an unreadable object (skip with is_error, and an incomplete-scan reason).
void report_object_fault(ScanContext& ctx, const GitScanOptions& opts, const git_oid& id,
                         const std::string& reason, const std::string& detail);

/// `path` as reports show it: prefixed with the repository label when several repositories
/// are scanned ("" stays "").
std::string place_path(const GitScanOptions& opts, const std::string& path);

/// A place where content appears, for provenance: a blob at a path in a repository.
Provenance blob_provenance(const GitScanOptions& opts, const git_oid& blob, const std::string& path);
/// Instance scans: sets p.source from opts.source with the web URL of the blob at p's commit
/// (`path` in the repository, unprefixed) or of the commit; nothing without opts.source.
void attach_source(const GitScanOptions& opts, Provenance& p, const std::string& path);

/// Author, date and the full subject line of a commit (or tagger and subject of a tag). The
/// scan step redacts and shortens the text fields.
CommitInfo signature_info(const git_oid& id, const git_signature* sig, const char* message);

/// What --state-dir keeps of a complete history scan so that the next one can walk only the
/// commits made since (git_state.cc, docs/git-history.md "Incremental rescans"). Every
/// commit the scan walked is an ancestor of `primary_tips` or of a `secondary` start point.
struct HistoryShape {
  /// The commits named by branches, tags, HEAD and other refs that no other commit a branch,
  /// tag or HEAD reaches has as a parent: every such reachable commit is an ancestor of one.
  std::vector<git_oid> primary_tips;
  /// Start points named only by what rewrites leave behind (reflog, stash, refs/original).
  std::vector<std::pair<git_oid, std::string>> secondary;
  /// The walked commits that only a secondary start point reaches, with that label
  /// (reachable_only_via); every other walked commit was reachable from a primary tip.
  std::unordered_map<git_oid, std::string, OidHash, OidEq> labels;
  std::int64_t max_time = INT64_MIN;                  ///< newest committer time walked
  std::vector<git_oid> newest;                        ///< the walked commits dated max_time
  std::vector<std::pair<git_oid, std::string>> tags;  ///< annotated tags, with the ref name reported
  std::vector<git_oid> trees, blobs;                  ///< refs naming a tree or blob directly (sorted)
};

/// --state-dir's link into history mode: the stored scan in, the new shape out.
struct HistoryResume {
  /// The stored scan: its shape, findings and counts; null base: walk everything.
  const HistoryShape* base = nullptr;
  const std::vector<Finding>* findings = nullptr;
  const GitInfo* info = nullptr;
  /// Filled by the scan: the shape to store, whether only new commits were walked, and why not
  /// when a base was given but could not be used.
  HistoryShape shape;
  bool resumed = false;
  std::string full_walk_reason;
};

/// Runs history or range mode (git_history.cc) / staged mode (git_staged.cc). `resume`
/// (history mode over the whole repository only): see HistoryResume.
Status scan_history(const GitScanOptions& opts, Repo& repo, ScanContext& ctx, GitInfo& info,
                    HistoryResume* resume = nullptr);
Status scan_staged(const GitScanOptions& opts, ScanContext& ctx, GitInfo& info);

/// History and range modes with --state-dir (git_state.cc): reuses a stored scan of the same
/// refs, or the stored matches of blobs already scanned; stores what a lossless run found.
Status scan_history_with_state(const GitScanOptions& opts, Repo& repo, ScanContext& ctx, GitInfo& info);

/// The scan step whose findings go to opts.findings_sink (the state's recorder) when set,
/// else to the context's sink.
Result<ScanStep> history_step(ScanContext& ctx, const GitScanOptions& opts);

}  // namespace glpatrol::git
