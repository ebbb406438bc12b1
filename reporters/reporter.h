#pragma once
// Reporters turn a finished scan into bytes. They see only plain data (findings, rules,
// statistics); never Hyperscan, PCRE2 or libgit2 types. A reporter never prints a raw token
// unless ReportOptions::show_secrets is set.
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "findings/finding.h"
#include "findings/stats.h"
#include "rules/rule.h"

namespace glpatrol {

inline constexpr std::string_view kToolName = "glpatrol";
inline constexpr std::string_view kToolVersion = "0.1.0";
inline constexpr std::string_view kToolUri = "https://gitlab.com/glpatrol/glpatrol";
inline constexpr std::string_view kJsonSchemaVersion = "1.0.0";

/// Everything about the scan itself (not its findings).
struct ScanInfo {
  std::string kind;                  ///< dir | stdin | git | staged | range | pre-receive | merge
  std::vector<std::string> targets;  ///< paths / repositories as given
  std::string started_at, finished_at;  ///< ISO 8601 UTC
  double duration_seconds = 0.0;
  StatsSnapshot stats;
  bool complete = true;
  std::vector<std::string> incomplete_reasons;
  std::vector<std::string> config_files;  ///< configuration files that were loaded
  std::vector<Rule> rules;           ///< every loaded rule, in rule-index order
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();  ///< source-specific (range, commits, ...)
};

struct ReportOptions {
  bool show_secrets = false;   ///< include raw tokens (--show-secrets)
  bool color = false;          ///< ANSI colours (human format, TTY only)
  bool raw_extract = false;    ///< gitlab format: raw_source_code_extract (opt-in)
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

/// Known formats: human, json, jsonl, sarif, gitlab. nullptr + error for an unknown name.
Result<std::unique_ptr<Reporter>> make_reporter(std::string_view format, const ReportOptions& opts);
/// The list of format names, for --help and errors.
std::vector<std::string> reporter_formats();

/// One finding as the JSON object used by the json and jsonl formats.
nlohmann::ordered_json finding_to_json(const Finding& f, const ReportOptions& opts);
/// A string that may hold arbitrary bytes, as valid UTF-8 for JSON (invalid bytes -> U+FFFD).
std::string json_text(std::string_view bytes);

}  // namespace glpatrol
