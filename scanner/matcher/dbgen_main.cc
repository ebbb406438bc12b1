// Build-time tool: compiles the built-in rules (no custom prefixes) and writes the serialized
// Hyperscan databases (the rules' and the decoding hints'), which are embedded into glpatrol
// so that start-up skips compilation; `--no-decode` scans load the rules' part only.
#include <cstdio>
#include <fstream>
#include <string_view>

#include "matcher/rule_db.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: glpatrol_dbgen OUTPUT\n");
    return 2;
  }
  glpatrol::RuleSet set;
  set.rules = glpatrol::builtin_rules();
  auto db = glpatrol::RuleDb::build(std::move(set));
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
