#pragma once
// A scratch directory under /tmp for one test, removed with everything in it at scope exit.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace glpatrol::test {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/glpatrol-unit-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path;
};

}  // namespace glpatrol::test
