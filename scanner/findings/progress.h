#pragma once
// Progress hints from sources, read by the progress line (reporters/progress_line.h).
// Sources already count what they scanned in ScanStats (files, blobs, bytes); this adds what
// they EXPECT to scan, when they know it, so the line can show an ETA, and a phase name.
// Thread-safe and cheap: sources may call it from any thread, as often as they like.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glpatrol {

class ScanProgress {
 public:
  /// Adds to the expected totals (0 = unknown). A git source that has listed its blobs calls
  /// expect(n_blobs, total_bytes) once; a walker may call it per discovered file.
  void expect(std::uint64_t blobs, std::uint64_t bytes) {
    total_blobs_.fetch_add(blobs, std::memory_order_relaxed);
    total_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  /// A short phase name shown before the counters ("refs", "walk", "blobs", ...).
  void set_phase(std::string phase) { begin_phase(std::move(phase)); }

  /// Starts a phase that handles `total` objects of `unit` ("commits", "blobs"; total 0 =
  /// unknown) and ends the previous one: its time is added to phase_seconds() under its name
  /// (a phase entered again, like the instance scan's per-project surfaces, accumulates).
  void begin_phase(std::string phase, std::string unit = {}, std::uint64_t total = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    close_phase();
    phase_ = std::move(phase);
    unit_ = std::move(unit);
    detail_.clear();
    phase_total_ = total;
    phase_start_ = std::chrono::steady_clock::now();
  }
  /// Text shown after the current phase's name until the next phase begins (the instance
  /// scan's project and surface); not a phase of its own in phase_seconds().
  void set_detail(std::string detail) {
    std::lock_guard<std::mutex> lock(mu_);
    detail_ = std::move(detail);
  }
  /// Objects done, by unit, over the whole scan (any thread): "commits" walked, "blobs"
  /// resolved (read, decoded and matched, or taken from the state). A phase with that unit
  /// shows the count against its total; work done ahead (blobs read during the walk) counts.
  void advance(std::string_view unit, std::uint64_t objects = 1) {
    (unit == "commits" ? done_commits_ : done_blobs_).fetch_add(objects, std::memory_order_relaxed);
  }

  /// The current phase as the progress line shows it.
  struct PhaseView {
    std::string name, unit, detail;
    std::uint64_t done = 0, total = 0;
    double seconds = 0.0;  ///< since the phase began
  };
  PhaseView current() const {
    std::lock_guard<std::mutex> lock(mu_);
    const std::uint64_t done = unit_ == "commits" ? done_commits_.load(std::memory_order_relaxed)
                               : unit_ == "blobs" ? done_blobs_.load(std::memory_order_relaxed)
                                                  : 0;
    return {phase_, unit_, detail_, done, phase_total_, since(phase_start_)};
  }
  /// Seconds per phase in the order phases first began, the current one included.
  std::vector<std::pair<std::string, double>> phase_seconds() const {
    std::lock_guard<std::mutex> lock(mu_);
    auto out = spent_;
    if (!phase_.empty()) add_to(out, phase_, since(phase_start_));
    return out;
  }
  /// Work done before it is counted in ScanStats: git history decodes packed blobs in pack
  /// order while the walk is still deciding which of them are reachable (the stats count them
  /// when the walk ends), so the progress line shows this instead of standing at zero.
  void decoded(std::uint64_t bytes) {
    decoded_blobs_.fetch_add(1, std::memory_order_relaxed);
    decoded_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  std::uint64_t decoded_blobs() const { return decoded_blobs_.load(std::memory_order_relaxed); }
  std::uint64_t decoded_bytes() const { return decoded_bytes_.load(std::memory_order_relaxed); }
  std::uint64_t total_blobs() const { return total_blobs_.load(std::memory_order_relaxed); }
  std::uint64_t total_bytes() const { return total_bytes_.load(std::memory_order_relaxed); }
  std::string phase() const {
    std::lock_guard<std::mutex> lock(mu_);
    return phase_;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
  static void add_to(std::vector<std::pair<std::string, double>>& v, const std::string& name, double s) {
    for (auto& [n, total] : v)
      if (n == name) {
        total += s;
        return;
      }
    v.emplace_back(name, s);
  }
  void close_phase() {  // mu_ held
    if (!phase_.empty()) add_to(spent_, phase_, since(phase_start_));
  }

  std::atomic<std::uint64_t> total_blobs_{0}, total_bytes_{0};
  std::atomic<std::uint64_t> decoded_blobs_{0}, decoded_bytes_{0};
  std::atomic<std::uint64_t> done_commits_{0}, done_blobs_{0};
  mutable std::mutex mu_;
  std::string phase_, unit_, detail_;
  std::uint64_t phase_total_ = 0;
  Clock::time_point phase_start_ = Clock::now();
  std::vector<std::pair<std::string, double>> spent_;
};

}  // namespace glpatrol
