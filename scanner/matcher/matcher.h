#pragma once
// Matcher: the per-thread half of matching. Owns a Hyperscan scratch and a reusable raw-hit
// buffer. The Hyperscan callback only records {rule, end}; all confirmation (exact span,
// boundaries, placeholders, checksums) runs after hs_scan returns.
// Not thread-safe: one Matcher per worker thread, all sharing one const RuleDb.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "findings/finding.h"
#include "matcher/rule_db.h"

namespace glpatrol {

/// A confirmed token in a blob. Offsets are absolute byte offsets in the blob, half-open.
struct Match {
  std::uint32_t rule = 0;
  std::uint64_t start = 0;         ///< reported span
  std::uint64_t end = 0;
  std::uint64_t secret_start = 0;  ///< == start unless the rule has secret_after
  Checksum checksum = Checksum::None;
  std::vector<std::pair<std::string, std::string>> attributes;
};

/// A Match with its text position and secret bytes.
struct LocatedMatch {
  Match match;
  std::string secret;
  std::uint64_t line = 1, column = 1, end_line = 1, end_column = 1;  // 1-based, end exclusive
  InlineAllow inline_allow = InlineAllow::None;
};

/// Reads up to `cap` bytes into `buf`; returns bytes read (0 = EOF) or -1 with errno set.
using ReadFn = std::function<long(char* buf, std::size_t cap)>;

class Matcher {
 public:
  /// Fails when Hyperscan cannot allocate scratch.
  static Result<Matcher> create(const RuleDb& db);

  /// Scans a whole in-memory blob; appends located matches in offset order.
  Status scan(std::string_view blob, std::vector<LocatedMatch>& out);

  /// Scans a stream in chunks of `chunk` bytes with an overlap of the longest rule width, so
  /// tokens straddling chunk boundaries are found; memory stays O(chunk). Returns bytes read;
  /// on a read error returns the error (matches found so far stay in `out`).
  Result<std::uint64_t> scan_stream(const ReadFn& read, std::vector<LocatedMatch>& out,
                                    std::size_t chunk = 4u << 20);

  /// Confirmed matches in a buffer, without locations. `accept_from/accept_to` restrict
  /// which hit end offsets are accepted; `more_follows` means bytes after `buf` exist
  /// (so a token may not end at buf's end). Exposed for tests and sources with own framing.
  void find(std::string_view buf, std::size_t accept_from, std::size_t accept_to,
            bool more_follows, std::vector<Match>& out);

  const RuleDb& db() const { return *db_; }

 private:
  Matcher(const RuleDb& db, HsScratch scratch, Pcre2MatchData md)
      : db_(&db), scratch_(std::move(scratch)), md_(std::move(md)) {}
  bool confirm(std::string_view buf, std::uint32_t rule, std::size_t end, bool more_follows,
               Match& m);

  const RuleDb* db_;
  HsScratch scratch_;
  Pcre2MatchData md_;
  struct RawHit { std::uint32_t rule; std::uint64_t end; };
  std::vector<RawHit> hits_;
  std::vector<Match> candidates_;
  friend int on_hs_match(unsigned int, unsigned long long, unsigned long long, unsigned int,
                         void*);
};

/// The inline allow marker on the line containing [begin, end), looking at most 4 KiB either
/// side.
InlineAllow inline_allow_marker(std::string_view text, std::size_t begin, std::size_t end);

}  // namespace glpatrol
