#pragma once
// ISO 8601 UTC timestamps for reports, one implementation for every stage.
#include <chrono>
#include <cstdint>
#include <string>

namespace glpatrol {

/// "2026-11-27T21:35:19Z" for Unix seconds `t` (UTC, second precision).
std::string iso8601_utc(std::int64_t unix_seconds);

/// The same for a system_clock time point.
inline std::string iso8601(std::chrono::system_clock::time_point tp) {
  return iso8601_utc(static_cast<std::int64_t>(std::chrono::system_clock::to_time_t(tp)));
}

}  // namespace glpatrol
