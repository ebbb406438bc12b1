#pragma once
// The audit rules: GitLab's guidance on access tokens (fewest scopes, always an expiry, rotate
// at least every 90 days, watch last use, revoke what is not needed) as lint rules over one
// inventory record. The rules are a data table (id, severity, description, remediation);
// evaluate() is a pure function of a record, the settings and "now" so that every boundary is
// unit-tested (tests/unit/audit_rules_test.cc). docs/audit.md documents each rule.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "findings/finding.h"
#include "rules/rule.h"

namespace glpatrol::audit {

struct AuditRule {
  std::string id;  ///< audit.no-expiry, ...
  std::string name;
  Severity severity;
  std::string description;
  std::string remediation;  ///< what GitLab recommends
};

/// The rule table, in report order.
const std::vector<AuditRule>& audit_rules();
/// The table as scan rules (Report::scan.rules, SARIF tool.driver.rules); `revoke` holds the
/// remediation.
std::vector<Rule> audit_rules_as_rules();

struct AuditSettings {
  int rotate_days = 90;   ///< --rotate-days
  int unused_days = 90;   ///< --unused-days
  int expiring_days = 7;  ///< audit.expiring window
  /// audit.broad-scope: scopes that are broad on any token...
  std::vector<std::string> broad_scopes{"api", "sudo", "admin_mode"};
  /// ...and scopes that are broad on a bot (project/group access tokens, service accounts).
  std::vector<std::string> bot_broad_scopes{"write_repository"};
};

/// One token of the inventory, as the API lists it.
struct TokenRecord {
  AuditSubject subject;
  bool revoked = false;
  std::optional<bool> active;   ///< the API's `active` where it has one
  bool bot = false;             ///< owned by a bot user (project/group access token, service account)
  std::string owner_state;      ///< active | blocked | deactivated | banned | ... ; "" unknown
  bool last_used_known = true;  ///< false for deploy tokens (the API has no last use)
};

/// Revoked and expired tokens are not audited.
bool is_live(const TokenRecord& t, std::chrono::system_clock::time_point now);

/// The ids of the rules `t` breaks (table order); empty for a revoked or expired token. Days
/// are compared strictly: a token created exactly rotate_days ago is not yet flagged.
std::vector<std::string> evaluate(const TokenRecord& t, const AuditSettings& s,
                                  std::chrono::system_clock::time_point now);

}  // namespace glpatrol::audit
