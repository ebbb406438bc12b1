#include "findings/stats.h"

namespace glpatrol {

void ScanStats::skip(SkipRecord r) {
  skipped_.fetch_add(1, std::memory_order_relaxed);
  if (r.is_error) errors_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  // The list is capped so a tree of a million FIFOs cannot exhaust memory; the counters
  // stay exact.
  if (skips_.size() < 10000) skips_.push_back(std::move(r));
}

void ScanStats::warn(std::string w) {
  std::lock_guard<std::mutex> lock(mu_);
  if (warnings_.size() < 1000) warnings_.push_back(std::move(w));
}

StatsSnapshot ScanStats::snapshot() const {
  StatsSnapshot s;
  s.files = files.load();
  s.blobs = blobs.load();
  s.bytes = bytes.load();
  s.commits = commits.load();
  s.reused = reused.load();
  s.skipped = skipped_.load();
  s.errors = errors_.load();
  std::lock_guard<std::mutex> lock(mu_);
  s.skips = skips_;
  s.warnings = warnings_;
  return s;
}

}  // namespace glpatrol
