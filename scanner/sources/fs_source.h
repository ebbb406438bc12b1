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
#include "findings/finding.h"
#include "findings/stats.h"
#include "matcher/matcher.h"

namespace glpatrol {

struct FsOptions {
  bool follow_symlinks = false;     ///< follow symlinks inside trees (loops are detected)
  bool scan_git_dir = false;        ///< descend into .git directories
  std::uint64_t max_file_size = 0;  ///< 0 = no limit; larger files are skipped (reason "size")
  /// Path globs (fnmatch, matched against the display path and each suffix after '/') of
  /// files and directories not to scan; recorded as skipped with reason "excluded".
  std::vector<std::string> exclude_globs;
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
/// handle open at a time.
void walk_paths(const std::vector<std::string>& roots, const FsOptions& opts, ScanStats& stats,
                const std::function<void(FileRef)>& emit);

/// Per-thread state for scanning files.
struct FileScanState {
  explicit FileScanState(Matcher m) : matcher(std::move(m)) {}
  Matcher matcher;
  std::vector<LocatedMatch> matches;

  /// A read buffer of at least `n` bytes, reused across files and never zero-filled (a
  /// std::string resize would memset every file's size before reading it).
  char* buffer(std::size_t n) {
    if (n > cap_) {
      cap_ = std::max(n, cap_ * 2);
      buf_ = std::make_unique_for_overwrite<char[]>(cap_);
    }
    return buf_.get();
  }

 private:
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
};

/// Opens (O_NONBLOCK; O_NOFOLLOW unless `file.via_symlink`), checks it is a regular file after
/// opening (no TOCTOU), reads and scans it; small files in one block, large files streamed in
/// chunks. Read errors are recorded as skips.
void scan_file(const FileRef& file, const FsOptions& opts, FileScanState& st,
               ScanStats& stats, const std::function<void(Finding)>& sink);

/// UTF-16 text (Windows tools, PowerShell output) holds tokens as every other byte. Files that
/// start with a UTF-16 BOM, or whose first 4 KiB have NUL in ~every other byte, are also scanned
/// narrowed to one byte per code unit (non-ASCII units become \x01); findings carry the
/// attribute encoding=utf-16le/utf-16be and the byte offset in the original file.
enum class Utf16Kind { None, LittleEndian, BigEndian };
Utf16Kind detect_utf16(std::string_view bytes);
std::string narrow_utf16(std::string_view bytes, Utf16Kind kind);
/// Scans the narrowed form of `content` when it is UTF-16; no-op otherwise.
void scan_utf16(std::string_view content, FileScanState& st, const std::string& path,
                const std::function<void(Finding)>& sink);

/// True when `path` matches one of `globs` (whole path or any '/'-suffix of it).
bool path_excluded(std::string_view path, const std::vector<std::string>& globs);

}  // namespace glpatrol
