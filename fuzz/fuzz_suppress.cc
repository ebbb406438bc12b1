// Fuzz target: the ignore-file and baseline readers (scanner/findings/suppress).
// First byte even: .glpatrolignore text; odd: a baseline (a glpatrol JSON report).
// Oracle: errors, not crashes; every accepted ignore entry has a valid fingerprint and a reason.
#include <cstdint>
#include <string>

#include "findings/suppress/suppress.h"
#include "fuzz/fuzz_common.h"

using namespace glpatrol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) == 0) {
    auto entries = parse_ignore_file(text, ".glpatrolignore");
    if (!entries) {
      GLP_FUZZ_CHECK(!entries.error().message.empty(), "ignore-file error without a message");
      return 0;
    }
    for (const auto& e : *entries) {
      GLP_FUZZ_CHECK(is_fingerprint(e.fingerprint), "accepted a malformed fingerprint");
      GLP_FUZZ_CHECK(!e.reason.empty(), "accepted an entry without a reason");
      GLP_FUZZ_CHECK(e.line >= 1, "entry without a line number");
    }
    return 0;
  }
  auto b = parse_baseline(text, "baseline.json");
  if (!b) {
    GLP_FUZZ_CHECK(!b.error().message.empty(), "baseline error without a message");
    return 0;
  }
  for (const auto& fp : b->fingerprints)
    GLP_FUZZ_CHECK(is_fingerprint(fp), "baseline accepted a malformed fingerprint");
  return 0;
}
