#pragma once
// Hint literals: the encoded forms of token prefixes. The matcher searches for them (in their
// own Hyperscan database, inside the runs matcher/hint_gate.h finds), so that encoded content
// is decoded only where an encoded prefix actually occurs (decode.h explains the design).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "decode/types.h"

namespace glpatrol::decode {

/// A literal whose presence means "an encoded token prefix may be here".
struct Hint {
  std::string literal;
  Encoding encoding = Encoding::Base64;
  /// Base64 only: 1 = base64 of the prefix; 2 = base64 of base64 of it (a Kubernetes Secret
  /// holding a .dockerconfigjson whose `auth` holds the token). A depth-2 hit decodes one
  /// level; the view holds a depth-1 hint for the caller's next recursion step.
  std::uint8_t depth = 1;
  /// Base64 only: position of the literal's first character inside its 4-character quantum.
  /// It pins the decoding grid, so a run decodes correctly wherever it starts (glued to other
  /// alphanumerics, or with a line-wrapped start) and a window can start mid-run.
  std::uint8_t phase = 0;
  /// Encoded bytes (line breaks not counted) that must follow the literal for the shortest
  /// token body to fit; a hit with less is rejected without decoding.
  std::uint32_t min_tail = 0;
  std::string prefix;  ///< the token prefix this literal encodes (first one, for diagnostics)
};

struct HintOptions {
  /// Base64 forms with fewer characters are dropped: shorter literals hit too often by
  /// chance. 6 keeps every built-in prefix covered at every alignment (5-byte prefixes such as
  /// glft- give exactly 6) at 64^-6 chance hits per position: 0 hits in 0.78 GB of
  /// /usr/share and 0.13 GB of random base64 (bench/decode_bench.md). A 4-byte custom prefix
  /// gets no base64 form (5 characters would hit ~30 times per GB of base64).
  std::size_t min_base64_chars = 6;
  /// UTF-16 forms shorter than this many bytes are dropped (NUL-rich binaries).
  std::size_t min_utf16_bytes = 8;
  /// Shortest token body after any prefix (20 for every GitLab token kind); sets min_tail.
  std::size_t min_body = 20;
  /// Base64-of-base64 forms (9 per prefix). The costliest family: the 135 of the 15 built-in
  /// prefixes alone, in one database with the rules, took that pass off Hyperscan's
  /// small-literal-set fast path (-47% on source text, -74% on binary; bench/decode_bench.md).
  /// Double encoding is mostly a
  /// registry credential in a Kubernetes dockerconfigjson Secret, so `depth2_prefixes` can
  /// limit them to the token kinds used there (PAT, deploy and job tokens, custom PAT and
  /// instance prefixes); empty means every prefix.
  bool depth2 = true;
  std::vector<std::string> depth2_prefixes;
  /// The built-in prefixes that get hints at all (empty: every prefix). The caller
  /// (RuleDb::build) applies it; prefixes that are not built-in keywords (custom PAT prefixes,
  /// rules from files) always get hints.
  std::vector<std::string> prefixes;
  /// The other families, each ~2 literals per prefix.
  bool utf16 = true;
  bool escapes = true;  ///< percent and JSON/JS escapes
  // Cost (bench/decode_bench.md 3, 3c): the hint database runs at ~2.5-5 GB/s whatever the
  // mix past ~100 literals, but only over the runs the gate passes (0.3-10 % of source text).
};

/// Hint literals for these token prefixes, de-duplicated (same literal, encoding, depth and
/// phase), in a stable order. Per prefix:
///  - Base64, standard and URL-safe alphabets, the prefix at each of the 3 byte alignments:
///    only the characters fully determined by the prefix; and the same for base64 of those
///    characters (depth 2). Forms shorter than `min_base64_chars` are dropped.
///  - UTF-16LE and UTF-16BE of the prefix.
///  - Percent: the reserved (not RFC 3986 unreserved -._~) characters %XX-encoded, upper-
///    and lowercase hex, as standard URL encoders write them; none for prefixes without
///    reserved characters (glpat-).
///  - JsonEscape: the non-alphanumeric characters as \u00XX (upper/lower hex), the whole
///    prefix as \u00xx, and '/' as "\/".
/// Prefixes are bytes (GitLab allows [A-Za-z0-9_+=/@:.-] in custom prefixes); empty ones are
/// ignored.
std::vector<Hint> hint_literals(const std::vector<std::string>& token_prefixes, const HintOptions& opts = {});

/// The characters of base64(X + bytes + Y), X of `align` (0..2) arbitrary bytes, that do not
/// depend on X or Y; `phase` receives the first one's index in its quantum. `url` picks the
/// URL-safe alphabet. Exposed for tests and the benchmark.
std::string base64_determined(std::string_view bytes, unsigned align, bool url,
                              std::uint8_t* phase = nullptr);

}  // namespace glpatrol::decode
