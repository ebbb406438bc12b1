// sources/git/safe_odb: the loose-object reader behind the safe object database backend.
#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

#include "sources/git/safe_odb.h"

using namespace glpatrol;
using namespace glpatrol::git;

namespace {

std::string deflate_str(const std::string& s) {
  uLongf n = compressBound(static_cast<uLong>(s.size()));
  std::string out(n, '\0');
  REQUIRE(compress(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(s.data()),
                   static_cast<uLong>(s.size())) == Z_OK);
  out.resize(n);
  return out;
}

}  // namespace

TEST_CASE("loose objects: valid, truncated, corrupt, oversized") {
  git_object_t type = GIT_OBJECT_INVALID;
  std::size_t size = 0;
  std::string body;
  const std::string content(10000, 'x');
  const std::string file = deflate_str("blob 10000" + std::string(1, '\0') + content);
  CHECK(inflate_loose(file, false, &type, &size, &body, 1u << 20) == "");
  CHECK(type == GIT_OBJECT_BLOB);
  CHECK(size == 10000);
  CHECK(body == content);
  CHECK(inflate_loose(file, true, &type, &size, nullptr, 1u << 20) == "");
  CHECK(inflate_loose(file.substr(0, file.size() / 2), false, &type, &size, &body, 1u << 20) != "");
  std::string corrupt = file;
  for (std::size_t i = corrupt.size() / 2; i < corrupt.size(); ++i) corrupt[i] = '\xff';
  CHECK(inflate_loose(corrupt, false, &type, &size, &body, 1u << 20) != "");
  CHECK(inflate_loose(file, false, &type, &size, &body, 100) != "");  // over the cap
  const std::string liar = deflate_str("blob 5" + std::string(1, '\0') + "0123456789");
  CHECK(inflate_loose(liar, false, &type, &size, &body, 1u << 20) != "");
  const std::string shortie = deflate_str("blob 50" + std::string(1, '\0') + "0123456789");
  CHECK(inflate_loose(shortie, false, &type, &size, &body, 1u << 20) != "");
  CHECK(inflate_loose(deflate_str("blobby 1" + std::string(1, '\0') + "x"), false, &type, &size, &body,
                      1u << 20) != "");
  CHECK(inflate_loose("", false, &type, &size, &body, 1u << 20) != "");
}
