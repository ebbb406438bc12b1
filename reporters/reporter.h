#pragma once
// Reporters turn a finished scan into bytes. They see only plain data (findings, rules,
// statistics); never Hyperscan, PCRE2 or libgit2 types. A reporter never prints a raw token
// unless ReportOptions::show_secrets is set.
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "findings/finding.h"
#include "findings/report_header.h"
#include "findings/scan_info.h"
#include "glpatrol_version.h"

namespace glpatrol {

inline constexpr std::string_view kToolName = "glpatrol";
inline constexpr std::string_view kToolVersion = GLPATROL_VERSION;
inline constexpr std::string_view kToolUri = "https://gitlab.com/glpatrol/glpatrol";
inline constexpr std::string_view kJsonSchemaVersion = kReportSchemaVersion;

struct ReportOptions {
  bool show_secrets = false;  ///< include raw tokens (--show-secrets)
  bool color = false;         ///< ANSI colours (human format, TTY only)
  bool raw_extract = false;   ///< gitlab format: raw_source_code_extract (opt-in)
};

struct Report {
  ScanInfo scan;
  std::vector<Finding> findings;  ///< sorted with finding_less
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  /// Writes the whole report to `out`. Errors only for invalid input; stream errors are the
  /// caller's to check.
  virtual Status write(const Report& report, std::ostream& out) = 0;
};

/// Known formats: human, json, jsonl, sarif, gitlab, html. An error also for a format that
/// refuses the options (html with show_secrets). nullptr + error for an unknown name.
Result<std::unique_ptr<Reporter>> make_reporter(std::string_view format, const ReportOptions& opts);
/// The list of format names, for --help and errors.
std::vector<std::string> reporter_formats();

}  // namespace glpatrol
