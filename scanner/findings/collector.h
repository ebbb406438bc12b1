#pragma once
// Where findings go once the scan step has made them. A FindingSink is thread-safe: workers of
// any source hand it findings concurrently. The FindingCollector is the sink every scan uses:
// it stores findings (bounded: a million tokens in one file must not cost gigabytes) or, when
// every output streams (jsonl), hands each finding on at once and stores nothing.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "findings/finding.h"
#include "findings/stats.h"

namespace glpatrol {

class FindingSink {
 public:
  virtual ~FindingSink() = default;
  /// Thread-safe.
  virtual void add(Finding f) = 0;
};

class FindingCollector final : public FindingSink {
 public:
  /// Stored findings beyond these caps are counted and named in warnings by take(): a stored
  /// finding costs ~8 KiB through the report writers, so a million of them cost ~8 GiB; the
  /// per-place cap keeps one token dump from starving every other file.
  static constexpr std::size_t kMaxPerScan = 100'000;
  static constexpr std::uint64_t kMaxPerPlace = 50'000;  ///< per file, blob or stream

  /// Streaming: every finding goes to `stream` (called under the collector's lock, so it may
  /// write to a shared output) and nothing is stored, so nothing needs a cap. Set before the
  /// source runs.
  void stream(std::function<void(Finding&&)> stream) { stream_ = std::move(stream); }

  void add(Finding f) override;

  /// The stored findings. Records one warning in `stats` per cap that dropped findings (call
  /// once, also when streaming, before the statistics snapshot).
  std::vector<Finding> take(ScanStats& stats);

  /// True when a cap dropped findings. They were never checked against suppression, so they
  /// count as findings for the exit code (a capped scan is never clean).
  bool capped() const;

 private:
  mutable std::mutex mu_;
  std::vector<Finding> findings_;
  std::function<void(Finding&&)> stream_;
  std::uint64_t dropped_ = 0;
  std::map<std::string, std::uint64_t> per_place_;
  bool capped_ = false;
};

}  // namespace glpatrol
