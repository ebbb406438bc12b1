#include "matcher/to_finding.h"

#include "common/encoding.h"

namespace glpatrol {

std::string token_kind_prefix(std::string_view secret) {
  static constexpr std::string_view kLiterals[] = {
      "glpat-", "glrtr-", "glrt-", "gloas-", "gldt-", "glcbt-", "glptt-", "glft-",
      "glimt-", "glagent-", "glsoat-", "glffct-", "glwt-", "GR1348941"};
  std::size_t best = std::string_view::npos, best_end = 0;
  for (auto lit : kLiterals) {
    const auto pos = secret.substr(0, 40).find(lit);
    if (pos != std::string_view::npos && pos < best) {
      best = pos;
      best_end = pos + lit.size();
    }
  }
  if (best == std::string_view::npos) {
    // Runner tokens registered with a registration token: t1_...
    if (secret.size() > 3 && secret[0] == 't' && secret[2] == '_') return std::string(secret.substr(0, 3));
    return {};
  }
  // Keep the runner-type partition after glrt-: glrt-t1_.
  if (secret.size() > best_end + 3 && secret[best_end] == 't' && secret[best_end + 2] == '_' &&
      (secret.substr(best, 4) == "glrt"))
    best_end += 3;
  return std::string(secret.substr(0, best_end));
}

Finding make_finding(const RuleDb& db, const LocatedMatch& m) {
  const Rule& rule = db.rule(m.match.rule);
  Finding f;
  f.rule_id = rule.id;
  f.rule_name = rule.name;
  f.severity = rule.severity;
  f.secret = m.secret;
  f.secret_sha256 = sha256_hex(m.secret);
  std::string prefix = token_kind_prefix(m.secret);
  for (const auto& [k, v] : m.match.attributes)
    if (k == "routable.prefix" && prefix.empty()) prefix = v;
  f.redacted = redact_token(m.secret, prefix);
  f.checksum = m.match.checksum;
  f.attributes = m.match.attributes;
  f.offset = m.match.start;
  f.line = m.line;
  f.column = m.column;
  f.end_line = m.end_line;
  f.end_column = m.end_column;
  f.inline_allow = m.inline_allow;
  return f;
}

}  // namespace glpatrol
