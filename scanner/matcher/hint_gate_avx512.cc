// The AVX-512 (BW) classification of HintGate (hint_gate.h); this file alone is compiled with
// -mavx512f -mavx512bw and HintGate calls into it only when the CPU has both.
#include <immintrin.h>

#include "matcher/hint_gate_runs.h"

namespace glpatrol {

namespace {

/// 64 bytes per call through the nibble tables (vpshufb); vptestmb gives one bit per byte:
/// byte c is in the class when lut_lo[c & 15] & lut_hi[c >> 4] is not zero.
struct Avx512Classify {
  __m512i lo_table;
  __m512i hi_table;
  std::uint64_t operator()(const unsigned char* p) const {
    const __m512i nibble = _mm512_set1_epi8(0x0f);
    const __m512i v = _mm512_loadu_si512(p);
    const __m512i lo = _mm512_and_si512(v, nibble);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble);
    return _mm512_test_epi8_mask(_mm512_shuffle_epi8(lo_table, lo), _mm512_shuffle_epi8(hi_table, hi));
  }
};

/// Every lane. The zero-masked forms of the shifts and the broadcast are used because GCC 12's
/// unmasked ones start from _mm512_undefined_*, which its -W(maybe-)uninitialized reports.
constexpr __mmask8 kAll = 0xFF;

/// probe_bits of eight blocks at once: block j's mask in lane j, the next block's in lane j of
/// `hi` (hint_gate_runs.h). Returns which lanes are not zero.
struct Avx512Probe {
  unsigned operator()(const std::uint64_t (&m)[hint_gate_detail::kGroup + 1],
                      std::uint64_t (&bits)[hint_gate_detail::kGroup], std::size_t len) const {
    __m512i lo = _mm512_loadu_si512(m);
    __m512i hi = _mm512_loadu_si512(m + 1);
    // lo &= (lo >> k) | (hi << (64 - k)); hi &= hi >> k  (0xE0: a & (b | c))
    hint_gate_detail::doubling_steps(len, [&](std::size_t k) {
      const __m128i right = _mm_cvtsi64_si128(static_cast<long long>(k));
      const __m128i left = _mm_cvtsi64_si128(static_cast<long long>(64 - k));
      lo = _mm512_ternarylogic_epi64(lo, _mm512_maskz_srl_epi64(kAll, lo, right),
                                     _mm512_maskz_sll_epi64(kAll, hi, left), 0xE0);
      hi = _mm512_and_si512(hi, _mm512_maskz_srl_epi64(kAll, hi, right));
    });
    _mm512_storeu_si512(bits, lo);
    return _mm512_test_epi64_mask(lo, lo);
  }
};

}  // namespace

void hint_gate_find_runs_avx512(std::string_view buf, const HintGate& gate, const std::uint8_t* lut_lo,
                                const std::uint8_t* lut_hi, std::vector<HintGate::Run>& out) {
  // The 16-byte table in each 128-bit lane (vpshufb looks up within lanes); zero-masked for
  // the reason kAll gives.
  const auto table = [](const std::uint8_t* t) {
    return _mm512_maskz_broadcast_i32x4(0xFFFF, _mm_loadu_si128(reinterpret_cast<const __m128i*>(t)));
  };
  hint_gate_detail::find_long_runs(buf, gate, Avx512Classify{table(lut_lo), table(lut_hi)}, Avx512Probe{},
                                   out);
}

}  // namespace glpatrol
