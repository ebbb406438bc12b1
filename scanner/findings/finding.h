#pragma once
// A finding: one confirmed token at one place. Plain data shared by the pipeline's later
// stages (suppression, verification) and the reporters. No Hyperscan/libgit2 types here.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rules/rule.h"

namespace glpatrol {

/// Checksum state of a token kind that can carry one (routable PAT/runner tokens).
enum class Checksum { None, Absent, Valid, Invalid };
std::string_view to_string(Checksum c);  ///< "" for None, else absent|valid|invalid

/// Which inline allow marker stands on the token's line.
enum class InlineAllow { None, Glpatrol, Gitleaks };

/// The commit that introduced a blob at a path (history scans).
struct CommitInfo {
  std::string sha;
  std::string author_name;
  std::string author_email;
  std::string date;          ///< ISO 8601 UTC
  std::string message;       ///< first line only, for reports
  std::optional<std::string> merge_sha;  ///< set when the content first appears in a merge
};

struct Suppression {
  std::string kind;    ///< ignore-file | inline | baseline
  std::string reason;
};

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
  std::optional<std::string> username;
  std::optional<bool> is_admin;
  std::vector<std::string> risk_flags;  ///< no-expiry, over-max-lifetime, not-rotated, ...
  std::optional<Severity> severity_override;
};

struct Finding {
  // What
  std::string rule_id;
  std::string rule_name;
  Severity severity = Severity::High;
  std::string secret;          ///< exact token bytes; never printed unless --show-secrets
  std::string secret_sha256;   ///< hex SHA-256 of `secret`
  std::string redacted;        ///< safe display form
  Checksum checksum = Checksum::None;
  std::vector<std::pair<std::string, std::string>> attributes;  ///< routing payload, JWT iss...

  // Where
  std::string location_kind = "file";  ///< file|stdin|blob|commit-message|tag-message
  std::string path;            ///< as found; raw bytes (may be invalid UTF-8)
  std::uint64_t offset = 0;    ///< byte offset of the reported span in its blob
  std::uint64_t line = 1;      ///< 1-based
  std::uint64_t column = 1;    ///< 1-based, in Unicode code points (invalid bytes count 1)
  std::uint64_t end_line = 1;
  std::uint64_t end_column = 1;  ///< exclusive
  std::optional<std::string> blob_id;
  std::optional<CommitInfo> commit;
  std::optional<bool> in_head;
  std::vector<std::string> refs;  ///< refs that reach the commit (history scans; optional)
  InlineAllow inline_allow = InlineAllow::None;

  // What later stages said
  std::optional<Suppression> suppressed;
  std::optional<Verification> verification;

  /// Severity after verification (a live broad token may be raised, a dead one lowered).
  Severity effective_severity() const {
    return verification && verification->severity_override ? *verification->severity_override
                                                           : severity;
  }
};

/// Redacts a token for display: the kind prefix and at most 4 body characters stay,
/// the rest becomes '*'. Never reveals more than 4 characters of secret material.
std::string redact_token(std::string_view secret, std::string_view known_prefix);

/// Sort order used for every report: path, line, column, rule id, commit.
bool finding_less(const Finding& a, const Finding& b);

}  // namespace glpatrol

namespace glpatrol {
/// Content-based fingerprint: rule id + SHA-256 of the token. Stable across rebases, line
/// moves and renames; never contains the token. Format: "<rule_id>:<sha256 hex>".
inline std::string fingerprint(const Finding& f) { return f.rule_id + ":" + f.secret_sha256; }
}  // namespace glpatrol
