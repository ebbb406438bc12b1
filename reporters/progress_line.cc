#include "reporters/progress_line.h"

#include "reporters/units.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace glpatrol {

namespace {

std::string duration_text(double s) {
  if (s < 0) s = 0;
  const auto total = static_cast<std::uint64_t>(std::llround(s));
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, (total / 60) % 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}
}  // namespace

bool progress_wanted(const std::string& mode) {
  if (mode == "never") return false;
  if (mode == "always") return true;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return ::isatty(STDERR_FILENO) == 1;
}

std::string render_progress(const std::string& phase, std::uint64_t files, std::uint64_t blobs,
                            std::uint64_t bytes, std::uint64_t total_blobs, std::uint64_t total_bytes,
                            double elapsed) {
  std::string line = phase.empty() ? std::string("scanning") : phase;
  const std::uint64_t items = blobs != 0 ? blobs : files;
  line += fmt::format(": {} {}", items, blobs != 0 ? "blobs" : "files");
  if (total_blobs != 0) line += fmt::format("/{}", total_blobs);
  line += ", " + human_bytes(static_cast<double>(bytes));
  if (total_bytes != 0) line += " of " + human_bytes(static_cast<double>(total_bytes));
  const double rate = elapsed > 0.05 ? static_cast<double>(bytes) / elapsed : 0.0;
  line += ", " + human_bytes(rate) + "/s";
  double fraction = -1.0;
  if (total_bytes != 0)
    fraction = static_cast<double>(bytes) / static_cast<double>(total_bytes);
  else if (total_blobs != 0)
    fraction = static_cast<double>(items) / static_cast<double>(total_blobs);
  if (fraction > 0.0 && fraction <= 1.0) {
    line += fmt::format(", {:.0f}%", fraction * 100.0);
    if (elapsed > 1.0) line += ", ETA " + duration_text(elapsed / fraction - elapsed);
  }
  line += ", " + duration_text(elapsed);
  return line;
}

std::string render_phase(const ScanProgress::PhaseView& p) {
  std::string line = p.name;
  if (!p.detail.empty()) line += (line.empty() ? "" : " ") + p.detail;
  if (p.unit.empty()) return line;
  line += fmt::format(" {}", p.done);
  if (p.total != 0) line += fmt::format("/{}", p.total);
  line += " " + p.unit;
  if (p.total != 0 && p.done <= p.total) {
    const double fraction = static_cast<double>(p.done) / static_cast<double>(p.total);
    line += fmt::format(" {:.0f}%", fraction * 100.0);
    if (p.seconds > 1.0 && fraction > 0.0) line += " ETA " + duration_text(p.seconds / fraction - p.seconds);
  }
  return line;
}

ProgressLine::ProgressLine(const ScanStats& stats, const ScanProgress& progress, std::FILE* out)
    : stats_(stats), progress_(progress), out_(out), t0_(std::chrono::steady_clock::now()) {
  thread_ = std::thread([this] { run(); });
}

ProgressLine::~ProgressLine() { stop(); }

void ProgressLine::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (drawn_) {
    std::fputs("\r\x1b[K", out_);
    std::fflush(out_);
  }
}

/// GLPATROL_PROGRESS_MS: the redraw interval and first-draw delay in milliseconds (tests watch
/// short scans move with it); default 250 and 500.
std::chrono::milliseconds redraw_interval(std::chrono::milliseconds fallback) {
  const char* v = std::getenv("GLPATROL_PROGRESS_MS");
  if (v == nullptr || *v == '\0') return fallback;
  const long ms = std::strtol(v, nullptr, 10);
  return ms > 0 && ms <= 10000 ? std::chrono::milliseconds(ms) : fallback;
}

void ProgressLine::run() {
  std::unique_lock<std::mutex> lock(mu_);
  // Stay quiet for short scans: the first draw waits half a second.
  const auto first = redraw_interval(std::chrono::milliseconds(500));
  const auto every = redraw_interval(std::chrono::milliseconds(250));
  auto next = std::chrono::steady_clock::now() + first;
  while (!stop_) {
    if (cv_.wait_until(lock, next, [this] { return stop_; })) break;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    // Whichever counter is ahead: blobs decoded ahead of the history walk, or blobs counted.
    const std::uint64_t blobs = std::max(stats_.blobs.load(), progress_.decoded_blobs());
    const std::uint64_t bytes = std::max(stats_.bytes.load(), progress_.decoded_bytes());
    const ScanProgress::PhaseView view = progress_.current();
    std::string phase = render_phase(view);
    if (const std::uint64_t commits = stats_.commits.load(); commits != 0 && view.unit != "commits")
      phase += fmt::format("{}{} commits", phase.empty() ? "" : ", ", commits);
    std::string line = render_progress(phase, stats_.files.load(), blobs, bytes, progress_.total_blobs(),
                                       progress_.total_bytes(), elapsed);
    if (line.size() > 118) line.resize(118);
    std::fputs(("\r\x1b[K" + line).c_str(), out_);
    std::fflush(out_);
    drawn_ = true;
    next = std::chrono::steady_clock::now() + every;
  }
}

}  // namespace glpatrol
