// Fuzz target: the configuration parser (.glpatrol.toml / --config, scanner/config).
// First byte (mod 3): who wrote it: an operator's --config, the scanned tree, or the scanned
// tree of a CI job. Oracle: errors, not crashes; a tree's file never yields disabled rules or
// verify hosts, and in CI never excludes or a size limit either.
#include <cstdint>
#include <string>

#include "config/config.h"
#include "fuzz/fuzz_common.h"

using namespace glpatrol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto trust = static_cast<ConfigTrust>(data[0] % 3);
  const bool trusted = trust == ConfigTrust::Operator;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  Config cfg;
  const Status s = parse_config(text, "fuzz.toml", trust, cfg);
  if (!s) {
    GLP_FUZZ_CHECK(!s.error().message.empty(), "config error without a message");
    return 0;
  }
  if (!trusted)
    GLP_FUZZ_CHECK(cfg.disable_rules.empty() && cfg.verify_hosts.empty(),
                   "an untrusted configuration disabled rules or chose verification hosts");
  if (trust == ConfigTrust::UntrustedTree)
    GLP_FUZZ_CHECK(cfg.excludes.empty() && !cfg.max_file_size,
                   "a CI job's scanned tree narrowed its own scan");
  return 0;
}
