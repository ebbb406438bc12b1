// sarif: SARIF 2.1.0 for GitHub code scanning (docs/reports.md).
//
// Contract (each point is tested):
// - one run; tool.driver lists every loaded rule exactly once, results point at it by ruleId
//   and ruleIndex;
// - regions are 1-based and never 0 (GitHub rejects an endColumn of 0); columns count
//   Unicode code points (run.columnKind);
// - no raw token anywhere: no snippet, no message text with the secret; identity lives in
//   partialFingerprints (primaryLocationLineHash derived from rule id + token hash, never
//   from positions, plus glpatrol's own content fingerprint);
// - at most kMaxSarifResults results per run (GitHub's limit); when more findings exist the
//   most important are kept (unsuppressed, verified active, most severe) and the run says
//   how many were dropped, in a tool notification and in run.properties;
// - suppressed findings stay, with SARIF `suppressions` (status accepted) and glpatrol's own
//   {kind, reason} in properties.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "common/encoding.h"
#include "reporters/report_paths.h"
#include "reporters/report_json.h"

namespace glpatrol {

inline constexpr std::size_t kMaxSarifResults = 25'000;

namespace {

using json = nlohmann::ordered_json;

std::string_view sarif_level(Severity s) {
  switch (s) {
    case Severity::Critical:
    case Severity::High:
      return "error";
    case Severity::Medium:
      return "warning";
    case Severity::Low:
    case Severity::Info:
      return "note";
  }
  return "warning";
}

std::string_view security_severity(Severity s) {
  switch (s) {
    case Severity::Critical:
      return "9.5";
    case Severity::High:
      return "8.0";
    case Severity::Medium:
      return "5.5";
    case Severity::Low:
      return "3.0";
    case Severity::Info:
      return "1.0";
  }
  return "5.0";
}

std::string clip(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  s.resize(max - 3);
  // Do not cut a UTF-8 sequence in half.
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
  if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80) != 0) s.pop_back();
  return s + "...";
}

// GitHub titles an alert with the first sentence of the message: keep it free of periods
// inside the names it quotes.
std::string help_text(const Rule& r) {
  std::string t =
      "Remediation: 1. Revoke the token in GitLab first (the owner's Access tokens page, the "
      "project/group settings, or an administrator's token API); assume it was used, and check "
      "the audit events. 2. Replace it where it is needed (CI/CD variables, a secrets manager). "
      "3. Then remove it from the code and from git history (git filter-repo), and ask forks "
      "and mirrors to do the same. Rewriting history alone does not make a leaked token safe: "
      "only revocation does.";
  if (!r.references.empty()) t += " See " + r.references.front();
  return t;
}

std::string help_markdown(const Rule& r) {
  std::string m = "**" + r.name + "** (`" + r.id + "`)\n\n" + r.description +
                  "\n\n### Remediation\n\n"
                  "1. **Revoke the token in GitLab first** (the owner's *Access tokens* page, the "
                  "project or group settings, or an administrator's token API). Assume it was "
                  "used and check the audit events.\n"
                  "2. Replace it where it is needed (CI/CD variables, a secrets manager).\n"
                  "3. Then remove it from the code and from git history (`git filter-repo`), "
                  "and ask forks and mirrors to do the same.\n\n"
                  "Rewriting history alone does not make a leaked token safe: only revocation "
                  "does.\n";
  if (!r.references.empty()) {
    m += "\n### References\n\n";
    for (const auto& ref : r.references) m += "- " + ref + "\n";
  }
  return m;
}

json rule_descriptor(const Rule& r) {
  json d;
  d["id"] = r.id;
  d["name"] = clip(json_text(r.name), 255);
  d["shortDescription"] = {{"text", clip(json_text(r.name), 1024)}};
  d["fullDescription"] = {{"text", clip(json_text(r.description.empty() ? r.name : r.description), 1024)}};
  d["help"] = {{"text", json_text(help_text(r))}, {"markdown", json_text(help_markdown(r))}};
  if (!r.references.empty() && r.references.front().rfind("http", 0) == 0)
    d["helpUri"] = r.references.front();
  d["defaultConfiguration"] = {{"level", std::string(sarif_level(r.severity))}};
  json tags = json::array({"security", "secret", "gitlab"});
  d["properties"] = {
      {"tags", tags},
      {"precision", r.checksum_capable || r.confirm != ConfirmKind::Regex ? "very-high" : "high"},
      {"security-severity", std::string(security_severity(r.severity))},
      {"origin", json_text(r.origin)}};
  return d;
}

std::string location_uri(const Finding& f, const ScanInfo& scan) {
  // Places that are not files (messages, headers) have a pseudo-path (place_name), which
  // keeps the result valid and names the object.
  return path_to_uri(relative_report_path(place_name(f.provenance), scan.targets));
}

std::string message_text(const Finding& f, const std::string& rel_path) {
  std::string m = "Leaked " + json_text(f.rule_name) + " (" + f.rule_id + ")";
  if (f.verification && f.verification->status == "active") m = "Live " + m.substr(7);
  m += ": " + json_text(f.redacted) + " in ";
  if (f.provenance.kind == SourceKind::CommitMessage || f.provenance.kind == SourceKind::TagMessage ||
      f.provenance.kind == SourceKind::CommitHeader)
    m += "a " + std::string(to_string(f.provenance.kind));
  else
    m += json_text(rel_path);
  m += fmt::format(" at line {}", std::max<std::uint64_t>(f.line, 1));
  if (f.provenance.commit) {
    m += ", introduced in commit " + f.provenance.commit->sha.substr(0, 12);
    if (!f.provenance.commit->author_name.empty()) m += " by " + json_text(f.provenance.commit->author_name);
    if (!f.provenance.commit->date.empty()) m += " on " + f.provenance.commit->date;
    if (f.provenance.commit->merge_sha) m += " (merge " + f.provenance.commit->merge_sha->substr(0, 12) + ")";
  }
  if (f.provenance.in_head && !*f.provenance.in_head)
    m += "; the file no longer contains it at HEAD, but the token stays in history";
  if (!f.provenance.reachable_only_via.empty())
    m += "; reachable only via " + f.provenance.reachable_only_via;
  m += ".";
  if (f.verification) {
    m += " GitLab verification: " + f.verification->status;
    if (!f.verification->host.empty()) m += " (" + json_text(f.verification->host) + ")";
    m += ".";
  }
  if (f.suppressed) m += " Suppressed (" + f.suppressed->kind + "): " + json_text(f.suppressed->reason) + ".";
  m += " Revoke the token in GitLab first, then clean the history.";
  return m;
}

json result_properties(const Finding& f) {
  json p;
  p["secret_sha256"] = f.secret_sha256;
  p["redacted"] = json_text(f.redacted);
  p["severity"] = std::string(to_string(f.effective_severity()));
  p["location_kind"] = std::string(to_string(f.provenance.kind));
  // The path itself is in the (lossless, percent-encoded) artifact URI; the absolute path of
  // the scan root stays out so reports of two clones are identical.
  if (const auto cs = to_string(f.checksum); !cs.empty()) p["checksum"] = std::string(cs);
  if (f.provenance.blob_id) p["blob_id"] = *f.provenance.blob_id;
  if (f.provenance.commit) {
    json c = commit_to_json(*f.provenance.commit);
    if (c["merge_sha"].is_null()) c.erase("merge_sha");
    p["commit"] = c;
  }
  if (f.provenance.in_head) p["in_head"] = *f.provenance.in_head;
  if (!f.provenance.reachable_only_via.empty()) p["reachable_only_via"] = f.provenance.reachable_only_via;
  if (!f.provenance.refs.empty()) {
    json refs = json::array();
    for (const auto& r : f.provenance.refs) refs.push_back(json_text(r));
    p["refs"] = refs;
  }
  if (json a = attributes_to_json(f); !a.empty()) p["attributes"] = a;
  if (f.verification) {
    const Verification& v = *f.verification;
    json o;
    o["status"] = v.status;
    if (!v.reason.empty()) o["reason"] = json_text(v.reason);
    o["host"] = json_text(v.host);
    o["checked_at"] = v.checked_at;
    if (v.token_name) o["token_name"] = json_text(*v.token_name);
    o["scopes"] = v.scopes;
    if (v.expires_at) o["expires_at"] = *v.expires_at;
    if (v.last_used_at) o["last_used_at"] = *v.last_used_at;
    if (v.username) o["username"] = json_text(*v.username);
    if (v.is_admin) o["is_admin"] = *v.is_admin;
    o["risk_flags"] = v.risk_flags;
    p["verification"] = o;
  }
  if (f.suppressed)
    p["suppressed"] = {{"kind", f.suppressed->kind}, {"reason", json_text(f.suppressed->reason)}};
  if (f.subject) p["subject"] = subject_to_json(*f.subject);
  return p;
}

/// Importance for the cap: higher is kept first.
std::tuple<int, int, int> importance(const Finding& f) {
  const int live = f.verification && f.verification->status == "active" ? 1 : 0;
  return {f.suppressed ? 0 : 1, live, static_cast<int>(f.effective_severity())};
}

class SarifReporter final : public Reporter {
 public:
  SarifReporter(ReportOptions o, std::size_t max_results) : opts_(o), max_results_(max_results) {}

  Status write(const Report& r, std::ostream& out) override {
    const ScanInfo& scan = r.scan;
    // Rules: every loaded rule once, in rule-index order; a finding of an unknown rule (not
    // expected) gets a descriptor appended so ruleIndex is always valid.
    json rules = json::array();
    std::map<std::string, std::size_t> index;
    for (const auto& rule : scan.rules) {
      if (index.count(rule.id) != 0) continue;
      index.emplace(rule.id, rules.size());
      rules.push_back(rule_descriptor(rule));
    }
    for (const auto& f : r.findings) {
      if (index.count(f.rule_id) != 0) continue;
      Rule synthetic;
      synthetic.id = f.rule_id;
      synthetic.name = f.rule_name.empty() ? f.rule_id : f.rule_name;
      synthetic.description = synthetic.name;
      synthetic.severity = f.severity;
      synthetic.origin = "unknown";
      index.emplace(f.rule_id, rules.size());
      rules.push_back(rule_descriptor(synthetic));
    }

    // The cap: keep the most important findings, report them in the usual order.
    std::vector<std::size_t> order(r.findings.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::size_t dropped = 0;
    std::map<std::string, std::size_t> dropped_by_severity;
    if (order.size() > max_results_) {
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return importance(r.findings[a]) > importance(r.findings[b]);
      });
      for (std::size_t i = max_results_; i < order.size(); ++i)
        ++dropped_by_severity[std::string(to_string(r.findings[order[i]].effective_severity()))];
      dropped = order.size() - max_results_;
      order.resize(max_results_);
      std::sort(order.begin(), order.end());
    }

    json results = json::array();
    std::map<std::pair<std::string, std::string>, int> occurrences;  // (uri, fp) -> count
    std::size_t suppressed = 0;
    for (std::size_t i : order) {
      const Finding& f = r.findings[i];
      const std::string rel = relative_report_path(place_name(f.provenance), scan.targets);
      const std::string uri = location_uri(f, scan);
      const std::string fp = fingerprint(f);
      json res;
      res["ruleId"] = f.rule_id;
      res["ruleIndex"] = index.at(f.rule_id);
      res["kind"] = "fail";
      res["level"] = std::string(sarif_level(f.effective_severity()));
      res["message"] = {{"text", message_text(f, rel)}};
      const std::uint64_t start_line = std::max<std::uint64_t>(f.line, 1);
      const std::uint64_t start_col = std::max<std::uint64_t>(f.column, 1);
      const std::uint64_t end_line = std::max<std::uint64_t>(f.end_line, start_line);
      std::uint64_t end_col = std::max<std::uint64_t>(f.end_column, 1);
      if (end_line == start_line && end_col < start_col) end_col = start_col;
      json region = {{"startLine", start_line},
                     {"startColumn", start_col},
                     {"endLine", end_line},
                     {"endColumn", end_col}};
      json phys = {{"artifactLocation", {{"uri", uri}, {"uriBaseId", "%SRCROOT%"}}}, {"region", region}};
      json location = {{"physicalLocation", phys}};
      // Instance scans: the place on GitLab, openable (SARIF 2.1.0 §3.28.8 properties).
      if (const auto& src = f.provenance.source) {
        location["properties"] = {{"gitlab_source",
                                   {{"kind", src->kind},
                                    {"project", json_text(src->project)},
                                    {"web_url", json_text(src->web_url)}}}};
        if (!src->project.empty())
          location["logicalLocations"] =
              json::array({{{"name", json_text(src->project)}, {"kind", "module"}}});
      }
      res["locations"] = json::array({location});
      const int n = ++occurrences[{uri, fp}];
      res["partialFingerprints"] = {
          {"primaryLocationLineHash",
           sha256_hex("glpatrol/v1\n" + fp).substr(0, 16) + ":" + std::to_string(n)},
          {"glpatrol/fingerprint/v1", fp}};
      if (f.suppressed) {
        ++suppressed;
        json s;
        s["kind"] = f.suppressed->kind == "inline" ? "inSource" : "external";
        s["status"] = "accepted";
        s["justification"] = json_text(f.suppressed->kind + ": " + f.suppressed->reason);
        res["suppressions"] = json::array({s});
      }
      res["properties"] = result_properties(f);
      results.push_back(std::move(res));
    }

    json driver;
    driver["name"] = std::string(kToolName);
    driver["version"] = std::string(kToolVersion);
    driver["semanticVersion"] = std::string(kToolVersion);
    driver["informationUri"] = std::string(kToolUri);
    driver["rules"] = rules;

    json notifications = json::array();
    auto notify = [&](std::string_view level, const std::string& text) {
      notifications.push_back({{"level", std::string(level)}, {"message", {{"text", json_text(text)}}}});
    };
    if (dropped != 0)
      notify("warning", fmt::format("{} of {} findings were not included: GitHub code scanning accepts "
                                    "at most {} results per run; the most important (unsuppressed, "
                                    "verified, most severe) were kept. The JSON report has them all.",
                                    dropped, r.findings.size(), max_results_));
    if (!scan.complete)
      for (const auto& reason : scan.incomplete_reasons) notify("error", "scan incomplete: " + reason);
    for (const auto& w : scan.stats.warnings) notify("warning", w);

    json invocation;
    invocation["executionSuccessful"] = scan.complete;
    if (!scan.started_at.empty()) invocation["startTimeUtc"] = scan.started_at;
    if (!scan.finished_at.empty()) invocation["endTimeUtc"] = scan.finished_at;
    if (!notifications.empty()) invocation["toolExecutionNotifications"] = notifications;

    json run;
    run["tool"] = {{"driver", driver}};
    run["automationDetails"] = {
        {"id", "glpatrol-" + (scan.kind.empty() ? std::string("scan") : scan.kind) + "/"}};
    run["originalUriBaseIds"] = {
        {"%SRCROOT%", {{"description", {{"text", "The scanned directory or repository root."}}}}}};
    run["columnKind"] = "unicodeCodePoints";
    run["invocations"] = json::array({invocation});
    run["results"] = results;
    json cfg = json::array();
    for (const auto& c : scan.config_files) cfg.push_back(json_text(c));
    json dropped_sev = json::object();
    for (const auto& [k, v] : dropped_by_severity) dropped_sev[k] = v;
    run["properties"] = {{"glpatrol",
                          {{"scan_kind", scan.kind},
                           {"complete", scan.complete},
                           {"incomplete_reasons", scan.incomplete_reasons},
                           {"findings", r.findings.size()},
                           {"results", results.size()},
                           {"suppressed_results", suppressed},
                           {"dropped_results", dropped},
                           {"dropped_by_severity", dropped_sev},
                           {"max_results", max_results_},
                           {"config_files", cfg},
                           {"stats",
                            {{"files", scan.stats.files},
                             {"blobs", scan.stats.blobs},
                             {"bytes", scan.stats.bytes},
                             {"commits", scan.stats.commits},
                             {"skipped", scan.stats.skipped},
                             {"errors", scan.stats.errors}}}}}};

    json doc;
    doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
    doc["version"] = "2.1.0";
    doc["runs"] = json::array({run});
    out << doc.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    return Status::ok();
  }

 private:
  ReportOptions opts_;
  std::size_t max_results_;
};

}  // namespace

std::unique_ptr<Reporter> make_sarif_reporter_capped(const ReportOptions& o, std::size_t max_results) {
  return std::make_unique<SarifReporter>(o, max_results == 0 ? kMaxSarifResults : max_results);
}

std::unique_ptr<Reporter> make_sarif_reporter(const ReportOptions& o) {
  return make_sarif_reporter_capped(o, kMaxSarifResults);
}

}  // namespace glpatrol
