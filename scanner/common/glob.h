#pragma once
// Path globs (--exclude, configuration excludes, ignore-file path globs): fnmatch(3) on the
// whole path and on every suffix after a '/', so "*.min.js" and "vendor/*" work at any depth.
#include <string>
#include <string_view>
#include <vector>

namespace glpatrol {

/// True when `path` matches `glob` (whole path or any '/'-suffix of it).
bool path_matches(std::string_view path, const std::string& glob);

/// True when `path` matches one of `globs`.
bool path_excluded(std::string_view path, const std::vector<std::string>& globs);

}  // namespace glpatrol
