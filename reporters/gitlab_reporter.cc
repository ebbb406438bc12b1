// gitlab: GitLab's secret-detection report (gl-secret-detection-report.json), schema 15.2.1
// (docs/reports.md). Valid against the schema for every input: timestamps without a zone
// (the schema's pattern), non-empty identifier strings, text always valid UTF-8.
//
// - vulnerabilities[].id is stable: derived from the content fingerprint and the location
//   (path, line, commit), never from run order or time.
// - identifiers: the glpatrol rule id first (GitLab tracks by the first identifier).
// - location.commit: the real commit for history findings; for working-tree scans the
//   documented placeholder sha "0000000" (what GitLab's own analyzer emits there).
// - raw_source_code_extract holds the raw token, which GitLab needs for its token-status
//   features, so it is written only with --gitlab-raw-extract (ReportOptions::raw_extract).
// - suppressed findings are not listed as vulnerabilities (GitLab would open them); the
//   scan messages say how many there were, and the JSON/SARIF reports keep them.
#include <fmt/format.h>

#include <map>

#include "common/encoding.h"
#include "reporters/report_paths.h"
#include "reporters/report_json.h"

namespace glpatrol {

inline constexpr std::string_view kGitlabSchemaVersion = "15.2.1";
inline constexpr std::string_view kWorkingTreeSha = "0000000";

namespace {

using json = nlohmann::ordered_json;

std::string gitlab_severity(Severity s) {
  switch (s) {
    case Severity::Critical:
      return "Critical";
    case Severity::High:
      return "High";
    case Severity::Medium:
      return "Medium";
    case Severity::Low:
      return "Low";
    case Severity::Info:
      return "Info";
  }
  return "Unknown";
}

/// "2026-11-27T21:35:19Z" -> "2026-11-27T21:35:19" (the schema's timestamp has no zone; the
/// values are UTC).
std::string gitlab_time(const std::string& iso) {
  if (iso.size() >= 19) return iso.substr(0, 19);
  return "1970-01-01T00:00:00";
}

std::string non_empty(std::string s, std::string_view fallback) {
  return s.empty() ? std::string(fallback) : s;
}

json identifier(const std::string& rule_id, const std::vector<std::string>& references) {
  json id;
  id["type"] = "glpatrol_rule_id";
  id["name"] = "glpatrol rule " + rule_id;
  id["value"] = rule_id;
  for (const auto& ref : references)
    if (ref.rfind("https://", 0) == 0 || ref.rfind("http://", 0) == 0) {
      id["url"] = ref;
      break;
    }
  return id;
}

json text_detail(const std::string& name, const std::string& value) {
  return {{"name", name}, {"type", "text"}, {"value", json_text(value)}};
}

const std::string kSolution =
    "Revoke the token in GitLab first (the owner's Access tokens page, the project or group "
    "settings, or an administrator's token API) and assume it was used: check the audit "
    "events. Replace it where it is needed (CI/CD variables, a secrets manager). Then remove "
    "it from the code and from git history (git filter-repo). Rewriting history alone does "
    "not make a leaked token safe: only revocation does.";

class GitlabReporter final : public Reporter {
 public:
  explicit GitlabReporter(ReportOptions o) : opts_(o) {}

  Status write(const Report& r, std::ostream& out) override {
    const ScanInfo& scan = r.scan;
    std::map<std::string, const Rule*> rules;
    for (const auto& rule : scan.rules) rules.emplace(rule.id, &rule);

    json vulns = json::array();
    std::size_t suppressed = 0;
    for (const Finding& f : r.findings) {
      if (f.suppressed) {
        ++suppressed;
        continue;
      }
      const Rule* rule = rules.count(f.rule_id) ? rules.at(f.rule_id) : nullptr;
      const std::string rel = relative_report_path(place_name(f.provenance), scan.targets);
      const std::string sha = f.provenance.commit ? f.provenance.commit->sha : std::string(kWorkingTreeSha);
      json v;
      v["id"] =
          stable_uuid(fmt::format("glpatrol-gitlab/v1\n{}\n{}\n{}\n{}", fingerprint(f), rel, f.line, sha));
      v["name"] = json_text(non_empty(f.rule_name, f.rule_id)).substr(0, 255);
      std::string desc = rule && !rule->description.empty() ? rule->description : f.rule_name;
      desc += fmt::format(" Found {} in {} at line {}", f.redacted, rel, f.line);
      if (f.provenance.commit) desc += ", introduced in commit " + f.provenance.commit->sha.substr(0, 12);
      if (f.provenance.in_head && !*f.provenance.in_head) desc += " (no longer in HEAD, still in history)";
      desc += ".";
      v["description"] = json_text(desc);
      v["severity"] = gitlab_severity(f.effective_severity());
      v["solution"] = kSolution;
      json ids = json::array({identifier(f.rule_id, rule ? rule->references : std::vector<std::string>{})});
      v["identifiers"] = ids;
      json links = json::array();
      if (rule)
        for (const auto& ref : rule->references)
          if (ref.rfind("https://", 0) == 0 || ref.rfind("http://", 0) == 0) links.push_back({{"url", ref}});
      // Instance scans: the exact place on the instance (blob line, job log line, note).
      if (f.provenance.source && !f.provenance.source->web_url.empty())
        links.push_back({{"name", "Where on GitLab (" + f.provenance.source->kind + ")"},
                         {"url", json_text(f.provenance.source->web_url)}});
      if (!links.empty()) v["links"] = links;

      json loc;
      loc["file"] = json_text(rel);
      loc["start_line"] = std::max<std::uint64_t>(f.line, 1);
      loc["end_line"] = std::max<std::uint64_t>(std::max<std::uint64_t>(f.end_line, f.line), 1);
      json commit;
      commit["sha"] = sha;
      if (f.provenance.commit) {
        std::string author = f.provenance.commit->author_name;
        if (!f.provenance.commit->author_email.empty())
          author += " <" + f.provenance.commit->author_email + ">";
        commit["author"] = json_text(author);
        commit["date"] = f.provenance.commit->date;
        commit["message"] = json_text(f.provenance.commit->message);
      }
      loc["commit"] = commit;
      v["location"] = loc;
      if (opts_.raw_extract) v["raw_source_code_extract"] = json_text(f.secret);

      json details = json::object();
      details["fingerprint"] = text_detail("Fingerprint", fingerprint(f));
      details["token"] = text_detail("Token (redacted)", f.redacted);
      details["secret_sha256"] = text_detail("Token SHA-256", f.secret_sha256);
      if (const auto cs = to_string(f.checksum); !cs.empty())
        details["checksum"] = text_detail("Checksum", std::string(cs));
      if (f.provenance.blob_id) details["blob_id"] = text_detail("Blob", *f.provenance.blob_id);
      if (f.provenance.in_head)
        details["in_head"] = text_detail("Still in HEAD", *f.provenance.in_head ? "yes" : "no");
      if (f.provenance.commit && f.provenance.commit->merge_sha)
        details["merge_commit"] = text_detail("Merge commit", *f.provenance.commit->merge_sha);
      if (f.verification) {
        std::string status = f.verification->status;
        if (!f.verification->reason.empty()) status += " (" + f.verification->reason + ")";
        details["verification"] = text_detail("GitLab verification", status);
        if (!f.verification->risk_flags.empty()) {
          std::string flags;
          for (const auto& s : f.verification->risk_flags) flags += (flags.empty() ? "" : ", ") + s;
          details["risk_flags"] = text_detail("Risk flags", flags);
        }
      }
      v["details"] = details;
      vulns.push_back(std::move(v));
    }

    json messages = json::array();
    auto message = [&](std::string_view level, const std::string& text) {
      if (!text.empty()) messages.push_back({{"level", std::string(level)}, {"value", json_text(text)}});
    };
    if (suppressed != 0)
      message("info", fmt::format("{} suppressed finding(s) are not listed (baseline, ignore file or "
                                  "inline allow); the JSON report lists them with their reasons.",
                                  suppressed));
    if (!scan.complete)
      for (const auto& reason : scan.incomplete_reasons) message("warn", "scan incomplete: " + reason);
    for (const auto& w : scan.stats.warnings) message("warn", w);
    for (const auto& c : scan.config_files) message("info", "configuration loaded: " + c);
    if (!opts_.raw_extract)
      message("info",
              "raw_source_code_extract omitted (tokens stay out of CI artifacts); "
              "--gitlab-raw-extract enables GitLab's token-status features.");

    json vendor = {{"name", "glpatrol"}};
    json tool;
    tool["id"] = std::string(kToolName);
    tool["name"] = "glpatrol";
    tool["url"] = std::string(kToolUri);
    tool["vendor"] = vendor;
    tool["version"] = std::string(kToolVersion);

    json primary = json::array();
    for (const auto& rule : scan.rules) primary.push_back(identifier(rule.id, rule.references));

    json s;
    s["analyzer"] = tool;
    s["scanner"] = tool;
    s["type"] = "secret_detection";
    s["start_time"] = gitlab_time(scan.started_at);
    s["end_time"] = gitlab_time(scan.finished_at.empty() ? scan.started_at : scan.finished_at);
    s["status"] = scan.complete ? "success" : "failure";
    if (!messages.empty()) s["messages"] = messages;
    json options = json::array();
    options.push_back({{"name", "scan_kind"}, {"value", scan.kind}, {"source", "argument"}});
    options.push_back(
        {{"name", "raw_source_code_extract"}, {"value", opts_.raw_extract}, {"source", "argument"}});
    s["options"] = options;
    if (!primary.empty()) s["primary_identifiers"] = primary;

    json doc;
    doc["version"] = std::string(kGitlabSchemaVersion);
    doc["scan"] = s;
    doc["vulnerabilities"] = vulns;
    doc["remediations"] = json::array();
    out << doc.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    return Status::ok();
  }

 private:
  ReportOptions opts_;
};

}  // namespace

std::unique_ptr<Reporter> make_gitlab_reporter(const ReportOptions& o) {
  return std::make_unique<GitlabReporter>(o);
}

}  // namespace glpatrol
