#pragma once
// The text of a repository that is not blob content, scanned through the scan step like
// blobs: commit and annotated-tag messages, the author/committer/tagger lines, and the names in
// trees (a token in a file or directory name). The provenance (author, date, subject) is only
// built for text that matched. Used by history and range mode, staged mode and the push hooks,
// so there is one scanner of each kind.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "sources/git/git_types.h"
#include "sources/git/packed_objects.h"

namespace glpatrol::git {

/// The commit's author, date and subject; merge_sha when it has several parents.
CommitInfo commit_info(git_repository* repo, const git_oid& id);

class MessageScanner {
 public:
  MessageScanner(git_repository* repo, ScanStep& step, const GitScanOptions& opts)
      : repo_(repo), step_(step), opts_(opts) {}

  /// Reads commits from `packed` first (the caller owns it; nullptr: libgit2 only).
  void use_packs(PackedObjects* packed) { packed_ = packed; }
  /// The message of commit `id` (whole, raw bytes) and its author and committer lines.
  /// Findings go to the step's sink.
  void commit(const git_oid& id);
  /// The message and tagger of annotated tag `id`, named by `ref_name` (or by its own name
  /// when "").
  void tag(const git_oid& id, const std::string& ref_name);
  std::uint64_t scanned() const { return scanned_; }

 private:
  void emit(const ContentMatches& m, const Provenance& where);
  /// "name <email>" of each signature, one per line; CommitHeader findings at `where_of()`
  /// (called only when a signature matched).
  void signatures(std::initializer_list<const git_signature*> sigs,
                  const std::function<const Provenance&()>& where_of);
  /// commit() for a message and signatures however they were read.
  void commit_text(const git_oid& id, std::string_view message_raw, const git_signature* author,
                   const git_signature* committer, bool merge);
  git_repository* repo_;
  ScanStep& step_;
  const GitScanOptions& opts_;
  PackedObjects* packed_ = nullptr;
  std::unique_ptr<PackedObjects::Commit> packed_commit_;  ///< reused between commits
  std::uint64_t scanned_ = 0;
};

/// Names in trees: each distinct directory or file name, with the path that leads to it, is
/// scanned once (a token in a directory name is one finding, not one per file below it).
/// Matches are kept until emit(), when the commit that introduced each name is known.
class PathNames {
 public:
  PathNames(ScanStep& step, const GitScanOptions& opts, ScanContext& ctx)
      : step_(step), opts_(opts), ctx_(ctx) {}
  /// Scans the parts of `path` ("a/b/c.txt": "a", "a/b", "a/b/c.txt") not seen before.
  /// `tag` is the caller's handle for the commit that introduced it (kNone-like values allowed).
  void add(const std::string& path, std::uint32_t tag);
  /// Sends the findings to the sink; `commit_of(tag)` gives each one's commit (or none). With
  /// `reported` (a resumed scan), a finding for which it is true was already reported.
  void emit(const std::function<std::optional<CommitInfo>(std::uint32_t tag)>& commit_of,
            const std::function<bool(const Finding&)>& reported = {});

 private:
  struct Hit {
    std::string path;
    std::shared_ptr<const ContentMatches> matches;
    std::uint32_t tag;
  };
  ScanStep& step_;
  const GitScanOptions& opts_;
  ScanContext& ctx_;
  std::unordered_set<std::size_t> seen_;  ///< hashes of the prefixes scanned
  std::vector<Hit> hits_;
};

}  // namespace glpatrol::git
