#pragma once
// Scan statistics and the record of everything not scanned. Shared by all sources; the
// counters are atomic so workers update them without locks, lists take a mutex.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace glpatrol {

/// Something the scan did not cover, and why. `reason` is a stable word (symlink, fifo,
/// device, socket, size, unreadable, missing-object, corrupt-object, shallow, submodule...).
struct SkipRecord {
  std::string path;  ///< file path or object id
  std::string reason;
  std::string detail;     ///< e.g. the OS error text, or the size
  bool is_error = false;  ///< true: coverage lost by a fault (makes the scan incomplete)
};

struct StatsSnapshot {
  std::uint64_t files = 0, blobs = 0, bytes = 0, skipped = 0, errors = 0;
  std::uint64_t commits = 0;
  std::uint64_t reused = 0;
  std::vector<SkipRecord> skips;
  std::vector<std::string> warnings;
};

class ScanStats {
 public:
  std::atomic<std::uint64_t> files{0};
  std::atomic<std::uint64_t> blobs{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> commits{0};
  /// Files not read because an earlier run's state vouched for them (dir --state-dir); they
  /// are counted in `files` too.
  std::atomic<std::uint64_t> reused{0};

  /// Records a skip. Errors make the scan incomplete; policy skips (symlink, fifo) do not.
  void skip(SkipRecord r);
  void warn(std::string w);
  bool has_errors() const { return errors_.load() != 0; }
  StatsSnapshot snapshot() const;

 private:
  mutable std::mutex mu_;
  std::vector<SkipRecord> skips_;
  std::vector<std::string> warnings_;
  std::atomic<std::uint64_t> skipped_{0};
  std::atomic<std::uint64_t> errors_{0};
};

}  // namespace glpatrol
