// Fuzz target: the configuration parser (.glpatrol.toml / --config, scanner/config).
// First byte: bit 0 = trusted (an operator's --config) or not (found in the scanned tree).
// Oracle: errors, not crashes; an untrusted file never yields disabled rules or verify hosts.
#include <cstdint>
#include <string>

#include "config/config.h"
#include "fuzz/fuzz_common.h"

using namespace glpatrol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool trusted = (data[0] & 1) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  Config cfg;
  const Status s = parse_config(text, "fuzz.toml", trusted, cfg);
  if (!s) {
    GLP_FUZZ_CHECK(!s.error().message.empty(), "config error without a message");
    return 0;
  }
  if (!trusted)
    GLP_FUZZ_CHECK(cfg.disable_rules.empty() && cfg.verify_hosts.empty(),
                   "an untrusted configuration disabled rules or chose verification hosts");
  return 0;
}
