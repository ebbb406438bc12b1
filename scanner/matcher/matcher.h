#pragma once
// Matcher: the per-thread half of matching. Owns a Hyperscan scratch and a reusable raw-hit
// buffer. The Hyperscan callback only records {rule, end}; all confirmation (exact span,
// boundaries, placeholders, checksums) runs after hs_scan returns.
// Not thread-safe: one Matcher per worker thread, all sharing one const RuleDb.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/stream.h"
#include "decode/text.h"
#include "matcher/rule_db.h"
#include "rules/rule.h"

namespace glpatrol {

/// A confirmed token in a blob. Offsets are absolute byte offsets in the blob, half-open.
struct Match {
  std::uint32_t rule = 0;
  std::uint64_t start = 0;  ///< reported span
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
  /// Overlaps: within each cluster of overlapping matches the longest span wins, then the
  /// higher rule priority, so one token gives one finding. Built-in rules are resolved first
  /// and always kept: a rule from a file or configuration (which a scanned repository may
  /// supply) never replaces a built-in finding; its matches that overlap one are dropped.
  void find(std::string_view buf, std::size_t accept_from, std::size_t accept_to, bool more_follows,
            std::vector<Match>& out);

  const RuleDb& db() const { return *db_; }

  /// Hits of the database's hint literals (encoded token prefixes, RuleDb::hints()) in the
  /// content of the last scan() (content offsets). Empty after scan_stream: streams are not
  /// decoded.
  const std::vector<decode::HintHit>& hint_hits() const { return hint_hits_; }

 private:
  Matcher(const RuleDb& db, HsScratch scratch, Pcre2MatchData md)
      : db_(&db), scratch_(std::move(scratch)), md_(std::move(md)) {}
  bool confirm(std::string_view buf, std::uint32_t rule, std::size_t end, bool more_follows, Match& m);
  /// Overlap resolution of confirmed candidates into `out` (see the contract in find()).
  void resolve_overlaps(std::vector<Match>& candidates, std::vector<Match>& out) const;
  static bool overlaps_any(const Match& m, const std::vector<Match*>& sorted_disjoint);
  /// Hint hits of `buf` with end offsets in [accept_from, accept_to) into hint_hits_.
  void find_hints(std::string_view buf, std::size_t accept_from, std::size_t accept_to);

  const RuleDb* db_;
  HsScratch scratch_;
  Pcre2MatchData md_;
  struct RawHit {
    std::uint32_t rule;
    std::uint64_t end;
  };
  std::vector<RawHit> hits_;
  std::vector<Match> candidates_;
  std::vector<decode::HintHit> hint_hits_;
  // The hint pass's reusable buffers: the gate's runs, the runs copied end to end with their
  // line breaks left out and a separator after each, and the copy's segments: segment k
  // starts at gathered_starts_[k] in the copy and at segment_origins_[k] in the buffer.
  std::vector<HintGate::Run> runs_;
  std::string gathered_;
  std::vector<std::uint64_t> gathered_starts_;
  std::vector<std::uint64_t> segment_origins_;
  bool want_hints_ = true;
  friend int on_hs_match(unsigned int, unsigned long long, unsigned long long, unsigned int, void*);
};

/// Re-locates `lm` at [start, end) of `text` (a token found inside decoded bytes, reported at
/// its encoded place): line, column, end and the inline allow marker of that line. The match
/// itself (rule, secret, attributes) is kept.
void relocate(std::string_view text, std::uint64_t start, std::uint64_t end, LocatedMatch& lm);

/// The inline allow marker on the line containing [begin, end), looking at most 4 KiB either
/// side.
InlineAllow inline_allow_marker(std::string_view text, std::size_t begin, std::size_t end);

}  // namespace glpatrol
