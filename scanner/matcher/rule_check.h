#pragma once
// `glpatrol rules check`: every rule's examples must be found by the real compiled database
// (Hyperscan prefilter + confirmation), reported exactly at the marked span and attributed to
// that rule; no negative example may produce a finding of that rule.
#include <string>
#include <vector>

#include "matcher/rule_db.h"

namespace glpatrol {

struct RuleCheckProblem {
  std::string rule_id;
  std::string message;  ///< never contains a generated token (only lengths and offsets)
};

struct RuleCheckResult {
  std::size_t rules = 0, examples = 0, negative_examples = 0;
  std::vector<RuleCheckProblem> problems;
  bool ok() const { return problems.empty(); }
};

/// Checks the rules of `db` whose index is in [first, db.rules().size()). A rule with no
/// examples is a problem (a rule that cannot prove itself is not accepted).
RuleCheckResult check_rules(const RuleDb& db, std::size_t first = 0);

}  // namespace glpatrol
