#pragma once
// glpatrol's JSON report (docs/report.schema.json): the one mapping between the report's data
// (findings/finding.h, findings/scan_info.h) and JSON, in both directions. The json and jsonl
// reporters write through it; `glpatrol merge` reads reports back through it.
//
// What a JSON report cannot give back: the raw token (unless written with --show-secrets),
// the severity before a verification override (the effective one is read), and the inline
// allow marker (its suppression is kept). Rules come back as ids only.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "reporters/reporter.h"

namespace glpatrol {

/// One finding as the JSON object of the json and jsonl formats.
nlohmann::ordered_json finding_to_json(const Finding& f, const ReportOptions& opts);
/// `subject` of a `glpatrol audit` finding (docs/audit.md); text fields escaped like paths.
nlohmann::ordered_json subject_to_json(const AuditSubject& s);
/// A commit (or tag) as in the json report; merge_sha is null when absent.
nlohmann::ordered_json commit_to_json(const CommitInfo& c);
/// A finding's attributes (routing payload, JWT claims, encoding, repository).
nlohmann::ordered_json attributes_to_json(const Finding& f);
/// The report's "scan" object.
nlohmann::ordered_json scan_info_to_json(const ScanInfo& s);

/// A string that may hold arbitrary bytes, as valid UTF-8 for JSON (invalid bytes -> U+FFFD).
std::string json_text(std::string_view bytes);

/// Parses a report's text; `origin` names it in errors. Errors: not JSON, not glpatrol,
/// schema major other than 1, a finding without rule id / valid fingerprint fields.
Result<Report> parse_json_report(std::string_view text, const std::string& origin);

/// Reads and parses a report file (at most 4 GiB).
Result<Report> load_json_report(const std::string& path);

}  // namespace glpatrol
