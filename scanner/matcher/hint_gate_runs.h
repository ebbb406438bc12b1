#pragma once
// Internal to the HintGate translation units (hint_gate.cc, hint_gate_avx2.cc,
// hint_gate_avx512.cc): the run search, written once over a classifier and a prober. Each file
// instantiates it with its own types, local to that file and compiled for its instruction
// set, so the three instantiations never merge at link time.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "matcher/hint_gate.h"

namespace glpatrol {

// hint_gate_avx2.cc and hint_gate_avx512.cc (x86-64 builds), each compiled for its instruction
// set; HintGate::find_runs calls one only when the CPU has it. lut_lo/lut_hi: the gate's
// nibble tables (16 bytes each).
void hint_gate_find_runs_avx2(std::string_view buf, const HintGate& gate, const std::uint8_t* lut_lo,
                              const std::uint8_t* lut_hi, std::vector<HintGate::Run>& out);
void hint_gate_find_runs_avx512(std::string_view buf, const HintGate& gate, const std::uint8_t* lut_lo,
                                const std::uint8_t* lut_hi, std::vector<HintGate::Run>& out);

}  // namespace glpatrol

namespace glpatrol::hint_gate_detail {

constexpr std::size_t kGroup = 8;  // 64-byte blocks per step

/// The doubling schedule of probe_bits: calls step(k) so that, with each step doing
/// `x &= x >> k` over the 128 bits next:cur, bit i ends up set when bits i .. i + len - 1 all
/// were (1 <= len <= 64). After j steps a bit covers 2^j bits, then one step for the rest.
template <class Step>
inline void doubling_steps(std::size_t len, Step&& step) {
  std::size_t have = 1;
  while (have * 2 <= len && have < 64) {
    step(have);
    have *= 2;
  }
  if (have < len) step(len - have);
}

/// Bit i (0..63) set when bits i .. i + len - 1 of next:cur (cur the low word) are all set;
/// 1 <= len <= 64. Bits past the 128 are zeros, which never matters since i + len - 1 < 128.
inline std::uint64_t probe_bits(std::uint64_t cur, std::uint64_t next, std::size_t len) {
  std::uint64_t lo = cur, hi = next;
  doubling_steps(len, [&](std::size_t k) {
    lo &= (lo >> k) | (hi << (64 - k));
    hi &= hi >> k;
  });
  return lo;
}

/// probe_bits for the blocks of one step, one block at a time (the AVX2 and AVX-512 files do
/// several at once). Returns bit j set when bits[j] is not zero.
struct ScalarProbe {
  unsigned operator()(const std::uint64_t (&m)[kGroup + 1], std::uint64_t (&bits)[kGroup],
                      std::size_t len) const {
    unsigned live = 0;
    for (std::size_t j = 0; j < kGroup; ++j) {
      bits[j] = probe_bits(m[j], m[j + 1], len);
      live |= static_cast<unsigned>(bits[j] != 0) << j;
    }
    return live;
  }
};

/// The maximal runs of class bytes of at least `min_run` bytes in buf (HintGate::find_runs).
/// `classify(p)` gives the class bit of each of the 64 bytes at p (all readable); `probe_fn`
/// computes probe_bits for the eight blocks of a step from their masks and the next block's,
/// and returns which of the eight are not zero.
///
/// Per step of eight 64-byte blocks: classify them, and compute their probe bits, bit i set
/// when bytes i .. i+probe-1 are all class bytes (probe = min(min_run, 64)). A run of at least
/// probe bytes has a probe bit at its first byte, the lowest one not yet covered by a found
/// run (`done`), so only its end needs a search, mostly in the masks at hand. Steps without
/// probe bits cost the classification and the doubling only.
template <class Classify, class Probe>
void find_long_runs(std::string_view buf, const HintGate& gate, const Classify& classify,
                    const Probe& probe_fn, std::vector<HintGate::Run>& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(buf.data());
  const std::size_t n = buf.size();
  const std::size_t min_run = gate.min_run();
  const std::size_t probe = std::min<std::size_t>(min_run, 64);
  constexpr std::size_t kStep = 64 * kGroup;
  // A block that reaches past the end is classified from a copy padded with a non-class
  // byte; blocks at or past the end have no class bytes.
  unsigned char tail[64];
  const auto mask_at = [&](std::size_t at) -> std::uint64_t {
    if (at >= n) return 0;
    if (at + 64 <= n) return classify(p + at);
    std::memset(tail, static_cast<unsigned char>(gate.separator()), sizeof tail);
    std::memcpy(tail, p + at, n - at);
    return classify(tail);
  };
  std::uint64_t m[kGroup + 1];
  std::uint64_t bits[kGroup];
  std::size_t done = 0;  // bytes before this belong to a run already handled
  for (std::size_t g = 0; g < n; g += kStep) {
    if (g + kStep + 64 <= n) {
      for (std::size_t j = 0; j <= kGroup; ++j) m[j] = classify(p + g + 64 * j);
    } else {
      for (std::size_t j = 0; j <= kGroup; ++j) m[j] = mask_at(g + 64 * j);
    }
    const unsigned live = probe_fn(m, bits, probe);
    if (live == 0) continue;
    // Only the blocks with probe bits, without a branch per block (a run every few hundred
    // bytes made those mispredict).
    for (unsigned lanes = live; lanes != 0; lanes &= lanes - 1) {
      const std::size_t blk = g + 64 * static_cast<std::size_t>(std::countr_zero(lanes));
      std::uint64_t s = bits[blk / 64 - g / 64];
      if (done >= blk + 64) continue;
      if (done > blk) s &= ~((std::uint64_t{1} << (done - blk)) - 1);
      while (s != 0) {
        // A run's first byte: a run starting earlier had its own probe bit, found first.
        const std::size_t begin = blk + static_cast<std::size_t>(std::countr_zero(s));
        std::size_t end = begin + probe;
        while (end < n) {
          const std::size_t rel = end - g;
          const std::size_t word = rel / 64, bit = rel % 64;
          const std::uint64_t w = word <= kGroup ? m[word] >> bit : mask_at(end);
          const std::size_t avail = word <= kGroup ? 64 - bit : 64;
          const auto ones = static_cast<std::size_t>(std::countr_one(w));
          end += std::min(ones, avail);
          if (ones < avail) break;
        }
        end = std::min(end, n);
        if (end - begin >= min_run) out.push_back({begin, end});
        done = end;
        if (done >= blk + 64) break;
        s &= ~((std::uint64_t{1} << (done - blk)) - 1);
      }
    }
    if (done >= g + 2 * kStep) g = (done / kStep) * kStep - kStep;  // resume at the step holding `done`
  }
}

}  // namespace glpatrol::hint_gate_detail
