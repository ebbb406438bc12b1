#pragma once
// A finding: one confirmed token at one place. Plain data shared by the pipeline's later
// stages (suppression, verification) and the reporters. No Hyperscan/libgit2 types here.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "findings/provenance.h"
#include "rules/rule.h"

namespace glpatrol {

struct Suppression {
  std::string kind;  ///< ignore-file | inline | baseline
  std::string reason;
};

/// One group or project a live token can act on (verification reach).
struct ReachEntry {
  std::string path;                 ///< group full_path or project path_with_namespace
  std::optional<int> access_level;  ///< GitLab access level (10 guest .. 50 owner); null: unknown
};

/// What a live personal/project/group access token can reach (docs/verification.md "Reach").
/// Bounded: at most kMaxReachEntries of each list are kept; the totals count what was seen.
struct Reach {
  std::string method;  ///< associations (GET .../self/associations, 17.4+) | membership (fallback)
  std::vector<ReachEntry> groups, projects;
  std::uint64_t groups_total = 0, projects_total = 0;
  bool truncated = false;  ///< lists cut at the bound, or pages left unread (totals are then minimums)
  std::string note;        ///< why reach is partial, when it is
};
inline constexpr std::size_t kMaxReachEntries = 100;

/// "reaches 3 groups, 41 projects (maintainer on 12)" for the human views.
std::string reach_summary(const Reach& r);

/// Result of asking GitLab about a token (filled by the verifier stage).
struct Verification {
  std::string status;  ///< active|revoked|expired|invalid|unknown|unverifiable
  std::string reason;  ///< why unknown/unverifiable, or extra detail
  std::string host;
  std::string checked_at;
  std::optional<std::string> token_name;
  std::vector<std::string> scopes;
  std::optional<std::string> created_at;
  std::optional<std::string> expires_at;
  std::optional<std::string> last_used_at;
  std::optional<std::int64_t> user_id;
  std::optional<std::int64_t> token_id;  ///< the access token's id (personal_access_tokens/self)
  std::optional<std::string> username;
  std::optional<bool> is_admin;
  std::vector<std::string> risk_flags;  ///< no-expiry, over-max-lifetime, not-rotated, ...
  std::optional<Severity> severity_override;
  /// Fine-grained tokens answer `granular_scopes` instead of `scopes`: "permission (access[,
  /// project N|group N])" each. Non-empty means the token is fine-grained.
  std::vector<std::string> granular_scopes;
  std::optional<Reach> reach;  ///< live PAT-family tokens only
};

/// `glpatrol audit`: the inventory token a finding is about (docs/audit.md). The API never
/// returns a token value, and none is ever stored here.
struct AuditSubject {
  std::string
      type;  ///< personal | impersonation | project_access | group_access | project_deploy | group_deploy
  std::int64_t id = 0;
  std::string name;
  std::string owner;     ///< username of the owner (the bot for project/group tokens), or the group/project
  std::string resource;  ///< the group or project path of a resource/deploy token; "" for personal
  std::vector<std::string> scopes;
  std::optional<std::string> created_at, expires_at, last_used_at;
  std::string web_url;  ///< where the token is managed in GitLab's UI
};

struct Finding {
  // What
  std::string rule_id;
  std::string rule_name;
  Severity severity = Severity::High;
  std::string secret;         ///< exact token bytes; never printed unless --show-secrets
  std::string secret_sha256;  ///< hex SHA-256 of `secret`
  std::string redacted;       ///< safe display form
  Checksum checksum = Checksum::None;
  std::vector<std::pair<std::string, std::string>> attributes;  ///< routing payload, JWT iss...

  // Where
  Provenance provenance;     ///< the place (file, blob + path + commit, message, ...)
  std::uint64_t offset = 0;  ///< byte offset of the reported span in its content
  std::uint64_t line = 1;    ///< 1-based
  std::uint64_t column = 1;  ///< 1-based, in Unicode code points (invalid bytes count 1)
  std::uint64_t end_line = 1;
  std::uint64_t end_column = 1;  ///< exclusive
  InlineAllow inline_allow = InlineAllow::None;

  // What later stages said
  std::optional<Suppression> suppressed;
  std::optional<Verification> verification;
  std::optional<AuditSubject> subject;  ///< `glpatrol audit` findings only

  /// Severity after verification (a live broad token may be raised, a dead one lowered).
  Severity effective_severity() const {
    return verification && verification->severity_override ? *verification->severity_override : severity;
  }
};

/// Redacts a token for display: the kind prefix and at most 4 body characters stay,
/// the rest becomes '*'. Never reveals more than 4 characters of secret material.
std::string redact_token(std::string_view secret, std::string_view known_prefix);

/// Where a finding is, for people (terminal-safe): "path:line:column", or "<kind>:line:column"
/// for a place without a path, and " (kind)" after places that are not file content (commit
/// and tag messages, commit headers, names).
std::string place_label(const Finding& f);

/// Sort order used for every report: path, line, column, rule id, commit.
bool finding_less(const Finding& a, const Finding& b);

}  // namespace glpatrol

namespace glpatrol {
/// Content-based fingerprint: rule id + SHA-256 of the token. Stable across rebases, line
/// moves and renames; never contains the token. Format: "<rule_id>:<sha256 hex>".
inline std::string fingerprint(const Finding& f) { return f.rule_id + ":" + f.secret_sha256; }
}  // namespace glpatrol
