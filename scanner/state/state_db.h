#pragma once
// The state database (<state-dir>/state.db, SQLite) of incremental scans, one module for every
// source that has one (glpatrol gitlab, glpatrol git and dir with --state-dir): what earlier
// runs read and found, so a later run reads only what changed and still reports every token
// that is still there. One writer at a time: an exclusive lock on <state-dir>/lock, and a clear error
// for a second process. The schema is versioned (meta.schema_version); a database written by
// a newer glpatrol is refused, never rewritten.
//
// Every row belongs to a scope: the rule set and the options that change what a content yields
// (decoding, redaction, token prefixes; for instance scans the instance URL too). New rules are
// a new scope, so they rescan what they must; old scopes are left alone.
//
// Items are what a surface is made of (a job log, an issue with its notes, a snippet, a
// repository's refs), each with a version (updated_at, a ref digest) and the findings it gave,
// raw tokens included: a rerun reports and verifies them without reading the item again.
// Contents (schema 2) are git blobs by id with the matches they gave, "" for none: a content is
// scanned once per scope. Files (schema 3) are what `dir` read: a file's path, its stat
// signature when it was read, and its matches (state/content_cache.h says when a file counts
// as unchanged).
// The state directory is mode 0700 and the database 0600. The API token is never stored.
//
// Trust: the directory must be a real directory (no symlink) of this user that no one else can
// write, and the database a regular file of this user; anything else is refused with a reason
// (`glpatrol gitlab` stops, `git`/`dir` report it as a warning and scan without state).
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <unordered_map>

#include "common/error.h"
#include "findings/collector.h"
#include "findings/finding.h"

struct sqlite3;

namespace glpatrol {
class ScanContext;
}

namespace glpatrol::state {

/// 1: items and cursors (instance scans). 2: contents (git blobs). 3: files (dir), keyed by
/// path and stat signature. Older versions are migrated in place (new tables).
inline constexpr int kStateSchemaVersion = 3;

/// The state directory, checked and created by prepare_private_dir (common/private_dir.h):
/// mode 0700, of this user, no symlink, not writable by group or others. Errors name --state-dir.
Result<std::string> prepare_state_dir(std::string dir);

/// Where glpatrol keeps state and caches when the operator names no directory:
/// $XDG_CACHE_HOME/glpatrol, else ~/.cache/glpatrol; nullopt when neither variable holds an
/// absolute path (a relative one would depend on the working directory).
std::optional<std::string> default_cache_dir();

/// The scope key of what a content yields in this scan: every rule (id, pattern, prefilter),
/// the token prefixes, the instance prefixes and the step options. Hashed into a scope with
/// whatever else the source adds (sha256 hex).
std::string content_scope_key(const ScanContext& ctx);

class StateDb {
 public:
  /// Opens or creates `dir`/state.db holding `dir`/lock. `dir` must have passed
  /// prepare_state_dir. Errors: the lock is held by another process, a newer schema, a
  /// database that is not a regular file of this user, an unreadable, corrupt or foreign
  /// database (not SQLite, or SQLite without glpatrol's meta table).
  static Result<std::unique_ptr<StateDb>> open(const std::string& dir, const std::string& scope);
  ~StateDb();
  StateDb(const StateDb&) = delete;
  StateDb& operator=(const StateDb&) = delete;

  struct Item {
    std::string key, version;
  };
  /// The version of one item, or nullopt when no earlier run stored it.
  std::optional<std::string> version(std::int64_t project, const std::string& surface,
                                     const std::string& key);
  /// Every stored item of a project's surface.
  std::vector<Item> items(std::int64_t project, const std::string& surface);
  /// Replaces an item and its findings (one transaction).
  Status put(std::int64_t project, const std::string& surface, const std::string& key,
             const std::string& version, const std::vector<Finding>& findings);
  /// The findings stored with an item (empty when none or unknown).
  std::vector<Finding> findings(std::int64_t project, const std::string& surface, const std::string& key);

  /// Every content stored in this scope: id -> matches text ("" = scanned, nothing matched).
  std::unordered_map<std::string, std::string> contents();
  /// Adds contents (one transaction).
  Status put_contents(const std::vector<std::pair<std::string, std::string>>& rows);

  /// A file `dir` read: its stat signature then (FileCache::signature) and its matches text.
  struct FileRow {
    std::string sig, matches;
  };
  /// Every file stored in this scope, by path.
  std::unordered_map<std::string, FileRow> files();
  /// Adds or replaces `rows` and deletes the `removed` paths (one transaction).
  Status put_files(const std::vector<std::pair<std::string, FileRow>>& rows,
                   const std::vector<std::string>& removed);

  /// A surface's cursor (issues, merge requests: the newest updated_at read).
  std::optional<std::string> cursor(std::int64_t project, const std::string& surface);
  Status set_cursor(std::int64_t project, const std::string& surface, const std::string& value);

 private:
  StateDb() = default;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  int lock_fd_ = -1;
  std::string scope_;
};

/// A sink that forwards each finding and keeps a copy for the state (sources record what an
/// item or a repository gave while it is reported). Thread-safe.
class RecordingSink final : public FindingSink {
 public:
  explicit RecordingSink(FindingSink& next) : next_(next) {}
  void add(Finding f) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      kept_.push_back(f);
    }
    next_.add(std::move(f));
  }
  std::vector<Finding> take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(kept_);
  }

 private:
  FindingSink& next_;
  std::mutex mu_;
  std::vector<Finding> kept_;
};

/// Findings as the state stores them (JSON text), both ways. Exposed for tests.
std::string findings_to_text(const std::vector<Finding>& findings);
std::vector<Finding> findings_from_text(const std::string& text);

}  // namespace glpatrol::state
