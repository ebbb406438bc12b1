#include <doctest/doctest.h>

#include "common/encoding.h"
#include "matcher/routable.h"
#include "support/tokens.h"

using namespace glpatrol;

// Published vectors (GitLab's design doc, secret-detection rule examples, peers' tests),
// split so that this source file holds no contiguous token.
static const std::string kPrefix = std::string("gl") + "pat-";

TEST_CASE("published routable vectors: valid checksums") {
  CHECK(routable_crc_valid(std::string("bzoxd_Rb5_cHeWe1") + "JH56wr2FCBA.0r1pum4t4"));
  CHECK(routable_crc_valid(kPrefix + "bzox79Of-KE9FD2LjoXXF4CvyxA" + ".0r03gxo7s"));
  CHECK(routable_crc_valid(kPrefix + "bzox79Of-KE9FD2LjoXXF4CvyxA" + ".01.0r0l8l6ir"));
  CHECK(routable_crc_valid(kPrefix + "vSY1cyL948aAB440qB6L4zlu9OzsUmEV" + ".01.0w0sfevch"));
}

TEST_CASE("published routable vectors: invalid checksums") {
  CHECK_FALSE(routable_crc_valid(kPrefix + "bzox79Of-KE9FD2LjoXXF4CvyxA" + ".01.0r03gxo7a"));
  CHECK_FALSE(routable_crc_valid(kPrefix + "3fZ1p5y4XWcCvMGVlfakeW86MQp1Oml3Ymg0Cw" + ".01.1203afake"));
  CHECK_FALSE(routable_crc_valid(kPrefix + "TESTtokenGq5K56y8RBbu286MQp1OmFwOAk" + ".01.0z11111is"));
  CHECK_FALSE(routable_crc_valid(kPrefix + "testd_Rb5_cHeWe1JH56wr2FCBA" + ".0r1pum4t4"));
}

TEST_CASE("the CRC locates the true start of a token with an unknown prefix") {
  const std::string tok = test::routable(5, "mycorp-pat-", "01", "o=1,u=2a");
  const std::string text = "key=" + tok + "\n";
  const auto found = find_routable_ending_at(text, 4 + tok.size());
  REQUIRE(found.has_value());
  CHECK(found->start == 4);
  CHECK(found->prefix == "mycorp-pat-");
  CHECK(found->versioned);
  CHECK(found->version == "01");
}

TEST_CASE("routing payload is decoded (versioned and unversioned)") {
  for (const char* version : {"01", "none"}) {
    const std::string tok = test::routable(9, kPrefix, version, "c=1,o=2,u=iwbh4");
    const auto found = find_routable_ending_at(tok, tok.size());
    REQUIRE(found.has_value());
    CHECK(found->versioned == (std::string(version) == "01"));
    REQUIRE(found->routing.size() == 3);
    CHECK(found->routing[0] == std::pair<std::string, std::string>{"cell", "1"});
    CHECK(found->routing[1] == std::pair<std::string, std::string>{"organization", "2"});
    CHECK(found->routing[2].first == "user");
    CHECK(found->routing[2].second == std::to_string(from_base36("iwbh4").value()));
  }
}

TEST_CASE("a corrupted checksum is rejected, as is a truncated token") {
  const std::string bad = test::routable(3, kPrefix, "01", "o=1", /*bad_crc=*/true);
  CHECK_FALSE(routable_crc_valid(bad));
  const std::string good = test::routable(3, kPrefix, "01", "o=1");
  CHECK(routable_crc_valid(good));
  CHECK_FALSE(find_routable_ending_at(good, good.size() - 1).has_value());
  CHECK_FALSE(find_routable_ending_at(good.substr(0, 20), 20).has_value());
  CHECK_FALSE(find_routable_ending_at("", 0).has_value());
  CHECK_FALSE(find_routable_ending_at("x", 5).has_value());
}

TEST_CASE("min_start bounds the look-back") {
  const std::string tok = test::routable(4);
  const std::string text = "xxxx" + tok;
  CHECK(find_routable_ending_at(text, text.size(), 4).has_value());
  // The prefix may not reach before min_start, and without its full prefix the CRC fails.
  CHECK_FALSE(find_routable_ending_at(text, text.size(), 6).has_value());
}
