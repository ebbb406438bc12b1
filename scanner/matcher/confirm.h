#pragma once
// Exact confirmation of a prefilter hit, one function per rule ConfirmKind (rules/rule.h).
// Each takes the buffer, the hit's end offset and the look-back window start, and fills a
// Match when the bytes really are a token of that rule. Pure functions of their inputs, so
// the per-thread Matcher only supplies its PCRE2 match data.
#include <cstddef>
#include <string_view>

#include "matcher/hs_handles.h"
#include "matcher/matcher.h"
#include "rules/rule.h"

namespace glpatrol::confirm {

/// ConfirmKind::Routable: a GitLab routable token ending at `end`, located by its CRC-32 over
/// the exact prefix; the prefix must be one the rule's routable_kind allows.
bool routable(std::string_view buf, const Rule& rule, const PrefixSettings& prefixes, std::size_t end,
              std::size_t window, Match& m);

/// ConfirmKind::Regex: right boundary, the end-anchored PCRE2 program (leftmost = longest
/// start within the window), left boundary, the secret_after split, placeholder, entropy and
/// character-class filters.
bool regex(std::string_view buf, const Rule& rule, const PrefixSettings& prefixes, const pcre2_code* re,
           pcre2_match_data* md, std::size_t end, std::size_t window, bool more_follows, Match& m);

/// ConfirmKind::Jwt: a regex match whose secret holds a JWT with a JSON header naming "alg";
/// the iss/sub/exp claims become attributes.
bool jwt(std::string_view buf, const Rule& rule, const PrefixSettings& prefixes, const pcre2_code* re,
         pcre2_match_data* md, std::size_t end, std::size_t window, bool more_follows, Match& m);

/// Placeholder and documentation values that are token-shaped but not tokens ("example",
/// x-filled, runs, ascending runs, too few distinct characters). Looks at the token's body
/// only: a configured prefix ("example-glpat-") must not make every token a placeholder.
/// Each test has a negligible chance (< 1e-6) of firing on a random GitLab token body.
bool is_placeholder(std::string_view body);

/// The secret without its kind prefix: the longest configured PAT/instance prefix or known
/// GitLab prefix it starts with.
std::string_view token_body(std::string_view secret, const PrefixSettings& prefixes);

}  // namespace glpatrol::confirm
