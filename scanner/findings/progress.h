#pragma once
// Progress hints from sources, read by the progress line (reporters/progress_line.h).
// Sources already count what they scanned in ScanStats (files, blobs, bytes); this adds what
// they EXPECT to scan, when they know it, so the line can show an ETA, and a phase name.
// Thread-safe and cheap: sources may call it from any thread, as often as they like.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace glpatrol {

class ScanProgress {
 public:
  /// Adds to the expected totals (0 = unknown). A git source that has listed its blobs calls
  /// expect(n_blobs, total_bytes) once; a walker may call it per discovered file.
  void expect(std::uint64_t blobs, std::uint64_t bytes) {
    total_blobs_.fetch_add(blobs, std::memory_order_relaxed);
    total_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  /// A short phase name shown before the counters ("walking history", "scanning", ...).
  void set_phase(std::string phase) {
    std::lock_guard<std::mutex> lock(mu_);
    phase_ = std::move(phase);
  }
  std::uint64_t total_blobs() const { return total_blobs_.load(std::memory_order_relaxed); }
  std::uint64_t total_bytes() const { return total_bytes_.load(std::memory_order_relaxed); }
  std::string phase() const {
    std::lock_guard<std::mutex> lock(mu_);
    return phase_;
  }

 private:
  std::atomic<std::uint64_t> total_blobs_{0}, total_bytes_{0};
  mutable std::mutex mu_;
  std::string phase_;
};

}  // namespace glpatrol
