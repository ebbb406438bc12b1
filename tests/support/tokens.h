#pragma once
// Run-time token generation for unit tests: no token-shaped literal in test sources (the
// project scans itself). Prefixes are assembled from pieces for the same reason.
#include <cstdint>
#include <string>

#include "rules/examples.h"

namespace glpatrol::test {

inline std::string pat_prefix() { return std::string("gl") + "pat-"; }

/// A random 20-character legacy PAT body (Devise alphabet) with its prefix.
inline std::string legacy_pat(std::uint64_t seed = 1) {
  return pat_prefix() + random_token_chars("devise", 20, seed).value();
}

inline std::string routable(std::uint64_t seed = 1, const std::string& prefix = pat_prefix(),
                            const std::string& version = "01", const std::string& routing = "o=1,u=2a",
                            bool bad_crc = false) {
  return make_routable_token(prefix, version, routing, seed, bad_crc).value();
}

}  // namespace glpatrol::test
