#include "decode/text.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace glpatrol::decode {

std::string_view to_string(Encoding e) {
  switch (e) {
    case Encoding::Base64:
      return "base64";
    case Encoding::Utf16le:
      return "utf-16le";
    case Encoding::Utf16be:
      return "utf-16be";
    case Encoding::Percent:
      return "percent";
    case Encoding::JsonEscape:
      return "json-escape";
  }
  return "unknown";
}

namespace {

/// Parent offset of `unit` through sorted anchors (see View::Anchor).
std::uint64_t parent_of(const std::vector<View::Anchor>& anchors, std::uint64_t unit, std::uint64_t stride,
                        std::uint64_t fallback_begin) {
  auto it = std::upper_bound(anchors.begin(), anchors.end(), unit,
                             [](std::uint64_t u, const View::Anchor& a) { return u < a.unit; });
  if (it == anchors.begin()) return fallback_begin + unit * stride;
  --it;
  return it->parent + (unit - it->unit) * stride;
}

bool is_utf16(Encoding e) { return e == Encoding::Utf16le || e == Encoding::Utf16be; }

}  // namespace

std::uint64_t View::to_parent(std::uint64_t offset) const {
  if (offset >= bytes.size()) return end;
  const std::uint64_t unit = encoding == Encoding::Base64 ? offset * 4 / 3 : offset;
  return parent_of(anchors, unit, is_utf16(encoding) ? 2 : 1, begin);
}

namespace {

// ---------------------------------------------------------------------------------------------
// Base64

/// Value of a character in the union of the standard and URL-safe alphabets, or -1. Mixing
/// both in one run is not valid base64, but decoding it is harmless and saves knowing which.
constexpr std::array<std::int8_t, 256> make_b64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 26; ++i) {
    t['A' + i] = static_cast<std::int8_t>(i);
    t['a' + i] = static_cast<std::int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<std::int8_t>(52 + i);
  t['+'] = t['-'] = 62;
  t['/'] = t['_'] = 63;
  return t;
}
constexpr auto kB64 = make_b64_table();
bool b64(char c) { return kB64[static_cast<unsigned char>(c)] >= 0; }

/// Characters walked to check that the line across a break is base64 too (longer lines are
/// taken as base64 once this many characters were).
constexpr std::size_t kPurityLimit = 4096;

/// Length of a break starting at `p`: "\r\n" or "\n" plus indentation, or a JSON "\n" or
/// "\r\n" escape; 0 when there is none.
std::size_t break_fwd(std::string_view c, std::size_t p) {
  const std::size_t n = c.size();
  std::size_t q = p;
  if (c[q] == '\\') {
    if (q + 3 < n && c[q + 1] == 'r' && c[q + 2] == '\\' && c[q + 3] == 'n') return 4;
    if (q + 1 < n && c[q + 1] == 'n') return 2;
    return 0;
  }
  if (c[q] == '\r' && q + 1 < n && c[q + 1] == '\n')
    q += 2;
  else if (c[q] == '\n')
    q += 1;
  else
    return 0;
  while (q < n && (c[q] == ' ' || c[q] == '\t')) ++q;
  return q - p;
}

/// Length of a break ending at `p` (the mirror of break_fwd); 0 when there is none.
std::size_t break_back(std::string_view c, std::size_t p) {
  std::size_t q = p;
  if (q >= 2 && c[q - 2] == '\\' && c[q - 1] == 'n') {
    q -= 2;
    if (q >= 2 && c[q - 2] == '\\' && c[q - 1] == 'r') q -= 2;
    return p - q;
  }
  while (q > 0 && (c[q - 1] == ' ' || c[q - 1] == '\t')) --q;
  if (q > 0 && c[q - 1] == '\n') {
    --q;
    if (q > 0 && c[q - 1] == '\r') --q;
    return p - q;
  }
  return 0;
}

bool escaped_slash_at(std::string_view c, std::size_t p) {
  return p + 1 < c.size() && c[p] == '\\' && c[p + 1] == '/';
}

/// The segment starting at `q` (after a break) is base64 through to its end: characters,
/// at most two '=', an optional closing quote or separator, trailing blanks, then a line end,
/// a JSON escape or the end of the content. Joining a line of ordinary text would append
/// garbage that could run into the token and hide its end.
bool pure_fwd(std::string_view c, std::size_t q) {
  const std::size_t n = c.size();
  std::size_t i = q, k = 0;
  while (i < n && k < kPurityLimit && (b64(c[i]) || escaped_slash_at(c, i))) {
    i += c[i] == '\\' ? 2 : 1;
    ++k;
  }
  if (k == 0) return false;
  if (k >= kPurityLimit || i == n) return true;
  for (int pad = 0; pad < 2 && i < n && c[i] == '='; ++pad) ++i;
  if (i < n && (c[i] == '"' || c[i] == '\'' || c[i] == ',' || c[i] == ';')) ++i;
  while (i < n && (c[i] == ' ' || c[i] == '\t')) ++i;
  return i == n || c[i] == '\r' || c[i] == '\n' || c[i] == '\\';
}

/// The segment ending at `e` (before a break) is base64 back to its start: a line start
/// (after indentation), an opening quote or a JSON escape break. Joining the tail of a
/// "key: value" line would put garbage right before the token and break its left boundary.
bool pure_back(std::string_view c, std::size_t e) {
  std::size_t i = e, k = 0;
  const auto escape_break_ends_at = [&](std::size_t p) {
    return p >= 2 && c[p - 2] == '\\' && (c[p - 1] == 'n' || c[p - 1] == 'r');
  };
  while (i > 0 && k < kPurityLimit) {
    if (escape_break_ends_at(i)) break;
    if (i >= 2 && c[i - 2] == '\\' && c[i - 1] == '/')
      i -= 2;
    else if (b64(c[i - 1]))
      --i;
    else
      break;
    ++k;
  }
  if (k == 0) return false;
  if (k >= kPurityLimit || i == 0) return true;
  if (escape_break_ends_at(i) || c[i - 1] == '"' || c[i - 1] == '\'') return true;
  std::size_t j = i;
  while (j > 0 && (c[j - 1] == ' ' || c[j - 1] == '\t')) --j;
  return j == 0 || c[j - 1] == '\n';
}

struct Decoded {
  View view;
  bool window_full = false;  ///< the window limit, not the run's end, ended the view
};

std::optional<Decoded> decode_base64(std::string_view c, const Hint& h, std::size_t hit_end,
                                     const TextLimits& lim) {
  const std::size_t n = c.size(), len = h.literal.size();
  // The literal's start: `len` clean characters back from the hit's end. Breaks inside the
  // literal are joined unconditionally (a hit through hint_pattern spans a wrap).
  std::size_t s = hit_end;
  for (std::size_t k = 0; k < len;) {
    if (s == 0) return std::nullopt;
    if (s >= 2 && c[s - 2] == '\\' && c[s - 1] == '/') {
      s -= 2;
      ++k;
    } else if (const std::size_t b = break_back(c, s); b != 0 && k > 0) {
      s -= b;
    } else if (b64(c[s - 1])) {
      --s;
      ++k;
    } else {
      return std::nullopt;
    }
  }

  // Backward context, nearest first, joined across breaks only into pure base64 lines.
  const std::size_t max_back = lim.context_before / 3 * 4 + 8;
  std::vector<std::pair<char, std::size_t>> back;
  for (std::size_t p = s; p > 0 && back.size() < max_back;) {
    if (p >= 2 && c[p - 2] == '\\' && c[p - 1] == '/') {
      back.emplace_back('/', p - 2);
      p -= 2;
    } else if (const std::size_t b = break_back(c, p); b != 0) {
      if (!pure_back(c, p - b)) break;
      p -= b;
    } else if (b64(c[p - 1])) {
      back.emplace_back(c[p - 1], p - 1);
      --p;
    } else {
      break;
    }
  }

  // The grid: the literal's first character sits at hint.phase in its quantum, so the first
  // usable character is back[nb-1-i0] (or, when the run starts closer to the literal than the
  // phase says, a few characters into the forward part).
  const std::size_t nb = back.size();
  const std::size_t i0 = (nb % 4 + 4 - h.phase % 4) % 4;
  std::size_t skip = i0 > nb ? i0 - nb : 0;

  // `clean`: the characters on the grid, contiguous; an anchor wherever the next one is not
  // the next parent byte (a line break, an escape).
  const std::size_t max_fwd = lim.max_view / 3 * 4 + 4;
  std::string clean;
  clean.reserve(std::min(max_fwd, n - s) + nb);
  std::vector<View::Anchor> anchors;
  std::size_t last_parent = 0, last_width = 1;
  const auto push_run = [&](std::size_t from, std::size_t to, std::size_t width) {
    if (clean.empty() || from != last_parent + last_width) anchors.push_back({clean.size(), from});
    if (width == 2)
      clean += '/';
    else
      clean.append(c.data() + from, to - from);
    last_parent = width == 2 ? from : to - 1;
    last_width = width;
  };
  for (std::size_t i = i0; i < nb; ++i) {
    const std::size_t at = back[nb - 1 - i].second;
    push_run(at, at + 1, c[at] == '\\' ? 2 : 1);
  }
  std::size_t fwd = 0, q = s;
  bool window_full = false;
  while (q < n) {
    if (fwd >= max_fwd) {
      window_full = true;
      break;
    }
    // Fast path: a stretch of plain alphabet characters, appended at once.
    const std::size_t limit = std::min(n, q + (max_fwd - fwd));
    std::size_t r = q;
    while (r < limit && b64(c[r])) ++r;
    if (r > q) {
      const std::size_t k = std::min(skip, r - q);
      skip -= k;
      if (q + k < r) push_run(q + k, r, 1);
      fwd += r - q;
      q = r;
      continue;
    }
    if (escaped_slash_at(c, q)) {
      if (skip > 0)
        --skip;
      else
        push_run(q, q + 2, 2);
      ++fwd;
      q += 2;
      continue;
    }
    const std::size_t b = break_fwd(c, q);
    if (b == 0 || (fwd >= len && !pure_fwd(c, q + b))) break;
    q += b;
  }
  if (fwd < len + h.min_tail) return std::nullopt;
  std::size_t used = clean.size();
  if (used % 4 == 1) --used;  // a lone final character carries no whole byte
  if (used < 2) return std::nullopt;

  Decoded out;
  View& v = out.view;
  v.encoding = Encoding::Base64;
  const auto val = [&](std::size_t i) {
    return static_cast<std::uint32_t>(kB64[static_cast<unsigned char>(clean[i])]);
  };
  v.bytes.resize(used / 4 * 3 + (used % 4 ? used % 4 - 1 : 0));
  char* o = v.bytes.data();
  std::size_t i = 0;
  for (; i + 4 <= used; i += 4) {
    const std::uint32_t x = val(i) << 18 | val(i + 1) << 12 | val(i + 2) << 6 | val(i + 3);
    *o++ = static_cast<char>(x >> 16);
    *o++ = static_cast<char>(x >> 8);
    *o++ = static_cast<char>(x);
  }
  if (used - i >= 2) {
    const std::uint32_t x = val(i) << 18 | val(i + 1) << 12 | (used - i == 3 ? val(i + 2) << 6 : 0);
    *o++ = static_cast<char>(x >> 16);
    if (used - i == 3) *o++ = static_cast<char>(x >> 8);
  }
  v.anchors = std::move(anchors);
  v.begin = v.anchors.front().parent;
  const auto last_at = static_cast<std::size_t>(parent_of(v.anchors, used - 1, 1, v.begin));
  v.end = last_at + (c[last_at] == '\\' ? 2 : 1);
  out.window_full = window_full;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Percent-encoding

bool url_char(unsigned char ch) {
  return ch > 0x20 && ch < 0x7f && std::strchr("\"'<>\\^`{|}&", ch) == nullptr;
}
int hex_val(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}
bool pct_escape_at(std::string_view c, std::size_t i) {
  return i + 2 < c.size() && c[i] == '%' && hex_val(c[i + 1]) >= 0 && hex_val(c[i + 2]) >= 0;
}

std::optional<Decoded> decode_percent(std::string_view c, const Hint& h, std::size_t hit_end,
                                      const TextLimits& lim) {
  const std::size_t len = h.literal.size();
  if (hit_end < len) return std::nullopt;
  const std::size_t s = hit_end - len;
  std::size_t p = s;
  const std::size_t max_back = lim.context_before * 3;
  while (p > 0 && s - p < max_back && url_char(static_cast<unsigned char>(c[p - 1]))) --p;
  if (p > 0 && s - p >= max_back) {
    // Stopped by the window, maybe inside an escape: start after it.
    if (p >= 1 && pct_escape_at(c, p - 1))
      p += 2;
    else if (p >= 2 && pct_escape_at(c, p - 2))
      p += 1;
  }
  const std::size_t max_fwd = lim.max_view * 3;
  std::size_t q = s;
  while (q < c.size() && q - s < max_fwd && url_char(static_cast<unsigned char>(c[q]))) ++q;
  if (q < hit_end || q - hit_end < h.min_tail) return std::nullopt;

  Decoded out;
  View& v = out.view;
  v.encoding = Encoding::Percent;
  v.begin = p;
  v.anchors.push_back({0, p});
  for (std::size_t i = p; i < q;) {
    if (pct_escape_at(c, i) && i + 3 <= q) {
      if (v.anchors.back().unit != v.bytes.size()) v.anchors.push_back({v.bytes.size(), i});
      v.bytes += static_cast<char>(hex_val(c[i + 1]) * 16 + hex_val(c[i + 2]));
      i += 3;
      v.anchors.push_back({v.bytes.size(), i});
    } else {
      v.bytes += c[i++];
    }
  }
  v.end = q;
  out.window_full = q - s >= max_fwd;
  if (v.bytes.empty()) return std::nullopt;
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON / JavaScript string escapes

void put_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// The 4 hex digits at c[i..i+4) as a number, or -1.
long hex4(std::string_view c, std::size_t i) {
  if (i + 4 > c.size()) return -1;
  long v = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    const int d = hex_val(c[i + k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/// Decodes the escape starting at c[i] == '\\' into `out`; returns its length (>= 2), or 0
/// when the content ends inside it.
std::size_t json_escape(std::string_view c, std::size_t i, std::string& out) {
  if (i + 1 >= c.size()) return 0;
  const char e = c[i + 1];
  switch (e) {
    case 'n':
      out += '\n';
      return 2;
    case 'r':
      out += '\r';
      return 2;
    case 't':
      out += '\t';
      return 2;
    case 'b':
      out += '\b';
      return 2;
    case 'f':
      out += '\f';
      return 2;
    case 'v':
      out += '\v';
      return 2;
    case '0':
      out += '\0';
      return 2;
    case 'x': {
      if (i + 3 < c.size() && hex_val(c[i + 2]) >= 0 && hex_val(c[i + 3]) >= 0) {
        out += static_cast<char>(hex_val(c[i + 2]) * 16 + hex_val(c[i + 3]));
        return 4;
      }
      out += 'x';
      return 2;
    }
    case 'u': {
      const long u = hex4(c, i + 2);
      if (u < 0) {
        out += 'u';
        return 2;
      }
      if (u >= 0xD800 && u <= 0xDBFF && i + 7 < c.size() && c[i + 6] == '\\' && c[i + 7] == 'u') {
        const long lo = hex4(c, i + 8);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          put_utf8(out, 0x10000 + ((static_cast<std::uint32_t>(u) - 0xD800) << 10) +
                            (static_cast<std::uint32_t>(lo) - 0xDC00));
          return 12;
        }
      }
      put_utf8(out, u >= 0xD800 && u <= 0xDFFF ? 0xFFFD : static_cast<std::uint32_t>(u));
      return 6;
    }
    default:
      out += e;
      return 2;  // \/ \\ \" \' and unknown escapes: the character itself
  }
}

bool string_end(unsigned char ch) { return ch < 0x20 || ch == 0x7f; }

std::optional<Decoded> decode_json(std::string_view c, const Hint& h, std::size_t hit_end,
                                   const TextLimits& lim) {
  const std::size_t len = h.literal.size();
  if (hit_end < len) return std::nullopt;
  const std::size_t s = hit_end - len;
  // Back to the string's opening quote (a quote preceded by an even number of backslashes).
  const std::size_t max_back = lim.context_before * 6;
  std::size_t p = s;
  char quote = 0;
  while (p > 0 && s - p < max_back) {
    const auto ch = static_cast<unsigned char>(c[p - 1]);
    if (string_end(ch)) break;
    if (ch == '"' || ch == '\'') {
      std::size_t bs = 0;
      while (p - 1 > bs && c[p - 2 - bs] == '\\') ++bs;
      if (bs % 2 == 0) {
        quote = static_cast<char>(ch);
        break;
      }
    }
    --p;
  }
  // Forward, decoding, to the closing quote (either kind when the opening one is unknown).
  const std::size_t max_fwd = lim.max_view * 6;
  Decoded out;
  View& v = out.view;
  v.encoding = Encoding::JsonEscape;
  v.begin = p;
  v.anchors.push_back({0, p});
  std::size_t i = p;
  while (i < c.size()) {
    if (i - s >= max_fwd && i >= hit_end) {
      out.window_full = true;
      break;
    }
    const auto ch = static_cast<unsigned char>(c[i]);
    if (ch == '\\') {
      const std::size_t at_byte = v.bytes.size();
      const std::size_t n = json_escape(c, i, v.bytes);
      if (n == 0) break;
      if (v.anchors.back().unit != at_byte) v.anchors.push_back({at_byte, i});
      i += n;
      v.anchors.push_back({v.bytes.size(), i});
      continue;
    }
    if (string_end(ch) || (quote ? ch == static_cast<unsigned char>(quote) : (ch == '"' || ch == '\'')))
      break;
    v.bytes += static_cast<char>(ch);
    ++i;
  }
  v.end = i;
  if (i < hit_end || i - hit_end < h.min_tail || v.bytes.empty()) return std::nullopt;
  return out;
}

// ---------------------------------------------------------------------------------------------
// UTF-16 fragments

bool text_unit(unsigned char lo) {
  return (lo >= 0x20 && lo < 0x7f) || lo == '\t' || lo == '\r' || lo == '\n';
}

struct Utf16Run {
  bool le = true;
  std::size_t p = 0, q = 0;  ///< the run, [p, q)
  std::size_t lit_end = 0;   ///< where the literal ends in this reading
  bool window_full = false;
};

/// The run of text units around a literal at [s, e) read in one byte order; nullopt when the
/// literal's own units are not text in that order.
std::optional<Utf16Run> utf16_run(std::string_view c, bool le, std::size_t s, std::size_t e,
                                  const TextLimits& lim) {
  if (e > c.size() || s > e || (e - s) % 2 != 0) return std::nullopt;
  const auto ok = [&](std::size_t i) {
    const auto a = static_cast<unsigned char>(c[i]), b = static_cast<unsigned char>(c[i + 1]);
    return le ? (b == 0 && text_unit(a)) : (a == 0 && text_unit(b));
  };
  for (std::size_t i = s; i < e; i += 2)
    if (!ok(i)) return std::nullopt;
  Utf16Run r;
  r.le = le;
  r.lit_end = e;
  r.p = s;
  while (r.p >= 2 && (s - r.p) / 2 < lim.context_before && ok(r.p - 2)) r.p -= 2;
  r.q = s;
  while (r.q + 2 <= c.size() && (r.q - s) / 2 < lim.max_view && ok(r.q)) r.q += 2;
  r.window_full = (r.q - s) / 2 >= lim.max_view;
  return r;
}

/// ASCII UTF-16 is ambiguous in a fragment: LE text shifted by one byte reads as BE text and
/// both hints hit. Both readings usually differ by at most one unit at the ends; then the one
/// starting at an even offset wins (UTF-16 strings in binaries are 2-byte aligned), else the
/// longer. Both hits of one fragment so give the same view.
std::optional<Decoded> decode_utf16(std::string_view c, const Hint& h, std::size_t hit_end,
                                    const TextLimits& lim) {
  const std::size_t len = h.literal.size();
  if (hit_end < len || len % 2 != 0) return std::nullopt;
  const std::size_t s = hit_end - len;
  const bool le = h.encoding == Encoding::Utf16le;
  std::optional<Utf16Run> mine = utf16_run(c, le, s, hit_end, lim);
  // The other order: LE literal "g\0..-\0" is BE "\0-"-aligned one byte earlier, and back.
  std::optional<Utf16Run> other = le ? (s >= 1 ? utf16_run(c, false, s - 1, hit_end - 1, lim) : std::nullopt)
                                     : utf16_run(c, true, s + 1, hit_end + 1, lim);
  if (other && mine) {
    const std::size_t a = mine->q - mine->p, b = other->q - other->p;
    const bool close = (a > b ? a - b : b - a) <= 2;
    if (close ? other->p % 2 == 0 : b > a) mine = other;
  } else if (other) {
    mine = other;
  }
  if (!mine || mine->q < mine->lit_end || mine->q - mine->lit_end < h.min_tail) return std::nullopt;
  Decoded out;
  View& v = out.view;
  v.encoding = mine->le ? Encoding::Utf16le : Encoding::Utf16be;
  v.begin = mine->p;
  v.end = mine->q;
  v.anchors.push_back({0, mine->p});
  v.bytes.reserve((mine->q - mine->p) / 2);
  for (std::size_t i = mine->p; i < mine->q; i += 2) v.bytes += mine->le ? c[i] : c[i + 1];
  out.window_full = mine->window_full;
  return out;
}

std::optional<Decoded> decode_impl(std::string_view content, const Hint& hint, std::uint64_t hit_end,
                                   const TextLimits& limits) {
  if (hit_end > content.size() || hint.literal.empty()) return std::nullopt;
  const auto end = static_cast<std::size_t>(hit_end);
  switch (hint.encoding) {
    case Encoding::Base64:
      return decode_base64(content, hint, end, limits);
    case Encoding::Percent:
      return decode_percent(content, hint, end, limits);
    case Encoding::JsonEscape:
      return decode_json(content, hint, end, limits);
    case Encoding::Utf16le:
    case Encoding::Utf16be:
      return decode_utf16(content, hint, end, limits);
  }
  return std::nullopt;
}

/// Unit (see View::Anchor) of the clean character at parent offset `at` in `v`.
std::uint64_t unit_of(const View& v, std::uint64_t at) {
  auto it = std::upper_bound(v.anchors.begin(), v.anchors.end(), at,
                             [](std::uint64_t x, const View::Anchor& a) { return x < a.parent; });
  if (it == v.anchors.begin()) return 0;
  --it;
  return it->unit + (at - it->parent);
}

}  // namespace

std::optional<View> decode_at(std::string_view content, const Hint& hint, std::uint64_t hit_end,
                              const TextLimits& limits) {
  auto d = decode_impl(content, hint, hit_end, limits);
  if (!d) return std::nullopt;
  return std::move(d->view);
}

std::vector<View> decode_hits(std::string_view content, const std::vector<Hint>& hints,
                              std::vector<HintHit> hits, const TextLimits& limits, DecodeBudget& budget,
                              const FaultFn& on_fault) {
  std::stable_sort(hits.begin(), hits.end(),
                   [](const HintHit& a, const HintHit& b) { return a.end < b.end; });
  struct Last {
    bool valid = false;
    std::size_t view = 0;
    bool window_full = false;
  };
  std::array<Last, 5> last{};
  std::vector<View> views;
  for (const HintHit& hit : hits) {
    if (hit.hint >= hints.size()) continue;
    const Hint& h = hints[hit.hint];
    // Both UTF-16 orders share a slot: one fragment hits both (see decode_utf16).
    Last& prev =
        last[static_cast<std::size_t>(h.encoding == Encoding::Utf16be ? Encoding::Utf16le : h.encoding)];
    if (prev.valid && hit.end >= h.literal.size()) {
      // Covered: the literal starts inside the previous view (on its grid), and either the
      // view reaches the run's end or it has room for a token after the hit.
      const View& pv = views[prev.view];
      const std::uint64_t s = hit.end - h.literal.size();
      std::uint64_t room = limits.max_view / 2;  // decoded bytes, in parent bytes:
      if (h.encoding == Encoding::Base64)
        room = room * 4 / 3;
      else if (is_utf16(h.encoding))
        room *= 2;
      const std::uint64_t slack = is_utf16(h.encoding) ? 1 : 0;  // the other UTF-16 order
      const bool inside = s + slack >= pv.begin && hit.end <= pv.end + slack;
      const bool on_grid = h.encoding != Encoding::Base64 || unit_of(pv, s) % 4 == h.phase % 4;
      if (inside && on_grid && (!prev.window_full || pv.end - hit.end >= room)) continue;
    }
    const auto spent = [&] {
      if (on_fault)
        on_fault({"decoded-size", "",
                  "the decoded-bytes budget of this blob is spent; remaining encoded hints not decoded"});
    };
    const std::uint64_t left = budget.decoded_left();
    if (left == 0) {
      spent();
      break;
    }
    TextLimits lim = limits;
    lim.max_view = static_cast<std::size_t>(std::min<std::uint64_t>(lim.max_view, left));
    auto d = decode_impl(content, h, hit.end, lim);
    if (!d && lim.max_view < limits.max_view) {
      // Maybe only the shrunken window failed it: the budget, not the content, decided.
      spent();
      break;
    }
    if (!d) continue;
    budget.decoded += d->view.bytes.size();
    prev = {true, views.size(), d->window_full};
    views.push_back(std::move(d->view));
  }
  return views;
}

std::vector<HintHit> find_hint_hits(std::string_view content, const std::vector<Hint>& hints) {
  std::vector<HintHit> hits;
  for (std::size_t i = 0; i < hints.size(); ++i) {
    const std::string& lit = hints[i].literal;
    if (lit.empty()) continue;
    for (std::size_t at = content.find(lit); at != std::string_view::npos; at = content.find(lit, at + 1))
      hits.push_back({static_cast<std::uint32_t>(i), at + lit.size()});
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const HintHit& a, const HintHit& b) { return a.end < b.end; });
  return hits;
}

std::string hint_pattern(const Hint& hint) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool b64_hint = hint.encoding == Encoding::Base64;
  std::string out;
  for (std::size_t i = 0; i < hint.literal.size(); ++i) {
    const auto ch = static_cast<unsigned char>(hint.literal[i]);
    if (b64_hint && i > 0) out += "(?:\\r?\\n[\\t ]*|(?:\\\\r)?\\\\n)?";
    if (b64_hint && ch == '/') {
      out += "\\\\?\\x2f";  // PHP's json_encode writes '/' as "\/"
    } else if ((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')) {
      out += static_cast<char>(ch);
    } else {
      out += "\\x";
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

}  // namespace glpatrol::decode
