#include "matcher/load_rules.h"

#include <algorithm>

#include "common/read_file.h"
#include "matcher/rule_check.h"

extern const unsigned char glpatrol_builtin_hsdb[];
extern const std::size_t glpatrol_builtin_hsdb_size;

namespace glpatrol {

namespace {
constexpr std::uint64_t kMaxRuleFileBytes = 16u << 20;

Status add_rule(RuleSet& set, Rule r, const std::string& origin) {
  for (const auto& existing : set.rules)
    if (existing.id == r.id)
      return Error::config(origin + ": rule id '" + r.id + "' is already defined (" + existing.origin +
                           "); built-in rules cannot be replaced");
  set.rules.push_back(std::move(r));
  return Status::ok();
}
}  // namespace

std::string_view builtin_database() {
  return {reinterpret_cast<const char*>(glpatrol_builtin_hsdb), glpatrol_builtin_hsdb_size};
}

Result<RuleDb> load_rule_db(const RuleSources& sources, std::vector<std::string>* loaded_files) {
  RuleSet set;
  set.rules = builtin_rules();
  for (const auto& id : sources.disable_rules) {
    auto it = std::find_if(set.rules.begin(), set.rules.end(), [&](const Rule& r) { return r.id == id; });
    if (it == set.rules.end()) return Error::config("disable_rules: unknown rule id '" + id + "'");
    set.rules.erase(it);
  }
  for (const auto& path : sources.rule_files) {
    auto text = read_regular_file(path, kMaxRuleFileBytes, "rule file");
    if (!text) return Error::config(text.error().message);
    auto rules = parse_rules_toml(*text, path);
    if (!rules) return rules.error();
    for (auto& r : *rules)
      if (auto s = add_rule(set, std::move(r), path); !s) return s.error();
    if (loaded_files) loaded_files->push_back(path);
  }
  const std::size_t first_config_rule = set.rules.size();
  for (const auto& r : sources.config_rules)
    if (auto s = add_rule(set, r, r.origin); !s) return s.error();
  set.prefixes = sources.prefixes;
  auto db = RuleDb::build(std::move(set), builtin_database(), sources.hints);
  if (db && first_config_rule < db->rules().size()) {
    const RuleCheckResult check = check_rules(*db, first_config_rule);
    if (!check.ok()) {
      std::string msg = "configuration rules failed their examples:";
      for (const auto& p : check.problems) msg += "\n  " + p.rule_id + ": " + p.message;
      return Error::config(msg);
    }
  }
  return db;
}

}  // namespace glpatrol
