#include "matcher/matcher.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "matcher/confirm.h"

namespace glpatrol {

// The Hyperscan callback: record and return. No allocation beyond amortized vector growth,
// no locks, no confirmation here (see the contract in matcher.h).
int on_hs_match(unsigned int id, unsigned long long /*from*/, unsigned long long to, unsigned int /*flags*/,
                void* ctx) {
  static_cast<Matcher*>(ctx)->hits_.push_back({id, to});
  return 0;
}

Result<Matcher> Matcher::create(const RuleDb& db) {
  auto scratch = db.make_scratch();
  if (!scratch) return scratch.error();
  Pcre2MatchData md(pcre2_match_data_create(4, nullptr));
  if (!md) return Error::engine("PCRE2: cannot allocate match data");
  return Matcher(db, std::move(*scratch), std::move(md));
}

bool Matcher::confirm(std::string_view buf, std::uint32_t rule_index, std::size_t end, bool more_follows,
                      Match& m) {
  const Rule& rule = db_->rule(rule_index);
  const PrefixSettings& prefixes = db_->rule_set().prefixes;
  const std::size_t width = db_->max_width(rule_index);
  const std::size_t window = end > width + 1 ? end - width - 1 : 0;
  m = Match{};
  m.rule = rule_index;
  m.end = end;
  switch (rule.confirm) {
    case ConfirmKind::Routable:
      return confirm::routable(buf, rule, prefixes, end, window, m);
    case ConfirmKind::Regex:
      return confirm::regex(buf, rule, prefixes, db_->confirm_regex(rule_index), md_.get(), end, window,
                            more_follows, m);
    case ConfirmKind::Jwt:
      return confirm::jwt(buf, rule, prefixes, db_->confirm_regex(rule_index), md_.get(), end, window,
                          more_follows, m);
  }
  return false;
}

void Matcher::find(std::string_view buf, std::size_t accept_from, std::size_t accept_to, bool more_follows,
                   std::vector<Match>& out) {
  hits_.clear();
  candidates_.clear();
  hint_hits_.clear();
  if (buf.empty()) return;
  // hs_scan takes an unsigned int length: callers pass at most a few hundred MiB.
  hs_scan(db_->database(), buf.data(), static_cast<unsigned>(buf.size()), 0, scratch_.get(), on_hs_match,
          this);
  for (const RawHit& h : hits_) {
    if (h.end < accept_from || h.end >= accept_to) continue;
    Match m;
    if (confirm(buf, h.rule, h.end, more_follows, m)) candidates_.push_back(std::move(m));
  }
  if (want_hints_ && db_->hint_database() != nullptr) find_hints(buf, accept_from, accept_to);
  if (!candidates_.empty()) resolve_overlaps(candidates_, out);
}

void Matcher::find_hints(std::string_view buf, std::size_t accept_from, std::size_t accept_to) {
  // Hint hits go to the decoding stage (hint_hits()). The hint database runs on the gate's
  // runs, copied end to end (a separator after each) in pieces of about kPiece bytes, so the
  // copy stays small whatever the buffer. The copy leaves out the runs' line breaks (LF and
  // CRLF are class bytes, so a run holds every line of wrapped base64 that has no
  // indentation): a base64 literal that the encoder wrapped in the middle is found whole,
  // like the decoder reads it (decode_base64 joins breaks inside a literal).
  constexpr std::size_t kPiece = 1u << 20;
  const HintGate& gate = db_->hint_gate();
  const auto keep = [&](std::uint32_t hint, std::uint64_t end) {
    if (end >= accept_from && end < accept_to) hint_hits_.push_back({hint, end});
  };
  const auto scan = [&](std::string_view subject) {
    hits_.clear();
    hs_scan(db_->hint_database(), subject.data(), static_cast<unsigned>(subject.size()), 0, scratch_.get(),
            on_hs_match, this);
  };
  if (!gate.enabled()) {
    scan(buf);
    for (const RawHit& h : hits_) keep(h.rule, h.end);
    return;
  }
  runs_.clear();
  gate.find_runs(buf, runs_);
  if (runs_.empty()) return;
  // A literal is all class bytes but for line breaks, and the separator is not a class byte,
  // so every hit lies inside one run of the copy; the segment holding the literal's last byte
  // maps its end back to the buffer.
  const auto flush = [&] {
    scan(gathered_);
    for (const RawHit& h : hits_) {
      const auto it = std::upper_bound(gathered_starts_.begin(), gathered_starts_.end(), h.end - 1);
      const auto k = static_cast<std::size_t>(it - gathered_starts_.begin()) - 1;
      keep(h.rule, segment_origins_[k] + (h.end - gathered_starts_[k]));
    }
    gathered_.clear();
    gathered_starts_.clear();
    segment_origins_.clear();
  };
  const auto append = [&](std::size_t from, std::size_t to) {
    if (from == to) return;
    gathered_starts_.push_back(gathered_.size());
    segment_origins_.push_back(from);
    gathered_.append(buf.data() + from, to - from);
  };
  gathered_.clear();
  gathered_starts_.clear();
  segment_origins_.clear();
  for (const HintGate::Run& r : runs_) {
    if (!gathered_.empty() && gathered_.size() + (r.end - r.begin) > kPiece) flush();
    std::size_t from = r.begin;
    while (const void* nl = std::memchr(buf.data() + from, '\n', r.end - from)) {
      const auto at = static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data());
      append(from, at > from && buf[at - 1] == '\r' ? at - 1 : at);
      from = at + 1;
    }
    append(from, r.end);
    gathered_ += gate.separator();
  }
  flush();
}

void Matcher::resolve_overlaps(std::vector<Match>& candidates, std::vector<Match>& out) const {
  // Within each cluster of overlapping candidates the longest span wins, then the higher
  // priority (most specific). Built-in rules are resolved first and kept whatever else
  // overlaps them; other rules only fill what the built-ins left free.
  auto by_start = [](const Match* a, const Match* b) {
    return a->start != b->start ? a->start < b->start : a->end > b->end;
  };
  auto better = [&](const Match* a, const Match* b) {
    const auto la = a->end - a->start, lb = b->end - b->start;
    if (la != lb) return la > lb;
    const int pa = db_->rule(a->rule).priority, pb = db_->rule(b->rule).priority;
    if (pa != pb) return pa > pb;
    return a->start < b->start;
  };
  // Resolves one class of candidates; `blocked` are kept spans of an earlier class (sorted,
  // disjoint) that this class may not overlap.
  auto resolve = [&](bool builtin, const std::vector<Match*>& blocked) {
    std::vector<Match*> mine, kept, cluster, in_cluster;
    for (Match& c : candidates)
      if (db_->rule(c.rule).builtin == builtin && !overlaps_any(c, blocked)) mine.push_back(&c);
    std::sort(mine.begin(), mine.end(), by_start);
    std::uint64_t cluster_end = 0;
    auto flush = [&] {
      std::sort(cluster.begin(), cluster.end(), better);
      in_cluster.clear();
      for (Match* c : cluster) {
        bool overlaps = false;
        for (const Match* k : in_cluster) overlaps |= c->start < k->end && k->start < c->end;
        if (!overlaps) in_cluster.push_back(c);
      }
      kept.insert(kept.end(), in_cluster.begin(), in_cluster.end());
      cluster.clear();
    };
    for (Match* c : mine) {
      if (!cluster.empty() && c->start >= cluster_end) flush();
      cluster.push_back(c);
      cluster_end = std::max(cluster_end, c->end);
    }
    flush();
    std::sort(kept.begin(), kept.end(), by_start);
    return kept;
  };
  std::vector<Match*> kept = resolve(true, {});
  std::vector<Match*> more = resolve(false, kept);
  kept.insert(kept.end(), more.begin(), more.end());
  std::sort(kept.begin(), kept.end(), by_start);
  for (Match* k : kept) out.push_back(std::move(*k));
}

bool Matcher::overlaps_any(const Match& m, const std::vector<Match*>& sorted_disjoint) {
  // The last span starting before m ends is the only one that can overlap m: the spans are
  // disjoint and sorted, so every earlier one also ends earlier.
  auto it = std::lower_bound(sorted_disjoint.begin(), sorted_disjoint.end(), m.end,
                             [](const Match* k, std::uint64_t end) { return k->start < end; });
  if (it == sorted_disjoint.begin()) return false;
  return (*std::prev(it))->end > m.start;
}

// ---------------------------------------------------------------------------------------------
// Locations

namespace {
/// Line/column state machine shared by in-memory and streamed scans.
struct LineState {
  std::uint64_t line = 1;
  std::uint64_t col = 0;  // code points since the line start
  bool prev_cr = false;
  void advance(std::string_view bytes) {
    for (char ch : bytes) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '\n') {
        if (!prev_cr) ++line;
        col = 0;
        prev_cr = false;
      } else if (c == '\r') {
        ++line;
        col = 0;
        prev_cr = true;
      } else {
        if ((c & 0xC0) != 0x80) ++col;
        prev_cr = false;
      }
    }
  }
};

LocatedMatch locate(const Match& m, std::string_view buf, std::uint64_t buf_offset, LineState& cursor,
                    std::uint64_t& cursor_pos) {
  LocatedMatch lm;
  const std::uint64_t rel = m.start - buf_offset;
  cursor.advance(buf.substr(cursor_pos, rel - cursor_pos));
  cursor_pos = rel;
  lm.line = lm.end_line = cursor.line;
  lm.column = cursor.col + 1;
  LineState span = cursor;
  span.advance(buf.substr(rel, m.end - m.start));
  lm.end_line = span.line;
  lm.end_column = span.col + 1;
  lm.secret = std::string(buf.substr(m.secret_start - buf_offset, m.end - m.secret_start));
  lm.inline_allow = inline_allow_marker(buf, rel, m.end - buf_offset);
  lm.match = m;
  return lm;
}
}  // namespace

void relocate(std::string_view text, std::uint64_t start, std::uint64_t end, LocatedMatch& lm) {
  LineState at;
  at.advance(text.substr(0, start));
  lm.line = at.line;
  lm.column = at.col + 1;
  at.advance(text.substr(start, end - start));
  lm.end_line = at.line;
  lm.end_column = at.col + 1;
  lm.inline_allow = inline_allow_marker(text, start, end);
}

InlineAllow inline_allow_marker(std::string_view text, std::size_t begin, std::size_t end) {
  constexpr std::size_t kReach = 4096;
  std::size_t lo = begin;
  while (lo > 0 && begin - lo < kReach && text[lo - 1] != '\n' && text[lo - 1] != '\r') --lo;
  std::size_t hi = end;
  while (hi < text.size() && hi - end < kReach && text[hi] != '\n' && text[hi] != '\r') ++hi;
  const std::string_view line = text.substr(lo, hi - lo);
  if (line.find("glpatrol:allow") != std::string_view::npos) return InlineAllow::Glpatrol;
  if (line.find("gitleaks:allow") != std::string_view::npos) return InlineAllow::Gitleaks;
  return InlineAllow::None;
}

// ---------------------------------------------------------------------------------------------
// Whole blobs and streams

Status Matcher::scan(std::string_view blob, std::vector<LocatedMatch>& out) {
  constexpr std::size_t kMaxBlock = 256u << 20;
  if (blob.size() > kMaxBlock) {
    std::size_t pos = 0;
    auto r = scan_stream(
        [&](char* buf, std::size_t cap) -> long {
          const std::size_t n = std::min(cap, blob.size() - pos);
          std::memcpy(buf, blob.data() + pos, n);
          pos += n;
          return static_cast<long>(n);
        },
        out);
    if (!r) return r.error();
    return Status::ok();
  }
  std::vector<Match> matches;
  find(blob, 0, blob.size() + 1, false, matches);
  LineState cursor;
  std::uint64_t cursor_pos = 0;
  for (const Match& m : matches) out.push_back(locate(m, blob, 0, cursor, cursor_pos));
  return Status::ok();
}

Result<std::uint64_t> Matcher::scan_stream(const ReadFn& read, std::vector<LocatedMatch>& out,
                                           std::size_t chunk) {
  const std::size_t overlap = db_->max_width() + 64;
  chunk = std::max(chunk, overlap * 4);
  std::string buf;
  buf.reserve(chunk + 2 * overlap);
  std::uint64_t buf_start = 0;  // stream offset of buf[0]
  std::uint64_t accept_lo = 0;  // hits with end < accept_lo were handled by a previous window
  LineState line_at_buf;        // line state at buf_start
  bool eof = false;
  std::uint64_t total = 0;
  std::vector<Match> matches;
  // Streams are not decoded: no hint pass while streaming (restored on every return).
  struct HintsOff {
    bool& want;
    ~HintsOff() { want = true; }
  } hints_off{want_hints_};
  want_hints_ = false;
  while (!eof) {
    while (buf.size() < chunk + overlap && !eof) {
      const std::size_t old = buf.size();
      const std::size_t want = chunk + overlap - old;
      buf.resize(old + want);
      long n;
      do {
        n = read(buf.data() + old, want);
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        const int e = errno;
        buf.resize(old);
        return Error::io(std::strerror(e));
      }
      buf.resize(old + static_cast<std::size_t>(n));
      total += static_cast<std::uint64_t>(n);
      if (n == 0) eof = true;
    }
    const std::uint64_t buf_end = buf_start + buf.size();
    const std::uint64_t accept_hi = eof ? buf_end + 1 : buf_end - overlap;
    matches.clear();
    find(buf, accept_lo - buf_start, accept_hi - buf_start, !eof, matches);
    LineState cursor = line_at_buf;
    std::uint64_t cursor_pos = 0;
    for (Match m : matches) {
      m.start += buf_start;
      m.end += buf_start;
      m.secret_start += buf_start;
      out.push_back(locate(m, buf, buf_start, cursor, cursor_pos));
    }
    if (eof) break;
    // Keep the tail: any token ending at >= accept_hi starts at >= accept_hi - max_width,
    // and one more byte gives its left-boundary context.
    const std::uint64_t keep_from = accept_hi - overlap;
    const std::size_t drop = static_cast<std::size_t>(keep_from - buf_start);
    line_at_buf.advance(std::string_view(buf).substr(0, drop));
    buf.erase(0, drop);
    buf_start = keep_from;
    accept_lo = accept_hi;
  }
  hint_hits_.clear();  // window offsets, not content offsets: streams are not decoded
  return total;
}

}  // namespace glpatrol
