#pragma once
// ISO 8601 UTC timestamps for reports, one implementation for every stage.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace glpatrol {

/// "2026-11-27T21:35:19Z" for Unix seconds `t` (UTC, second precision).
std::string iso8601_utc(std::int64_t unix_seconds);

/// The same for a system_clock time point.
inline std::string iso8601(std::chrono::system_clock::time_point tp) {
  return iso8601_utc(static_cast<std::int64_t>(std::chrono::system_clock::to_time_t(tp)));
}

/// Unix seconds of an ISO 8601 date or date-time: "2024-01-01" (midnight UTC),
/// "2024-01-01T12:30", "2024-01-01T12:30:05", with optional fractional seconds and "Z" or a
/// "+01:00"/"-0500" offset (none: UTC), "T" or a space between date and time. nullopt unless
/// the whole text is such a value with valid fields.
std::optional<std::int64_t> parse_iso8601(std::string_view text);

}  // namespace glpatrol
