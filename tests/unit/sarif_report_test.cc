// SARIF and GitLab report shapes on synthetic findings (history provenance included), the
// result cap, paths/URIs and the "no raw token anywhere" rule. The external validators run
// in tests/e2e/test_reports.py; these tests pin the details.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "common/encoding.h"
#include "reporters/report_paths.h"
#include "reporters/reporter.h"

using namespace glpatrol;

namespace glpatrol {
std::unique_ptr<Reporter> make_sarif_reporter_capped(const ReportOptions& o, std::size_t max_results);
}

namespace {

// Not token-shaped on purpose: the reporters must never print `secret`, whatever it holds.
const std::string kSecret = "RAW-SECRET-VALUE-unit-7f3a9c";

Rule rule(const std::string& id, Severity sev) {
  Rule r;
  r.id = id;
  r.name = "Rule " + id;
  r.description = "Description of " + id + ".";
  r.severity = sev;
  r.references = {"https://docs.gitlab.com/security/tokens/"};
  r.builtin = true;
  r.origin = "builtin";
  return r;
}

Finding finding(const std::string& rule_id, const std::string& path, std::uint64_t line, std::uint64_t col,
                const std::string& secret = kSecret) {
  Finding f;
  f.rule_id = rule_id;
  f.rule_name = "Rule " + rule_id;
  f.severity = Severity::Critical;
  f.secret = secret;
  f.secret_sha256 = sha256_hex(secret);
  f.redacted = "redacted****";
  f.provenance.path = path;
  f.line = line;
  f.column = col;
  f.end_line = line;
  f.end_column = col + secret.size();
  return f;
}

Finding history_finding() {
  Finding f = finding("r.one", "deleted/config.env", 3, 7);
  f.provenance.kind = *parse_source_kind("blob");
  f.provenance.blob_id = std::string(40, 'b');
  f.provenance.commit = CommitInfo{std::string(40, 'c'),   "Ann Author", "ann@example.com",
                                   "2026-01-02T03:04:05Z", "add config", std::nullopt};
  f.provenance.in_head = false;
  return f;
}

Report report(std::vector<Finding> fs) {
  Report r;
  r.scan.kind = "dir";
  r.scan.targets = {"/abs/root"};
  r.scan.started_at = "2026-11-27T10:00:00Z";
  r.scan.finished_at = "2026-11-27T10:00:01Z";
  r.scan.rules = {rule("r.one", Severity::Critical), rule("r.two", Severity::Medium)};
  r.findings = std::move(fs);
  return r;
}

nlohmann::json render(const std::string& format, const Report& r, ReportOptions o = {}) {
  auto rep = make_reporter(format, o);
  REQUIRE(rep.has_value());
  std::ostringstream out;
  REQUIRE((*rep)->write(r, out).has_value());
  return nlohmann::json::parse(out.str());
}

}  // namespace

TEST_CASE("sarif: one run, every rule once, 1-based regions, content fingerprints") {
  Finding zero = finding("r.two", "/abs/root/src/a b.txt", 0, 0);  // odd input: clamped to 1
  zero.end_line = 0;
  zero.end_column = 0;
  const auto doc = render("sarif", report({finding("r.one", "/abs/root/x.env", 1, 1), zero}));
  CHECK(doc["version"] == "2.1.0");
  CHECK(doc["$schema"].get<std::string>().find("sarif-2.1.0") != std::string::npos);
  REQUIRE(doc["runs"].size() == 1);
  const auto& run = doc["runs"][0];
  const auto& rules = run["tool"]["driver"]["rules"];
  REQUIRE(rules.size() == 2);
  CHECK(rules[0]["id"] == "r.one");
  CHECK(rules[1]["id"] == "r.two");
  for (const auto& r : rules) {
    CHECK(!r["shortDescription"]["text"].get<std::string>().empty());
    CHECK(!r["fullDescription"]["text"].get<std::string>().empty());
    const std::string help = r["help"]["text"];
    CHECK(help.find("Revoke the token in GitLab first") != std::string::npos);
    CHECK(help.find("history") != std::string::npos);
  }
  CHECK(run["tool"]["driver"]["informationUri"].get<std::string>().rfind("https://", 0) == 0);
  REQUIRE(run["results"].size() == 2);
  for (const auto& res : run["results"]) {
    const auto& region = res["locations"][0]["physicalLocation"]["region"];
    for (const char* k : {"startLine", "startColumn", "endLine", "endColumn"})
      CHECK(region[k].get<std::int64_t>() >= 1);
    CHECK(res["partialFingerprints"].contains("primaryLocationLineHash"));
    CHECK(res["partialFingerprints"].contains("glpatrol/fingerprint/v1"));
    const std::string idx_rule = rules[res["ruleIndex"].get<std::size_t>()]["id"];
    CHECK(idx_rule == res["ruleId"]);
  }
  CHECK(run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "x.env");
  CHECK(run["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/a%20b.txt");
  CHECK(run["results"][0]["level"] == "error");
}

TEST_CASE("sarif and gitlab: fingerprints ignore positions, ids are stable") {
  const auto a = render("sarif", report({finding("r.one", "/abs/root/x.env", 1, 1)}));
  const auto b = render("sarif", report({finding("r.one", "/abs/root/x.env", 40, 12)}));
  CHECK(a["runs"][0]["results"][0]["partialFingerprints"] ==
        b["runs"][0]["results"][0]["partialFingerprints"]);
  const auto g1 = render("gitlab", report({finding("r.one", "/abs/root/x.env", 1, 1)}));
  const auto g2 = render("gitlab", report({finding("r.one", "/abs/root/x.env", 1, 1)}));
  CHECK(g1["vulnerabilities"][0]["id"] == g2["vulnerabilities"][0]["id"]);
}

TEST_CASE("sarif: history findings name the commit; no raw token in any format") {
  Report r = report({history_finding()});
  const auto doc = render("sarif", r);
  const auto& res = doc["runs"][0]["results"][0];
  const std::string msg = res["message"]["text"];
  CHECK(msg.find("cccccccccccc") != std::string::npos);
  CHECK(msg.find("Ann Author") != std::string::npos);
  CHECK(msg.find("no longer") != std::string::npos);
  CHECK(res["properties"]["commit"]["sha"] == std::string(40, 'c'));
  CHECK(res["properties"]["blob_id"] == std::string(40, 'b'));
  CHECK(res["properties"]["in_head"] == false);
  for (const std::string fmt : {"sarif", "gitlab", "json", "jsonl", "human"}) {
    ReportOptions o;
    auto rep = make_reporter(fmt, o);
    std::ostringstream out;
    REQUIRE((*rep)->write(r, out).has_value());
    CHECK_MESSAGE(out.str().find(kSecret) == std::string::npos, fmt);
  }
  // --show-secrets does not put the token into SARIF either.
  ReportOptions show;
  show.show_secrets = true;
  auto rep = make_reporter("sarif", show);
  std::ostringstream out;
  REQUIRE((*rep)->write(r, out).has_value());
  CHECK(out.str().find(kSecret) == std::string::npos);
}

TEST_CASE("sarif: the 25,000-result cap keeps the important findings and says what was dropped") {
  std::vector<Finding> fs;
  for (int i = 0; i < 30; ++i) {
    const std::string n = std::to_string(i);  // (GCC 12 -Wrestrict false positive on "s" + n)
    std::string path = "/abs/root/f", secret = "s";
    path += n;
    secret += n;
    Finding f = finding("r.two", path, 1, 1, secret);
    f.severity = Severity::Medium;
    fs.push_back(f);
  }
  fs[17].severity = Severity::Critical;
  fs[3].verification = Verification{};
  fs[3].verification->status = "active";
  fs[5].suppressed = Suppression{"baseline", "known"};
  Report r = report(fs);
  auto rep = make_sarif_reporter_capped({}, 10);
  std::ostringstream out;
  REQUIRE(rep->write(r, out).has_value());
  const auto doc = nlohmann::json::parse(out.str());
  const auto& run = doc["runs"][0];
  REQUIRE(run["results"].size() == 10);
  CHECK(run["properties"]["glpatrol"]["dropped_results"] == 20);
  CHECK(run["properties"]["glpatrol"]["findings"] == 30);
  bool has_critical = false, has_live = false, has_suppressed = false;
  for (const auto& res : run["results"]) {
    has_critical |= res["properties"]["severity"] == "critical";
    has_live |= res["properties"].contains("verification");
    has_suppressed |= res.contains("suppressions");
  }
  CHECK(has_critical);
  CHECK(has_live);
  CHECK(!has_suppressed);
  const auto& notes = run["invocations"][0]["toolExecutionNotifications"];
  REQUIRE(notes.size() >= 1);
  CHECK(notes[0]["message"]["text"].get<std::string>().find("20 of 30") != std::string::npos);
}

TEST_CASE("sarif: suppressed findings stay, with SARIF suppressions and glpatrol's reason") {
  Finding f = finding("r.one", "/abs/root/x.env", 2, 3);
  f.suppressed = Suppression{"inline", "glpatrol:allow on the token's line"};
  Finding g = finding("r.one", "/abs/root/y.env", 2, 3, "other");
  g.suppressed = Suppression{"ignore-file", "test fixture (.glpatrolignore:3)"};
  const auto doc = render("sarif", report({f, g}));
  const auto& res = doc["runs"][0]["results"];
  REQUIRE(res.size() == 2);
  CHECK(res[0]["suppressions"][0]["kind"] == "inSource");
  CHECK(res[0]["suppressions"][0]["status"] == "accepted");
  CHECK(res[1]["suppressions"][0]["kind"] == "external");
  CHECK(res[1]["properties"]["suppressed"]["kind"] == "ignore-file");
  CHECK(doc["runs"][0]["properties"]["glpatrol"]["suppressed_results"] == 2);
}

TEST_CASE("gitlab: schema essentials, real commit for history, raw extract only on request") {
  Finding work = finding("r.one", "/abs/root/app/x.env", 5, 2);
  Finding hist = history_finding();
  Finding supp = finding("r.two", "/abs/root/z", 1, 1, "zzz");
  supp.suppressed = Suppression{"baseline", "known"};
  Report r = report({work, hist, supp});
  auto doc = render("gitlab", r);
  CHECK(doc["version"] == "15.2.1");
  CHECK(doc["scan"]["type"] == "secret_detection");
  CHECK(doc["scan"]["status"] == "success");
  CHECK(doc["scan"]["start_time"] == "2026-11-27T10:00:00");
  REQUIRE(doc["vulnerabilities"].size() == 2);  // the suppressed one is counted, not listed
  const auto& v0 = doc["vulnerabilities"][0];
  CHECK(v0["identifiers"][0]["type"] == "glpatrol_rule_id");
  CHECK(v0["identifiers"][0]["value"] == "r.one");
  CHECK(v0["severity"] == "Critical");
  CHECK(v0["location"]["file"] == "app/x.env");
  CHECK(v0["location"]["start_line"] == 5);
  CHECK(v0["location"]["commit"]["sha"] == "0000000");
  CHECK(!v0.contains("raw_source_code_extract"));
  const auto& v1 = doc["vulnerabilities"][1];
  CHECK(v1["location"]["commit"]["sha"] == std::string(40, 'c'));
  CHECK(v1["location"]["commit"]["author"] == "Ann Author <ann@example.com>");
  CHECK(v1["location"]["commit"]["date"] == "2026-01-02T03:04:05Z");
  CHECK(v1["location"]["commit"]["message"] == "add config");
  CHECK(v0["id"] != v1["id"]);
  bool said_suppressed = false;
  for (const auto& m : doc["scan"]["messages"])
    said_suppressed |= m["value"].get<std::string>().find("1 suppressed") != std::string::npos;
  CHECK(said_suppressed);
  CHECK(doc.dump().find(kSecret) == std::string::npos);

  ReportOptions raw;
  raw.raw_extract = true;
  doc = render("gitlab", r, raw);
  CHECK(doc["vulnerabilities"][0]["raw_source_code_extract"] == kSecret);
}

TEST_CASE("report paths: relative to the scanned root, lossless URIs") {
  CHECK(relative_report_path("/abs/root/a/b.txt", {"/abs/root"}) == "a/b.txt");
  CHECK(relative_report_path("/abs/root/a/b.txt", {"/abs/root/"}) == "a/b.txt");
  CHECK(relative_report_path("./a/b.txt", {"."}) == "a/b.txt");
  CHECK(relative_report_path("a/b.txt", {"."}) == "a/b.txt");
  CHECK(relative_report_path("/abs/rootx/b.txt", {"/abs/root"}) == "/abs/rootx/b.txt");
  CHECK(relative_report_path("/elsewhere/b.txt", {"/abs/root"}) == "/elsewhere/b.txt");
  CHECK(path_to_uri("a b/c%d#e?.txt") == "a%20b/c%25d%23e%3F.txt");
  CHECK(path_to_uri("x:y") == "x%3Ay");
  CHECK(path_to_uri(std::string("bad\xff\n", 5)) == "bad%FF%0A");
  CHECK(path_to_uri("/abs/f") == "file:///abs/f");
  CHECK(path_to_uri("\xc3\xa9.txt") == "%C3%A9.txt");
  const std::string u = stable_uuid("k");
  CHECK(u.size() == 36);
  CHECK(u[14] == '8');
  CHECK(u == stable_uuid("k"));
  CHECK(u != stable_uuid("k2"));
}
