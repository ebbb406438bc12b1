// Git's index file (.git/index or $GIT_INDEX_FILE), read without libgit2: the staged-mode
// (pre-commit) hot path. libgit2 1.5 spends ~90 ms loading a 100,000-entry index and does
// not expose the cache-tree extension; this reader parses the entries and the cache tree
// in one pass (~10 ms) so staged mode can skip every directory the commit does not touch.
//
// Format: Documentation/gitformat-index.txt (versions 2, 3 and 4; SHA-1 repositories).
// The input is untrusted bytes (fuzz/fuzz_index_file.cc): every length is bounds-checked.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace glpatrol::git {

using RawOid = std::array<unsigned char, 20>;

struct IndexEntry {
  std::string path;            ///< full path, '/'-separated, as stored (empty only in a split index)
  RawOid id{};                 ///< blob (or gitlink commit) id
  std::uint32_t mode = 0;      ///< 0100644, 0100755, 0120000 (symlink), 0160000 (gitlink)
  std::uint8_t stage = 0;      ///< 0 = normal; 1/2/3 = base/ours/theirs of a conflict
  bool intent_to_add = false;  ///< `git add -N`: a placeholder, nothing staged yet
};

/// One directory of the cache-tree extension ("TREE").
struct CacheTreeDir {
  std::string path;               ///< "" for the root, else "a/b" (no trailing '/')
  std::int32_t entry_count = -1;  ///< index entries under it; -1 = invalidated (id unset)
  RawOid id{};                    ///< the tree `git write-tree` would write for it
};

struct IndexFile {
  std::uint32_t version = 0;
  std::vector<IndexEntry> entries;       ///< index order: path bytes, then stage
  std::vector<CacheTreeDir> cache_tree;  ///< pre-order; empty when the index has none
  /// Required extensions this reader does not apply (split index "link", sparse index
  /// "sdir"): the caller must not trust `entries` as the whole index.
  std::vector<std::string> unsupported;
};

/// At most this many entries (a 4-byte count could otherwise ask for billions).
inline constexpr std::uint32_t kMaxIndexEntries = 50'000'000;

/// Parses an index file. `verify_checksum`: the SHA-1 trailer must match the content (an
/// all-zero trailer, written with index.skipHash, is accepted). Errors name the offset.
Result<IndexFile> parse_index_file(std::string_view data, bool verify_checksum = true);

}  // namespace glpatrol::git
