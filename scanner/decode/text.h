#pragma once
// Decoding encoded text around hint hits: base64 (standard or URL-safe, padded or not,
// line-wrapped), percent-encoding, JSON/JS string escapes and UTF-16 fragments.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "decode/hints.h"
#include "decode/types.h"

namespace glpatrol::decode {

/// A view is a window around its hint, not the whole encoded run: the cost of a chance hit in
/// a 50 MB base64 image is one window, not 50 MB (and a run with many hits is not decoded
/// once per hit, see decode_hits).
struct TextLimits {
  /// Decoded bytes kept before the hint: the token's left boundary and its key ("TOKEN=").
  std::size_t context_before = 256;
  /// Decoded bytes per view from the hint on: the longest token (a JWT job token is ~1 KB)
  /// plus, for depth-2 hints, the inner encoding of it (4/3 larger) with its own context.
  std::size_t max_view = 64u << 10;
};

/// Expands the encoded run around a hit of `hint` that ended at `hit_end` (a Hyperscan end
/// offset: the hit is content[hit_end - literal length, hit_end), or for a Base64 hint found
/// through `hint_pattern`, the literal's characters with line breaks between them) and
/// decodes a window of it.
///  - Base64: the grid comes from hint.phase, so the run may start anywhere. Breaks inside the
///    run are skipped: "\n"/"\r\n" plus indentation (PEM, MIME, YAML block scalars, wrapped
///    plain scalars) when the line on the other side is all base64, and JSON "\n"/"\r\n"
///    escapes; "\/" counts as '/'. The run ends at '=' padding or any other character.
///  - Percent: the run of URL characters (no space, quote, '<', '>', '&'), %XX unescaped.
///  - JsonEscape: the run of the string (up to an unescaped quote or a line end) unescaped:
///    \uXXXX (surrogate pairs to UTF-8), \xXX, \/, \\, \", \', \n, \r, \t, \b, \f, \v, \0.
///  - Utf16le/Utf16be: the run of ASCII code units (and \t \r \n) narrowed to bytes.
/// Returns nullopt when the hit does not fit (out of range, or fewer than hint.min_tail
/// encoded bytes follow it: no token fits) or nothing decodes.
std::optional<View> decode_at(std::string_view content, const Hint& hint, std::uint64_t hit_end,
                              const TextLimits& limits = {});

/// A hint hit reported by the scan: the index of the hint in the vector given to the scan and
/// the hit's end offset.
struct HintHit {
  std::uint32_t hint = 0;
  std::uint64_t end = 0;
};

/// decode_at for every hit of one content, in the order of the hits' end offsets, skipping
/// hits that an earlier view of the same encoding already covers (same base64 grid, at least
/// max_view/2 of decoded room after the hit or the run's end inside the view). Views may
/// overlap by up to context_before; de-duplicate findings by View::to_parent. Each view's
/// size is charged to `budget`; when it is spent, one Fault "decoded-size" is reported and the
/// remaining hits are dropped. Hits naming a hint outside `hints` are ignored.
std::vector<View> decode_hits(std::string_view content, const std::vector<Hint>& hints,
                              std::vector<HintHit> hits, const TextLimits& limits, DecodeBudget& budget,
                              const FaultFn& on_fault);

/// Every occurrence of every hint literal in `content` (overlapping ones too), by end offset:
/// a plain reference search (one pass per literal) for tests, fuzzing and tools. The scan
/// finds hints with its Hyperscan pass instead.
std::vector<HintHit> find_hint_hits(std::string_view content, const std::vector<Hint>& hints);

/// A Hyperscan/PCRE pattern matching `hint` the way decode_at accepts it: the literal
/// (metacharacters and non-printable bytes hex-escaped), and for Base64 hints one optional
/// line break ("\r\n"/"\n" plus indentation, or a JSON "\n"/"\r\n" escape) between any two
/// characters, so a prefix split by a 64- or 76-column wrap is still found. Use it instead of
/// the literal when wrapped base64 must be covered (bench/decode_bench.md measures the cost).
std::string hint_pattern(const Hint& hint);

}  // namespace glpatrol::decode
