// Base64 hint literals and decoding around hint hits (scanner/decode/hints.h, text.h).
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <regex>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "decode/decode.h"
#include "rules/rule.h"
#include "support/tokens.h"

using namespace glpatrol;
using namespace glpatrol::decode;

namespace {

/// GitLab's token prefixes, as the scanner derives them from the built-in rules' keywords
/// (docs: gitlab-tokens.md §1.1).
std::vector<std::string> gitlab_prefixes() { return token_prefixes(RuleSet{builtin_rules(), {}}); }

std::string token_with(const std::string& prefix, std::uint64_t seed) {
  return prefix + random_token_chars("devise", 20, seed).value();
}

enum class Variant { StdPadded, StdUnpadded, UrlUnpadded, UrlPadded };

std::string encode(std::string_view bytes, Variant v) {
  std::string s =
      (v == Variant::UrlUnpadded || v == Variant::UrlPadded) ? base64url_encode(bytes) : base64_encode(bytes);
  if (v == Variant::StdUnpadded)
    while (!s.empty() && s.back() == '=') s.pop_back();
  if (v == Variant::UrlPadded)
    while (s.size() % 4 != 0) s += '=';
  return s;
}

/// `encoded` wrapped at `width` columns: each line is `indent` + up to `width` characters +
/// `eol`. `where[i]` receives the offset of encoded character i in the result.
std::string wrap(std::string_view encoded, std::size_t width, std::string_view indent, std::string_view eol,
                 std::vector<std::size_t>* where = nullptr) {
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); i += width) {
    out += indent;
    for (std::size_t k = i; k < std::min(encoded.size(), i + width); ++k) {
      if (where) where->push_back(out.size());
      out += encoded[k];
    }
    out += eol;
  }
  return out;
}

/// Hint hits as the scan would report them with hint_pattern (line breaks inside literals
/// allowed); std::regex understands the pattern syntax used.
std::vector<HintHit> pattern_hits(const std::string& content, const std::vector<Hint>& hints) {
  static std::map<std::string, std::regex> compiled;  // hint_pattern -> regex, across calls
  std::vector<HintHit> hits;
  for (std::size_t i = 0; i < hints.size(); ++i) {
    const std::string pattern = hint_pattern(hints[i]);
    auto found = compiled.find(pattern);
    if (found == compiled.end()) found = compiled.emplace(pattern, std::regex(pattern)).first;
    const std::regex& re = found->second;
    for (auto it = std::sregex_iterator(content.begin(), content.end(), re); it != std::sregex_iterator();
         ++it)
      hits.push_back(
          {static_cast<std::uint32_t>(i), static_cast<std::uint64_t>(it->position() + it->length())});
  }
  return hits;
}

std::vector<View> decode_all(std::string_view content, const std::vector<Hint>& hints,
                             std::vector<HintHit> hits, DecodeBudget* budget_out = nullptr,
                             std::vector<Fault>* faults = nullptr) {
  DecodeBudget budget;
  auto views = decode_hits(content, hints, std::move(hits), {}, budget, [&](const Fault& f) {
    if (faults) faults->push_back(f);
  });
  if (budget_out) *budget_out = budget;
  return views;
}

/// The view holding `token`, and where in it; nullptr when none does.
const View* view_with(const std::vector<View>& views, const std::string& token, std::size_t* at = nullptr) {
  for (const auto& v : views) {
    const std::size_t p = v.bytes.find(token);
    if (p != std::string::npos) {
      if (at) *at = p;
      return &v;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("base64_determined keeps exactly the characters the bytes fix, with their phase") {
  std::mt19937_64 rng(7);
  const std::string p = test::pat_prefix();
  for (unsigned align = 0; align < 3; ++align)
    for (bool url : {false, true}) {
      std::uint8_t phase = 9;
      const std::string lit = base64_determined(p, align, url, &phase);
      CHECK(lit.size() == (8 * (align + p.size())) / 6 - (8 * align + 5) / 6);
      CHECK(phase == ((8 * align + 5) / 6) % 4);
      for (int trial = 0; trial < 50; ++trial) {
        std::string text;
        for (unsigned k = 0; k < align + 3 * (trial % 4); ++k) text += static_cast<char>(rng());
        const std::size_t at = text.size();
        text += p;
        for (int k = 0; k < trial % 5; ++k) text += static_cast<char>(rng());
        const std::string enc = encode(text, url ? Variant::UrlUnpadded : Variant::StdUnpadded);
        const std::size_t k0 = (8 * at + 5) / 6;
        CHECK(enc.substr(k0, lit.size()) == lit);
      }
    }
  // 6 bytes at alignment 0 fill 8 characters; at 1 and 2 only 7 are fully determined.
  CHECK(base64_determined(p, 0, false).size() == 8);
  CHECK(base64_determined(p, 1, false).size() == 7);
  CHECK(base64_determined(p, 2, false).size() == 7);
}

TEST_CASE("hint literals are de-duplicated and cover every prefix at every alignment") {
  const auto hints = hint_literals(gitlab_prefixes());
  std::set<std::tuple<std::string, Encoding, int, int>> seen;
  for (const auto& h : hints) {
    CHECK(seen.insert({h.literal, h.encoding, h.depth, h.phase}).second);
    if (h.encoding == Encoding::Base64) CHECK(h.literal.size() >= HintOptions{}.min_base64_chars);
  }
  // Prefixes of 6+ bytes have a depth-1 base64 hint at each alignment, in both alphabets.
  for (const auto& p : gitlab_prefixes()) {
    if (p.size() < 6) continue;
    for (unsigned a = 0; a < 3; ++a)
      for (bool url : {false, true}) {
        const std::string lit = base64_determined(p, a, url);
        CHECK_MESSAGE(std::any_of(hints.begin(), hints.end(),
                                  [&](const Hint& h) {
                                    return h.encoding == Encoding::Base64 && h.depth == 1 && h.literal == lit;
                                  }),
                      p.size(), " bytes, alignment ", a);
      }
  }
  CHECK(hint_literals({}).empty());
  CHECK(hint_literals({""}).empty());
  // Families can be switched off (the cost of each is in bench/decode_bench.md).
  HintOptions only_b64;
  only_b64.depth2 = only_b64.utf16 = only_b64.escapes = false;
  const auto few = hint_literals(gitlab_prefixes(), only_b64);
  CHECK(std::all_of(few.begin(), few.end(),
                    [](const Hint& h) { return h.encoding == Encoding::Base64 && h.depth == 1; }));
  CHECK(few.size() == static_cast<std::size_t>(std::count_if(hints.begin(), hints.end(), [](const Hint& h) {
          return h.encoding == Encoding::Base64 && h.depth == 1;
        })));
  HintOptions some_depth2;
  some_depth2.depth2_prefixes = {test::pat_prefix()};
  for (const auto& h : hint_literals(gitlab_prefixes(), some_depth2))
    if (h.depth == 2) CHECK(h.prefix == test::pat_prefix());
}

TEST_CASE("property: every encoding of random text holding a prefix contains one of its hints") {
  const auto prefixes = gitlab_prefixes();
  const auto hints = hint_literals(prefixes);
  const auto has_hint = [&](const std::string& encoded, Encoding e) {
    return std::any_of(hints.begin(), hints.end(), [&](const Hint& h) {
      return h.encoding == e && encoded.find(h.literal) != std::string::npos;
    });
  };
  std::mt19937_64 rng(99);
  for (const auto& p : prefixes)
    for (std::size_t before = 0; before < 6; ++before)
      for (int trial = 0; trial < 4; ++trial) {
        std::string text;
        for (std::size_t k = 0; k < before + 3 * static_cast<std::size_t>(trial); ++k)
          text += static_cast<char>(rng());
        text += p + random_token_chars("devise", 20, rng()).value();
        for (int k = 0; k < trial; ++k) text += static_cast<char>(rng());
        for (Variant v : {Variant::StdPadded, Variant::UrlUnpadded})
          CHECK_MESSAGE(has_hint(encode(text, v), Encoding::Base64), p, " after ", text.size(), " bytes");
        // base64 of base64, each level in either alphabet
        for (Variant v1 : {Variant::StdPadded, Variant::UrlUnpadded})
          for (Variant v2 : {Variant::StdPadded, Variant::UrlUnpadded}) {
            const std::string twice = encode("auth:" + encode(text, v1), v2);
            CHECK(std::any_of(hints.begin(), hints.end(), [&](const Hint& h) {
              return h.encoding == Encoding::Base64 && h.depth == 2 &&
                     twice.find(h.literal) != std::string::npos;
            }));
          }
        std::string le, be;
        for (char c : text) {
          le += {c, '\0'};
          be += {'\0', c};
        }
        CHECK(has_hint(le, Encoding::Utf16le));
        CHECK(has_hint(be, Encoding::Utf16be));
        std::string json;  // \u00XX for every non-alphanumeric character, as a cautious writer does
        for (char c : text) {
          if (std::isalnum(static_cast<unsigned char>(c)))
            json += c;
          else {
            static constexpr char kHex[] = "0123456789abcdef";
            json += {'\\', 'u', '0', '0', kHex[(c >> 4) & 15], kHex[c & 15]};
          }
        }
        // A prefix without non-alphanumerics (GR1348941) stays plain: the rules' job.
        const bool plain = std::all_of(p.begin(), p.end(),
                                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
        CHECK((plain ? json.find(p) != std::string::npos : has_hint(json, Encoding::JsonEscape)));
      }
}

TEST_CASE("property: a token encoded at any offset, in any variant, decodes from its hint hit") {
  const auto prefixes = gitlab_prefixes();
  const auto hints = hint_literals(prefixes);
  std::mt19937_64 rng(42);
  const std::string filler = "export CI_VAR=value # settings\nHOME=/root\n";
  int checked = 0;
  for (std::size_t pi = 0; pi < prefixes.size(); ++pi) {
    for (std::size_t offset = 0; offset < 9; ++offset) {
      for (Variant v : {Variant::StdPadded, Variant::StdUnpadded, Variant::UrlUnpadded, Variant::UrlPadded}) {
        const std::string token = token_with(prefixes[pi], rng());
        // The plaintext: `offset` filler bytes, "TOKEN=", the token, a newline, more filler.
        const std::string plain = filler.substr(0, offset) + "TOKEN=" + token + "\n" + filler;
        const std::string content = "data:\n  secret: " + encode(plain, v) + "\n  other: x\n";
        const auto views = decode_all(content, hints, find_hint_hits(content, hints));
        ++checked;
        if (prefixes[pi].size() < 6) {
          // 5-byte prefixes: 6-character forms at every alignment. Some alignments are kept
          // (min_base64_chars 6); see the coverage test below for which.
          continue;
        }
        CHECK_MESSAGE(view_with(views, token) != nullptr, "prefix #", pi, " offset ", offset, " variant ",
                      static_cast<int>(v));
      }
    }
  }
  CHECK(checked == static_cast<int>(prefixes.size()) * 9 * 4);
}

TEST_CASE("short (5-byte) prefixes are still found at every alignment") {
  const auto prefixes = gitlab_prefixes();
  const auto hints = hint_literals(prefixes);
  std::mt19937_64 rng(5);
  for (const auto& p : prefixes) {
    if (p.size() >= 6) continue;
    for (std::size_t offset = 0; offset < 3; ++offset) {
      const std::string token = token_with(p, rng());
      const std::string plain = std::string(offset, '#') + token;
      const std::string content = "k: " + encode(plain, Variant::StdPadded) + "\n";
      const auto views = decode_all(content, hints, find_hint_hits(content, hints));
      CHECK_MESSAGE(view_with(views, token) != nullptr, p.size(), "-byte prefix at offset ", offset);
    }
  }
}

TEST_CASE("a token split across line wraps: MIME 76, PEM 64, YAML block scalar") {
  const auto hints = hint_literals({test::pat_prefix()});  // (std::regex is slow: one prefix)
  std::mt19937_64 rng(11);
  struct Layout {
    std::size_t width;
    std::string indent, eol, head, tail;
  };
  const std::vector<Layout> layouts = {
      {76, "", "\r\n", "Content-Transfer-Encoding: base64\r\n\r\n", "\r\n--boundary--\r\n"},
      {64, "", "\n", "-----BEGIN GITLAB CONFIG-----\n", "-----END GITLAB CONFIG-----\n"},
      {60, "    ", "\n", "data:\n  env: |\n", "  name: x\n"},
      {33, "\t", "\n", "blob:\n", ""},
  };
  for (const auto& l : layouts) {
    // The token at every offset modulo the line width, so that the wrap falls at every
    // position inside the prefix and the body.
    for (std::size_t offset = 0; offset < l.width; offset += 1) {
      const std::string token = test::legacy_pat(rng());
      std::string plain;
      for (std::size_t k = 0; k < 3 * l.width / 4 + offset; ++k) plain += static_cast<char>('a' + k % 26);
      plain += " " + token + "\nmore text after the token\n";
      std::vector<std::size_t> where;
      const std::string enc = encode(plain, Variant::StdPadded);
      const std::string content = l.head + wrap(enc, l.width, l.indent, l.eol, &where) + l.tail;
      const auto views = decode_all(content, hints, pattern_hits(content, hints));
      std::size_t at = 0;
      const View* v = view_with(views, token, &at);
      REQUIRE_MESSAGE(v != nullptr, "width ", l.width, " offset ", offset);
      // The decoded token start maps to the encoded character holding its first bits.
      const std::size_t plain_at = plain.find(token);
      CHECK(v->to_parent(at) == l.head.size() + where[plain_at * 4 / 3]);
      CHECK(v->to_parent(v->bytes.size()) == v->end);
      CHECK(content.substr(v->begin, 1).find_first_of("\r\n ") == std::string::npos);
    }
  }
}

TEST_CASE("a literal-only search misses a prefix split by a wrap; hint_pattern finds it") {
  const auto hints = hint_literals(gitlab_prefixes());
  const std::string token = test::legacy_pat(3);
  // Put the wrap inside the prefix's encoding: prefix at plaintext offset 45 -> character 60.
  const std::string plain = std::string(45, 'x') + token;
  const std::string content = wrap(encode(plain, Variant::StdPadded), 64, "", "\n");
  bool literal_found = false;
  for (const auto& v : decode_all(content, hints, find_hint_hits(content, hints)))
    literal_found |= v.bytes.find(token) != std::string::npos;
  CHECK_FALSE(literal_found);
  CHECK(view_with(decode_all(content, hints, pattern_hits(content, hints)), token) != nullptr);
}

TEST_CASE("base64 of base64: a dockerconfigjson inside a Kubernetes Secret") {
  const auto hints = hint_literals(gitlab_prefixes());
  const std::string token = test::legacy_pat(21);
  const std::string auth = base64_encode("deploy-user:" + token);
  const std::string json = R"({"auths":{"registry.example.com":{"auth":")" + auth + R"("}}})";
  const std::string secret =
      "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\n"
      "data:\n  .dockerconfigjson: " +
      base64_encode(json) + "\n";
  // Step 1: a depth-2 hint decodes the Secret's value to the JSON.
  const auto outer = decode_all(secret, hints, find_hint_hits(secret, hints));
  REQUIRE(!outer.empty());
  const View* json_view = view_with(outer, auth.substr(0, 16));
  REQUIRE(json_view != nullptr);
  CHECK(json_view->bytes.find(token) == std::string::npos);
  // Step 2 (the caller's recursion): the JSON holds a depth-1 hint.
  const auto inner = decode_all(json_view->bytes, hints, find_hint_hits(json_view->bytes, hints));
  CHECK(view_with(inner, token) != nullptr);
}

TEST_CASE("a plain token in the JSON of a Secret is one level down") {
  const auto hints = hint_literals(gitlab_prefixes());
  const std::string token = test::routable(9);
  const std::string json = R"({"auths":{"r.example.com":{"username":"u","password":")" + token + R"("}}})";
  const std::string secret = "data:\n  .dockerconfigjson: " + base64_encode(json) + "\n";
  CHECK(view_with(decode_all(secret, hints, find_hint_hits(secret, hints)), token) != nullptr);
}

TEST_CASE("the grid comes from the hint: runs glued to other text, URL-safe alphabet") {
  const auto hints = hint_literals(gitlab_prefixes());
  const std::string token = test::legacy_pat(4);
  for (std::string glue : {"", "A", "AB", "ABC", "xyzABCD"}) {
    const std::string content =
        "url=https://h/x?d=" + glue + encode("k=" + token, Variant::UrlUnpadded) + "&z=1";
    CHECK_MESSAGE(view_with(decode_all(content, hints, find_hint_hits(content, hints)), token) != nullptr,
                  "glue of ", glue.size());
  }
}

TEST_CASE("JSON strings: \\n-escaped wraps and \\/-escaped slashes") {
  const auto hints = hint_literals({test::pat_prefix()});
  std::mt19937_64 rng(8);
  for (int i = 0; i < 40; ++i) {
    const std::string token = test::legacy_pat(rng());
    std::string plain = "line with ~~~ ??? >>> bytes that encode to / and +\n";
    plain.resize(static_cast<std::size_t>(i) + 20, '?');
    plain += token + "\n";
    std::string enc;
    for (char c : wrap(encode(plain, Variant::StdPadded), 20, "", "\\n"))
      enc += c == '/' ? std::string("\\/") : std::string(1, c);
    const std::string content = R"({"pem":")" + enc + R"(","next":"value"})";
    CHECK_MESSAGE(view_with(decode_all(content, hints, pattern_hits(content, hints)), token) != nullptr, i);
  }
}

TEST_CASE("a following key: value line is not joined onto an unpadded run") {
  const auto hints = hint_literals(gitlab_prefixes());
  const std::string token = test::legacy_pat(12);
  const std::string content = "secret: " + encode(token, Variant::StdUnpadded) + "\nname: abcdef\n";
  const auto views = decode_all(content, hints, find_hint_hits(content, hints));
  std::size_t at = 0;
  const View* v = view_with(views, token, &at);
  REQUIRE(v != nullptr);
  CHECK(at + token.size() == v->bytes.size());  // nothing decoded past the token
  CHECK(v->end == content.find('\n'));
}

TEST_CASE("hits without room for a token, and ordinary text, decode nothing") {
  const auto hints = hint_literals(gitlab_prefixes());
  const std::string enc = encode(test::pat_prefix() + "abc", Variant::StdPadded);  // prefix + 3 bytes
  const auto hits = find_hint_hits(enc, hints);
  CHECK_FALSE(hits.empty());
  CHECK(decode_all(enc, hints, hits).empty());
  const std::string text = "The quick brown fox jumps over the lazy dog. Z2xw is not enough.\n";
  CHECK(find_hint_hits(text, hints).empty());
  // Out-of-range hits are refused, not read past the content.
  for (const auto& h : hints) CHECK_FALSE(decode_at(enc, h, enc.size() + 1).has_value());
}

TEST_CASE("many tokens in one run: few views, every token, de-duplicable by parent offset") {
  const auto hints = hint_literals(gitlab_prefixes());
  std::string env;
  std::vector<std::string> tokens;
  for (int i = 0; i < 200; ++i) {
    tokens.push_back(test::legacy_pat(1000U + static_cast<std::uint64_t>(i)));
    env += "VAR_" + std::to_string(i) + "=" + tokens.back() + "\n";
  }
  const std::string content = "ENV_B64=" + encode(env, Variant::StdPadded) + "\n";
  const auto hits = find_hint_hits(content, hints);
  CHECK(hits.size() >= tokens.size());
  const auto views = decode_all(content, hints, hits);
  CHECK(views.size() == 1);  // 200 * 47 bytes fit one 64 KiB window
  std::set<std::uint64_t> parents;
  for (const auto& t : tokens) {
    std::size_t at = 0;
    const View* v = view_with(views, t, &at);
    REQUIRE(v != nullptr);
    parents.insert(v->to_parent(at));
  }
  CHECK(parents.size() == tokens.size());
}

TEST_CASE("a long run is decoded in windows that together cover every token") {
  const auto hints = hint_literals(gitlab_prefixes());
  std::string plain;
  std::vector<std::string> tokens;
  for (int i = 0; i < 40; ++i) {
    plain += std::string(9000, static_cast<char>('a' + i % 26)) + " ";
    tokens.push_back(test::legacy_pat(50U + static_cast<std::uint64_t>(i)));
    plain += tokens.back() + "\n";
  }
  const std::string content = encode(plain, Variant::StdPadded);
  TextLimits lim;
  lim.max_view = 16u << 10;
  DecodeBudget budget;
  const auto views = decode_hits(content, hints, find_hint_hits(content, hints), lim, budget, {});
  CHECK(views.size() > 1);
  CHECK(views.size() < tokens.size());
  for (const auto& v : views) CHECK(v.bytes.size() <= lim.max_view + lim.context_before + 9);  // whole quanta
  for (const auto& t : tokens) CHECK(view_with(views, t) != nullptr);
}

TEST_CASE("the decoded-bytes budget stops decoding with one fault") {
  const auto hints = hint_literals(gitlab_prefixes());
  std::string content;
  for (int i = 0; i < 20; ++i)
    content +=
        encode(test::legacy_pat(static_cast<std::uint64_t>(i)) + std::string(100, ' '), Variant::StdPadded) +
        "\n";
  DecodeBudget budget;
  budget.max_decoded = 300;
  std::vector<Fault> faults;
  const auto views = decode_hits(content, hints, find_hint_hits(content, hints), {}, budget,
                                 [&](const Fault& f) { faults.push_back(f); });
  CHECK(views.size() >= 1);
  CHECK(views.size() < 20);
  REQUIRE(faults.size() == 1);
  CHECK(faults[0].reason == "decoded-size");
  CHECK(budget.decoded <= 300 + 200);
}

TEST_CASE("hint_pattern escapes everything but alphanumerics") {
  Hint h;
  h.literal = std::string("a+b/c\0", 6);
  h.encoding = Encoding::Percent;
  CHECK(hint_pattern(h) == "a\\x2bb\\x2fc\\x00");
  h.encoding = Encoding::Base64;
  h.literal = "ab";
  CHECK(hint_pattern(h) == "a(?:\\r?\\n[\\t ]*|(?:\\\\r)?\\\\n)?b");
}
