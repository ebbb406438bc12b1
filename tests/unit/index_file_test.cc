// sources/git/index_file: git's index format (v2, v3, v4), the cache tree, the checksum and
// hostile inputs. Index bytes are built here; tests/e2e/test_git_modes.py checks the reader
// against indexes written by git itself.
#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "sources/git/index_file.h"

using namespace glpatrol::git;

namespace {

struct E {
  std::string path;
  unsigned char fill;  // the id is 20 copies of this byte
  std::uint32_t mode = 0100644;
  int stage = 0;
  bool intent_to_add = false;
};

void put32(std::string& s, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put16(std::string& s, std::uint16_t v) {
  s += static_cast<char>(v >> 8);
  s += static_cast<char>(v & 0xff);
}

std::string sha1(const std::string& s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), out, &n, EVP_sha1(), nullptr);
  return std::string(reinterpret_cast<char*>(out), n);
}

/// Serializes an index as git writes it; `tree` is the raw TREE extension body ("" = none).
std::string make_index(int version, const std::vector<E>& entries, const std::string& tree = "",
                       const std::string& more_ext = "") {
  std::string s = "DIRC";
  put32(s, static_cast<std::uint32_t>(version));
  put32(s, static_cast<std::uint32_t>(entries.size()));
  std::string prev;
  for (const E& e : entries) {
    const std::size_t start = s.size();
    s.append(24, '\0');  // ctime, mtime (8 each), dev, ino
    put32(s, e.mode);
    s.append(12, '\0');  // uid, gid, size
    s.append(20, static_cast<char>(e.fill));
    const bool ext = e.intent_to_add;
    put16(s, static_cast<std::uint16_t>((ext ? 0x4000 : 0) | (e.stage << 12) |
                                        std::min<std::size_t>(e.path.size(), 0xfff)));
    if (ext) put16(s, 0x2000);
    if (version == 4) {
      std::size_t common = 0;
      while (common < prev.size() && common < e.path.size() && prev[common] == e.path[common]) ++common;
      std::size_t strip = prev.size() - common;
      REQUIRE(strip < 128);  // one varint byte is enough here
      s += static_cast<char>(strip);
      s += e.path.substr(common);
      s += '\0';
      prev = e.path;
    } else {
      s += e.path;
      const std::size_t len = s.size() - start;
      s.append(((len + 8) & ~std::size_t{7}) - len, '\0');
    }
  }
  if (!tree.empty()) {
    s += "TREE";
    put32(s, static_cast<std::uint32_t>(tree.size()));
    s += tree;
  }
  s += more_ext;
  return s + sha1(s);
}

std::string tree_dir(const std::string& name, int count, int subtrees, unsigned char fill) {
  std::string t = name + '\0' + std::to_string(count) + " " + std::to_string(subtrees) + "\n";
  if (count >= 0) t.append(20, static_cast<char>(fill));
  return t;
}

const std::vector<E> kEntries = {
    {"README.md", 1}, {"src/a.c", 2}, {"src/lib/b.c", 3, 0100755}, {"src/lib/c.c", 4}, {"z", 5, 0120000}};

}  // namespace

TEST_CASE("index v2, v3 and v4 give the same entries") {
  for (int v : {2, 3, 4}) {
    CAPTURE(v);
    auto ix = parse_index_file(make_index(v, kEntries));
    REQUIRE(ix);
    CHECK(ix->version == static_cast<std::uint32_t>(v));
    REQUIRE(ix->entries.size() == kEntries.size());
    for (std::size_t i = 0; i < kEntries.size(); ++i) {
      CHECK(ix->entries[i].path == kEntries[i].path);
      CHECK(ix->entries[i].id[0] == kEntries[i].fill);
      CHECK(ix->entries[i].id[19] == kEntries[i].fill);
      CHECK(ix->entries[i].mode == kEntries[i].mode);
      CHECK(ix->entries[i].stage == 0);
    }
    CHECK(ix->cache_tree.empty());
    CHECK(ix->unsupported.empty());
  }
}

TEST_CASE("conflict stages and intent-to-add (extended flags, v3+)") {
  std::vector<E> es = {{"a", 1, 0100644, 1}, {"a", 2, 0100644, 2}, {"a", 3, 0100644, 3}, {"n", 4}};
  es[3].intent_to_add = true;
  auto ix = parse_index_file(make_index(3, es));
  REQUIRE(ix);
  REQUIRE(ix->entries.size() == 4);
  CHECK(ix->entries[0].stage == 1);
  CHECK(ix->entries[2].stage == 3);
  CHECK(ix->entries[3].intent_to_add);
  CHECK_FALSE(parse_index_file(make_index(2, es)));  // extended flags are v3+
}

TEST_CASE("the cache tree rebuilds full directory paths, invalid entries have no id") {
  // root (5 entries, 1 subtree) -> src (3, 1) -> lib (-1: invalidated, 0)
  const std::string tree = tree_dir("", 5, 1, 9) + tree_dir("src", 3, 1, 8) + tree_dir("lib", -1, 0, 0);
  auto ix = parse_index_file(make_index(2, kEntries, tree));
  REQUIRE(ix);
  REQUIRE(ix->cache_tree.size() == 3);
  CHECK(ix->cache_tree[0].path == "");
  CHECK(ix->cache_tree[0].entry_count == 5);
  CHECK(ix->cache_tree[0].id[0] == 9);
  CHECK(ix->cache_tree[1].path == "src");
  CHECK(ix->cache_tree[2].path == "src/lib");
  CHECK(ix->cache_tree[2].entry_count == -1);
}

TEST_CASE("required extensions the reader does not apply are reported; optional ones ignored") {
  std::string link = "link";
  put32(link, 4);
  link += "abcd";
  std::string optional = "UNTR";
  put32(optional, 2);
  optional += "xy";
  auto ix = parse_index_file(make_index(2, kEntries, "", optional + link));
  REQUIRE(ix);
  REQUIRE(ix->unsupported.size() == 1);
  CHECK(ix->unsupported[0] == "link");
}

TEST_CASE("checksum: a flipped byte is refused, an all-zero trailer (index.skipHash) accepted") {
  std::string good = make_index(2, kEntries);
  std::string flipped = good;
  flipped[20] ^= 1;
  auto r = parse_index_file(flipped);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("checksum") != std::string::npos);
  CHECK(parse_index_file(flipped, /*verify_checksum=*/false));
  std::string skip = good;
  std::fill(skip.end() - 20, skip.end(), '\0');
  CHECK(parse_index_file(skip));
}

TEST_CASE("hostile indexes are errors, never crashes or huge allocations") {
  const std::string good = make_index(4, kEntries, tree_dir("", 5, 0, 9));
  // Every truncation: either an error or (cut inside the trailer) a checksum error.
  for (std::size_t n = 0; n < good.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(parse_index_file(good.substr(0, n)));
  }
  std::string huge = good.substr(0, 8);
  put32(huge, 0xffffffffu);  // 4 billion entries in a tiny file
  huge += good.substr(12);
  CHECK_FALSE(parse_index_file(huge, false));
  std::string v5 = good;
  v5[7] = 5;
  CHECK_FALSE(parse_index_file(v5, false));
  CHECK_FALSE(parse_index_file(std::string("DIRX") + good.substr(4), false));
  // v4: a prefix strip longer than the previous path.
  std::vector<E> es = {{"a", 1}};
  std::string bad_strip = make_index(4, es);
  bad_strip[12 + 62] = 9;
  CHECK_FALSE(parse_index_file(bad_strip, false));
  // Cache tree: counts that are not numbers, two roots, a subtree that never comes.
  for (const std::string& t : {std::string("\0x 0\n", 5), tree_dir("", 1, 0, 1) + tree_dir("", 1, 0, 1),
                               tree_dir("", 1, 2, 1) + tree_dir("a", 1, 0, 1), std::string("\0-5 0\n", 6)}) {
    CHECK_FALSE(parse_index_file(make_index(2, kEntries, t)));
  }
}

TEST_CASE("empty entry names: only in a split index (\"link\"), an error otherwise") {
  std::string link = "link";
  put32(link, 20);
  link.append(20, '\1');
  const std::vector<E> es = {{"", 1}, {"b", 2}};
  auto split = parse_index_file(make_index(2, es, "", link));
  REQUIRE(split);
  CHECK(split->unsupported == std::vector<std::string>{"link"});
  auto plain = parse_index_file(make_index(2, es));
  REQUIRE_FALSE(plain);
  CHECK(plain.error().message.find("empty path") != std::string::npos);
}
