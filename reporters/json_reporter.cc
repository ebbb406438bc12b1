// json: one document (docs/report.schema.json). jsonl: one finding object per line.
#include <map>

#include "common/encoding.h"
#include "reporters/reporter.h"

namespace glpatrol {

std::string json_text(std::string_view bytes) { return to_valid_utf8(bytes); }

namespace {
nlohmann::ordered_json optional_string(const std::optional<std::string>& s) {
  return s ? nlohmann::ordered_json(json_text(*s)) : nlohmann::ordered_json(nullptr);
}
}  // namespace

nlohmann::ordered_json finding_to_json(const Finding& f, const ReportOptions& opts) {
  nlohmann::ordered_json j;
  j["rule_id"] = f.rule_id;
  j["rule_name"] = f.rule_name;
  j["severity"] = std::string(to_string(f.effective_severity()));
  j["fingerprint"] = fingerprint(f);
  j["secret_sha256"] = f.secret_sha256;
  j["redacted"] = json_text(f.redacted);
  if (opts.show_secrets) j["secret"] = json_text(f.secret);
  j["location_kind"] = f.location_kind;
  j["path"] = json_text(f.path);
  if (!is_valid_utf8(f.path)) j["path_bytes_b64"] = base64_encode(f.path);
  j["line"] = f.line;
  j["column"] = f.column;
  j["end_line"] = f.end_line;
  j["end_column"] = f.end_column;
  j["offset"] = f.offset;
  const auto cs = to_string(f.checksum);
  j["checksum"] = cs.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(std::string(cs));
  nlohmann::ordered_json attrs = nlohmann::ordered_json::object();
  for (const auto& [k, v] : f.attributes) attrs[k] = json_text(v);
  j["attributes"] = attrs;
  j["blob_id"] = optional_string(f.blob_id);
  if (f.commit) {
    nlohmann::ordered_json c;
    c["sha"] = f.commit->sha;
    c["author_name"] = json_text(f.commit->author_name);
    c["author_email"] = json_text(f.commit->author_email);
    c["date"] = f.commit->date;
    c["message"] = json_text(f.commit->message);
    c["merge_sha"] = optional_string(f.commit->merge_sha);
    j["commit"] = c;
  } else {
    j["commit"] = nullptr;
  }
  j["in_head"] = f.in_head ? nlohmann::ordered_json(*f.in_head) : nlohmann::ordered_json(nullptr);
  if (!f.refs.empty()) {
    nlohmann::ordered_json refs = nlohmann::ordered_json::array();
    for (const auto& r : f.refs) refs.push_back(json_text(r));
    j["refs"] = refs;
  }
  if (f.suppressed) {
    j["suppressed"] = {{"kind", f.suppressed->kind}, {"reason", json_text(f.suppressed->reason)}};
  } else {
    j["suppressed"] = nullptr;
  }
  if (f.verification) {
    const Verification& v = *f.verification;
    nlohmann::ordered_json o;
    o["status"] = v.status;
    o["reason"] = v.reason.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(json_text(v.reason));
    o["host"] = v.host;
    o["checked_at"] = v.checked_at;
    o["token_name"] = optional_string(v.token_name);
    o["scopes"] = v.scopes;
    o["created_at"] = optional_string(v.created_at);
    o["expires_at"] = optional_string(v.expires_at);
    o["last_used_at"] = optional_string(v.last_used_at);
    o["user_id"] = v.user_id ? nlohmann::ordered_json(*v.user_id) : nlohmann::ordered_json(nullptr);
    o["username"] = optional_string(v.username);
    o["is_admin"] = v.is_admin ? nlohmann::ordered_json(*v.is_admin) : nlohmann::ordered_json(nullptr);
    o["risk_flags"] = v.risk_flags;
    j["verification"] = o;
  } else {
    j["verification"] = nullptr;
  }
  return j;
}

namespace {

nlohmann::ordered_json scan_to_json(const ScanInfo& s) {
  nlohmann::ordered_json j;
  j["kind"] = s.kind;
  nlohmann::ordered_json targets = nlohmann::ordered_json::array();
  for (const auto& t : s.targets) targets.push_back(json_text(t));
  j["targets"] = targets;
  j["started_at"] = s.started_at;
  j["finished_at"] = s.finished_at;
  j["duration_seconds"] = s.duration_seconds;
  j["stats"] = {{"files", s.stats.files},     {"blobs", s.stats.blobs},
                {"bytes", s.stats.bytes},     {"skipped", s.stats.skipped},
                {"errors", s.stats.errors},   {"commits", s.stats.commits}};
  j["complete"] = s.complete;
  j["incomplete_reasons"] = s.incomplete_reasons;
  nlohmann::ordered_json warnings = nlohmann::ordered_json::array();
  for (const auto& w : s.stats.warnings) warnings.push_back(json_text(w));
  j["warnings"] = warnings;
  nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
  for (const auto& k : s.stats.skips)
    skipped.push_back({{"path", json_text(k.path)}, {"reason", k.reason},
                       {"detail", json_text(k.detail)}, {"error", k.is_error}});
  j["skipped"] = skipped;
  nlohmann::ordered_json cfg = nlohmann::ordered_json::array();
  for (const auto& c : s.config_files) cfg.push_back(json_text(c));
  j["config_files"] = cfg;
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  for (const auto& r : s.rules) rules.push_back(r.id);
  j["rules"] = rules;
  for (auto it = s.extra.begin(); it != s.extra.end(); ++it) j[it.key()] = it.value();
  return j;
}

class JsonReporter final : public Reporter {
 public:
  explicit JsonReporter(ReportOptions o) : opts_(o) {}
  Status write(const Report& r, std::ostream& out) override {
    nlohmann::ordered_json doc;
    doc["schema_version"] = std::string(kJsonSchemaVersion);
    doc["tool"] = {{"name", std::string(kToolName)}, {"version", std::string(kToolVersion)}};
    doc["scan"] = scan_to_json(r.scan);
    nlohmann::ordered_json findings = nlohmann::ordered_json::array();
    std::map<std::string, int> by_sev;
    std::size_t suppressed = 0;
    std::map<std::string, bool> tokens;
    for (const auto& f : r.findings) {
      findings.push_back(finding_to_json(f, opts_));
      if (f.suppressed) ++suppressed;
      else ++by_sev[std::string(to_string(f.effective_severity()))];
      tokens[f.secret_sha256] = true;
    }
    doc["findings"] = findings;
    doc["summary"] = {{"findings", r.findings.size()},
                      {"suppressed", suppressed},
                      {"unsuppressed", r.findings.size() - suppressed},
                      {"unique_tokens", tokens.size()},
                      {"by_severity", by_sev}};
    out << doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
    return Status::ok();
  }

 private:
  ReportOptions opts_;
};

class JsonlReporter final : public Reporter {
 public:
  explicit JsonlReporter(ReportOptions o) : opts_(o) {}
  Status write(const Report& r, std::ostream& out) override {
    for (const auto& f : r.findings)
      out << finding_to_json(f, opts_).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
          << '\n';
    return Status::ok();
  }

 private:
  ReportOptions opts_;
};

}  // namespace

std::unique_ptr<Reporter> make_json_reporter(const ReportOptions& o) {
  return std::make_unique<JsonReporter>(o);
}
std::unique_ptr<Reporter> make_jsonl_reporter(const ReportOptions& o) {
  return std::make_unique<JsonlReporter>(o);
}

}  // namespace glpatrol
