#include "reporters/html_report.h"
#include "reporters/reporter.h"

namespace glpatrol {

std::unique_ptr<Reporter> make_json_reporter(const ReportOptions& o);
std::unique_ptr<Reporter> make_jsonl_reporter(const ReportOptions& o);
std::unique_ptr<Reporter> make_human_reporter(const ReportOptions& o);
std::unique_ptr<Reporter> make_sarif_reporter(const ReportOptions& o);
std::unique_ptr<Reporter> make_gitlab_reporter(const ReportOptions& o);

std::vector<std::string> reporter_formats() { return {"human", "json", "jsonl", "sarif", "gitlab", "html"}; }

Result<std::unique_ptr<Reporter>> make_reporter(std::string_view format, const ReportOptions& o) {
  if (format == "human") return make_human_reporter(o);
  if (format == "json") return make_json_reporter(o);
  if (format == "jsonl") return make_jsonl_reporter(o);
  if (format == "sarif") return make_sarif_reporter(o);
  if (format == "gitlab") return make_gitlab_reporter(o);
  if (format == "html") return make_html_reporter(o);  // refuses --show-secrets
  std::string known;
  for (const auto& f : reporter_formats()) known += (known.empty() ? "" : ", ") + f;
  return Error::usage("unknown report format '" + std::string(format) + "' (known: " + known + ")");
}

}  // namespace glpatrol
