#include "matcher/hint_gate.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "matcher/hint_gate_runs.h"

namespace glpatrol {

namespace {

constexpr std::string_view kBase64Chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_";

/// One byte at a time through the nibble tables; the fallback without AVX2.
struct PortableClassify {
  const HintGate* gate;
  std::uint64_t operator()(const unsigned char* p) const {
    std::uint64_t m = 0;
    for (unsigned i = 0; i < 64; ++i) m |= static_cast<std::uint64_t>(gate->in_class(p[i])) << i;
    return m;
  }
};

}  // namespace

HintGate HintGate::for_hints(const std::vector<decode::Hint>& hints) {
  HintGate g;
  if (hints.empty()) return g;
  const auto add = [&g](unsigned char c) -> bool {
    if (c >= 0x80) return false;
    g.lut_lo_[c & 15] = static_cast<std::uint8_t>(g.lut_lo_[c & 15] | (1u << (c >> 4)));
    return true;
  };
  for (unsigned h = 0; h < 8; ++h) g.lut_hi_[h] = static_cast<std::uint8_t>(1u << h);
  for (char c : kBase64Chars) add(static_cast<unsigned char>(c));
  // Line breaks: wrapped base64 (PEM, MIME, `base64`'s 76 columns, any narrower width) is
  // one run, searched with its breaks left out (Matcher::find_hints).
  add(static_cast<unsigned char>('\n'));
  add(static_cast<unsigned char>('\r'));
  std::size_t shortest = SIZE_MAX;
  for (const decode::Hint& h : hints) {
    for (char c : h.literal)
      if (!add(static_cast<unsigned char>(c))) return HintGate{};  // non-ASCII: no gate
    // A hit needs its literal and min_tail more encoded characters in one run (for base64,
    // unless the encoder wrapped the line in between: docs/decoding.md).
    shortest = std::min<std::size_t>(shortest, h.literal.size() + h.min_tail);
  }
  if (shortest < 15) return HintGate{};
  g.min_run_ = shortest;
  // Separator: the first ASCII byte outside the class.
  for (unsigned c = 0; c < 128; ++c)
    if (!g.in_class(static_cast<unsigned char>(c))) {
      g.separator_ = static_cast<char>(c);
      break;
    }
  if (g.in_class(static_cast<unsigned char>(g.separator_))) return HintGate{};
#if defined(GLPATROL_HINT_GATE_X86)
  if (__builtin_cpu_supports("avx2")) g.best_ = Isa::Avx2;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) g.best_ = Isa::Avx512;
#endif
  g.isa_ = g.best_;
  return g;
}

bool HintGate::force_isa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(best_)) return false;
  isa_ = isa;
  return true;
}

void HintGate::find_runs(std::string_view buf, std::vector<Run>& out) const {
  if (!enabled() || buf.size() < min_run_) return;
#if defined(GLPATROL_HINT_GATE_X86)
  if (isa_ == Isa::Avx512) return hint_gate_find_runs_avx512(buf, *this, lut_lo_.data(), lut_hi_.data(), out);
  if (isa_ == Isa::Avx2) return hint_gate_find_runs_avx2(buf, *this, lut_lo_.data(), lut_hi_.data(), out);
#endif
  hint_gate_detail::find_long_runs(buf, *this, PortableClassify{this}, hint_gate_detail::ScalarProbe{}, out);
}

void HintGate::find_runs_bytewise(std::string_view buf, std::vector<Run>& out) const {
  if (!enabled()) return;
  std::size_t i = 0;
  while (i < buf.size()) {
    if (!in_class(static_cast<unsigned char>(buf[i]))) {
      ++i;
      continue;
    }
    const std::size_t begin = i;
    while (i < buf.size() && in_class(static_cast<unsigned char>(buf[i]))) ++i;
    if (i - begin >= min_run_) out.push_back({begin, i});
  }
}

std::vector<std::pair<std::uint32_t, std::uint64_t>> HintGate::hint_hits_bytewise(
    std::string_view buf, const std::vector<decode::Hint>& hints) const {
  std::vector<Run> runs;
  find_runs_bytewise(buf, runs);
  std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
  for (const Run& r : runs) {
    std::string joined;               // the run without its line breaks
    std::vector<std::size_t> origin;  // where each byte of `joined` is in buf
    for (std::size_t i = r.begin; i < r.end; ++i) {
      if (buf[i] == '\n' || (buf[i] == '\r' && i + 1 < r.end && buf[i + 1] == '\n')) continue;
      joined += buf[i];
      origin.push_back(i);
    }
    for (std::size_t h = 0; h < hints.size(); ++h) {
      const std::string& lit = hints[h].literal;
      if (lit.empty()) continue;
      for (std::size_t at = joined.find(lit); at != std::string::npos; at = joined.find(lit, at + 1))
        out.emplace_back(static_cast<std::uint32_t>(h), origin[at + lit.size() - 1] + 1);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace glpatrol
