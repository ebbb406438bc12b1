#pragma once
// Example templates -> concrete strings. Rule examples are generated at check time so no
// token-shaped literal is ever committed (the project scans itself). Deterministic per seed.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace glpatrol {

struct ExpandedExample {
  std::string text;        ///< the full example text
  std::size_t span_begin;  ///< the span that must be reported (markers << >> removed)
  std::size_t span_end;
};

/// Expands {{...}} generators and the << >> span markers. See rules/gitlab.toml.
Result<ExpandedExample> expand_example(std::string_view tmpl, std::uint64_t seed);

/// Builds a routable token. `version` is "01" or "none"; `routing` like "o=1,u=2a" (values
/// base36, keys sorted as GitLab does). When `corrupt_crc` is set the checksum is wrong.
Result<std::string> make_routable_token(std::string_view prefix, std::string_view version,
                                        std::string_view routing, std::uint64_t seed,
                                        bool corrupt_crc = false);

/// Random characters from a named alphabet: devise, b64, hex, alnum, b36.
Result<std::string> random_token_chars(std::string_view alphabet, std::size_t n, std::uint64_t seed);

}  // namespace glpatrol
