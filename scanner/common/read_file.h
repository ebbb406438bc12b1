// Reading small whole files the scanner trusts only so far: ignore files, baselines, git's
// index. Bounded and regular-file only, so a FIFO or a huge file named there cannot hang or
// exhaust the process.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace glpatrol {

/// The whole content of the regular file `path`, at most `max` bytes. Errors name the file and
/// `what` it is: "<path>: cannot read <what>: <reason>", "... is not a regular file",
/// "... is too large (N bytes, limit M)".
Result<std::string> read_regular_file(const std::string& path, std::uint64_t max, std::string_view what);

}  // namespace glpatrol
