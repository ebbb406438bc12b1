#pragma once
// Turns a LocatedMatch into a Finding (rule metadata, secret hash, redaction). Sources fill
// in provenance (path, commit, blob id) afterwards.
#include "findings/finding.h"
#include "matcher/matcher.h"

namespace glpatrol {

Finding make_finding(const RuleDb& db, const LocatedMatch& m);

/// The non-secret kind prefix of a token (glpat-, inst-glpat-, glrt-t1_, GR1348941...),
/// or "" when none is known. Used to keep redacted output recognisable.
std::string token_kind_prefix(std::string_view secret);

}  // namespace glpatrol
