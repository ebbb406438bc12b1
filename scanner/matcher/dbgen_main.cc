// Build-time tool: compiles the built-in rules (no custom prefixes) and writes the serialized
// Hyperscan database, which is embedded into glpatrol so that start-up skips compilation.
// `--no-decode` makes the database without decoding hints (what `--no-decode` scans use).
#include <cstdio>
#include <fstream>
#include <string_view>

#include "matcher/rule_db.h"

int main(int argc, char** argv) {
  const bool no_decode = argc == 3 && std::string_view(argv[2]) == "--no-decode";
  if (argc != 2 && !no_decode) {
    std::fprintf(stderr, "usage: glpatrol_dbgen OUTPUT [--no-decode]\n");
    return 2;
  }
  glpatrol::RuleSet set;
  set.rules = glpatrol::builtin_rules();
  glpatrol::HintSelection hints;
  hints.enabled = !no_decode;
  auto db = glpatrol::RuleDb::build(std::move(set), {}, hints);
  if (!db) {
    std::fprintf(stderr, "glpatrol_dbgen: %s\n", db.error().message.c_str());
    return 1;
  }
  auto blob = db->serialize();
  if (!blob) {
    std::fprintf(stderr, "glpatrol_dbgen: %s\n", blob.error().message.c_str());
    return 1;
  }
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out.write(blob->data(), static_cast<std::streamsize>(blob->size()));
  return out ? 0 : 1;
}
