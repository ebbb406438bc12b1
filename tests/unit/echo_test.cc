// common/echo.h: what glpatrol repeats of the operator's values never carries a token, and
// repository bytes on the terminal are escaped (issue 11, items 15 and 18).
#include <doctest/doctest.h>

#include <string>

#include "common/echo.h"

using namespace glpatrol;

namespace {
// Token-shaped values are assembled at run time: no token literal in the source.
std::string body(std::size_t n) {
  std::string s;
  const std::string alphabet = "aB3dE5gH7jK9mN2pQ4sT6vW8yZ";
  for (std::size_t i = 0; i < n; ++i) s += alphabet[(i * 7) % alphabet.size()];
  return s;
}
const std::string kPat = std::string("gl") + "pat-" + body(20);
}  // namespace

TEST_CASE("I11-15 token-shaped words are found and redacted, ordinary values are not") {
  CHECK(contains_token_shaped(kPat));
  CHECK(contains_token_shaped("https://" + kPat + ".example.com"));
  CHECK(contains_token_shaped("http://127.0.0.1:8080/" + kPat));
  CHECK(contains_token_shaped(std::string("GR1348941") + body(20)));
  CHECK(contains_token_shaped("inst-" + body(24)));  // custom prefix: a mixed-case run
  CHECK_FALSE(contains_token_shaped("https://gitlab.example.com/api/v4"));
  CHECK_FALSE(contains_token_shaped("https://gitlab-ce-mirror-europe-west1.internal.example.org"));
  CHECK_FALSE(contains_token_shaped("/home/ci/builds/group/project/src/main.cc"));
  CHECK_FALSE(contains_token_shaped("glpat-short"));

  const std::string r = redact_token_shaped("--gitlab-url https://" + kPat + ".example.com: bad");
  CHECK(r == "--gitlab-url https://glpat-****.example.com: bad");
  CHECK(redact_token_shaped("nothing to hide") == "nothing to hide");
  CHECK(redact_token_shaped(kPat + " " + kPat) == "glpat-**** glpat-****");
}

TEST_CASE("I11-18 terminal messages escape control bytes after redaction") {
  const std::string m = terminal_message("extension '\x1b[2J' runs past the end; " + kPat);
  CHECK(m.find('\x1b') == std::string::npos);
  CHECK(m.find("\\x1b") != std::string::npos);
  CHECK(m.find(kPat) == std::string::npos);
}
