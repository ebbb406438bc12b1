// Human output for big scans (grouping, verification first, totals last) and the progress
// line's text.
#include <doctest/doctest.h>

#include <sstream>

#include "common/encoding.h"
#include "reporters/progress_line.h"
#include "reporters/reporter.h"

using namespace glpatrol;

namespace {
Finding place(const std::string& secret, const std::string& path, Severity sev) {
  Finding f;
  f.rule_id = "r.x";
  f.rule_name = "Rule X";
  f.severity = sev;
  f.secret = secret;
  f.secret_sha256 = sha256_hex(secret);
  f.redacted = "red****";
  f.provenance.path = path;
  return f;
}
}  // namespace

TEST_CASE("human: grouped by token, live tokens and risk flags first, totals last") {
  Report r;
  r.scan.kind = "dir";
  Finding live = place("live-secret-value", "b.env", Severity::High);
  live.verification = Verification{};
  live.verification->status = "active";
  live.verification->risk_flags = {"no-expiry", "admin"};
  Finding live2 = live;
  live2.provenance.path = "c.env";
  Finding dead = place("dead-secret-value", "a\x1b[2Jx.env", Severity::Critical);
  dead.verification = Verification{};
  dead.verification->status = "revoked";
  Finding quiet = place("quiet", "d.env", Severity::Low);
  quiet.suppressed = Suppression{"baseline", "known"};
  r.findings = {dead, live, live2, quiet};
  auto rep = make_reporter("human", {});
  std::ostringstream out;
  REQUIRE((*rep)->write(r, out).has_value());
  const std::string s = out.str();
  CHECK(s.find("live-secret-value") == std::string::npos);
  CHECK(s.find('\x1b') == std::string::npos);  // no colour, control characters escaped
  const auto live_at = s.find(" LIVE ");
  REQUIRE(live_at != std::string::npos);
  CHECK(live_at < s.find("[revoked]"));                          // live group first
  CHECK(s.find("risk:no-expiry,admin") < s.find("token     "));  // on the group's first line
  CHECK(s.find("1 token, 2 places") != std::string::npos);
  const auto totals = s.find("  severity    ");
  REQUIRE(totals != std::string::npos);
  CHECK(s.find("1 critical, 2 high", totals) != std::string::npos);
  CHECK(s.find("2 active, 1 revoked", totals) != std::string::npos);
  CHECK(s.find("1 baseline", totals) != std::string::npos);
  CHECK(totals < s.find("3 findings (2 tokens)"));
  CHECK(s.find("1 suppressed") != std::string::npos);
}

TEST_CASE("progress line text: counters, rate, percent and ETA when totals are known") {
  const std::string a = render_progress("", 10, 0, 2048, 0, 0, 2.0);
  CHECK(a.find("scanning: 10 files") == 0);
  CHECK(a.find("2.0 KiB") != std::string::npos);
  CHECK(a.find("1.0 KiB/s") != std::string::npos);
  CHECK(a.find("ETA") == std::string::npos);
  const std::string b = render_progress("history", 0, 50, 1 << 20, 100, 4 << 20, 10.0);
  CHECK(b.find("history: 50 blobs/100") == 0);
  CHECK(b.find("25%") != std::string::npos);
  CHECK(b.find("ETA 30s") != std::string::npos);
  for (char c : b) CHECK(static_cast<unsigned char>(c) >= 0x20);
  CHECK(!progress_wanted("never"));
  CHECK(progress_wanted("always"));
}
