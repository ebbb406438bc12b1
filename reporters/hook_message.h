#pragma once
// The message a developer sees when a git hook blocked a commit or push: what was found
// (redacted), where, and what to do, in GitLab's order — revoke the token (each kind's
// revocation path comes from its rule's `revoke` field in rules/gitlab.toml), remove it from
// the change, or mark a false positive. Only unsuppressed findings are listed.
#include <cstddef>
#include <string>
#include <vector>

#include "findings/finding.h"

namespace glpatrol {

struct HookMessageOptions {
  std::string context;     ///< "commit" (pre-commit), "commit-msg" or "push" (pre-push, pre-receive)
  bool server = false;     ///< pre-receive: prefix "GL-HOOK-ERR: ", server-side advice
  std::string gitlab_url;  ///< where to revoke (default https://gitlab.com)
  std::size_t max_listed = 20;
};

/// How to revoke a token of rule `rule_id`: the rule's `revoke` text with "{base}" replaced
/// by `base` (the instance URL), or a generic sentence for a rule without one.
std::string revoke_advice(const std::vector<Rule>& rules, const std::string& rule_id,
                          const std::string& base);

/// "" when there is no unsuppressed finding. `rules`: the scan's rules (revocation advice).
std::string hook_message(const std::vector<Finding>& findings, const std::vector<Rule>& rules,
                         const HookMessageOptions& o);

/// How to revoke a token of rule `rule_id`: the rule's `revoke` text with "{base}" replaced by
/// the GitLab URL, or a generic sentence when the rule has none.
std::string revoke_advice(const std::vector<Rule>& rules, const std::string& rule_id,
                          const std::string& base);

}  // namespace glpatrol
