#pragma once
// The one check that a JSON document is a glpatrol report this version can read back: used
// for baselines (findings/suppress) and for `glpatrol merge` (reporters/report_json.h).
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"

namespace glpatrol {

/// Major version of the JSON report schema this glpatrol writes and reads (1.x).
inline constexpr const char* kReportSchemaVersion = "1.0.0";

/// Parses `text` and checks it is a glpatrol JSON report of schema 1.x with a "findings"
/// array. Errors (configuration errors, exit 2) start with `what` ("x.json: baseline") and
/// say what the file is instead: not JSON, another tool's report, another schema major.
Result<nlohmann::ordered_json> parse_report_document(std::string_view text, const std::string& what,
                                                     const std::string& origin);

}  // namespace glpatrol
