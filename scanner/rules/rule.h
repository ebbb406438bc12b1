#pragma once
// The rule model: rules are data (rules/gitlab.toml, user rule files, configuration), parsed
// here into immutable Rule values. No Hyperscan or PCRE2 in this layer.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace glpatrol {

enum class Severity { Info, Low, Medium, High, Critical };
std::string_view to_string(Severity s);
Result<Severity> parse_severity(std::string_view s);

/// Checksum state of a token kind that can carry one (routable PAT/runner tokens). Vocabulary
/// shared by the matcher (which computes it) and findings (which report it).
enum class Checksum { None, Absent, Valid, Invalid };
std::string_view to_string(Checksum c);  ///< "" for None, else absent|valid|invalid

/// The non-secret kind prefix of a token (glpat-, inst-glpat-, glrt-t1_, GR1348941...), or ""
/// when none is known: what redaction keeps readable, and what placeholder checks skip.
std::string token_kind_prefix(std::string_view secret);

/// Which inline allow marker stands on a token's line (found by the matcher, honoured or not
/// by suppression).
enum class InlineAllow { None, Glpatrol, Gitleaks };

/// Which exact-confirmation routine checks a prefilter hit (scanner/matcher/confirm.cc).
enum class ConfirmKind {
  Regex,     ///< anchored PCRE2 match + boundary / placeholder / entropy checks
  Routable,  ///< GitLab routable token: payload length + CRC-32 over the exact prefix
  Jwt,       ///< glcbt- JWT: header must decode to JSON with "alg"
};

/// For routable rules: which prefixes the CRC-located token start may have.
enum class RoutableKind { Pat, Runner, Any };
/// For routable rules: which shape is accepted.
enum class RoutableVersion { Versioned, Unversioned, Any };

/// Characters that continue a token; used for the right (and optional left) boundary.
enum class TokenCharset { B64url, Digits, AlnumLower, Any };

struct Rule {
  std::string id;  ///< stable: SARIF ruleId, fingerprints, ignore entries
  std::string name;
  std::string description;
  Severity severity = Severity::High;
  std::string pattern;  ///< template as written, with {PAT_PREFIX} / {I} placeholders
  /// Optional Hyperscan-only pattern (same placeholders). Contract: it matches at every end
  /// offset where `pattern` matches (a superset); `pattern` still decides. Used where an exact
  /// pattern makes Hyperscan's automaton slow.
  std::string prefilter;
  ConfirmKind confirm = ConfirmKind::Regex;
  TokenCharset charset = TokenCharset::B64url;
  RoutableKind routable_kind = RoutableKind::Any;
  RoutableVersion routable_version = RoutableVersion::Any;
  bool require_left_boundary = false;
  bool checksum_capable = false;  ///< kind has a checksummed (routable) form: report `absent`
  bool require_mixed = false;     ///< body must mix at least two of upper/lower/digit
  /// Rejects a body that reads as a snake_case identifier: only lowercase letters and digits,
  /// in at least three words joined by '_' (`multiple_subrules_f1`). For kinds with a short
  /// prefix and no checksum (t1_/t2_/t3_), where such names in code and changelogs would
  /// match; a generated 20-character token is this shape with probability ~1e-5.
  bool reject_identifier = false;
  double min_entropy = 0.0;  ///< minimum Shannon entropy of the secret (0 = off)
  std::string secret_after;  ///< the secret starts after this literal (session cookie)
  std::string verify;        ///< verifier key ("pat", "job", ...) or "none:<reason>"
  /// Where a leaked token of this kind is revoked in GitLab (the UI path; "{base}" stands
  /// for the instance URL). Shown to a developer whose commit or push was blocked.
  std::string revoke;
  int priority = 50;  ///< overlap tie-break: higher wins when spans are equal
  /// Literal token prefixes every match starts with (after an optional instance prefix):
  /// their encoded forms (base64, UTF-16, escapes) are what the decoding stage looks for
  /// (scanner/decode). Empty: the rule's tokens are not looked for behind encodings.
  std::vector<std::string> keywords;
  std::vector<std::string> references;
  std::vector<std::string> examples;           ///< templates, see rules/gitlab.toml
  std::vector<std::string> negative_examples;  ///< templates
  bool builtin = false;
  std::string origin;  ///< "builtin" or the file that defined it
};

/// Settings of a self-managed GitLab that change what the built-in patterns accept.
struct PrefixSettings {
  std::vector<std::string> pat_prefixes;       ///< custom PAT prefixes (besides glpat-)
  std::vector<std::string> instance_prefixes;  ///< instance token prefixes, without the '-'
};

/// An ordered set of rules; index == Hyperscan pattern id.
struct RuleSet {
  std::vector<Rule> rules;
  PrefixSettings prefixes;
};

/// Every literal token prefix of the set: the rules' keywords plus the custom PAT prefixes
/// (instance prefixes need none: the kind prefix after them is a keyword), de-duplicated.
std::vector<std::string> token_prefixes(const RuleSet& set);

/// Parses a rule file (TOML, `[[rules]]` tables). `origin` names it in errors and rules.
/// Unknown keys, duplicate ids, bad severities and missing fields are errors.
Result<std::vector<Rule>> parse_rules_toml(std::string_view text, const std::string& origin);

/// The embedded built-in GitLab rules (rules/gitlab.toml).
const std::vector<Rule>& builtin_rules();

/// Expands {PAT_PREFIX} and {I} in `rule.pattern` with the configured prefixes.
std::string expand_pattern(const Rule& rule, const PrefixSettings& prefixes);
/// The same for the Hyperscan prefilter (`rule.prefilter`, or `rule.pattern` when empty).
std::string expand_prefilter(const Rule& rule, const PrefixSettings& prefixes);
/// Expands the placeholders in any pattern template.
std::string expand_template(const std::string& pattern_template, const PrefixSettings& prefixes);

/// Validates prefix settings against GitLab's own constraints (charset, length <= 20).
Status validate_prefixes(const PrefixSettings& prefixes);

}  // namespace glpatrol
