// sources/git/pack_reader: the delta decoder the pack reader uses for every delta-compressed
// blob (bad-inputs.md G14: a crafted delta that claims a multi-GiB result must be refused
// before anything is allocated).
#include <doctest/doctest.h>

#include <string>

#include "sources/git/pack_reader.h"

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
