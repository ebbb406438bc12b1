#pragma once
// Configuration files (docs/configuration.md): `.glpatrol.toml` in the scanned root, or
// `--config FILE`.
//
//   [gitlab]
//   pat_prefixes = ["corp-"]          # custom PAT prefixes of a self-managed GitLab
//   instance_prefixes = ["abc"]       # instance token prefix (without the '-')
//   verify_hosts = ["https://gitlab.example.com"]   # trusted configuration only
//   [scan]
//   exclude = ["vendor/*", "*.min.js"]
//   max_file_size = "50M"
//   disable_rules = ["gitlab.feed_token"]           # trusted configuration only
//   [[rules]]                         # extra rules, same format as rules/gitlab.toml;
//   id = "corp.token"                 # every rule must prove itself with examples
//   ...
//
// Trust: a file named with --config is chosen by the operator (trusted). A file found inside
// the scanned tree is controlled by whoever can commit there, so it may only ADD (rules,
// prefixes, excludes, a file size limit); it can never disable built-in rules or choose
// verification hosts. Such settings are refused with a message, never silently applied.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "rules/rule.h"

namespace glpatrol {

inline constexpr std::string_view kRepoConfigName = ".glpatrol.toml";

/// Who wrote a configuration file, which decides what it may change.
enum class ConfigTrust {
  Operator,       ///< --config: anything
  Tree,           ///< found in the scanned tree: may add rules, prefixes, excludes, a size limit
  UntrustedTree,  ///< in the scanned tree of a CI job or server hook: may only add rules and
                  ///< prefixes (the change being scanned must not narrow its own scan)
};

struct Config {
  std::vector<std::string> files;  ///< files loaded, in order
  std::vector<Rule> rules;         ///< extra rules (origin = file)
  std::vector<std::string> pat_prefixes;
  std::vector<std::string> instance_prefixes;
  std::vector<std::string> excludes;
  std::optional<std::string> max_file_size;  ///< as written ("50M"); parsed by the driver
  std::string max_file_size_origin;
  std::vector<std::string> disable_rules;  ///< trusted files only
  std::vector<std::string> verify_hosts;   ///< trusted files only
  std::vector<std::string> notices;        ///< refused settings and other messages
};

/// Parses one configuration file's text into `into` (merging: lists append, the first
/// max_file_size wins). Unknown keys and wrong types are errors naming file and key.
Status parse_config(std::string_view text, const std::string& origin, ConfigTrust trust, Config& into);
/// Reads (size-bounded) and parses one file.
Status load_config_file(const std::string& path, ConfigTrust trust, Config& into);

}  // namespace glpatrol
