#pragma once
// What a source may use while it runs: per-thread scan steps, the scan's statistics, progress
// and typed report metadata, the incomplete-scan record and the shard filter. One per scan,
// made by the driver from the scan plan; everything here is thread-safe except `info`, which
// only the thread that called Source::scan writes.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "findings/collector.h"
#include "findings/progress.h"
#include "findings/scan_info.h"
#include "findings/stats.h"
#include "scan/step.h"

namespace glpatrol {

/// This process scans shard `index` of `total` (1-based, like GitLab's CI_NODE_INDEX);
/// total <= 1 means everything.
struct Shard {
  unsigned index = 0;
  unsigned total = 0;
  bool active() const { return total > 1; }
};

/// The shard (1-based) `key` belongs to out of `total`: FNV-1a 64 of the key's bytes, mod
/// total. The same on every machine and every run. Keys: a path in the repository (blobs and
/// findings), a commit or tag id (messages), a repository as given (several repositories).
unsigned shard_of(std::string_view key, unsigned total);

class ScanContext {
 public:
  ScanContext(const RuleDb& db, const StepOptions& step, unsigned jobs, Shard shard, FindingSink& sink,
              ScanInfo& info)
      : db_(db), step_(step), jobs_(jobs == 0 ? 1 : jobs), shard_(shard), sink_(sink), info_(info) {}

  const RuleDb& db() const { return db_; }
  /// A new per-thread step (content -> findings -> this scan's sink).
  Result<ScanStep> make_step() { return ScanStep::create(db_, step_, sink_, &stats); }
  FindingSink& sink() { return sink_; }
  /// The step options of this scan, for a source that gives its steps its own sink (the
  /// instance source records what each item found for its state database).
  const StepOptions& step_options() const { return step_; }
  unsigned jobs() const { return jobs_; }

  ScanStats stats;
  ScanProgress progress;
  /// Typed report metadata the source fills (git, repositories, push...). Single writer.
  ScanInfo& info() { return info_; }

  /// Marks the scan incomplete with a reason shown in every report. `fault` = coverage was
  /// lost by an error (unreadable/corrupt input): exit 3 even without --strict. A known,
  /// expected limit (a shallow clone's boundary) passes fault=false: exit 3 only with --strict.
  void mark_incomplete(std::string reason, bool fault = true);
  bool incomplete_fault() const;

  /// True when `key` belongs to this process's shard; always true without --shard.
  bool in_shard(std::string_view key) const {
    return !shard_.active() || shard_of(key, shard_.total) == shard_.index;
  }
  const Shard& shard() const { return shard_; }

 private:
  const RuleDb& db_;
  StepOptions step_;
  unsigned jobs_;
  Shard shard_;
  FindingSink& sink_;
  ScanInfo& info_;
  mutable std::mutex mu_;
  bool incomplete_fault_ = false;
};

/// A source of content: enumerates what it covers and hands every piece, with its
/// provenance, to scan steps from `ctx` (one per worker thread). Records what it could not
/// read in ctx.stats (skips) and ctx.mark_incomplete; returns an error only when the scan as
/// a whole cannot run (a missing root, an unopenable repository, a bad range).
class Source {
 public:
  virtual ~Source() = default;
  virtual Status scan(ScanContext& ctx) = 0;
};

}  // namespace glpatrol
