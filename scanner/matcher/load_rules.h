#pragma once
// The rule set a scan runs: the built-in rules (minus those a trusted configuration disabled),
// rule files (--rules), rules from configuration files, and the prefix settings; compiled into
// a RuleDb. Built-in rules can never be replaced: an id collision is an error, and rules from
// configuration must prove themselves with their examples (a rule that matches nothing would
// be a silent hole).
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "matcher/rule_db.h"

namespace glpatrol {

struct RuleSources {
  std::vector<std::string> disable_rules;  ///< built-in ids, from a trusted --config only
  std::vector<std::string> rule_files;     ///< --rules FILE
  std::vector<Rule> config_rules;          ///< [[rules]] of configuration files
  PrefixSettings prefixes;
  HintSelection hints;  ///< encoded prefixes the decoding stage looks for
};

/// Loads and compiles. `loaded_files` receives the rule files read.
Result<RuleDb> load_rule_db(const RuleSources& sources, std::vector<std::string>* loaded_files);

/// The built-in rules' Hyperscan databases serialized at build time (see RuleDb::build): the
/// rules' and the default decoding hints'. Each is used only when its key matches the patterns
/// being compiled (a --no-decode scan takes the rules' alone); anything else compiles at
/// start-up.
std::string_view builtin_database();

}  // namespace glpatrol
