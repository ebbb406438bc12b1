// json: one document (docs/report.schema.json). jsonl: one finding object per line.
#include <map>

#include "common/encoding.h"
#include "reporters/report_json.h"

namespace glpatrol {

namespace {

class JsonReporter final : public Reporter {
 public:
  explicit JsonReporter(ReportOptions o) : opts_(o) {}
  Status write(const Report& r, std::ostream& out) override {
    nlohmann::ordered_json doc;
    doc["schema_version"] = std::string(kJsonSchemaVersion);
    doc["tool"] = {{"name", std::string(kToolName)}, {"version", std::string(kToolVersion)}};
    doc["scan"] = scan_info_to_json(r.scan);
    nlohmann::ordered_json findings = nlohmann::ordered_json::array();
    std::map<std::string, int> by_sev;
    std::size_t suppressed = 0;
    std::map<std::string, bool> tokens;
    for (const auto& f : r.findings) {
      findings.push_back(finding_to_json(f, opts_));
      if (f.suppressed)
        ++suppressed;
      else
        ++by_sev[std::string(to_string(f.effective_severity()))];
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
