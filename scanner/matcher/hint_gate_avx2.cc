// The AVX2 classification of HintGate (hint_gate.h); this file alone is compiled with -mavx2
// and HintGate calls into it only when __builtin_cpu_supports("avx2").
#include <immintrin.h>

#include "matcher/hint_gate_runs.h"

namespace glpatrol {

namespace {

/// 64 bytes per call: two 32-byte halves through the nibble tables (pshufb), then one bit
/// per byte. Byte c is in the class when lut_lo[c & 15] & lut_hi[c >> 4] is not zero.
struct Avx2Classify {
  __m256i lo_table;
  __m256i hi_table;
  std::uint64_t operator()(const unsigned char* p) const {
    return half(p) | (static_cast<std::uint64_t>(half(p + 32)) << 32);
  }
  std::uint32_t half(const unsigned char* p) const {
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i lo = _mm256_and_si256(v, nibble);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
    const __m256i bits =
        _mm256_and_si256(_mm256_shuffle_epi8(lo_table, lo), _mm256_shuffle_epi8(hi_table, hi));
    const __m256i outside = _mm256_cmpeq_epi8(bits, _mm256_setzero_si256());
    return ~static_cast<std::uint32_t>(_mm256_movemask_epi8(outside));
  }
};

/// probe_bits of eight blocks, four per 256-bit register: block j's mask in lane j, the next
/// block's in lane j of the "hi" register (hint_gate_runs.h). Returns which are not zero.
struct Avx2Probe {
  unsigned operator()(const std::uint64_t (&m)[hint_gate_detail::kGroup + 1],
                      std::uint64_t (&bits)[hint_gate_detail::kGroup], std::size_t len) const {
    const auto load = [&](std::size_t at) {
      return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m + at));
    };
    __m256i lo0 = load(0), hi0 = load(1), lo1 = load(4), hi1 = load(5);
    hint_gate_detail::doubling_steps(len, [&](std::size_t k) {
      const __m128i right = _mm_cvtsi64_si128(static_cast<long long>(k));
      const __m128i left = _mm_cvtsi64_si128(static_cast<long long>(64 - k));
      lo0 = _mm256_and_si256(lo0, _mm256_or_si256(_mm256_srl_epi64(lo0, right), _mm256_sll_epi64(hi0, left)));
      lo1 = _mm256_and_si256(lo1, _mm256_or_si256(_mm256_srl_epi64(lo1, right), _mm256_sll_epi64(hi1, left)));
      hi0 = _mm256_and_si256(hi0, _mm256_srl_epi64(hi0, right));
      hi1 = _mm256_and_si256(hi1, _mm256_srl_epi64(hi1, right));
    });
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(bits), lo0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(bits + 4), lo1);
    const __m256i zero = _mm256_setzero_si256();
    const auto dead = [&](__m256i v) {
      return static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(v, zero))));
    };
    return ~(dead(lo0) | (dead(lo1) << 4)) & 0xFFu;
  }
};

}  // namespace

void hint_gate_find_runs_avx2(std::string_view buf, const HintGate& gate, const std::uint8_t* lut_lo,
                              const std::uint8_t* lut_hi, std::vector<HintGate::Run>& out) {
  const auto table = [](const std::uint8_t* t) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t)));
  };
  hint_gate_detail::find_long_runs(buf, gate, Avx2Classify{table(lut_lo), table(lut_hi)}, Avx2Probe{}, out);
}

}  // namespace glpatrol
