#pragma once
// The instance's token inventory as far as the operator's token may see it (docs/audit.md):
//   - personal (and impersonation) access tokens: GET /personal_access_tokens (an administrator:
//     every user's; anyone else: their own);
//   - group and project access tokens: GET /groups/:id/access_tokens, /projects/:id/access_tokens;
//   - group and project deploy tokens: GET /groups/:id/deploy_tokens, /projects/:id/deploy_tokens;
//   - each owner's state (blocked, deactivated, banned) and whether it is a bot: GET /users/:id.
// Only GETs; the token goes in the PRIVATE-TOKEN header to the operator-named host (gitlab::Api).
// What the token may not list (403/404) narrows the inventory and is said in `notes`, never an
// error: the audit reports what it could see.
#include <cstdint>
#include <string>
#include <vector>

#include "audit/audit_rules.h"
#include "common/error.h"
#include "sources/gitlab/api.h"

namespace glpatrol::audit {

struct InventoryOptions {
  std::vector<std::string> groups;  ///< --group PATH (subgroups and their projects included)
  bool all = false;                 ///< --all: every group and project the token can see
};

struct Inventory {
  std::vector<TokenRecord> tokens;  ///< every token listed, live or not (evaluate() skips the dead)
  std::vector<std::string> notes;   ///< how the inventory was narrowed, for the report's warnings
  bool admin = false;
  std::string username;  ///< whose token audited
  std::uint64_t groups = 0, projects = 0;
};

/// Reads the inventory. Errors only when the token itself is refused (GET /user) or the network
/// fails; everything else narrows the inventory and adds a note.
Result<Inventory> read_inventory(gitlab::Api& api, const InventoryOptions& o);

}  // namespace glpatrol::audit
