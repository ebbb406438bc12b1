// The JSON report reader behind `glpatrol merge`: a report written by the json reporter
// reads back into the same findings, and writing them again gives the same bytes.
#include <doctest/doctest.h>

#include <sstream>

#include "common/encoding.h"
#include "reporters/report_json.h"
#include "reporters/reporter.h"

using namespace glpatrol;

namespace {

Report sample() {
  Report r;
  r.scan.kind = "git";
  r.scan.targets = {"repo"};
  r.scan.started_at = "2026-11-27T21:00:00Z";
  r.scan.finished_at = "2026-11-27T21:00:01Z";
  r.scan.stats.blobs = 3;
  r.scan.stats.commits = 2;
  r.scan.stats.warnings = {"w1"};
  r.scan.stats.skips.push_back({"abc", "corrupt-object", "bad zlib", true});
  r.scan.complete = false;
  r.scan.incomplete_reasons = {"objects missing"};
  Rule rule;
  rule.id = "gitlab.pat";
  r.scan.rules = {rule};
  r.scan.git = GitInfo{};
  r.scan.git->mode = "history";
  r.scan.shard = ShardInfo{1, 2, "path", "--shard", std::nullopt};
  Finding f;
  f.rule_id = "gitlab.pat";
  f.rule_name = "GitLab personal access token";
  f.severity = Severity::Critical;
  f.secret = "not-printed";
  f.secret_sha256 = sha256_hex(f.secret);
  f.redacted = "glpat-****";
  f.checksum = Checksum::Absent;
  f.attributes = {{"routing.o", "1"}, {"repository", "r"}};
  f.provenance.kind = *parse_source_kind("blob");
  f.provenance.path = std::string("dir/\xff\xfe.env");  // invalid UTF-8: path_bytes_b64
  f.line = 4;
  f.column = 2;
  f.end_line = 4;
  f.end_column = 30;
  f.offset = 99;
  f.provenance.blob_id = std::string(40, 'b');
  f.provenance.commit =
      CommitInfo{std::string(40, 'c'), "A", "a@example.com", "2026-01-01T00:00:00Z", "msg", std::nullopt};
  f.provenance.in_head = false;
  f.suppressed = Suppression{"ignore-file", "test (x:1)"};
  Verification v;
  v.status = "active";
  v.host = "gitlab.com";
  v.scopes = {"api"};
  v.user_id = 5;
  f.verification = v;
  r.findings.push_back(f);
  return r;
}

std::string to_json(const Report& r) {
  auto rep = make_reporter("json", ReportOptions{});
  REQUIRE(rep);
  std::ostringstream out;
  REQUIRE((*rep)->write(r, out));
  return out.str();
}

}  // namespace

TEST_CASE("json report round trip: read back, write again, same bytes") {
  const std::string first = to_json(sample());
  auto back = parse_json_report(first, "r.json");
  REQUIRE_MESSAGE(back, (back ? "" : back.error().message));
  REQUIRE(back->findings.size() == 1);
  const Finding& f = back->findings[0];
  CHECK(f.provenance.path == std::string("dir/\xff\xfe.env"));
  CHECK(f.secret.empty());  // never in a redacted report
  CHECK(f.verification->status == "active");
  CHECK(f.suppressed->kind == "ignore-file");
  REQUIRE(back->scan.shard.has_value());
  CHECK(back->scan.shard->total == 2);
  REQUIRE(back->scan.git.has_value());
  CHECK(back->scan.git->mode == "history");
  CHECK_FALSE(back->scan.complete);
  CHECK(to_json(*back) == first);
}

TEST_CASE("json reader refuses what is not a glpatrol 1.x report") {
  CHECK_FALSE(parse_json_report("nope", "x"));
  CHECK_FALSE(parse_json_report("{}", "x"));
  CHECK_FALSE(parse_json_report(
      R"({"tool":{"name":"gitleaks"},"schema_version":"1.0.0","scan":{},"findings":[]})", "x"));
  CHECK_FALSE(parse_json_report(
      R"({"tool":{"name":"glpatrol"},"schema_version":"2.0.0","scan":{},"findings":[]})", "x"));
  CHECK(parse_json_report(R"({"tool":{"name":"glpatrol"},"schema_version":"1.0.0","scan":{},"findings":[]})",
                          "x"));
  // A finding whose fingerprint does not match its rule and token hash was edited.
  const std::string h(64, 'a');
  CHECK_FALSE(parse_json_report(
      R"({"tool":{"name":"glpatrol"},"schema_version":"1.0.0","scan":{},"findings":[{"rule_id":"gitlab.pat","severity":"high","secret_sha256":")" +
          h + R"(","fingerprint":"gitlab.pat:)" + std::string(64, 'b') + R"("}]})",
      "x"));
  CHECK_FALSE(parse_json_report(
      R"({"tool":{"name":"glpatrol"},"schema_version":"1.0.0","scan":{},"findings":[{"rule_id":"gitlab.pat","severity":"high","secret_sha256":"zz"}]})",
      "x"));
}
