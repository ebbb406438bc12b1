#pragma once
// Parallel blob reading through libgit2: every blob id pushed is read once and matched by one
// of N workers, each with its own repository handle (libgit2 handles are not shared across
// threads) and its own scan step. Only blobs with matches are kept; their places are attached
// later (history: the tree walk; staged: the index). Used for everything the pack pass did
// not cover (loose objects, alternates, undecodable entries), for ranges and staged changes.
#include <functional>
#include <memory>
#include <mutex>

#include "common/work_pool.h"
#include "sources/git/git_types.h"
#include "sources/git/git_walk.h"

namespace glpatrol::git {

class BlobReader {
 public:
  BlobReader(const Repo& repo, ScanContext& ctx, const GitScanOptions& opts)
      : repo_(repo), ctx_(ctx), opts_(opts), cap_(blob_cap(opts)) {}
  ~BlobReader() { finish(); }
  BlobReader(const BlobReader&) = delete;
  BlobReader& operator=(const BlobReader&) = delete;

  /// Opens one repository handle and one scan step per worker.
  Status start(unsigned jobs);
  /// Queues a blob (callers push each id once). Blocks while the queue is full.
  void push(const git_oid& id);
  /// Waits for every queued blob. Idempotent.
  void finish();
  /// Blobs with matches (complete after finish()). Also filled by the pack pass.
  BlobMatches& results() { return results_; }
  /// Thread-safe: records the matches of one blob.
  void record(const git_oid& id, std::shared_ptr<const ContentMatches> matches);
  /// Ids pushed as blobs that name trees or commits (a crafted tree entry whose mode says
  /// "file"). Their bytes were scanned; the caller walks the files below them. After finish().
  std::vector<git_oid> take_non_blobs();

 private:
  struct Worker {
    RepoPtr repo;
    OdbPtr odb;
    ScanStep step;
  };
  void read_one(Worker& w, const git_oid& id);

  const Repo& repo_;
  ScanContext& ctx_;
  const GitScanOptions& opts_;
  std::uint64_t cap_;
  std::unique_ptr<WorkPool<Worker>> pool_;
  std::mutex mu_;
  BlobMatches results_;
  std::vector<git_oid> non_blobs_;
};

/// Where a caller keeps (path, id) places outside the history model (staged mode, trees named
/// by pushed refs): the places an id was found at, and a new place (true when the id is new and
/// must be read).
struct PlaceCallbacks {
  std::function<std::vector<std::string>(const git_oid& id)> paths_of;
  std::function<bool(const std::string& path, const git_oid& id)> add;
};

/// After `reader` has finished: every id it found to name a tree or commit where a file was
/// expected (a crafted "file" entry) has the files below it walked with `differ`, added at
/// <path>/<file>, read and matched; their matches join reader.results(). In rounds (what they
/// hold may be mistyped again), each id once.
Status read_below_non_blobs(const Repo& repo, ScanContext& ctx, const GitScanOptions& opts,
                            TreeDiffer& differ, BlobReader& reader, const PlaceCallbacks& places);

}  // namespace glpatrol::git
