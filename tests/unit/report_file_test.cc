#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "reporters/report_file.h"

using namespace glpatrol;

namespace {
std::string temp_dir() {
  char tmpl[] = "/tmp/glpatrol-unit-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}
std::string read(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("reports are written atomically with mode 0600") {
  const std::string dir = temp_dir();
  const std::string path = dir + "/r.json";
  REQUIRE(write_file_atomically(path, "first").has_value());
  REQUIRE(write_file_atomically(path, "second").has_value());
  CHECK(read(path) == "second");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // No temporary file is left behind.
  CHECK(std::system(("test $(ls -A " + dir + " | wc -l) -eq 1").c_str()) == 0);
}

TEST_CASE("a report is never written through a symlink") {
  const std::string dir = temp_dir();
  const std::string target = dir + "/target";
  { std::ofstream(target) << "keep"; }
  REQUIRE(::symlink(target.c_str(), (dir + "/link.json").c_str()) == 0);
  const auto s = write_file_atomically(dir + "/link.json", "evil");
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().message.find("symlink") != std::string::npos);
  CHECK(read(target) == "keep");
}

TEST_CASE("a report in a missing directory is a clear error") {
  const auto s = write_file_atomically("/nonexistent-dir-glpatrol/r.json", "x");
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().message.find("/nonexistent-dir-glpatrol/r.json") != std::string::npos);
}
