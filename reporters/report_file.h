#pragma once
// Report files are written atomically: a temporary file in the destination directory
// (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), fsync, then rename over the destination. An existing
// symlink at the destination is refused (never written through). Temporary files are
// registered so that SIGINT/SIGTERM remove them (see install_signal_cleanup).
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace glpatrol {

/// Checks before a scan that a report can be written at `path`: its directory exists and is
/// writable, and `path` is not a symlink or a non-regular file ("-" is stdout: fine).
Status check_report_path(const std::string& path);

/// Writes `content` to `path` atomically with mode 0600. "-" writes to stdout.
Status write_file_atomically(const std::string& path, std::string_view content);

/// A report file written in pieces (streamed jsonl) with the same guarantees: the content
/// goes to a registered temporary file next to `path`; commit() fsyncs and renames it into
/// place; destroying an uncommitted AtomicFile removes the temporary file, so a failed or
/// interrupted scan never leaves a half-written report under the final name.
class AtomicFile {
 public:
  static Result<std::unique_ptr<AtomicFile>> create(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  Status write(std::string_view data);
  Status commit();
  const std::string& path() const { return path_; }

 private:
  AtomicFile(std::string path, std::string tmp, int fd, int slot)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd), slot_(slot) {}
  Status fail(const std::string& what, int err);
  std::string path_, tmp_;
  int fd_ = -1;
  int slot_ = -1;
  bool done_ = false;
};

/// Installs SIGINT/SIGTERM/SIGHUP handlers that unlink registered temporary report files and
/// exit with 128+signal (130 for SIGINT, 143 for SIGTERM).
void install_signal_cleanup();

}  // namespace glpatrol
