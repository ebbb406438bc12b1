// Fuzz target: git's index file reader (sources/git/index_file.h), which staged mode (the
// pre-commit hook) runs on .git/index or $GIT_INDEX_FILE.
//
// Input: raw bytes, checked with and without the SHA-1 trailer check (most mutated inputs
// would otherwise stop at the checksum). Oracles: no crash, over-read or huge allocation;
// errors carry a message; an accepted index holds at most as many entries as its header
// says, paths are NUL-free and non-empty (outside a split index), stages are 0-3; every cache-tree directory
// path is
// "" (the root, first) or a '/'-joined path with no empty component; parsing is
// deterministic.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_common.h"
#include "sources/git/index_file.h"

using namespace glpatrol::git;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string copy(reinterpret_cast<const char*>(data), size);  // exact size for ASan
  for (const bool verify : {false, true}) {
    const auto ix = parse_index_file(copy, verify);
    if (!ix) {
      GLP_FUZZ_CHECK(!ix.error().message.empty(), "rejection without a message");
      continue;
    }
    GLP_FUZZ_CHECK(ix->version >= 2 && ix->version <= 4, "version %u accepted", ix->version);
    GLP_FUZZ_CHECK(size >= 12, "index shorter than its header accepted");
    const std::uint32_t declared = (std::uint32_t{data[8]} << 24) | (std::uint32_t{data[9]} << 16) |
                                   (std::uint32_t{data[10]} << 8) | data[11];
    GLP_FUZZ_CHECK(ix->entries.size() == declared, "%zu entries, header says %u", ix->entries.size(),
                   declared);
    const bool split =
        std::find(ix->unsupported.begin(), ix->unsupported.end(), "link") != ix->unsupported.end();
    for (const auto& e : ix->entries) {
      GLP_FUZZ_CHECK(split || !e.path.empty(), "empty path accepted outside a split index");
      GLP_FUZZ_CHECK(e.path.find('\0') == std::string::npos, "NUL inside a path");
      GLP_FUZZ_CHECK(e.stage <= 3, "stage %u", e.stage);
    }
    for (std::size_t i = 0; i < ix->cache_tree.size(); ++i) {
      const std::string& p = ix->cache_tree[i].path;
      GLP_FUZZ_CHECK((i == 0) == p.empty(), "cache-tree directory %zu has path of %zu bytes", i, p.size());
      GLP_FUZZ_CHECK(p.empty() || (p.front() != '/' && p.back() != '/' && p.find("//") == std::string::npos),
                     "cache-tree path with an empty component");
      GLP_FUZZ_CHECK(ix->cache_tree[i].entry_count >= -1, "entry count %d", ix->cache_tree[i].entry_count);
    }
    const auto again = parse_index_file(copy, verify);
    GLP_FUZZ_CHECK(again && again->entries.size() == ix->entries.size() &&
                       again->cache_tree.size() == ix->cache_tree.size(),
                   "parsing is not deterministic");
  }
  return 0;
}
