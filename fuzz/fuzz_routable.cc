// Fuzz target: the routable-token decoder (find_routable_ending_at, routable_crc_valid).
//
// Arbitrary bytes are copied into an exactly sized heap buffer (so ASan sees any read past the
// end) and searched with fuzzer-chosen end, look-back bound and prefix limit. Half of the inputs
// also get a valid routable token, built like rules/examples.cc does with a fuzzer-chosen prefix,
// version, routing payload and seed, planted after a separator.
//
// Oracles: no crash or out-of-bounds read; any result satisfies its contract (ends at `end`,
// starts at or after `min_start`, prefix = the bytes before the payload, prefix length <=
// max_prefix, the span is itself a CRC-valid token); a planted token is found with exactly its
// prefix, shape and routing, and a corrupted checksum is never accepted.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <memory>
#include <string>

#include "fuzz/fuzz_common.h"
#include "matcher/routable.h"
#include "rules/examples.h"

using namespace glpatrol;

namespace {

bool is_prefix_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("-_+=/@:.").find(c) != std::string_view::npos;
}

void check_result(std::string_view text, std::size_t end, std::size_t min_start, std::size_t max_prefix,
                  const std::optional<RoutableToken>& t) {
  if (!t) return;
  GLP_FUZZ_CHECK(t->end == end, "result ends at %zu, asked for %zu", t->end, end);
  GLP_FUZZ_CHECK(t->start >= min_start && t->start < t->end, "result starts at %zu (min_start %zu, end %zu)",
                 t->start, min_start, t->end);
  GLP_FUZZ_CHECK(t->prefix.size() <= max_prefix, "prefix of %zu bytes > max_prefix %zu", t->prefix.size(),
                 max_prefix);
  GLP_FUZZ_CHECK(text.substr(t->start, t->prefix.size()) == t->prefix,
                 "prefix differs from the bytes at the start");
  for (char c : t->prefix) GLP_FUZZ_CHECK(is_prefix_char(c), "prefix holds byte 0x%02x", c & 0xff);
  GLP_FUZZ_CHECK(routable_crc_valid(text.substr(t->start, t->end - t->start)),
                 "reported span [%zu,%zu) is not CRC-valid on its own", t->start, t->end);
  GLP_FUZZ_CHECK(!t->versioned || t->version.size() == 2, "version of %zu chars", t->version.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const bool plant = fdp.ConsumeBool();
  const bool corrupt = fdp.ConsumeBool();
  const bool versioned = fdp.ConsumeBool();
  const std::uint64_t seed = fdp.ConsumeIntegral<std::uint64_t>();
  const std::size_t end_sel = fdp.ConsumeIntegral<std::size_t>();
  const std::size_t min_start_sel = fdp.ConsumeIntegral<std::size_t>();
  const std::size_t max_prefix = fdp.ConsumeIntegralInRange<std::size_t>(0, 64);
  std::string prefix = fdp.ConsumeRandomLengthString(24);
  std::string routing = fdp.ConsumeRandomLengthString(64);
  std::string text = fdp.ConsumeRemainingBytesAsString();

  std::size_t planted_at = 0, planted_end = 0;
  std::string planted_prefix;
  if (plant) {
    // A prefix from GitLab's charset (<= 20 chars) and a routing payload of known keys with
    // base36 values, as GitLab generates them.
    std::string p;
    for (char c : prefix)
      if (is_prefix_char(c) && p.size() < 20) p += c;
    std::string rt = "o=1";
    static constexpr char kKeys[] = "cgptu";
    for (std::size_t i = 0; i + 1 < routing.size() && i < 40; i += 2) {
      const char k = kKeys[static_cast<unsigned char>(routing[i]) % 5];
      if (rt.find(std::string(1, k) + "=") != std::string::npos) continue;
      rt += ",";
      rt += k;
      rt += "=";
      rt += "0123456789abcdefghijklmnopqrstuvwxyz"[static_cast<unsigned char>(routing[i + 1]) % 36];
    }
    auto tok = make_routable_token(p, versioned ? "01" : "none", rt, seed, corrupt);
    if (!tok) fuzz::fail("make_routable_token failed: %s", tok.error().message.c_str());
    const std::size_t at = text.empty() ? 0 : seed % (text.size() + 1);
    // Separators that are not prefix characters pin the token's start and end.
    const std::string framed = " " + *tok + " ";
    text.insert(at, framed);
    planted_at = at + 1;
    planted_end = planted_at + tok->size();
    planted_prefix = p;
    // Oracle: a planted token is found with exactly its prefix and shape, unless corrupted.
    std::unique_ptr<char[]> exact(new char[text.size()]);
    std::memcpy(exact.get(), text.data(), text.size());
    const std::string_view v(exact.get(), text.size());
    const auto t = find_routable_ending_at(v, planted_end, 0, 20);
    if (corrupt) {
      // A corrupted checksum may only validate over some other (shorter) prefix by a 2^-32
      // coincidence; it must never validate over the planted span.
      GLP_FUZZ_CHECK(!t || t->start != planted_at, "corrupted checksum accepted");
      GLP_FUZZ_CHECK(!routable_crc_valid(v.substr(planted_at, planted_end - planted_at)),
                     "routable_crc_valid accepted a corrupted checksum");
    } else {
      GLP_FUZZ_CHECK(t.has_value(), "planted token (prefix %zu chars, %s, routing `%s`) not found", p.size(),
                     versioned ? "versioned" : "unversioned", rt.c_str());
      GLP_FUZZ_CHECK(t->start == planted_at && t->prefix == p && t->versioned == versioned,
                     "planted token found at %zu with a %zu-char prefix, planted at %zu with %zu", t->start,
                     t->prefix.size(), planted_at, p.size());
      GLP_FUZZ_CHECK(!t->routing.empty(), "routing payload `%s` did not decode", rt.c_str());
      GLP_FUZZ_CHECK(routable_crc_valid(v.substr(planted_at, planted_end - planted_at)),
                     "routable_crc_valid rejected a valid token");
      check_result(v, planted_end, 0, 20, t);
    }
  }

  // Arbitrary positions: exactly sized copy, so any overread is a heap-buffer-overflow.
  std::unique_ptr<char[]> exact(new char[text.size() + 1]);
  std::memcpy(exact.get(), text.data(), text.size());
  const std::string_view v(exact.get(), text.size());
  const std::size_t end = end_sel % (text.size() + 2);  // may be past the end: must be refused
  const std::size_t min_start = text.empty() ? 0 : min_start_sel % (text.size() + 1);
  const auto t = find_routable_ending_at(v, end, min_start, max_prefix);
  GLP_FUZZ_CHECK(!t || end <= text.size(), "result for end %zu past the text (%zu)", end, text.size());
  check_result(v, end, min_start, max_prefix, t);
  // Every end offset of a short text (cheap: the decoder rejects most ends in O(1)).
  if (text.size() <= 4096)
    for (std::size_t e = 0; e <= text.size(); ++e) check_result(v, e, 0, 20, find_routable_ending_at(v, e));
  (void)routable_crc_valid(v);
  return 0;
}
