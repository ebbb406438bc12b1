#pragma once
// Files and directory trees as blobs. The walk never follows symlinks (unless asked), never
// opens FIFOs, sockets or devices, skips .git/ (the history scanner covers it) and scans
// ignored files (a .gitignore'd .env is exactly where tokens hide). Everything not scanned is
// recorded in ScanStats with its reason.
#include <cstdint>
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/glob.h"
#include "findings/stats.h"
#include "scan/context.h"

namespace glpatrol {

namespace state {
class FileCache;
}

struct FsOptions {
  bool follow_symlinks = false;     ///< follow symlinks inside trees (loops are detected)
  bool scan_git_dir = false;        ///< descend into .git directories
  std::uint64_t max_file_size = 0;  ///< 0 = no limit; larger files are skipped (reason "size")
  /// Path globs (fnmatch, matched against the display path and each suffix after '/') of
  /// files and directories not to scan; recorded as skipped with reason "excluded".
  std::vector<std::string> exclude_globs;
  /// --state-dir: files whose stat signature is unchanged since an earlier run in the same
  /// scope are not read; their stored matches are reported (state/content_cache.h FileCache).
  std::string state_dir;
};

/// Checks that every root exists (lstat). A missing root is a usage error (exit 2).
Status check_roots(const std::vector<std::string>& roots);

/// A file the walk found: its display path, and whether it was reached through a symlink the
/// user asked to follow (an explicit root, or --follow-symlinks), so it may be opened through it.
struct FileRef {
  std::string path;
  bool via_symlink = false;
};

/// Walks `roots` and calls `emit` for every regular file to scan. Roots named explicitly are
/// followed even when they are symlinks. Iterative (no recursion depth limit), one directory
/// handle open at a time. `on_name`, when set, sees every entry the walk finds below the roots
/// (files, directories, symlinks, special files; not excluded ones), with the offset of the
/// entry's own name in its path: names are content too (a token in a file name).
using NameFn = std::function<void(const std::string& path, std::size_t name_at)>;
void walk_paths(const std::vector<std::string>& roots, const FsOptions& opts, ScanStats& stats,
                const std::function<void(FileRef)>& emit, const NameFn& on_name = nullptr);

/// Per-thread state for scanning files: the scan step and a reusable read buffer.
class FileScanner {
 public:
  /// `files`, when set, is the state of earlier runs (dir --state-dir), shared by the workers.
  explicit FileScanner(ScanStep step, state::FileCache* files = nullptr)
      : step_(std::move(step)), files_(files) {}

  /// Opens (O_NONBLOCK; O_NOFOLLOW unless `file.via_symlink`), checks it is a regular file
  /// after opening (no TOCTOU), and scans at most the size fstat reported at open (a file
  /// appended to meanwhile is not read without bound): small files in one block, large files
  /// streamed in chunks. Read errors are recorded as skips.
  void scan(const FileRef& file, const FsOptions& opts, ScanStats& stats);

 private:
  /// A read buffer of at least `n` bytes, reused across files and never zero-filled (a
  /// std::string resize would memset every file's size before reading it).
  char* buffer(std::size_t n);

  /// Reports the stored matches of an unchanged file (`key`: its state row, an absolute
  /// path); false when it must be read.
  bool replay(const FileRef& file, const std::string& key, ScanStats& stats);

  ScanStep step_;
  state::FileCache* files_ = nullptr;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
};

/// `glpatrol dir PATH...`: the files under the roots, on ctx.jobs() workers.
class FsSource final : public Source {
 public:
  FsSource(std::vector<std::string> roots, FsOptions opts)
      : roots_(std::move(roots)), opts_(std::move(opts)) {}
  Status scan(ScanContext& ctx) override;

 private:
  std::vector<std::string> roots_;
  FsOptions opts_;
};

/// `glpatrol commit-msg FILE` (the commit-msg hook): the message git is about to record, read
/// from the file git passes. Like git, everything from the scissors line
/// ("# ------------------------ >8 ------------------------", the diff `git commit -v` appends)
/// on is not part of the message. The place is the pseudo-path "commit-message/pending" (the
/// commit has no id yet). At most 16 MiB: a larger message file is a fault, never clean.
class MessageFileSource final : public Source {
 public:
  explicit MessageFileSource(std::string path) : path_(std::move(path)) {}
  Status scan(ScanContext& ctx) override;

 private:
  std::string path_;
};

/// `glpatrol stdin`: standard input, streamed (any size, bounded memory).
class StdinSource final : public Source {
 public:
  Status scan(ScanContext& ctx) override;
};

}  // namespace glpatrol
