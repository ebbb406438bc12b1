#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "decode/text.h"
#include "matcher/hint_gate.h"
#include "matcher/matcher.h"
#include "support/builtin_db.h"
#include "support/tokens.h"

using namespace glpatrol;

namespace {

std::vector<HintGate::Isa> isas_here(const HintGate& gate) {
  std::vector<HintGate::Isa> out;
  for (auto isa : {HintGate::Isa::Portable, HintGate::Isa::Avx2, HintGate::Isa::Avx512}) {
    HintGate g = gate;
    if (g.force_isa(isa)) out.push_back(isa);
  }
  return out;
}

std::string runs_text(const std::vector<HintGate::Run>& runs) {
  std::string s;
  for (const auto& r : runs) {
    s += '[';
    s += std::to_string(r.begin);
    s += ',';
    s += std::to_string(r.end);
    s += ')';
  }
  return s;
}

/// Every path the CPU has gives exactly the byte-by-byte runs.
void check_runs(const HintGate& gate, const std::string& buf) {
  std::vector<HintGate::Run> want;
  gate.find_runs_bytewise(buf, want);
  for (auto isa : isas_here(gate)) {
    HintGate g = gate;
    REQUIRE(g.force_isa(isa));
    std::vector<HintGate::Run> got;
    g.find_runs(buf, got);
    INFO("isa " << static_cast<int>(isa) << ", size " << buf.size());
    REQUIRE(runs_text(got) == runs_text(want));
  }
}

}  // namespace

TEST_CASE("the default hints make an enabled gate whose class holds every literal byte") {
  const RuleDb& db = test::builtin_db();
  const HintGate& gate = db.hint_gate();
  REQUIRE(gate.enabled());
  std::size_t shortest = SIZE_MAX;
  for (const auto& h : db.hints()) {
    for (char c : h.literal) CHECK(gate.in_class(static_cast<unsigned char>(c)));
    shortest = std::min<std::size_t>(shortest, h.literal.size() + h.min_tail);
  }
  CHECK(gate.min_run() == shortest);
  CHECK(gate.min_run() >= 15);
  // Line breaks too: wrapped base64 is one run.
  for (char c : std::string("ABCXYZabcxyz0189+/-_\r\n")) CHECK(gate.in_class(static_cast<unsigned char>(c)));
  for (char c : std::string(" \t\"'=:;,.{}()<>")) CHECK_FALSE(gate.in_class(static_cast<unsigned char>(c)));
  CHECK_FALSE(gate.in_class(0x80));
  CHECK_FALSE(gate.in_class(0xFF));
  CHECK_FALSE(gate.in_class(static_cast<unsigned char>(gate.separator())));
  // No hints, or a non-ASCII literal: no gate (the caller scans whole buffers).
  CHECK_FALSE(HintGate::for_hints({}).enabled());
  decode::Hint odd;
  odd.literal = "\xC3\xA9t\xC3\xA9-token";
  odd.min_tail = 25;
  CHECK_FALSE(HintGate::for_hints({odd}).enabled());
  decode::Hint tiny;
  tiny.literal = "abcdef";
  tiny.min_tail = 4;
  CHECK_FALSE(HintGate::for_hints({tiny}).enabled());
}

TEST_CASE("find_runs: exactly the byte-by-byte runs, on every instruction set the CPU has") {
  const HintGate& gate = test::builtin_db().hint_gate();
  const std::size_t t = gate.min_run();
  const std::string cls = "Za0+/-_%\\";
  SUBCASE("one run of every length at every offset around block and step boundaries") {
    for (std::size_t size :
         {std::size_t{0}, std::size_t{1}, t - 1, t, std::size_t{63}, std::size_t{64}, std::size_t{65},
          std::size_t{511}, std::size_t{512}, std::size_t{513}, std::size_t{1100}}) {
      for (std::size_t len : {t - 1, t, t + 1, std::size_t{63}, std::size_t{64}, std::size_t{65},
                              std::size_t{127}, std::size_t{128}, std::size_t{600}}) {
        for (std::size_t at = 0; at + len <= size; at += (at < 70 || at + len + 70 > size) ? 1 : 37) {
          std::string buf(size, ' ');
          for (std::size_t i = 0; i < len; ++i) buf[at + i] = cls[i % cls.size()];
          check_runs(gate, buf);
        }
      }
    }
  }
  SUBCASE("whole buffers of class bytes, and none") {
    for (std::size_t size = 0; size < 1300; size += 7) {
      check_runs(gate, std::string(size, 'A'));
      check_runs(gate, std::string(size, '.'));
    }
  }
  SUBCASE("random mixtures: runs of random length separated by random bytes") {
    std::mt19937_64 rng(20261203);
    for (int round = 0; round < 3000; ++round) {
      std::string buf;
      const std::size_t size = rng() % 5000;
      while (buf.size() < size) {
        // Lengths clustered around the threshold, with some long ones.
        const std::size_t len = rng() % 4 == 0 ? rng() % 300 : t - 3 + rng() % 7;
        for (std::size_t i = 0; i < len && buf.size() < size; ++i) buf += cls[rng() % cls.size()];
        const std::size_t gap = 1 + rng() % 3;
        for (std::size_t i = 0; i < gap && buf.size() < size; ++i) {
          char c = static_cast<char>(rng() % 256);
          if (gate.in_class(static_cast<unsigned char>(c))) c = '\n';
          buf += c;
        }
      }
      check_runs(gate, buf);
    }
  }
}

TEST_CASE("Matcher: hint hits are the literal occurrences in long runs read without line breaks") {
  const RuleDb& db = test::builtin_db();
  const HintGate& gate = db.hint_gate();
  auto m = Matcher::create(db);
  REQUIRE(m.has_value());
  // Reference: HintGate::hint_hits_bytewise, every literal occurrence in the runs read
  // without their line breaks; independently, the plain occurrences inside runs
  // (decode::find_hint_hits) must be among them.
  const auto reference = [&](const std::string& buf) {
    auto out = gate.hint_hits_bytewise(buf, db.hints());
    std::vector<HintGate::Run> runs;
    gate.find_runs_bytewise(buf, runs);
    for (const auto& h : decode::find_hint_hits(buf, db.hints())) {
      const std::size_t len = db.hints()[h.hint].literal.size();
      for (const auto& r : runs)
        if (r.begin + len <= h.end && h.end <= r.end)
          CHECK(std::binary_search(out.begin(), out.end(), std::make_pair(h.hint, h.end)));
    }
    return out;
  };
  const auto gated = [&](const std::string& buf) {
    std::vector<Match> matches;
    m->find(buf, 0, buf.size() + 1, false, matches);
    std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
    for (const auto& h : m->hint_hits()) out.emplace_back(h.hint, h.end);
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::string token = test::legacy_pat(7);
  const std::string encoded = base64_encode("user:" + token);
  const std::string encoded2 = base64_encode(base64_encode(token));
  std::mt19937_64 rng(7);
  for (int round = 0; round < 400; ++round) {
    std::string buf;
    const int pieces = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < pieces; ++i) {
      switch (rng() % 7) {
        case 0:
          buf += "auth: " + encoded + "\n";
          break;
        case 1:
          buf += encoded.substr(0, 8 + rng() % (encoded.size() - 8)) + " ";
          break;  // short runs too
        case 2:
          buf += "x" + encoded2 + "\n";
          break;
        case 3:
          buf += std::string(rng() % 200, 'Q') + encoded + "\n";
          break;  // glued to a long run
        case 4:
          buf += "plain text, words and (punctuation); ";
          break;
        case 5: {  // wrapped at any width, LF or CRLF: literals cut by a break are hits too
          const std::size_t width = 1 + rng() % 80;
          const char* eol = rng() % 2 ? "\n" : "\r\n";
          for (std::size_t at = 0; at < encoded.size(); at += width) buf += encoded.substr(at, width) + eol;
          break;
        }
        default:
          buf += std::string(rng() % 3000, 'A');
          break;  // runs making up most of the buffer
      }
    }
    const auto want = reference(buf);
    CHECK(gated(buf) == want);
  }
  // Large buffers: the runs are copied and scanned in pieces of about 1 MiB; hits in every
  // piece, at piece boundaries too, map back to their place.
  {
    std::string big;
    std::size_t i = 0;
    while (big.size() < (3u << 20) + 12345) {
      big += "some prose between the encoded values, long enough to keep runs a minority ";
      big += (i++ % 3 == 0 ? "auth: " + encoded : std::string(40 + i % 70, 'B')) + "\n";
    }
    const auto want = reference(big);
    CHECK(want.size() > 5000);
    CHECK(gated(big) == want);
  }
  // The found hits reach the decoder: the token inside a docker-style auth value is a hit.
  const std::string yaml = "auths:\n  registry:\n    auth: " + encoded + "\n";
  CHECK_FALSE(gated(yaml).empty());
  CHECK(reference(yaml) == gated(yaml));
}

TEST_CASE("a serialized database holds both the rules' and the hints' database; damage compiles") {
  const RuleDb& db = test::builtin_db();
  auto blob = db.serialize();
  REQUIRE(blob.has_value());
  const auto rebuild = [](std::string_view prebuilt) {
    RuleSet set;
    set.rules = builtin_rules();
    return RuleDb::build(std::move(set), prebuilt);
  };
  auto same = rebuild(*blob);
  REQUIRE(same.has_value());
  CHECK(same->used_prebuilt());
  CHECK(same->hint_database() != nullptr);
  CHECK(same->hints().size() == db.hints().size());
  // The loaded hint database finds what the compiled one finds.
  const std::string yaml = "auth: " + base64_encode("user:" + test::legacy_pat(3)) + "\n";
  for (const RuleDb* d : std::vector<const RuleDb*>{&db, &*same}) {
    auto m = Matcher::create(*d);
    REQUIRE(m.has_value());
    std::vector<Match> out;
    m->find(yaml, 0, yaml.size() + 1, false, out);
    CHECK_FALSE(m->hint_hits().empty());
  }
  // Truncated inside the hints, inside the rules, a wrong size line: compiled, never half-loaded.
  for (std::size_t cut : {blob->size() - 1, blob->size() / 2, std::size_t{60}}) {
    auto damaged = rebuild(std::string_view(*blob).substr(0, cut));
    REQUIRE(damaged.has_value());
    CHECK_FALSE(damaged->used_prebuilt());
    CHECK(damaged->hint_database() != nullptr);
  }
  // A wrong size line (after magic, rules key, hints key): compiled.
  std::string resized = *blob;
  std::size_t nl = 0;
  for (int line = 0; line < 3; ++line) nl = resized.find('\n', nl) + 1;
  resized.insert(nl, "9");
  auto wrong = rebuild(resized);
  REQUIRE(wrong.has_value());
  CHECK_FALSE(wrong->used_prebuilt());
  // The same blob serves a build without hints (--no-decode): the rules' part alone.
  {
    RuleSet rules_only;
    rules_only.rules = builtin_rules();
    HintSelection none;
    none.enabled = false;
    auto plain = RuleDb::build(std::move(rules_only), *blob, none);
    REQUIRE(plain.has_value());
    CHECK(plain->used_prebuilt());
    CHECK(plain->hint_database() == nullptr);
  }
  // Other prefixes change the patterns: compiled, not taken from the blob.
  {
    RuleSet custom;
    custom.rules = builtin_rules();
    custom.prefixes.pat_prefixes = {"corp-"};
    auto mixed = RuleDb::build(std::move(custom), *blob);
    REQUIRE(mixed.has_value());
    CHECK_FALSE(mixed->used_prebuilt());
    CHECK(mixed->hint_database() != nullptr);
  }
  // Without hints: one database, nothing after it.
  RuleSet set;
  set.rules = builtin_rules();
  HintSelection off;
  off.enabled = false;
  auto plain = RuleDb::build(std::move(set), {}, off);
  REQUIRE(plain.has_value());
  CHECK(plain->hint_database() == nullptr);
  CHECK_FALSE(plain->hint_gate().enabled());
}
