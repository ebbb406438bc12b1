#pragma once
// What each content (a git blob, a file's bytes) yielded in earlier scans of the same scope
// (state/state_db.h): its matches, raw tokens included, or "nothing". A source asks before it
// reads a content and skips reading and matching what was already scanned; the places come
// from the source as always (the history walk, the directory walk), so findings and their
// provenance are those of a full scan.
//
// Ids are raw bytes (a 20-byte git object id). Thread-safe: workers look up and add.
// New contents are written by save(), which the source calls only after a scan that lost
// nothing (complete, no skips): a content whose scan was cut short is never remembered.
#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scan/step.h"
#include "state/state_db.h"

namespace glpatrol::state {

class ContentCache {
 public:
  /// `stored`: StateDb::contents() of the scan's scope.
  explicit ContentCache(std::unordered_map<std::string, std::string> stored) : stored_(std::move(stored)) {}

  /// nullopt when `id` was not scanned in this scope (or its row is damaged: scanned again);
  /// else its matches, nullptr when nothing matched.
  std::optional<std::shared_ptr<const ContentMatches>> find(std::string_view id);
  /// find() without counting a hit: for a content only looked at, not reused in place of a read.
  std::optional<std::shared_ptr<const ContentMatches>> peek(std::string_view id) const;
  /// Remembers a content scanned in this run (`matches` may be null: nothing matched).
  void add(std::string_view id, const std::shared_ptr<const ContentMatches>& matches);

  std::uint64_t stored() const { return stored_.size(); }
  std::uint64_t hits() const;
  std::uint64_t added() const;
  /// Writes the contents added in this run.
  Status save(StateDb& db);

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> stored_;
  std::vector<std::pair<std::string, std::string>> added_;
  std::uint64_t hits_ = 0;
};

/// What `dir --state-dir` read before: each file by path with the stat signature it had when it
/// was read and its matches. A file is taken as unchanged, and not opened, when its signature
/// (device, inode, size, mtime and ctime in nanoseconds) is the one stored. The ctime is what
/// makes this safe against a writer who sets the mtime back: no unprivileged process can set
/// it, and every write or rename moves it. A file whose mtime or ctime was within
/// kRacyWindowNs of the moment the run began is not remembered ("racily clean", as git's index
/// calls it): a write in the same timestamp tick would not change the signature. Thread-safe.
class FileCache {
 public:
  /// `stored`: StateDb::files() of the scan's scope; `scan_start_ns`: the wall clock when this
  /// run began (CLOCK_REALTIME, as file times are).
  FileCache(std::unordered_map<std::string, StateDb::FileRow> stored, std::int64_t scan_start_ns);

  /// The signature of a file as lstat/fstat saw it.
  static std::string signature(const struct stat& st);

  /// Whether an earlier run stored `path` at all (a new file needs no stat to know it is new).
  bool stored(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mu_);
    return stored_.count(path) != 0;
  }
  /// The stored matches of `path` when its signature is still `sig` (nullptr: nothing
  /// matched); nullopt when it changed, is new, or its row is damaged (read again).
  std::optional<std::shared_ptr<const ContentMatches>> find(const std::string& path, const std::string& sig);
  /// Remembers a file read and scanned whole in this run, unless it is racily clean.
  void add(const std::string& path, const struct stat& st,
           const std::shared_ptr<const ContentMatches>& matches);

  std::uint64_t hits() const;
  std::uint64_t added() const;
  /// Writes the files added in this run and forgets stored files below `roots` (absolute
  /// paths) that this run did not find (deleted or moved away).
  Status save(StateDb& db, const std::vector<std::string>& roots);

  static constexpr std::int64_t kRacyWindowNs = 2'000'000'000;  // FAT-style 2 s timestamps

 private:
  mutable std::mutex mu_;
  struct Stored {
    StateDb::FileRow row;
    bool seen = false;  ///< found by this run's walk (kept by save)
  };
  std::unordered_map<std::string, Stored> stored_;
  std::vector<std::pair<std::string, StateDb::FileRow>> added_;
  std::int64_t scan_start_ns_;
  std::uint64_t hits_ = 0;
};

/// ContentMatches as the state stores them (JSON text, byte strings hex), both ways. A damaged
/// text gives nullopt. Exposed for tests.
std::string matches_to_text(const ContentMatches& m);
std::optional<ContentMatches> matches_from_text(const std::string& text);
/// A stored matches text as a find() result: nullptr for "" (nothing matched), nullopt for a
/// damaged text.
std::optional<std::shared_ptr<const ContentMatches>> stored_matches(const std::string& text);

}  // namespace glpatrol::state
