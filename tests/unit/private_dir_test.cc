// common/private_dir: the one check behind the state directory and the verification cache.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "common/private_dir.h"
#include "support/temp_dir.h"
#include "verifier/cache.h"

using namespace glpatrol;

namespace {

using Scratch = test::TempDir;

mode_t mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("private dir: created 0700 with its parents, trailing slashes dropped") {
  Scratch s;
  const std::string dir = s.path + "/a/b/cache";
  auto r = prepare_private_dir(dir + "//", "test");
  REQUIRE(r);
  CHECK(*r == dir);
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(s.path + "/a") == 0700);
}

TEST_CASE("private dir: a symlink, a file, a group-writable directory are refused by name") {
  Scratch s;
  const std::string link = s.path + "/link";
  REQUIRE(::symlink(s.path.c_str(), link.c_str()) == 0);
  auto linked = prepare_private_dir(link, "--state-dir");
  REQUIRE_FALSE(linked);
  CHECK(linked.error().message.rfind("--state-dir: ", 0) == 0);
  CHECK(linked.error().message.find("symlinks are refused") != std::string::npos);

  const std::string shared = s.path + "/shared";
  REQUIRE(::mkdir(shared.c_str(), 0700) == 0);
  REQUIRE(::chmod(shared.c_str(), 0770) == 0);
  auto refused = prepare_private_dir(shared, "verification cache");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("writable by group or others") != std::string::npos);
  CHECK(mode_of(shared) == 0770);  // refused, never quietly "fixed"

  REQUIRE(::chmod(shared.c_str(), 0755) == 0);
  REQUIRE(prepare_private_dir(shared, "test"));
  CHECK(mode_of(shared) == 0700);  // read bits narrowed

  CHECK_FALSE(prepare_private_dir("", "test"));
}

TEST_CASE("verification cache: a directory others can write is not used") {
  Scratch s;
  REQUIRE(::chmod(s.path.c_str(), 0777) == 0);
  auto c = VerifyCache::open(s.path, std::chrono::seconds(60), "ctx");
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("verification cache: ") == 0);
  REQUIRE(::chmod(s.path.c_str(), 0700) == 0);
  CHECK(VerifyCache::open(s.path, std::chrono::seconds(60), "ctx"));
}
