// One TOML entry point for the rule files and the configuration: parse errors become
// Error::config values ("origin:line: description") instead of exceptions. Include only from
// .cc files that link toml++ (glpatrol_rules, glpatrol_config).
#pragma once

#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "common/error.h"

namespace glpatrol {

inline Result<toml::table> parse_toml_document(std::string_view text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return Error::config(origin + ":" + std::to_string(e.source().begin.line) + ": " +
                         std::string(e.description()));
  }
}

}  // namespace glpatrol
