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

/// ContentMatches as the state stores them (JSON text, byte strings hex), both ways. A damaged
/// text gives nullopt. Exposed for tests.
std::string matches_to_text(const ContentMatches& m);
std::optional<ContentMatches> matches_from_text(const std::string& text);

}  // namespace glpatrol::state
