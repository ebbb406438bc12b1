#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>

#include "matcher/load_rules.h"
#include "matcher/matcher.h"
#include "matcher/rule_check.h"
#include "support/builtin_db.h"
#include "support/tokens.h"

using namespace glpatrol;

namespace {

std::vector<LocatedMatch> scan(const std::string& text, const RuleDb& db = test::builtin_db()) {
  auto m = Matcher::create(db);
  REQUIRE(m.has_value());
  std::vector<LocatedMatch> out;
  REQUIRE(m->scan(text, out).has_value());
  return out;
}

std::vector<LocatedMatch> scan_streamed(const std::string& text, std::size_t chunk, std::size_t read_size) {
  auto m = Matcher::create(test::builtin_db());
  REQUIRE(m.has_value());
  std::vector<LocatedMatch> out;
  std::size_t pos = 0;
  auto r = m->scan_stream(
      [&](char* buf, std::size_t cap) -> long {
        const std::size_t n = std::min({cap, read_size, text.size() - pos});
        std::copy_n(text.data() + pos, n, buf);
        pos += n;
        return static_cast<long>(n);
      },
      out, chunk);
  REQUIRE(r.has_value());
  CHECK(*r == text.size());
  return out;
}

std::string rule_of(const LocatedMatch& m) { return test::builtin_db().rule(m.match.rule).id; }

}  // namespace

TEST_CASE("the built-in rules load precompiled, with decoding hints and without (--no-decode)") {
  // Start-up matters for pre-commit hooks: compiling the database costs ~0.1-0.3 s, so both
  // built-in variants are embedded at build time. Custom prefixes still compile.
  RuleSources with;
  auto db = load_rule_db(with, nullptr);
  REQUIRE(db.has_value());
  CHECK(db->used_prebuilt());
  RuleSources without;
  without.hints.enabled = false;
  auto plain = load_rule_db(without, nullptr);
  REQUIRE(plain.has_value());
  CHECK(plain->used_prebuilt());
  CHECK(plain->rules().size() == db->rules().size());
  RuleSources custom;
  custom.prefixes.pat_prefixes = {"corp-"};
  auto compiled = load_rule_db(custom, nullptr);
  REQUIRE(compiled.has_value());
  CHECK_FALSE(compiled->used_prebuilt());
}

TEST_CASE("every built-in rule's examples and negative examples hold in the real database") {
  const RuleCheckResult res = check_rules(test::builtin_db());
  for (const auto& p : res.problems) FAIL_CHECK(p.rule_id << ": " << p.message);
  CHECK(res.ok());
  CHECK(res.rules == test::builtin_db().rules().size());
  CHECK(res.examples >= res.rules);
}

TEST_CASE("a legacy PAT is found with exact span, line and column") {
  const std::string tok = test::legacy_pat(11);
  const auto found = scan("a\nb = \"" + tok + "\"\n");
  REQUIRE(found.size() == 1);
  CHECK(rule_of(found[0]) == "gitlab.pat");
  CHECK(found[0].secret == tok);
  CHECK(found[0].line == 2);
  CHECK(found[0].column == 6);
  CHECK(found[0].end_column == 6 + tok.size());
  CHECK(found[0].match.checksum == Checksum::Absent);
}

TEST_CASE("a routable PAT is reported whole, once, never as its first 20 characters") {
  const std::string tok = test::routable(12);
  const auto found = scan("TOKEN=" + tok);
  REQUIRE(found.size() == 1);
  CHECK(rule_of(found[0]) == "gitlab.pat.routable");
  CHECK(found[0].secret == tok);
  CHECK(found[0].match.checksum == Checksum::Valid);
  const auto unversioned = scan(test::routable(13, test::pat_prefix(), "none"));
  REQUIRE(unversioned.size() == 1);
  CHECK(rule_of(unversioned[0]) == "gitlab.pat.routable_unversioned");
}

TEST_CASE("a routable shape with a failing checksum is not a token") {
  CHECK(scan(test::routable(14, test::pat_prefix(), "01", "o=1", true)).empty());
}

TEST_CASE("runner tokens keep their tail") {
  const std::string tok = std::string("gl") + "rt-t1_" + random_token_chars("devise", 20, 3).value();
  const auto found = scan(tok + ";");
  REQUIRE(found.size() == 1);
  CHECK(rule_of(found[0]) == "gitlab.runner_auth");
  CHECK(found[0].secret == tok);
}

TEST_CASE("custom PAT prefixes and instance prefixes of self-managed instances") {
  RuleSet set;
  set.rules = builtin_rules();
  set.prefixes.pat_prefixes = {"acme-"};
  set.prefixes.instance_prefixes = {"corp"};
  auto db = RuleDb::build(std::move(set));
  REQUIRE(db.has_value());
  const std::string body = random_token_chars("devise", 20, 21).value();
  auto found = scan("x acme-" + body + " y", *db);
  REQUIRE(found.size() == 1);
  CHECK(found[0].secret == "acme-" + body);
  CHECK(db->rule(found[0].match.rule).id == "gitlab.pat");
  // Instance prefix: the whole token is reported, prefix included.
  found = scan("corp-" + test::pat_prefix() + body, *db);
  REQUIRE(found.size() == 1);
  CHECK(found[0].secret == "corp-" + test::pat_prefix() + body);
  const std::string dt = "corp-" + std::string("gl") + "dt-" + body;
  found = scan(dt, *db);
  REQUIRE(found.size() == 1);
  CHECK(found[0].secret == dt);
  // Without configuration a custom legacy prefix is not detected (documented).
  CHECK(scan("acme-" + body).empty());
  // A routable token with the instance prefix validates by CRC and keeps its prefix.
  const std::string rt = test::routable(22, "corp-" + test::pat_prefix());
  found = scan(rt, *db);
  REQUIRE(found.size() == 1);
  CHECK(found[0].secret == rt);
  CHECK(db->rule(found[0].match.rule).id == "gitlab.pat.routable");
}

TEST_CASE("routable tokens with unknown prefixes are found by checksum") {
  const std::string rt = test::routable(23, "selfhosted-");
  const auto found = scan("value: " + rt + "\n");
  REQUIRE(found.size() == 1);
  CHECK(rule_of(found[0]) == "gitlab.routable.unknown_prefix");
  CHECK(found[0].secret == rt);
}

TEST_CASE("the longest routable payload with a 20-byte unknown prefix is found whole") {
  const std::string routing = "o=" + std::string(155, 'z');  // 157-byte payload (limit 159)
  const std::string rt = test::routable(24, "abcdefghij-klmnopqr-", "01", routing);
  const auto found = scan("k=" + rt + "\n");
  REQUIRE(found.size() == 1);
  CHECK(found[0].secret == rt);
  CHECK(rule_of(found[0]) == "gitlab.routable.unknown_prefix");
  // The same through the streaming path with small windows.
  std::string big(300000, 'x');
  big += " " + rt + " ";
  const auto streamed = scan_streamed(big, 65536, 4093);
  REQUIRE(streamed.size() == 1);
  CHECK(streamed[0].secret == rt);
}

TEST_CASE("placeholders are not findings") {
  const std::string p = test::pat_prefix();
  for (const std::string& s :
       {p + "xxxxxxxxxxxxxxxxxxxx", p + "XXXXXXXXXXXXXXXXXXXX", p + "aaaaaaaaaaaaaaaaaaaa",
        p + "abcdefghijklmnopqrst", p + "<your_token_here>", p + "${GITLAB_TOKEN}",
        p + "0000000000000000000x", p + "your_token_goes_here"}) {
    CAPTURE(s);
    CHECK(scan(s).empty());
  }
}

TEST_CASE("line and column with CRLF, lone CR and UTF-8") {
  const std::string tok = test::legacy_pat(31);
  auto found = scan("a\r\nb\r\n\xc3\xa9t=" + tok);
  REQUIRE(found.size() == 1);
  CHECK(found[0].line == 3);
  CHECK(found[0].column == 4);  // é counts as one column
  found = scan("a\rb\r" + tok);
  REQUIRE(found.size() == 1);
  CHECK(found[0].line == 3);
  CHECK(found[0].column == 1);
  found = scan(tok);
  REQUIRE(found.size() == 1);
  CHECK(found[0].line == 1);
  CHECK(found[0].column == 1);
}

TEST_CASE("binary bytes and NULs around a token") {
  const std::string tok = test::legacy_pat(41);
  std::string blob(300, '\0');
  blob += tok;
  blob += std::string("\xff\xfe\x00", 3);
  const auto found = scan(blob);
  REQUIRE(found.size() == 1);
  CHECK(found[0].secret == tok);
}

TEST_CASE("streaming finds tokens straddling every chunk boundary") {
  const std::string a = test::legacy_pat(51), b = test::routable(52);
  const std::size_t chunk = 64 * 1024;
  // Place tokens across the first chunk boundaries at every small offset, in a whitespace-free run.
  for (std::size_t delta : {1u, 5u, 13u, 25u, 40u}) {
    std::string text(chunk * 3, 'Q');
    const std::size_t at = chunk - delta;
    text.replace(at, a.size(), a);
    text[at - 1] = '=';
    text[at + a.size()] = ';';
    const std::size_t at2 = 2 * chunk + 700 - delta;
    text.replace(at2, b.size(), b);
    text[at2 - 1] = ' ';
    text[at2 + b.size()] = ' ';
    for (std::size_t read_size : {7u, 4096u, 1u << 20}) {
      CAPTURE(delta);
      CAPTURE(read_size);
      const auto streamed = scan_streamed(text, chunk, read_size);
      const auto whole = scan(text);
      REQUIRE(streamed.size() == 2);
      REQUIRE(whole.size() == 2);
      for (std::size_t i = 0; i < 2; ++i) {
        CHECK(streamed[i].secret == whole[i].secret);
        CHECK(streamed[i].match.start == whole[i].match.start);
        CHECK(streamed[i].line == whole[i].line);
        CHECK(streamed[i].column == whole[i].column);
      }
      CHECK(streamed[0].secret == a);
      CHECK(streamed[1].secret == b);
    }
  }
}

TEST_CASE("streamed line counting across chunks with CRLF split at a boundary") {
  const std::size_t chunk = 64 * 1024;
  std::string text;
  while (text.size() < chunk * 2 + 10) text += "line\r\n";
  const std::size_t lines_before = text.size() / 6;
  const std::string tok = test::legacy_pat(61);
  text += tok;
  const auto found = scan_streamed(text, chunk, 999);
  REQUIRE(found.size() == 1);
  CHECK(found[0].line == lines_before + 1);
  CHECK(found[0].column == 1);
}

TEST_CASE("inline allow markers are reported") {
  const std::string tok = test::legacy_pat(71);
  auto found = scan("x = '" + tok + "'  # glpatrol:allow test fixture\n");
  REQUIRE(found.size() == 1);
  CHECK(found[0].inline_allow == InlineAllow::Glpatrol);
  found = scan("x = '" + tok + "'  # gitleaks:allow\n");
  REQUIRE(found.size() == 1);
  CHECK(found[0].inline_allow == InlineAllow::Gitleaks);
  found = scan("# glpatrol:allow\nx = '" + tok + "'\n");
  REQUIRE(found.size() == 1);
  CHECK(found[0].inline_allow == InlineAllow::None);  // the marker must be on the token's line
}

TEST_CASE("many tokens in one blob") {
  std::string text;
  for (int i = 0; i < 500; ++i) text += test::legacy_pat(1000U + static_cast<std::uint64_t>(i)) + "\n";
  const auto found = scan(text);
  CHECK(found.size() == 500);
  CHECK(found.back().line == 500);
}

TEST_CASE("a JWT job token is confirmed by its header and keeps iss") {
  const auto ex = expand_example("glcbt-{{jwt:gitlab.example.org}}", 5).value();
  const auto found = scan("Bearer " + ex.text + " x");
  REQUIRE(found.size() == 1);
  CHECK(rule_of(found[0]) == "gitlab.job_token.jwt");
  bool has_iss = false;
  for (const auto& [k, v] : found[0].match.attributes) has_iss |= k == "jwt.iss" && v == "gitlab.example.org";
  CHECK(has_iss);
}

TEST_CASE("a rule from a file never swallows a built-in finding (issue 11 #11)") {
  // A repository's rule whose span is longer than a built-in token's and covers it.
  auto extra = parse_rules_toml(R"([[rules]]
id = "repo.swallow"
name = "Swallow"
description = "A longer span around any PAT"
severity = "info"
pattern = 'KEY=gl[a-z]+-[0-9A-Za-z_-]{20}'
examples = ["KEY=glxyz-{{devise:20}}"]
)",
                                "repo.toml");
  REQUIRE(extra.has_value());
  RuleSet set;
  set.rules = builtin_rules();
  for (auto& r : *extra) set.rules.push_back(r);
  auto db = RuleDb::build(std::move(set));
  REQUIRE(db.has_value());
  const std::string tok = test::legacy_pat(31);
  auto found = scan("KEY=" + tok + "\n", *db);
  REQUIRE(found.size() == 1);
  CHECK(db->rule(found[0].match.rule).id == "gitlab.pat");
  CHECK(found[0].secret == tok);
  // Where no built-in matches, the file's rule still reports.
  const std::string other = "KEY=glxyz-" + random_token_chars("devise", 20, 32).value();
  found = scan(other + "\n", *db);
  REQUIRE(found.size() == 1);
  CHECK(db->rule(found[0].match.rule).id == "repo.swallow");
}

TEST_CASE("placeholder words count in the token body, not in an operator's prefix (issue 11 #16)") {
  RuleSet set;
  set.rules = builtin_rules();
  set.prefixes.instance_prefixes = {"example"};
  set.prefixes.pat_prefixes = {"sample-"};
  auto db = RuleDb::build(std::move(set));
  REQUIRE(db.has_value());
  const std::string body = random_token_chars("devise", 20, 33).value();
  for (const std::string& tok :
       {"example-" + test::pat_prefix() + body, "sample-" + body, "example-sample-" + body,
        test::routable(34, "example-" + test::pat_prefix())}) {
    auto found = scan(tok, *db);
    REQUIRE_MESSAGE(found.size() == 1, tok);
    CHECK(found[0].secret == tok);
  }
  // The body itself still decides.
  CHECK(scan("example-" + test::pat_prefix() + "yourtokenyourtoken12", *db).empty());
}
