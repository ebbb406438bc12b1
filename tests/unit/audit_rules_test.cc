// Audit rules (scanner/audit/audit_rules.h): the table is complete and each rule fires on
// the right side of its boundary (89 vs 91 days, 6 vs 8 days), never for a dead token.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "audit/audit_rules.h"
#include "common/time.h"

using namespace glpatrol;
using namespace glpatrol::audit;

namespace {

const auto kNow =
    std::chrono::system_clock::time_point(std::chrono::seconds(*parse_iso8601("2026-11-01T12:00:00Z")));

std::string days_ago(int d) { return iso8601(kNow - std::chrono::hours(24 * d)); }
std::string date_in(int d) { return iso8601(kNow + std::chrono::hours(24 * d)).substr(0, 10); }

/// A well-kept token: recent, used, expiring in 60 days, narrow scope, active owner.
TokenRecord good() {
  TokenRecord t;
  t.subject.type = "personal";
  t.subject.id = 1;
  t.subject.name = "ci";
  t.subject.scopes = {"read_api"};
  t.subject.created_at = days_ago(10);
  t.subject.last_used_at = days_ago(1);
  t.subject.expires_at = date_in(60);
  t.owner_state = "active";
  return t;
}

bool fires(const TokenRecord& t, const std::string& id, const AuditSettings& s = {}) {
  const auto ids = evaluate(t, s, kNow);
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

TEST_CASE("audit rules: the table has every documented rule with text") {
  std::set<std::string> ids;
  for (const auto& r : audit_rules()) {
    ids.insert(r.id);
    CHECK(!r.name.empty());
    CHECK(!r.description.empty());
    CHECK(!r.remediation.empty());
  }
  CHECK(ids == std::set<std::string>{"audit.leaked-active", "audit.owner-inactive", "audit.broad-scope",
                                     "audit.no-expiry", "audit.not-rotated", "audit.unused",
                                     "audit.expiring"});
  CHECK(audit_rules_as_rules().size() == audit_rules().size());
  CHECK(evaluate(good(), {}, kNow).empty());
}

TEST_CASE("audit rules: boundaries") {
  auto t = good();
  t.subject.created_at = days_ago(89);
  CHECK_FALSE(fires(t, "audit.not-rotated"));
  t.subject.created_at = days_ago(91);
  CHECK(fires(t, "audit.not-rotated"));
  AuditSettings s;
  s.rotate_days = 30;
  t.subject.created_at = days_ago(31);
  CHECK(fires(t, "audit.not-rotated", s));

  t = good();
  t.subject.last_used_at = days_ago(89);
  CHECK_FALSE(fires(t, "audit.unused"));
  t.subject.last_used_at = days_ago(91);
  CHECK(fires(t, "audit.unused"));
  t.subject.last_used_at.reset();  // never used: counts once the token had the whole period
  CHECK_FALSE(fires(t, "audit.unused"));
  t.subject.created_at = days_ago(91);
  CHECK(fires(t, "audit.unused"));
  t.last_used_known = false;  // deploy tokens: the API has no last use
  CHECK_FALSE(fires(t, "audit.unused"));

  t = good();
  t.subject.expires_at = date_in(6);
  CHECK(fires(t, "audit.expiring"));
  t.subject.expires_at = date_in(8);
  CHECK_FALSE(fires(t, "audit.expiring"));
  t.subject.expires_at.reset();
  CHECK(fires(t, "audit.no-expiry"));
  CHECK_FALSE(fires(t, "audit.expiring"));
}

TEST_CASE("audit rules: scopes, owners and dead tokens") {
  auto t = good();
  for (const char* s : {"api", "sudo", "admin_mode"}) {
    t.subject.scopes = {"read_user", s};
    CHECK(fires(t, "audit.broad-scope"));
  }
  t.subject.scopes = {"write_repository"};
  CHECK_FALSE(fires(t, "audit.broad-scope"));  // on a person: not broad
  t.bot = true;
  CHECK(fires(t, "audit.broad-scope"));  // on a bot: broad
  AuditSettings narrow;
  narrow.bot_broad_scopes.clear();
  CHECK_FALSE(fires(t, "audit.broad-scope", narrow));

  t = good();
  for (const char* st : {"blocked", "deactivated", "banned"}) {
    t.owner_state = st;
    CHECK(fires(t, "audit.owner-inactive"));
  }
  t.owner_state = "active";
  CHECK_FALSE(fires(t, "audit.owner-inactive"));

  // Revoked or expired tokens are never flagged, whatever else is wrong with them.
  t = good();
  t.subject.scopes = {"api"};
  t.subject.expires_at.reset();
  t.revoked = true;
  CHECK(evaluate(t, {}, kNow).empty());
  t.revoked = false;
  t.subject.expires_at = date_in(-1);
  CHECK_FALSE(is_live(t, kNow));
  CHECK(evaluate(t, {}, kNow).empty());
  t.subject.expires_at = date_in(0);  // expires today: works through the day
  CHECK(is_live(t, kNow));
  t.active = false;
  CHECK(evaluate(t, {}, kNow).empty());
}
