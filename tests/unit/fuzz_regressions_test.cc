// Regressions found by the fuzz targets in fuzz/ (their raw reproducers live in
// fuzz/regressions/<target>/ and are replayed by fuzz/run.sh). Each case names what the
// fuzzer found; tokens are generated at run time.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>

#include "matcher/matcher.h"
#include "rules/examples.h"
#include "support/builtin_db.h"
#include "support/tokens.h"

using namespace glpatrol;

namespace {

std::vector<LocatedMatch> scan(const std::string& text) {
  auto m = Matcher::create(test::builtin_db());
  REQUIRE(m.has_value());
  std::vector<LocatedMatch> out;
  REQUIRE(m->scan(text, out).has_value());
  return out;
}

}  // namespace

// fuzz_matcher, planted-token oracle: a random token body that happens to contain "xxxx"
// (any case; ~1 in 50,000 random 20-character Devise bodies) was dropped as a placeholder.
TEST_CASE("fuzz regression: a random token containing xxxx is still a token") {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    std::string body = random_token_chars("devise", 20, seed).value();
    const std::size_t at = seed % 17;
    body.replace(at, 4, (seed & 1) ? "xxxx" : "xXXx");
    const std::string tok = test::pat_prefix() + body;
    CAPTURE(seed);
    const auto found = scan("token: " + tok + "\n");
    REQUIRE(found.size() == 1);
    CHECK(found[0].secret == tok);
  }
}

TEST_CASE("fuzz regression: x-filled placeholders stay placeholders") {
  const std::string p = test::pat_prefix();
  for (const std::string& s : {p + "xxxxxxxxxxxxxxxxxxxx", p + "xxxx-xxxx-xxxx-xxxx-",
                               p + "xxxx1234xxxx5678xxxx", p + "XxXxXxXxXxXxXxXxXxXx"}) {
    CAPTURE(s);
    CHECK(scan(s).empty());
  }
}

// fuzz_matcher, planted-token oracle: a generated job-token JWT whose random signature held
// "DummY" was dropped as a placeholder (placeholder words matched in any case).
TEST_CASE("fuzz regression: a placeholder word in mixed case inside a random token is chance") {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    std::string body = random_token_chars("devise", 20, seed).value();
    const std::size_t at = seed % 15;
    body.replace(at, 5, (seed & 1) ? "DummY" : "dUMmy");
    const std::string tok = test::pat_prefix() + body;
    CAPTURE(seed);
    const auto found = scan("token: " + tok + "\n");
    REQUIRE(found.size() == 1);
    CHECK(found[0].secret == tok);
  }
  // The failing example itself: template and seed from the oracle's message.
  auto exp = expand_example("Authorization: Bearer <<glcbt-{{jwt:gitlab.com}}>>", 858862643);
  REQUIRE(exp.has_value());
  REQUIRE(exp->text.find("DummY") != std::string::npos);
  const auto found = scan(exp->text + "\n");
  REQUIRE(found.size() == 1);
  CHECK(found[0].match.start == exp->span_begin);
  CHECK(found[0].match.end == exp->span_end);
}

TEST_CASE("placeholder words typed in one case stay placeholders") {
  const std::string p = test::pat_prefix();
  for (const std::string& s :
       {p + "dummy_dummy_dummy_12", p + "DUMMY-TOKEN-1234567x", p + "Dummy_Token_abcdefgh",
        p + "your-token-goes-here", p + "REDACTEDREDACTED1234", p + "ChangeMe_ChangeMe_12"}) {
    CAPTURE(s);
    CHECK(scan(s + "\n").empty());
  }
}
