#include "decode/hints.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <tuple>

namespace glpatrol::decode {

namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool is_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_unreserved(unsigned char c) {  // RFC 3986 §2.3
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string hex2(unsigned char c, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  return {digits[c >> 4], digits[c & 15]};
}

/// `prefix` with the characters for which `escape(c)` holds replaced by `lead + hex2(c) `;
/// empty when no character was replaced (the plain prefix is not a hint).
template <typename Pred>
std::string escaped(std::string_view prefix, std::string_view lead, bool upper, Pred escape) {
  std::string out;
  bool any = false;
  for (unsigned char c : prefix) {
    if (escape(c)) {
      out += lead;
      out += hex2(c, upper);
      any = true;
    } else {
      out += static_cast<char>(c);
    }
  }
  return any ? out : std::string();
}

class HintSet {
 public:
  void add(Hint h) {
    if (h.literal.empty()) return;
    const auto key = std::make_tuple(h.literal, h.encoding, h.depth, h.phase);
    if (!seen_.insert(key).second) {
      // Same literal from another prefix: keep the weakest tail requirement.
      for (auto& o : out_)
        if (o.literal == h.literal && o.encoding == h.encoding && o.depth == h.depth && o.phase == h.phase &&
            h.min_tail < o.min_tail)
          o.min_tail = h.min_tail;
      return;
    }
    out_.push_back(std::move(h));
  }
  std::vector<Hint> take() { return std::move(out_); }

 private:
  std::set<std::tuple<std::string, Encoding, std::uint8_t, std::uint8_t>> seen_;
  std::vector<Hint> out_;
};

}  // namespace

std::string base64_determined(std::string_view bytes, unsigned align, bool url, std::uint8_t* phase) {
  const char* alphabet = url ? kUrl : kStd;
  // Bit stream: 8*align unknown bits, then `bytes`. Character k covers bits [6k, 6k+6); it is
  // determined when all of them come from `bytes`.
  const std::size_t first_bit = 8 * align, end_bit = 8 * (align + bytes.size());
  const std::size_t k0 = (first_bit + 5) / 6, k1 = end_bit / 6;
  if (phase) *phase = static_cast<std::uint8_t>(k0 % 4);
  std::string out;
  for (std::size_t k = k0; k < k1; ++k) {
    unsigned v = 0;
    for (std::size_t b = 6 * k; b < 6 * k + 6; ++b) {
      const auto byte = static_cast<unsigned char>(bytes[b / 8 - align]);
      v = (v << 1) | ((byte >> (7 - b % 8)) & 1u);
    }
    out += alphabet[v];
  }
  return out;
}

std::vector<Hint> hint_literals(const std::vector<std::string>& token_prefixes, const HintOptions& opts) {
  HintSet set;
  // Encoded characters that must follow a base64 literal: the shortest body, encoded, less
  // one character for the quantum the literal's last byte shares (conservative).
  const auto b64_tail = [](std::size_t body) {
    return static_cast<std::uint32_t>(body * 4 / 3 > 0 ? body * 4 / 3 - 1 : 0);
  };
  const std::uint32_t tail1 = b64_tail(opts.min_body);
  const std::uint32_t tail2 = b64_tail(tail1);
  for (const std::string& prefix : token_prefixes) {
    if (prefix.empty()) continue;
    for (bool url1 : {false, true}) {
      for (unsigned a = 0; a < 3; ++a) {
        std::uint8_t phase = 0;
        std::string lit = base64_determined(prefix, a, url1, &phase);
        // Depth 2: the determined characters of the inner encoding, encoded again at each
        // alignment in the middle text. Computed from the full determined string even when
        // it is itself too short to be a depth-1 hint.
        const bool want_depth2 =
            opts.depth2 && (opts.depth2_prefixes.empty() ||
                            std::find(opts.depth2_prefixes.begin(), opts.depth2_prefixes.end(), prefix) !=
                                opts.depth2_prefixes.end());
        for (bool url2 : {false, true})
          for (unsigned b = 0; want_depth2 && b < 3; ++b) {
            std::uint8_t phase2 = 0;
            std::string lit2 = base64_determined(lit, b, url2, &phase2);
            if (lit2.size() >= opts.min_base64_chars)
              set.add({std::move(lit2), Encoding::Base64, 2, phase2, tail2, prefix});
          }
        if (lit.size() >= opts.min_base64_chars)
          set.add({std::move(lit), Encoding::Base64, 1, phase, tail1, prefix});
      }
    }
    // UTF-16: NUL after (LE) or before (BE) each character.
    std::string le, be;
    for (char c : prefix) {
      le += c;
      le += '\0';
      be += '\0';
      be += c;
    }
    const auto u16_tail = static_cast<std::uint32_t>(opts.min_body > 0 ? 2 * opts.min_body - 1 : 0);
    if (opts.utf16 && le.size() >= opts.min_utf16_bytes) {
      set.add({std::move(le), Encoding::Utf16le, 1, 0, u16_tail, prefix});
      set.add({std::move(be), Encoding::Utf16be, 1, 0, u16_tail, prefix});
    }
    // Percent: what encoders produce. Standard encoders (encodeURIComponent, Python's quote,
    // Java's URLEncoder, PHP's urlencode) leave RFC 3986 unreserved characters (-._~) as
    // they are, so "glpat%2D" does not occur and only prefixes with reserved characters get
    // a percent form (_gitlab_session%3D, custom prefixes with + / = @ :).
    // JSON/JS: each non-alphanumeric character as \u00XX (serializers that escape use either
    // case), the whole prefix as \u00xx (obfuscated scripts), and '/' as "\/" (PHP).
    // Fewer, likelier forms: every literal slows the hint pass (bench/decode_bench.md).
    if (!opts.escapes) continue;
    const auto tail = static_cast<std::uint32_t>(opts.min_body);
    const auto reserved = [](unsigned char c) { return !is_unreserved(c); };
    const auto not_alnum = [](unsigned char c) { return !is_alnum(c); };
    const auto every = [](unsigned char) { return true; };
    for (bool upper : {true, false}) {
      set.add({escaped(prefix, "%", upper, reserved), Encoding::Percent, 1, 0, tail, prefix});
      set.add({escaped(prefix, "\\u00", upper, not_alnum), Encoding::JsonEscape, 1, 0, tail, prefix});
    }
    set.add({escaped(prefix, "\\u00", false, every), Encoding::JsonEscape, 1, 0, tail, prefix});
    if (prefix.find('/') != std::string::npos) {
      std::string slash;
      for (char c : prefix) slash += c == '/' ? std::string("\\/") : std::string(1, c);
      set.add({std::move(slash), Encoding::JsonEscape, 1, 0, tail, prefix});
    }
  }
  return set.take();
}

}  // namespace glpatrol::decode
