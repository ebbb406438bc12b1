#include "findings/collector.h"

#include <fmt/format.h>

#include "common/encoding.h"

namespace glpatrol {

namespace {
constexpr std::size_t kMaxCapWarnings = 20;
}  // namespace

void FindingCollector::add(Finding f) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stream_) {
    stream_(std::move(f));
    return;
  }
  std::string place = f.provenance.path;
  if (f.provenance.blob_id) place += '\0' + *f.provenance.blob_id;
  if (++per_place_[place] > kMaxPerPlace) {  // counted; named by take()
    capped_ = true;
    return;
  }
  if (findings_.size() >= kMaxPerScan) {
    ++dropped_;
    capped_ = true;
    return;
  }
  findings_.push_back(std::move(f));
}

bool FindingCollector::capped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return capped_;
}

std::vector<Finding> FindingCollector::take(ScanStats& stats) {
  std::lock_guard<std::mutex> lock(mu_);
  if (dropped_ != 0)
    stats.warn(
        fmt::format("{} findings beyond the cap of {} were counted but not reported", dropped_, kMaxPerScan));
  std::size_t over = 0;
  for (const auto& [place, n] : per_place_) {
    if (n <= kMaxPerPlace) continue;
    if (++over <= kMaxCapWarnings)
      stats.warn(fmt::format(
          "{} more findings in {} beyond the per-file cap of {} were counted "
          "but not reported",
          n - kMaxPerPlace, escape_for_terminal(place.substr(0, place.find('\0'))), kMaxPerPlace));
  }
  if (over > kMaxCapWarnings)
    stats.warn(
        fmt::format("{} more files exceeded the per-file cap of {}", over - kMaxCapWarnings, kMaxPerPlace));
  per_place_.clear();
  return std::move(findings_);
}

}  // namespace glpatrol
