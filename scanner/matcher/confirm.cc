#include "matcher/confirm.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/encoding.h"
#include "matcher/routable.h"

namespace glpatrol::confirm {

namespace {

bool in_charset(TokenCharset cs, char c) {
  switch (cs) {
    case TokenCharset::B64url:
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
             c == '_';
    case TokenCharset::Digits:
      return c >= '0' && c <= '9';
    case TokenCharset::AlnumLower:
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
    case TokenCharset::Any:
      return false;
  }
  return false;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool mixed_classes(std::string_view s) {
  bool up = false, lo = false, dig = false;
  for (char c : s) {
    up |= c >= 'A' && c <= 'Z';
    lo |= c >= 'a' && c <= 'z';
    dig |= c >= '0' && c <= '9';
  }
  return int(up) + int(lo) + int(dig) >= 2;
}

/// Only [a-z0-9] words joined by single '_', at least three of them: an identifier, not a
/// generated token (Rule::reject_identifier).
bool snake_case_identifier(std::string_view s) {
  int words = 0;
  bool in_word = false;
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (!in_word) ++words;
      in_word = true;
    } else if (c == '_' && in_word) {
      in_word = false;
    } else {
      return false;
    }
  }
  return in_word && words >= 3;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool runner_prefix(std::string_view p, const std::vector<std::string>& instances) {
  for (const auto& i : instances) {
    if (p.size() > i.size() + 1 && starts_with(p, i) && p[i.size()] == '-') {
      p.remove_prefix(i.size() + 1);
      break;
    }
  }
  if (starts_with(p, "glrtr-"))
    p.remove_prefix(6);
  else if (starts_with(p, "glrt-"))
    p.remove_prefix(5);
  return p.size() == 3 && p[0] == 't' && in_charset(TokenCharset::AlnumLower, p[1]) && p[2] == '_';
}

bool pat_prefix(std::string_view p, const PrefixSettings& pfx) {
  if (p == "glpat-") return true;
  for (const auto& c : pfx.pat_prefixes)
    if (p == c) return true;
  for (const auto& i : pfx.instance_prefixes) {
    if (p.size() <= i.size() + 1 || !starts_with(p, i) || p[i.size()] != '-') continue;
    const std::string_view rest = p.substr(i.size() + 1);
    if (rest == "glpat-") return true;
    for (const auto& c : pfx.pat_prefixes)
      if (rest == c) return true;
  }
  return false;
}

/// The regex rules' shared core: boundaries, the anchored PCRE2 match, the secret split and
/// the placeholder/entropy/class filters. Fills m.start, m.secret_start and m.checksum.
bool regex_core(std::string_view buf, const Rule& rule, const PrefixSettings& prefixes, const pcre2_code* re,
                pcre2_match_data* md, std::size_t end, std::size_t window, bool more_follows, Match& m) {
  // Right boundary first: cheapest filter, and for open-ended patterns it leaves only the
  // longest end of each token.
  if (end < buf.size() && in_charset(rule.charset, buf[end])) return false;
  if (end == buf.size() && more_follows) return false;
  const int rc = pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(buf.data()), end, window, 0, md, nullptr);
  if (rc < 0) return false;
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
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
  if (is_placeholder(token_body(secret, prefixes))) return false;
  if (rule.min_entropy > 0.0 && shannon_entropy(secret) < rule.min_entropy) return false;
  const std::string_view tail = secret.substr(secret.size() > 20 ? secret.size() - 20 : 0);
  if (rule.require_mixed && !mixed_classes(tail)) return false;
  if (rule.reject_identifier && snake_case_identifier(tail)) return false;
  m.checksum = rule.checksum_capable ? Checksum::Absent : Checksum::None;
  return true;
}

}  // namespace

std::string_view token_body(std::string_view secret, const PrefixSettings& prefixes) {
  // The kind prefix after an optional instance prefix: a known GitLab one or a custom one.
  auto kind_prefix = [&](std::string_view s) {
    std::size_t cut = token_kind_prefix(s).size();
    for (const auto& p : prefixes.pat_prefixes)
      if (starts_with(s, p)) cut = std::max(cut, p.size());
    return cut;
  };
  std::size_t cut = kind_prefix(secret);
  for (const auto& i : prefixes.instance_prefixes)
    if (secret.size() > i.size() && starts_with(secret, i) && secret[i.size()] == '-')
      cut = std::max(cut, i.size() + 1 + kind_prefix(secret.substr(i.size() + 1)));
  return secret.substr(std::min(cut, secret.size()));
}

bool is_placeholder(std::string_view body) {
  std::string l(body.size(), '\0');
  std::transform(body.begin(), body.end(), l.begin(), lower);
  // No "xxxx": 4 x/X in a row occur in ~1 of 50,000 random 20-character bodies (found by the
  // planted-token fuzz oracle); x-filled placeholders are caught by the x density below.
  // Words a person types into a placeholder, '|' between the parts of a compound.
  static constexpr std::string_view kWords[] = {"example",      "sample",      "dummy",
                                                "place|holder", "redacted",    "change|me",
                                                "your|token",   "your_|token", "your-|token"};
  // Typed words are in one case per part: "dummy", "DUMMY", "Dummy", "ChangeMe". Matched in any
  // case they also turn up by chance in random bodies: fuzz_matcher found "DummY" in the
  // signature of a generated job-token JWT (86 random characters), which was then dropped as
  // a placeholder. One case per part makes a chance hit ~10x rarer for a 5-letter word.
  const auto part_typed = [](std::string_view seen, std::string_view part) {
    bool lower_all = true, upper_all = true, capitalised = true;
    for (std::size_t i = 0; i < part.size(); ++i) {
      const char c = seen[i], lc = part[i];
      const char uc = (lc >= 'a' && lc <= 'z') ? static_cast<char>(lc - 'a' + 'A') : lc;
      lower_all = lower_all && c == lc;
      upper_all = upper_all && c == uc;
      capitalised = capitalised && c == (i == 0 ? uc : lc);
    }
    return lower_all || upper_all || capitalised;
  };
  for (std::string_view w : kWords) {
    std::string key;
    for (char c : w)
      if (c != '|') key += c;
    for (std::size_t at = l.find(key); at != std::string::npos; at = l.find(key, at + 1)) {
      bool typed = true;
      std::size_t off = at;
      for (std::string_view rest = w; typed && !rest.empty();) {
        const std::size_t bar = rest.find('|');
        const std::string_view part = rest.substr(0, bar);
        typed = part_typed(body.substr(off, part.size()), part);
        off += part.size();
        rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
      }
      if (typed) return true;
    }
  }
  // Mostly x/X ("xxxx-xxxx-xxxx", "xxxx1234xxxx5678"): at least 8 and 30% of the characters
  // (a random 20-character body has 8 x/X with probability ~2e-7).
  const auto xs = static_cast<std::size_t>(std::count(l.begin(), l.end(), 'x'));
  if (xs >= 8 && xs * 10 >= l.size() * 3) return true;
  std::size_t run = 1, asc = 1;
  for (std::size_t i = 1; i < body.size(); ++i) {
    run = body[i] == body[i - 1] ? run + 1 : 1;
    asc = body[i] == body[i - 1] + 1 ? asc + 1 : 1;
    if (run >= 6 || asc >= 8) return true;
  }
  // The last 20 characters (every GitLab body is at least that random).
  const std::string_view tail = body.substr(body.size() > 20 ? body.size() - 20 : 0);
  bool seen[256] = {};
  int distinct = 0;
  for (unsigned char c : tail)
    if (!seen[c]) {
      seen[c] = true;
      ++distinct;
    }
  return tail.size() >= 16 && distinct <= 5;
}

bool routable(std::string_view buf, const Rule& rule, const PrefixSettings& prefixes, std::size_t end,
              std::size_t window, Match& m) {
  // The prefix (<= 20 bytes, GitLab's limit) may lie before the pattern's own width.
  const std::size_t routable_window = window > 21 ? window - 21 : 0;
  const auto tok = find_routable_ending_at(buf, end, routable_window);
  if (!tok) return false;  // a routable shape whose checksum fails is not a GitLab token
  if (rule.routable_version == RoutableVersion::Versioned && !tok->versioned) return false;
  if (rule.routable_version == RoutableVersion::Unversioned && tok->versioned) return false;
  if (rule.routable_kind == RoutableKind::Pat && !pat_prefix(tok->prefix, prefixes)) return false;
  if (rule.routable_kind == RoutableKind::Runner && !runner_prefix(tok->prefix, prefixes.instance_prefixes))
    return false;
  m.start = m.secret_start = tok->start;
  m.checksum = Checksum::Valid;
  m.attributes.emplace_back("routable.format", tok->versioned ? "versioned-" + tok->version : "unversioned");
  if (rule.routable_kind == RoutableKind::Any) m.attributes.emplace_back("routable.prefix", tok->prefix);
  for (const auto& [k, v] : tok->routing) m.attributes.emplace_back("routing." + k, v);
  return true;
}

bool regex(std::string_view buf, const Rule& rule, const PrefixSettings& prefixes, const pcre2_code* re,
           pcre2_match_data* md, std::size_t end, std::size_t window, bool more_follows, Match& m) {
  return regex_core(buf, rule, prefixes, re, md, end, window, more_follows, m);
}

bool jwt(std::string_view buf, const Rule& rule, const PrefixSettings& prefixes, const pcre2_code* re,
         pcre2_match_data* md, std::size_t end, std::size_t window, bool more_follows, Match& m) {
  if (!regex_core(buf, rule, prefixes, re, md, end, window, more_follows, m)) return false;
  const std::string_view secret = buf.substr(m.secret_start, end - m.secret_start);
  const auto jwt_at = secret.find("eyJ");
  if (jwt_at == std::string_view::npos) return false;
  const std::string_view token = secret.substr(jwt_at);
  const auto d1 = token.find('.');
  const auto d2 = token.find('.', d1 + 1);
  if (d1 == std::string_view::npos || d2 == std::string_view::npos) return false;
  const auto header = base64url_decode(token.substr(0, d1));
  const auto payload = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  if (!header || !payload) return false;
  const auto h = nlohmann::json::parse(*header, nullptr, false);
  if (h.is_discarded() || !h.is_object() || !h.contains("alg")) return false;
  const auto p = nlohmann::json::parse(*payload, nullptr, false);
  if (p.is_discarded() || !p.is_object()) return false;
  for (const char* claim : {"iss", "sub", "exp"}) {
    if (!p.contains(claim)) continue;
    const auto& v = p[claim];
    if (v.is_string())
      m.attributes.emplace_back(std::string("jwt.") + claim, v.get<std::string>());
    else if (v.is_number_integer())
      m.attributes.emplace_back(std::string("jwt.") + claim, std::to_string(v.get<long long>()));
  }
  return true;
}

}  // namespace glpatrol::confirm
