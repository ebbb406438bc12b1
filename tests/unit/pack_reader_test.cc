// sources/git/pack_reader: the delta decoder the pack reader uses for every delta-compressed
// blob (bad-inputs.md G14: a crafted delta that claims a multi-GiB result must be refused
// before anything is allocated).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sources/git/git_repo.h"
#include "sources/git/pack_reader.h"
#include "support/test_repo.h"

using namespace glpatrol::git;

namespace {

std::string varint(std::uint64_t v) {  // delta header sizes: 7 bits per byte, little-endian
  std::string s;
  do {
    unsigned char c = v & 0x7f;
    v >>= 7;
    if (v != 0) c |= 0x80;
    s += static_cast<char>(c);
  } while (v != 0);
  return s;
}

std::string copy_op(std::uint32_t offset, std::uint32_t size) {
  std::string s(1, '\0');
  unsigned char op = 0x80;
  for (int i = 0; i < 4; ++i)
    if ((offset >> (8 * i)) & 0xff) {
      op |= static_cast<unsigned char>(1 << i);
      s += static_cast<char>((offset >> (8 * i)) & 0xff);
    }
  for (int i = 0; i < 3; ++i)
    if ((size >> (8 * i)) & 0xff) {
      op |= static_cast<unsigned char>(0x10 << i);
      s += static_cast<char>((size >> (8 * i)) & 0xff);
    }
  s[0] = static_cast<char>(op);
  return s;
}

std::string insert_op(const std::string& data) {
  return std::string(1, static_cast<char>(data.size())) + data;
}

}  // namespace

TEST_CASE("apply_delta: copy and insert instructions rebuild the target") {
  const std::string base = "hello, world";
  const std::string delta =
      varint(base.size()) + varint(13) + copy_op(7, 5) + insert_op(" and ") + copy_op(0, 3);
  std::string out;
  REQUIRE(apply_delta(base, delta, out, 1 << 20));
  CHECK(out == "world and hel");
}

TEST_CASE("apply_delta: a delta claiming a result past the cap is refused before allocating") {
  const std::string base = "abc";
  for (std::uint64_t claimed : {std::uint64_t{3} << 30, std::uint64_t{1} << 62, std::uint64_t{1} << 21}) {
    CAPTURE(claimed);
    const std::string delta = varint(base.size()) + varint(claimed) + copy_op(0, 3);
    std::string out;
    CHECK_FALSE(apply_delta(base, delta, out, 1 << 20));
    CHECK(out.capacity() < (1u << 20));  // nothing of the claimed size was allocated
  }
}

TEST_CASE("apply_delta: malformed deltas are refused") {
  const std::string base = "0123456789";
  std::string out;
  // base size in the header differs from the base
  CHECK_FALSE(apply_delta(base, varint(9) + varint(2) + copy_op(0, 2), out, 1 << 20));
  // copy past the end of the base
  CHECK_FALSE(apply_delta(base, varint(10) + varint(4) + copy_op(8, 4), out, 1 << 20));
  // result shorter / longer than announced
  CHECK_FALSE(apply_delta(base, varint(10) + varint(5) + copy_op(0, 2), out, 1 << 20));
  CHECK_FALSE(apply_delta(base, varint(10) + varint(1) + copy_op(0, 2), out, 1 << 20));
  // the reserved opcode 0, a truncated insert, a truncated header
  CHECK_FALSE(apply_delta(base, varint(10) + varint(1) + std::string(1, '\0'), out, 1 << 20));
  CHECK_FALSE(apply_delta(base, varint(10) + varint(3) + std::string(1, '\3') + "a", out, 1 << 20));
  CHECK_FALSE(apply_delta(base, std::string(1, '\x8a'), out, 1 << 20));
  CHECK_FALSE(apply_delta(base, "", out, 1 << 20));
}

namespace {

/// Every object of the repository packed (git pack-objects deltifies the versions of a file
/// against each other), the loose copies removed.
void pack_everything(const glpatrol::test::TestRepo& r, const std::string& options) {
  const std::string git = "git -C '" + r.dir() + "' ";
  const std::string cmd = git + "cat-file --batch-all-objects --batch-check='%(objectname)' | " + git +
                          "pack-objects -q " + options + " .git/objects/pack/pack >/dev/null && " + git +
                          "prune-packed";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

std::string version_of(int file, int version) {
  std::string text;
  for (int line = 0; line < 400; ++line)
    text += "file " + std::to_string(file) + " line " + std::to_string(line) + " " +
            (line % 37 == version % 37 ? "edited in version " + std::to_string(version) : "unchanged") + "\n";
  return text;
}

}  // namespace

TEST_CASE("for_each_blob: each packed blob once, with libgit2's bytes, whatever the order of resolution") {
  glpatrol::test::TestRepo r;
  std::map<std::string, std::string> want;  // id -> content
  // Three files with 40 versions each (long delta chains and siblings), a large blob and some
  // small unrelated ones.
  for (int f = 0; f < 3; ++f)
    for (int v = 0; v < 40; ++v) {
      const std::string text = version_of(f, v);
      want[oid_hex(r.blob(text))] = text;
    }
  const std::string big(300000, 'x');
  want[oid_hex(r.blob(big))] = big;
  for (int i = 0; i < 10; ++i)
    want[oid_hex(r.blob("small " + std::to_string(i) + "\n"))] = "small " + std::to_string(i) + "\n";
  // Deep chains (--depth=100) and a short window keep both chains and fan-out.
  pack_everything(r, "--depth=100 --window=5");
  std::uint64_t content = 0, packed = 0;
  for (const auto& [id, text] : want) content += text.size();
  for (const auto& f : std::filesystem::directory_iterator(r.dir() + "/.git/objects/pack"))
    if (f.path().extension() == ".pack") packed += f.file_size();
  CHECK(packed * 8 < content);  // deltified: the chains this test is about are there
  PackSet packs = PackSet::open(r.dir() + "/.git/objects");
  REQUIRE(packs.pack_count() == 1);
  CHECK(packs.blob_entries() == want.size());

  struct Case {
    unsigned jobs;
    std::size_t held;  ///< 1 byte: every subtree below a root goes through the cache
  };
  for (const Case c : {Case{1, 0}, Case{2, 0}, Case{2, 1}, Case{1, 20000}}) {
    CAPTURE(c.jobs);
    CAPTURE(c.held);
    std::mutex mu;
    std::map<std::string, int> seen;
    std::vector<std::string> wrong;
    const std::uint64_t n = packs.for_each_blob(
        c.jobs, 1u << 30,
        [&](unsigned w, const git_oid& id, std::string_view data) {
          std::lock_guard<std::mutex> lock(mu);
          CHECK(w < c.jobs);
          const std::string hex = oid_hex(id);
          ++seen[hex];
          if (want.count(hex) == 0 || want[hex] != data) wrong.push_back(hex);
        },
        {}, c.held);
    CHECK(n == want.size());
    CHECK(wrong.empty());
    CHECK(seen.size() == want.size());
    for (const auto& [id, count] : seen) CHECK(count == 1);
  }

  // Blobs above the limit are reported, not decoded; nothing else is lost with them.
  std::vector<std::string> too_big;
  std::uint64_t small = 0;
  packs.for_each_blob(
      2, 100000, [&](unsigned, const git_oid&, std::string_view data) { small += data.size() <= 100000; },
      [&](const git_oid& id, std::uint64_t size) {
        CHECK(size == big.size());
        too_big.push_back(oid_hex(id));
      });
  CHECK(too_big == std::vector<std::string>{oid_hex(r.blob(big))});
  CHECK(small == want.size() - 1);
}
