#include "matcher/matcher.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/encoding.h"
#include "matcher/routable.h"

namespace glpatrol {

// The Hyperscan callback: record and return. No allocation beyond amortized vector growth,
// no locks, no confirmation here (see the contract in matcher.h).
int on_hs_match(unsigned int id, unsigned long long /*from*/, unsigned long long to,
                unsigned int /*flags*/, void* ctx) {
  static_cast<Matcher*>(ctx)->hits_.push_back({id, to});
  return 0;
}

namespace {

bool in_charset(TokenCharset cs, char c) {
  switch (cs) {
    case TokenCharset::B64url:
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_';
    case TokenCharset::Digits: return c >= '0' && c <= '9';
    case TokenCharset::AlnumLower: return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
    case TokenCharset::Any: return false;
  }
  return false;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

/// Placeholder and documentation values that are token-shaped but not tokens. Each test has
/// a negligible chance (< 1e-6) of firing on a random GitLab token.
bool is_placeholder(std::string_view secret) {
  std::string l(secret.size(), '\0');
  std::transform(secret.begin(), secret.end(), l.begin(), lower);
  // No "xxxx": 4 x/X in a row occur in ~1 of 50,000 random 20-character bodies (found by the
  // planted-token fuzz oracle); x-filled placeholders are caught by the x density below.
  static constexpr std::string_view kWords[] = {"example", "sample", "dummy",
                                                "placeholder", "redacted", "changeme",
                                                "yourtoken", "your_token", "your-token"};
  for (auto w : kWords)
    if (l.find(w) != std::string::npos) return true;
  // Mostly x/X ("xxxx-xxxx-xxxx", "xxxx1234xxxx5678"): at least 6 and 30% of the characters
  // (a random 20-character body has 8 x/X with probability ~2e-7).
  const auto xs = static_cast<std::size_t>(std::count(l.begin(), l.end(), 'x'));
  if (xs >= 6 && xs * 10 >= l.size() * 3) return true;
  std::size_t run = 1, asc = 1;
  for (std::size_t i = 1; i < secret.size(); ++i) {
    run = secret[i] == secret[i - 1] ? run + 1 : 1;
    asc = secret[i] == secret[i - 1] + 1 ? asc + 1 : 1;
    if (run >= 6 || asc >= 8) return true;
  }
  // Body = last 20 characters (every GitLab body is at least that random).
  const std::string_view body = secret.substr(secret.size() > 20 ? secret.size() - 20 : 0);
  bool seen[256] = {};
  int distinct = 0;
  for (unsigned char c : body)
    if (!seen[c]) { seen[c] = true; ++distinct; }
  return body.size() >= 16 && distinct <= 5;
}

bool mixed_classes(std::string_view s) {
  bool up = false, lo = false, dig = false;
  for (char c : s) {
    up |= c >= 'A' && c <= 'Z';
    lo |= c >= 'a' && c <= 'z';
    dig |= c >= '0' && c <= '9';
  }
  return int(up) + int(lo) + int(dig) >= 2;
}

bool runner_prefix(std::string_view p, const std::vector<std::string>& instances) {
  for (const auto& i : instances) {
    if (p.size() > i.size() + 1 && p.substr(0, i.size()) == i && p[i.size()] == '-') {
      p.remove_prefix(i.size() + 1);
      break;
    }
  }
  if (p.substr(0, 6) == "glrtr-") p.remove_prefix(6);
  else if (p.substr(0, 5) == "glrt-") p.remove_prefix(5);
  return p.size() == 3 && p[0] == 't' && in_charset(TokenCharset::AlnumLower, p[1]) && p[2] == '_';
}

}  // namespace

Result<Matcher> Matcher::create(const RuleDb& db) {
  auto scratch = db.make_scratch();
  if (!scratch) return scratch.error();
  Pcre2MatchData md(pcre2_match_data_create(4, nullptr));
  if (!md) return Error::engine("PCRE2: cannot allocate match data");
  return Matcher(db, std::move(*scratch), std::move(md));
}

bool Matcher::confirm(std::string_view buf, std::uint32_t rule_index, std::size_t end,
                      bool more_follows, Match& m) {
  const Rule& rule = db_->rule(rule_index);
  const std::size_t width = db_->max_width(rule_index);
  const std::size_t window = end > width + 1 ? end - width - 1 : 0;
  m = Match{};
  m.rule = rule_index;
  m.end = end;

  if (rule.confirm == ConfirmKind::Routable) {
    // The prefix (<= 20 bytes, GitLab's limit) may lie before the pattern's own width.
    const std::size_t routable_window = window > 21 ? window - 21 : 0;
    const auto tok = find_routable_ending_at(buf, end, routable_window);
    if (!tok) return false;  // a routable shape whose checksum fails is not a GitLab token
    if (rule.routable_version == RoutableVersion::Versioned && !tok->versioned) return false;
    if (rule.routable_version == RoutableVersion::Unversioned && tok->versioned) return false;
    const auto& pfx = db_->rule_set().prefixes;
    if (rule.routable_kind == RoutableKind::Pat) {
      bool ok = tok->prefix == "glpat-";
      for (const auto& p : pfx.pat_prefixes) ok |= tok->prefix == p;
      for (const auto& i : pfx.instance_prefixes) {
        ok |= tok->prefix == i + "-glpat-";
        for (const auto& p : pfx.pat_prefixes) ok |= tok->prefix == i + "-" + p;
      }
      if (!ok) return false;
    } else if (rule.routable_kind == RoutableKind::Runner) {
      if (!runner_prefix(tok->prefix, pfx.instance_prefixes)) return false;
    }
    m.start = m.secret_start = tok->start;
    m.checksum = Checksum::Valid;
    m.attributes.emplace_back("routable.format",
                              tok->versioned ? "versioned-" + tok->version : "unversioned");
    if (rule.routable_kind == RoutableKind::Any) m.attributes.emplace_back("routable.prefix", tok->prefix);
    for (const auto& [k, v] : tok->routing) m.attributes.emplace_back("routing." + k, v);
    return true;
  }

  // Right boundary first: cheapest filter, and for open-ended patterns it leaves only the
  // longest end of each token.
  if (end < buf.size() && in_charset(rule.charset, buf[end])) return false;
  if (end == buf.size() && more_follows) return false;

  const pcre2_code* re = db_->confirm_regex(rule_index);
  const int rc = pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(buf.data()), end, window, 0,
                             md_.get(), nullptr);
  if (rc < 0) return false;
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md_.get());
  m.start = ov[0];
  if (ov[1] != end || m.start >= end) return false;
  if (rule.require_left_boundary && m.start > 0 && in_charset(TokenCharset::B64url, buf[m.start - 1]))
    return false;
  m.secret_start = m.start;
  if (!rule.secret_after.empty()) {
    const std::string_view span = buf.substr(m.start, end - m.start);
    const auto pos = span.find(rule.secret_after);
    if (pos != std::string_view::npos) m.secret_start = m.start + pos + rule.secret_after.size();
  }
  const std::string_view secret = buf.substr(m.secret_start, end - m.secret_start);
  if (is_placeholder(secret)) return false;
  if (rule.min_entropy > 0.0 && shannon_entropy(secret) < rule.min_entropy) return false;
  if (rule.require_mixed && !mixed_classes(secret.substr(secret.size() > 20 ? secret.size() - 20 : 0)))
    return false;
  m.checksum = rule.checksum_capable ? Checksum::Absent : Checksum::None;

  if (rule.confirm == ConfirmKind::Jwt) {
    const auto jwt_at = secret.find("eyJ");
    if (jwt_at == std::string_view::npos) return false;
    const std::string_view jwt = secret.substr(jwt_at);
    const auto d1 = jwt.find('.');
    const auto d2 = jwt.find('.', d1 + 1);
    if (d1 == std::string_view::npos || d2 == std::string_view::npos) return false;
    const auto header = base64url_decode(jwt.substr(0, d1));
    const auto payload = base64url_decode(jwt.substr(d1 + 1, d2 - d1 - 1));
    if (!header || !payload) return false;
    const auto h = nlohmann::json::parse(*header, nullptr, false);
    if (h.is_discarded() || !h.is_object() || !h.contains("alg")) return false;
    const auto p = nlohmann::json::parse(*payload, nullptr, false);
    if (p.is_discarded() || !p.is_object()) return false;
    for (const char* claim : {"iss", "sub", "exp"}) {
      if (!p.contains(claim)) continue;
      const auto& v = p[claim];
      if (v.is_string()) m.attributes.emplace_back(std::string("jwt.") + claim, v.get<std::string>());
      else if (v.is_number_integer()) m.attributes.emplace_back(std::string("jwt.") + claim, std::to_string(v.get<long long>()));
    }
  }
  return true;
}

void Matcher::find(std::string_view buf, std::size_t accept_from, std::size_t accept_to,
                   bool more_follows, std::vector<Match>& out) {
  hits_.clear();
  candidates_.clear();
  if (buf.empty()) return;
  // hs_scan takes an unsigned int length: callers pass at most a few hundred MiB.
  hs_scan(db_->database(), buf.data(), static_cast<unsigned>(buf.size()), 0, scratch_.get(),
          on_hs_match, this);
  for (const RawHit& h : hits_) {
    if (h.end < accept_from || h.end >= accept_to) continue;
    Match m;
    if (confirm(buf, h.rule, h.end, more_follows, m)) candidates_.push_back(std::move(m));
  }
  if (candidates_.empty()) return;

  // Overlap resolution: within each cluster of overlapping candidates, the longest span wins,
  // then the higher rule priority (most specific); one token gives one finding.
  std::sort(candidates_.begin(), candidates_.end(),
            [](const Match& a, const Match& b) { return a.start != b.start ? a.start < b.start : a.end > b.end; });
  std::vector<Match*> cluster;
  std::vector<Match*> kept;
  auto flush = [&] {
    std::sort(cluster.begin(), cluster.end(), [&](const Match* a, const Match* b) {
      const auto la = a->end - a->start, lb = b->end - b->start;
      if (la != lb) return la > lb;
      const int pa = db_->rule(a->rule).priority, pb = db_->rule(b->rule).priority;
      if (pa != pb) return pa > pb;
      return a->start < b->start;
    });
    kept.clear();
    for (Match* c : cluster) {
      bool overlaps = false;
      for (const Match* k : kept) overlaps |= c->start < k->end && k->start < c->end;
      if (!overlaps) kept.push_back(c);
    }
    std::sort(kept.begin(), kept.end(), [](const Match* a, const Match* b) { return a->start < b->start; });
    for (Match* k : kept) out.push_back(std::move(*k));
    cluster.clear();
  };
  std::uint64_t cluster_end = 0;
  for (Match& c : candidates_) {
    if (!cluster.empty() && c.start >= cluster_end) flush();
    cluster.push_back(&c);
    cluster_end = std::max(cluster_end, c.end);
  }
  flush();
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

LocatedMatch locate(const Match& m, std::string_view buf, std::uint64_t buf_offset,
                    LineState& cursor, std::uint64_t& cursor_pos) {
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
  std::uint64_t buf_start = 0;    // stream offset of buf[0]
  std::uint64_t accept_lo = 0;    // hits with end < accept_lo were handled by a previous window
  LineState line_at_buf;          // line state at buf_start
  bool eof = false;
  std::uint64_t total = 0;
  std::vector<Match> matches;
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
  return total;
}

}  // namespace glpatrol
