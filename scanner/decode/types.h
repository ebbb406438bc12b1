#pragma once
// Vocabulary shared by the decoders: encodings, decoded views, faults and the per-blob budget.
// See decode.h for the design.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace glpatrol::decode {

/// How the bytes of a View were encoded in their parent content.
enum class Encoding { Base64, Utf16le, Utf16be, Percent, JsonEscape };

/// Stable lowercase names for reports and attributes: "base64", "utf-16le", "utf-16be",
/// "percent", "json-escape".
std::string_view to_string(Encoding e);

/// Reads up to `cap` bytes into `buf`; returns bytes read (0 = EOF) or -1 with errno set.
/// Same shape as glpatrol::ReadFn (matcher/matcher.h), so a member reader feeds
/// Matcher::scan_stream directly.
using ReadFn = std::function<long(char* buf, std::size_t cap)>;

/// A decoded view of part of a content.
struct View {
  Encoding encoding = Encoding::Base64;
  std::uint64_t begin = 0, end = 0;  ///< the encoded span in the parent content (half-open)
  std::string bytes;                 ///< decoded bytes

  /// Offset in the parent content of the encoded text that produced decoded byte `offset`
  /// (`offset == bytes.size()` maps to `end`). Exact for every encoding: line breaks inside
  /// a wrapped base64 run and escapes of different lengths are accounted for. Use it to report
  /// a finding at its encoded location and to de-duplicate findings of overlapping views.
  std::uint64_t to_parent(std::uint64_t offset) const;

  /// Internal: piecewise-linear map from "units" to parent offsets, one anchor wherever the
  /// encoded text is not contiguous. Units are clean base64 characters for Base64 (decoded
  /// byte d starts in unit d*4/3), decoded bytes otherwise; each unit is `stride` parent bytes
  /// (2 for UTF-16, else 1). Sorted by `unit`; the first anchor is unit 0.
  struct Anchor {
    std::uint64_t unit, parent;
  };
  std::vector<Anchor> anchors;
};

/// A problem that lost coverage or was refused. `reason` is a stable word:
///   encrypted        an encrypted member (no passphrase is ever tried)
///   corrupt-archive  the container is damaged or not readable; members before it were reported
///   truncated        the container or a member ends early; the bytes read so far were reported
///   decoded-size     the per-blob decoded-bytes budget (DecodeBudget::max_decoded) is spent
///   member-size      a member is larger than ArchiveLimits::max_member_size (its head was read)
///   ratio            decompressed/compressed above ArchiveLimits::max_ratio (a compression bomb)
///   members          the per-blob member budget (DecodeBudget::max_members) is spent
///   depth            nesting deeper than the caller allows (the caller reports this one)
///   unsupported      a member needs a feature the reader lacks (e.g. an unknown compression)
/// `member` is the member's raw name (empty for the container itself), `detail` a human
/// sentence (libarchive's message where there is one).
struct Fault {
  std::string reason, member, detail;
};
using FaultFn = std::function<void(const Fault&)>;

/// Shared across one top-level blob's whole recursion (text views and archive members at all
/// depths), so that nesting cannot multiply the work: a 50-deep archive or a Secret of a
/// Secret spends the same budget as one flat file.
struct DecodeBudget {
  std::uint64_t max_decoded = 256u << 20;  ///< decoded/decompressed bytes (--max-decoded-size)
  std::uint64_t max_members = 100'000;     ///< archive members, all containers, all depths
  std::uint64_t decoded = 0;               ///< spent so far
  std::uint64_t members = 0;               ///< spent so far

  std::uint64_t decoded_left() const { return decoded >= max_decoded ? 0 : max_decoded - decoded; }
};

}  // namespace glpatrol::decode
