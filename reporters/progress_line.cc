#include "reporters/progress_line.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace glpatrol {

namespace {
std::string bytes_text(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024.0 && u < 4) {
    b /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", b) : fmt::format("{:.1f} {}", b, units[u]);
}

std::string duration_text(double s) {
  if (s < 0) s = 0;
  const auto total = static_cast<std::uint64_t>(s + 0.5);
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
                            std::uint64_t bytes, std::uint64_t total_blobs,
                            std::uint64_t total_bytes, double elapsed) {
  std::string line = phase.empty() ? std::string("scanning") : phase;
  const std::uint64_t items = blobs != 0 ? blobs : files;
  line += fmt::format(": {} {}", items, blobs != 0 ? "blobs" : "files");
  if (total_blobs != 0) line += fmt::format("/{}", total_blobs);
  line += ", " + bytes_text(static_cast<double>(bytes));
  if (total_bytes != 0) line += " of " + bytes_text(static_cast<double>(total_bytes));
  const double rate = elapsed > 0.05 ? static_cast<double>(bytes) / elapsed : 0.0;
  line += ", " + bytes_text(rate) + "/s";
  double fraction = -1.0;
  if (total_bytes != 0) fraction = static_cast<double>(bytes) / static_cast<double>(total_bytes);
  else if (total_blobs != 0) fraction = static_cast<double>(items) / static_cast<double>(total_blobs);
  if (fraction > 0.0 && fraction <= 1.0) {
    line += fmt::format(", {:.0f}%", fraction * 100.0);
    if (elapsed > 1.0) line += ", ETA " + duration_text(elapsed / fraction - elapsed);
  }
  line += ", " + duration_text(elapsed);
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

void ProgressLine::run() {
  std::unique_lock<std::mutex> lock(mu_);
  // Stay quiet for short scans: the first draw waits half a second.
  auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (!stop_) {
    if (cv_.wait_until(lock, next, [this] { return stop_; })) break;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    std::string line = render_progress(progress_.phase(), stats_.files.load(), stats_.blobs.load(),
                                       stats_.bytes.load(), progress_.total_blobs(),
                                       progress_.total_bytes(), elapsed);
    if (line.size() > 118) line.resize(118);
    std::fputs(("\r\x1b[K" + line).c_str(), out_);
    std::fflush(out_);
    drawn_ = true;
    next = std::chrono::steady_clock::now() + std::chrono::milliseconds(250);
  }
}

}  // namespace glpatrol
