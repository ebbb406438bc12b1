#pragma once
// Paths as CI systems want them. GitHub code scanning and GitLab's vulnerability report
// resolve locations relative to the repository root, so a finding found under a scanned
// directory is reported relative to that directory ("glpatrol dir /ci/checkout" reports
// "src/a.env", not "/ci/checkout/src/a.env"). Used by the sarif and gitlab formats; the
// json format keeps the path exactly as found.
#include <string>
#include <string_view>
#include <vector>

#include "findings/finding.h"

namespace glpatrol {

/// The finding's path relative to the scan target it was found under (leading "./"
/// removed). A path outside every target is returned unchanged. Raw bytes (may be invalid
/// UTF-8). Empty for locations without a path (commit messages).
std::string relative_report_path(std::string_view path, const std::vector<std::string>& targets);

/// Percent-encodes `path` as a relative URI reference (RFC 3986): every byte outside the
/// unreserved set and '/' is encoded, so spaces, controls, '%', '#', '?', non-ASCII and
/// invalid UTF-8 bytes all survive losslessly. An absolute path becomes a file:/// URI.
std::string path_to_uri(std::string_view path);

/// A stable identifier in UUID form derived from `key` (SHA-256 based, version nibble 8 =
/// "custom", RFC 9562). Same key, same id, on every machine.
std::string stable_uuid(std::string_view key);

}  // namespace glpatrol
