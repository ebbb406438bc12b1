#pragma once
// The progress line: one line on stderr, redrawn a few times a second, only when stderr is a
// terminal (never in pipes, CI logs or files) and TERM is not "dumb". Shows the phase, blobs
// (files) scanned, bytes, rate and, when the source announced totals, percent and ETA. The
// line is erased when the scan ends, so the report starts on a clean screen.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "findings/progress.h"
#include "findings/stats.h"

namespace glpatrol {

/// "auto": on when stderr is a terminal and TERM != dumb; "always"/"never" force it.
bool progress_wanted(const std::string& mode);

/// Renders one line (no control characters) for the given counters; public for tests.
std::string render_progress(const std::string& phase, std::uint64_t files, std::uint64_t blobs,
                            std::uint64_t bytes, std::uint64_t total_blobs, std::uint64_t total_bytes,
                            double elapsed_seconds);

/// The current phase with its objects done/total and, when the total is known, percent and the
/// phase's ETA ("walk 1200/5000 commits 24% ETA 3s"); just the name without a unit.
std::string render_phase(const ScanProgress::PhaseView& p);

class ProgressLine {
 public:
  ProgressLine(const ScanStats& stats, const ScanProgress& progress, std::FILE* out = stderr);
  ~ProgressLine();  ///< stops and erases the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void stop();

 private:
  void run();
  const ScanStats& stats_;
  const ScanProgress& progress_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point t0_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool drawn_ = false;
  std::thread thread_;
};

}  // namespace glpatrol
