#pragma once
// GitLab routable tokens: <prefix><base64url payload>[.<version>].<LL><CRC7>
//   LL   base36 length of the payload (2 chars); CRC7 = base36(crc32(token[0..len-7))), 7 chars.
// The checksum covers the exact prefix, so for a candidate suffix the true token start is the
// one whose CRC validates; that is how tokens with unknown (custom/instance) prefixes are found.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glpatrol {

struct RoutableToken {
  std::size_t start = 0;  ///< offset of the first prefix byte within the searched text
  std::size_t end = 0;    ///< exclusive
  std::string prefix;     ///< bytes before the payload (may be empty)
  bool versioned = false;
  std::string version;  ///< "01" etc. when versioned
  /// Decoded routing payload: key -> decimal value (c cell, o organization, g group,
  /// p project, u user, t runner type). Empty when the payload does not decode.
  std::vector<std::pair<std::string, std::string>> routing;
};

/// Looks for a routable token ending exactly at `end` in `text`, with at most `max_prefix`
/// prefix bytes from GitLab's prefix charset [A-Za-z0-9_+=/@:.-]. Returns the longest-prefix
/// candidate whose CRC-32 validates, or nullopt. `min_start` bounds the look-back.
std::optional<RoutableToken> find_routable_ending_at(std::string_view text, std::size_t end,
                                                     std::size_t min_start = 0, std::size_t max_prefix = 20);

/// True when `token` (exactly) is a routable token with a valid checksum.
bool routable_crc_valid(std::string_view token);

}  // namespace glpatrol
