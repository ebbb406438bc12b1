#pragma once
// HintGate: where in a buffer an encoded token prefix can be, decided without Hyperscan.
//
// Why: in the rules' Hyperscan database the hint literals (decode/hints.h) took that pass off
// its fast literal path, a step from ~12 to ~5 GB/s whatever their number past two
// (bench/decode_bench.md 3b). They now have a database of their own, run only on the few bytes
// that can hold a hint hit: every hint literal, with the shortest token tail its hit must
// have, is a run of "gate class" bytes (the base64 alphabets plus every byte of any literal)
// at least `min_run()` long. The gate finds those runs with a vector classification of every
// byte (AVX-512 or AVX2 when the CPU has it) and a bit-parallel test per 64 bytes for a run
// start; only a run's end needs a search. Source text has 0.3-10 % of its bytes in such runs.
// Measured (3c): history scans pay 1.00-1.04x for decoding instead of 1.10-1.17x; directory
// scans are within noise of before.
//
// Contract: find_runs() returns exactly the maximal runs of class bytes of length >= min_run(),
// in order (tests compare it with a byte-by-byte reference). Line breaks (LF, CR) are class
// bytes, so base64 wrapped at any width is one run (without indentation), and the matcher
// searches runs with their breaks left out. What the gate costs in recall is in
// docs/decoding.md ("Where hints are looked for"): an escaped prefix whose token body holds
// bytes outside the class within its first min_body characters is not decoded.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "decode/hints.h"

namespace glpatrol {

class HintGate {
 public:
  /// A maximal run of class bytes: [begin, end) of the scanned buffer.
  struct Run {
    std::size_t begin = 0;
    std::size_t end = 0;
  };

  /// The gate for these hints. disabled() when there are no hints, when a literal holds a
  /// non-ASCII byte, or when the shortest literal plus its tail is under 15 bytes (the gate
  /// would pass nearly everything): the caller then scans whole buffers for hints.
  static HintGate for_hints(const std::vector<decode::Hint>& hints);

  bool enabled() const { return min_run_ != 0; }
  /// Shortest run that can hold a hint hit with its tail (0 when disabled).
  std::size_t min_run() const { return min_run_; }
  bool in_class(unsigned char c) const { return (lut_lo_[c & 15] & lut_hi_[c >> 4]) != 0; }
  /// A byte outside the class (separates gathered runs so no literal spans two of them).
  char separator() const { return separator_; }

  /// Appends the maximal runs of class bytes of length >= min_run() in `buf`, in order.
  /// Enabled gates only.
  void find_runs(std::string_view buf, std::vector<Run>& out) const;

  /// The same, one byte at a time: the reference the tests hold find_runs() to.
  void find_runs_bytewise(std::string_view buf, std::vector<Run>& out) const;

  /// The hint hits Matcher::find hands to the decoder, found the slow way: every occurrence
  /// of each literal in each run read with its line breaks (LF, CRLF) left out, as (hint
  /// index, offset in buf just past the literal's last byte), sorted. Enabled gates only;
  /// the reference the tests and the fuzzer hold the matcher to.
  std::vector<std::pair<std::uint32_t, std::uint64_t>> hint_hits_bytewise(
      std::string_view buf, const std::vector<decode::Hint>& hints) const;

  /// How bytes are classified: AVX-512 (BW), AVX2 or one at a time, the best the CPU has.
  enum class Isa { Portable, Avx2, Avx512 };
  Isa isa() const { return isa_; }
  /// Uses `isa` when the CPU has it (tests run every path the machine can); false otherwise.
  bool force_isa(Isa isa);

 private:
  // Class membership as two 16-entry nibble tables (the layout pshufb wants): byte c is in
  // the class when lut_lo_[c & 15] has bit (c >> 4) set; lut_hi_[h] is 1 << h for h < 8 and
  // 0 above, so non-ASCII bytes are never in it.
  std::array<std::uint8_t, 16> lut_lo_{};
  std::array<std::uint8_t, 16> lut_hi_{};
  std::size_t min_run_ = 0;
  char separator_ = '\n';
  Isa isa_ = Isa::Portable;
  Isa best_ = Isa::Portable;
};

}  // namespace glpatrol
