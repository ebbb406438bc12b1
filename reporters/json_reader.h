#pragma once
// Reads a glpatrol JSON report (-f json, docs/report.schema.json, schema 1.x) back into a
// Report: the scan metadata and every finding, as written. Used by `glpatrol merge` to
// combine shard reports. (The baseline reader in findings/suppress only needs fingerprints
// and stays separate; both refuse another tool's or another schema major's report.)
//
// What a JSON report cannot give back: the raw token (unless written with --show-secrets),
// the severity before a verification override (the effective one is read), and the inline
// allow marker (its suppression is kept). Rules come back as ids only.
#include <string>
#include <string_view>

#include "common/error.h"
#include "reporters/reporter.h"

namespace glpatrol {

/// Parses a report's text; `origin` names it in errors. Errors: not JSON, not glpatrol,
/// schema major other than 1, a finding without rule id / valid fingerprint fields.
Result<Report> parse_json_report(std::string_view text, const std::string& origin);

/// Reads and parses a report file (at most 4 GiB).
Result<Report> load_json_report(const std::string& path);

}  // namespace glpatrol
