// sources/git/ref_updates: the hook stdin parser (pre-receive and pre-push formats).
// Fuzzed against a reference implementation by fuzz/fuzz_ref_updates.cc.
#include <doctest/doctest.h>

#include "sources/git/ref_updates.h"

using namespace glpatrol;

namespace {
const std::string A(40, 'a'), B(40, 'b'), Z(40, '0'), C64(64, 'c');
}  // namespace

TEST_CASE("pre-receive lines: old new ref; deletions and creations") {
  auto r = parse_ref_updates(A + " " + B + " refs/heads/main\n" + Z + " " + B + " refs/heads/new\n" + A +
                                 " " + Z + " refs/heads/gone\n\n",
                             false);
  REQUIRE(r);
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].ref == "refs/heads/main");
  CHECK_FALSE((*r)[0].is_deletion());
  CHECK_FALSE((*r)[0].is_creation());
  CHECK((*r)[1].is_creation());
  CHECK((*r)[2].is_deletion());
  CHECK(parse_ref_updates("", false)->empty());
  CHECK(parse_ref_updates("\n \t\n", false)->empty());
}

TEST_CASE("pre-receive lines: tabs, CRLF, no final newline, SHA-256 ids") {
  auto r = parse_ref_updates(A + "\t" + B + "  refs/heads/x\r\n" + C64 + " " + C64 + " refs/tags/v1", false);
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].ref == "refs/heads/x");  // the '\r' is not part of the ref
  CHECK((*r)[1].old_id == C64);
  CHECK((*r)[1].ref == "refs/tags/v1");
}

TEST_CASE("malformed hook input is an error naming the line, never a partial list") {
  const auto bad = [](const std::string& text) {
    auto r = parse_ref_updates(text, false);
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK(bad("garbage\n").find("line 1") != std::string::npos);
  CHECK(bad(A + " " + B + " refs/heads/ok\n" + A + " HEAD refs/heads/x\n").find("line 2") !=
        std::string::npos);
  bad(A + " " + B + "\n");                                  // two fields
  bad(A + " " + B + " refs/heads/x extra\n");               // four fields
  bad(std::string(40, 'A') + " " + B + " refs/heads/x\n");  // uppercase hex
  bad(A.substr(1) + " " + B + " refs/heads/x\n");           // 39 digits
  bad(A + " " + C64 + " refs/heads/x\n");                   // SHA-1 next to SHA-256
  bad(A + " " + B + '\0' + " refs/heads/x\n");              // NUL inside an id
}

TEST_CASE("more than kMaxRefUpdates updates is refused, not truncated") {
  std::string line = A + " " + B + " refs/heads/x\n", text;
  text.reserve(line.size() * (kMaxRefUpdates + 1));
  for (std::size_t i = 0; i < kMaxRefUpdates; ++i) text += line;
  CHECK(parse_ref_updates(text, false)->size() == kMaxRefUpdates);
  text += line;
  CHECK_FALSE(parse_ref_updates(text, false));
}

TEST_CASE("pre-push lines map to old = remote oid, new = local oid") {
  auto r = parse_ref_updates("refs/heads/main " + B + " refs/heads/main " + A + "\n", true);
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].old_id == A);
  CHECK((*r)[0].new_id == B);
  CHECK((*r)[0].ref == "refs/heads/main");
  CHECK_FALSE(parse_ref_updates(A + " " + B + " refs/heads/main\n", true));
}

TEST_CASE("is_hex_object_id: full lowercase SHA-1 or SHA-256 only") {
  CHECK(is_hex_object_id(A));
  CHECK(is_hex_object_id(C64));
  CHECK_FALSE(is_hex_object_id(""));
  CHECK_FALSE(is_hex_object_id(std::string(41, 'a')));
  CHECK_FALSE(is_hex_object_id(std::string(40, 'g')));
}
