// Git LFS pointer files (scanner/decode/lfs.h).
#include <doctest/doctest.h>

#include <string>

#include "common/encoding.h"
#include "decode/lfs.h"

using namespace glpatrol;
using namespace glpatrol::decode;

namespace {
const std::string kOid = sha256_hex("large file content");
std::string pointer(const std::string& middle = "") {
  return "version https://git-lfs.github.com/spec/v1\n" + middle + "oid sha256:" + kOid + "\nsize 12345\n";
}
}  // namespace

TEST_CASE("a valid pointer yields its oid and size") {
  const auto p = parse_lfs_pointer(pointer());
  REQUIRE(p.has_value());
  CHECK(p->oid == kOid);
  CHECK(p->size == 12345u);
  // Extension keys sort before "oid"; the pre-release version URL is accepted.
  CHECK(parse_lfs_pointer(pointer("ext-0-foo sha256:" + kOid + "\n")).has_value());
  std::string hawser = pointer();
  hawser.replace(0, hawser.find('\n'), "version https://hawser.github.com/spec/v1");
  CHECK(parse_lfs_pointer(hawser).has_value());
  // A lost final newline is tolerated.
  std::string no_nl = pointer();
  no_nl.pop_back();
  CHECK(parse_lfs_pointer(no_nl).has_value());
  CHECK(parse_lfs_pointer("version https://git-lfs.github.com/spec/v1\noid sha256:" + kOid + "\nsize 0\n")
            ->size == 0u);
}

TEST_CASE("anything else is not a pointer") {
  const std::string v = "version https://git-lfs.github.com/spec/v1\n";
  const std::string oid = "oid sha256:" + kOid + "\n";
  CHECK_FALSE(parse_lfs_pointer("").has_value());
  CHECK_FALSE(parse_lfs_pointer(oid + v + "size 1\n").has_value());        // version not first
  CHECK_FALSE(parse_lfs_pointer(v + "size 1\n" + oid).has_value());        // keys not sorted
  CHECK_FALSE(parse_lfs_pointer(v + oid + oid + "size 1\n").has_value());  // duplicate key
  CHECK_FALSE(parse_lfs_pointer(v + oid).has_value());                     // no size
  CHECK_FALSE(parse_lfs_pointer(v + "size 1\n").has_value());              // no oid
  CHECK_FALSE(parse_lfs_pointer(v + "oid sha1:" + kOid.substr(0, 40) + "\nsize 1\n").has_value());
  std::string upper = kOid;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK_FALSE(parse_lfs_pointer(v + "oid sha256:" + upper + "\nsize 1\n").has_value());
  CHECK_FALSE(parse_lfs_pointer(v + oid + "size -1\n").has_value());
  CHECK_FALSE(parse_lfs_pointer(v + oid + "size 99999999999999999999999\n").has_value());
  CHECK_FALSE(parse_lfs_pointer(v + oid + "size  1\n").has_value());  // two spaces
  CHECK_FALSE(
      parse_lfs_pointer("version https://git-lfs.github.com/spec/v1\r\n" + oid + "size 1\r\n").has_value());
  CHECK_FALSE(parse_lfs_pointer(v + oid + "size 1\n\n").has_value());  // blank line
  CHECK_FALSE(parse_lfs_pointer(v + "Oid sha256:" + kOid + "\nsize 1\n").has_value());
  CHECK_FALSE(
      parse_lfs_pointer("version https://git-lfs.github.com/spec/v2\n" + oid + "size 1\n").has_value());
  CHECK_FALSE(
      parse_lfs_pointer(pointer("aaa-" + std::string(1100, 'x') + " y\n")).has_value());  // > 1024 bytes
}

TEST_CASE("lfs_object_path: two fan-out levels, only for a valid oid") {
  CHECK(lfs_object_path("/r/.git", kOid) ==
        "/r/.git/lfs/objects/" + kOid.substr(0, 2) + "/" + kOid.substr(2, 2) + "/" + kOid);
  CHECK(lfs_object_path("/r/.git/", kOid) == lfs_object_path("/r/.git", kOid));
  CHECK(lfs_object_path("/r/.git", "../../etc/passwd").empty());
  CHECK(lfs_object_path("/r/.git", kOid.substr(1)).empty());
}
