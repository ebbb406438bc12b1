#include "audit/audit_rules.h"

#include <algorithm>

#include "common/time.h"

namespace glpatrol::audit {

namespace {

constexpr auto kDay = std::chrono::hours(24);

std::optional<std::chrono::system_clock::time_point> when(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  const auto t = parse_iso8601(*s);
  if (!t) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(*t));
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

const std::vector<AuditRule>& audit_rules() {
  static const std::vector<AuditRule> kRules = {
      {"audit.leaked-active", "Token found leaked and still active", Severity::Critical,
       "A scan (--findings) found this token in content and GitLab confirmed it active; the inventory "
       "lists it as live. Anyone who read that content can use it.",
       "Revoke it now (glpatrol revoke --yes, or Settings > Access tokens > Revoke), then look at its "
       "use in the audit events and rotate whatever it could read."},
      {"audit.owner-inactive", "Active token of a blocked, deactivated or banned user", Severity::High,
       "The token's owner can no longer sign in, but the token still exists; it becomes usable again "
       "the moment the account is unblocked or reactivated.",
       "Revoke the token (Admin area > Users > the user > Access tokens); tokens of people who left "
       "should be revoked when the account is blocked."},
      {"audit.broad-scope", "Token with a broad scope", Severity::High,
       "The token has a scope that grants full API access or administration (api, sudo, admin_mode), or "
       "write_repository on a bot. GitLab recommends the fewest scopes a token needs.",
       "Create a token with only the scopes the job needs (read_api, read_repository, ...), switch the "
       "consumer to it and revoke this one."},
      {"audit.no-expiry", "Token without an expiry date", Severity::Medium,
       "The token never expires. GitLab recommends an expiry on every token; from GitLab 16.0 new "
       "tokens must have one, so a token without one is old or was created with an exemption.",
       "Rotate the token (POST /personal_access_tokens/:id/rotate or the UI): the new token gets an "
       "expiry date; or revoke it if it is not needed."},
      {"audit.not-rotated", "Token not rotated for longer than the rotation period", Severity::Medium,
       "The token was created longer ago than the rotation period (--rotate-days, default 90). GitLab "
       "recommends rotating access tokens at least every 90 days.",
       "Rotate the token (POST /personal_access_tokens/:id/rotate, .../access_tokens/:id/rotate or the "
       "UI) and update its consumers."},
      {"audit.unused", "Token unused for longer than the unused period", Severity::Medium,
       "The token has not been used for longer than --unused-days (default 90), or never. An unused "
       "token is pure risk.",
       "Revoke it (Settings > Access tokens > Revoke); recreate one when it is needed again."},
      {"audit.expiring", "Token expiring within 7 days", Severity::Low,
       "The token expires within 7 days; whatever uses it will break then.",
       "Rotate it now and give its consumers the new token, or let it expire if it is not needed."},
  };
  return kRules;
}

std::vector<Rule> audit_rules_as_rules() {
  std::vector<Rule> out;
  for (const auto& a : audit_rules()) {
    Rule r;
    r.id = a.id;
    r.name = a.name;
    r.description = a.description + " Remediation: " + a.remediation;
    r.severity = a.severity;
    r.revoke = a.remediation;
    r.verify = "none:audit rule";
    r.builtin = true;
    r.origin = "builtin";
    out.push_back(std::move(r));
  }
  return out;
}

bool is_live(const TokenRecord& t, std::chrono::system_clock::time_point now) {
  if (t.revoked) return false;
  if (t.active && !*t.active) return false;
  // GitLab's expires_at is a date: the token works through that day (UTC).
  if (const auto e = when(t.subject.expires_at); e && *e + kDay <= now) return false;
  return true;
}

std::vector<std::string> evaluate(const TokenRecord& t, const AuditSettings& s,
                                  std::chrono::system_clock::time_point now) {
  std::vector<std::string> hit;
  if (!is_live(t, now)) return hit;
  const auto created = when(t.subject.created_at);
  const auto expires = when(t.subject.expires_at);
  const auto used = when(t.subject.last_used_at);
  const std::string& st = t.owner_state;
  for (const auto& r : audit_rules()) {
    bool on = false;
    if (r.id == "audit.owner-inactive") {
      on = st == "blocked" || st == "deactivated" || st == "banned" || st == "ldap_blocked" ||
           st == "blocked_pending_approval";
    } else if (r.id == "audit.broad-scope") {
      on = std::any_of(t.subject.scopes.begin(), t.subject.scopes.end(), [&](const std::string& sc) {
        return has(s.broad_scopes, sc) || (t.bot && has(s.bot_broad_scopes, sc));
      });
    } else if (r.id == "audit.no-expiry") {
      on = !t.subject.expires_at;
    } else if (r.id == "audit.not-rotated") {
      on = created && now - *created > s.rotate_days * kDay;
    } else if (r.id == "audit.unused") {
      // Never used counts, but only once the token had the whole period to be used.
      on = t.last_used_known &&
           (used ? now - *used > s.unused_days * kDay : created && now - *created > s.unused_days * kDay);
    } else if (r.id == "audit.leaked-active") {
      on = false;  // a join with a scan report, not a property of the record (cmd_audit.cc)
    } else if (r.id == "audit.expiring") {
      on = expires && *expires + kDay > now && *expires - now <= s.expiring_days * kDay;
    }
    if (on) hit.push_back(r.id);
  }
  return hit;
}

}  // namespace glpatrol::audit
