#pragma once
// Parallel blob scanning: every blob id pushed is read once and scanned by one of N workers,
// each with its own repository handle (libgit2 handles are not shared across threads) and
// its own Matcher. Only blobs with matches are kept.
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/work_pool.h"
#include "matcher/matcher.h"
#include "sources/git/git_repo.h"
#include "sources/git/git_scan.h"

namespace glpatrol::git {

using BlobMatches = std::unordered_map<git_oid, std::vector<LocatedMatch>, OidHash, OidEq>;

/// Records an unreadable object (skip with is_error, and an incomplete-scan reason).
void report_object_fault(GitScanIo& io, const git_oid& id, const std::string& reason,
                         const std::string& detail);

class BlobScanner {
 public:
  BlobScanner(const Repo& repo, GitScanIo& io, std::uint64_t max_blob_size)
      : repo_(repo), io_(io), cap_(max_blob_size) {}
  ~BlobScanner() { finish(); }
  BlobScanner(const BlobScanner&) = delete;
  BlobScanner& operator=(const BlobScanner&) = delete;

  /// Opens one repository handle and one Matcher per worker.
  Status start(unsigned jobs);
  /// Queues a blob (callers push each id once). Blocks while the queue is full.
  void push(const git_oid& id);
  /// Waits for every queued blob. Idempotent.
  void finish();
  /// Blobs with matches (valid after finish()).
  BlobMatches& results() { return results_; }
  /// Scans one in-memory buffer (used by the pack reader's workers through `scan_data`).
  void record(const git_oid& id, std::vector<LocatedMatch>&& matches);
  GitScanIo& io() { return io_; }
  std::uint64_t cap() const { return cap_; }

 private:
  struct Worker {
    RepoPtr repo;
    OdbPtr odb;
    Matcher matcher;
    std::vector<LocatedMatch> out;
  };
  void scan_one(Worker& w, const git_oid& id);

  const Repo& repo_;
  GitScanIo& io_;
  std::uint64_t cap_;
  std::unique_ptr<WorkPool<Worker>> pool_;
  std::mutex mu_;
  BlobMatches results_;
};

}  // namespace glpatrol::git
