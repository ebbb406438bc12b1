#include <doctest/doctest.h>

#include <algorithm>

#include "matcher/rule_db.h"
#include "rules/examples.h"
#include "rules/rule.h"

using namespace glpatrol;

TEST_CASE("the embedded built-in rule file parses and covers every GitLab token kind") {
  const auto& rules = builtin_rules();
  std::vector<std::string> ids;
  for (const auto& r : rules) {
    ids.push_back(r.id);
    CHECK_FALSE(r.description.empty());
    CHECK_FALSE(r.references.empty());
    CHECK_FALSE(r.examples.empty());
    CHECK_FALSE(r.verify.empty());
    CHECK(r.builtin);
  }
  for (const char* id : {"gitlab.pat",
                         "gitlab.pat.routable",
                         "gitlab.pat.routable_unversioned",
                         "gitlab.routable.unknown_prefix",
                         "gitlab.runner_auth",
                         "gitlab.runner_auth.routable",
                         "gitlab.runner_registration",
                         "gitlab.oauth_app_secret",
                         "gitlab.deploy_token",
                         "gitlab.job_token",
                         "gitlab.job_token.jwt",
                         "gitlab.pipeline_trigger",
                         "gitlab.feed_token",
                         "gitlab.feed_token.path",
                         "gitlab.incoming_mail",
                         "gitlab.agent_token",
                         "gitlab.scim_token",
                         "gitlab.feature_flags_client",
                         "gitlab.workspace_token",
                         "gitlab.session_cookie"}) {
    CAPTURE(id);
    CHECK(std::find(ids.begin(), ids.end(), id) != ids.end());
  }
}

TEST_CASE("rule file errors name the problem") {
  auto r = parse_rules_toml("[[rules]]\nid = \"x\"\npattern = \"a\"\nbogus = 1\n", "f.toml");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("unknown rule key 'bogus'") != std::string::npos);
  r = parse_rules_toml("[[rules]]\nid = \"x\"\npattern = \"a\"\n[[rules]]\nid = \"x\"\npattern = \"b\"\n",
                       "f.toml");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("duplicate rule id") != std::string::npos);
  r = parse_rules_toml("[[rules]]\nid = \"x\"\npattern = \"a\"\nseverity = \"dire\"\n", "f.toml");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("unknown severity") != std::string::npos);
  r = parse_rules_toml("[[rules]]\nid = \"x\"\n", "f.toml");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("missing 'pattern'") != std::string::npos);
  // Found by fuzz_rules: an empty id parsed, leaving a rule no report or ignore entry can name.
  r = parse_rules_toml("[[rules]]\nid = \"\"\npattern = \"a\"\n", "f.toml");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("rule id is empty") != std::string::npos);
  r = parse_rules_toml("rules = [\n", "f.toml");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("f.toml:") == 0);
}

TEST_CASE("patterns Hyperscan or PCRE2 cannot take are rejected with the rule id") {
  RuleSet set;
  set.rules =
      parse_rules_toml("[[rules]]\nid = \"my.bad\"\npattern = '(a)\\1'\nexamples=['aa']\n", "f").value();
  auto db = RuleDb::build(set);
  REQUIRE_FALSE(db.has_value());
  CHECK(db.error().message.find("my.bad") != std::string::npos);
  set.rules = parse_rules_toml("[[rules]]\nid = \"my.empty\"\npattern = 'a*'\n", "f").value();
  db = RuleDb::build(set);
  REQUIRE_FALSE(db.has_value());
  CHECK(db.error().message.find("empty string") != std::string::npos);
}

TEST_CASE("prefix expansion and validation") {
  Rule r;
  r.pattern = "{PAT_PREFIX}[a-z]{3}|{I}gldt-";
  PrefixSettings p;
  CHECK(expand_pattern(r, p) == "(?:glpat\\-)[a-z]{3}|gldt-");
  p.pat_prefixes = {"my.pat-"};
  p.instance_prefixes = {"corp"};
  CHECK(expand_pattern(r, p) ==
        "(?:glpat\\-|my\\.pat\\-|corp\\-glpat\\-|corp\\-my\\.pat\\-)[a-z]{3}|(?:(?:corp)-)?gldt-");
  CHECK(validate_prefixes(p).has_value());
  p.instance_prefixes = {"gl"};
  CHECK_FALSE(validate_prefixes(p).has_value());
  p.instance_prefixes = {"has space"};
  CHECK_FALSE(validate_prefixes(p).has_value());
  p.instance_prefixes = {"a234567890123456789012"};
  CHECK_FALSE(validate_prefixes(p).has_value());
}

TEST_CASE("example templates are deterministic and mark spans") {
  auto a = expand_example("k=<<x{{hex:8}}>>;", 1).value();
  auto b = expand_example("k=<<x{{hex:8}}>>;", 1).value();
  CHECK(a.text == b.text);
  CHECK(a.span_begin == 2);
  CHECK(a.span_end == 11);
  CHECK(a.text.size() == 12);
  CHECK_FALSE(expand_example("{{nope:3}}", 1).has_value());
  CHECK_FALSE(expand_example("<<x", 1).has_value());
  CHECK_FALSE(expand_example("{{hex:8", 1).has_value());
}
