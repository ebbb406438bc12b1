// Configuration files: what a trusted --config may do, what a repository's own
// .glpatrol.toml may not, and clear errors.
#include <doctest/doctest.h>

#include "config/config.h"

using namespace glpatrol;

TEST_CASE("config: prefixes, excludes, size, rules") {
  Config c;
  const std::string text = R"(
[gitlab]
pat_prefixes = ["corp-"]
instance_prefixes = "abc"
[scan]
exclude = ["vendor/*", "*.min.js"]
max_file_size = "50M"
[[rules]]
id = "corp.api_key"
name = "Corp API key"
description = "An internal key."
severity = "high"
pattern = 'corpkey_[0-9a-f]{32}'
examples = ["corpkey_{{hex:32}}"]
)";
  auto s = parse_config(text, "cfg.toml", ConfigTrust::Operator, c);
  REQUIRE_MESSAGE(s.has_value(), (s.has_value() ? "" : s.error().message));
  CHECK(c.files == std::vector<std::string>{"cfg.toml"});
  CHECK(c.pat_prefixes == std::vector<std::string>{"corp-"});
  CHECK(c.instance_prefixes == std::vector<std::string>{"abc"});
  CHECK(c.excludes.size() == 2);
  REQUIRE(c.max_file_size.has_value());
  CHECK(*c.max_file_size == "50M");
  REQUIRE(c.rules.size() == 1);
  CHECK(c.rules[0].id == "corp.api_key");
  CHECK(c.rules[0].origin == "cfg.toml");
  CHECK(!c.rules[0].builtin);
  CHECK(c.notices.empty());
}

TEST_CASE("config: a repository's configuration cannot disable rules or choose verify hosts") {
  const std::string text = R"(
[gitlab]
verify_hosts = ["https://attacker.example"]
[scan]
disable_rules = ["gitlab.pat"]
exclude = ["docs/*"]
)";
  Config repo;
  REQUIRE(parse_config(text, "repo/.glpatrol.toml", ConfigTrust::Tree, repo).has_value());
  CHECK(repo.disable_rules.empty());
  CHECK(repo.verify_hosts.empty());
  CHECK(repo.excludes == std::vector<std::string>{"docs/*"});  // adding is allowed
  REQUIRE(repo.notices.size() == 2);
  CHECK(repo.notices[0].find("refused") != std::string::npos);
  CHECK(repo.notices[1].find("disable_rules") != std::string::npos);
  CHECK(repo.notices[1].find("gitlab.pat") != std::string::npos);

  Config trusted;
  REQUIRE(parse_config(text, "ops.toml", ConfigTrust::Operator, trusted).has_value());
  CHECK(trusted.disable_rules == std::vector<std::string>{"gitlab.pat"});
  CHECK(trusted.verify_hosts.size() == 1);
  CHECK(trusted.notices.empty());
}

TEST_CASE("config: errors name the file and the key") {
  Config c;
  auto unknown = parse_config("[scan]\nexclud = [\"x\"]\n", "c.toml", ConfigTrust::Operator, c);
  REQUIRE(!unknown.has_value());
  CHECK(unknown.error().message.find("c.toml") != std::string::npos);
  CHECK(unknown.error().message.find("exclud") != std::string::npos);
  CHECK(!parse_config("title = \"x\"\n", "c.toml", ConfigTrust::Operator, c).has_value());
  CHECK(!parse_config("[scan\n", "c.toml", ConfigTrust::Operator, c).has_value());
  CHECK(!parse_config("[scan]\nexclude = 3\n", "c.toml", ConfigTrust::Operator, c).has_value());
  CHECK(!parse_config("[scan]\nmax_file_size = -1\n", "c.toml", ConfigTrust::Operator, c).has_value());
  CHECK(!parse_config("[[rules]]\nid = \"x\"\nbogus = 1\n", "c.toml", ConfigTrust::Operator, c).has_value());
  CHECK(!load_config_file("/nonexistent/.glpatrol.toml", ConfigTrust::Operator, c).has_value());
  // Deep nesting and junk are bounded errors, not crashes.
  CHECK(!parse_config(std::string(5000, '['), "c.toml", ConfigTrust::Operator, c).has_value());
  CHECK(!parse_config(std::string("\xff\xfe garbage"), "c.toml", ConfigTrust::Operator, c).has_value());
}
