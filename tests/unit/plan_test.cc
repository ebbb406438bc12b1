// app/plan: what the scanned tree's own configuration may change, and outputs checked before
// any scan.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "app/plan.h"

using namespace glpatrol;

namespace {

struct TempTree {
  TempTree() {
    char tmpl[] = "/tmp/glpatrol-plan-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir + "/" + name) << text;
  }
  std::string dir;
};

}  // namespace

TEST_CASE(
    "a tree's configuration may narrow its own scan only when the tree is the operator's (issue 11 #5)") {
  TempTree t;
  t.write(".glpatrol.toml", "[scan]\nexclude = [\"secrets/*\"]\nmax_file_size = \"1\"\n");
  const std::string fp = "gitlab.pat:" + std::string(64, 'a');
  t.write(".glpatrolignore", fp + " # test data\n");
  ScanOptions o;
  o.quiet = true;

  auto own = make_plan(o, {"dir", {t.dir}, TreeTrust::Own});
  REQUIRE(own.has_value());
  CHECK(own->fs.exclude_globs == std::vector<std::string>{"secrets/*"});
  CHECK(own->fs.max_file_size == 1);
  CHECK(own->suppressor->entries() == 1);

  auto ci = make_plan(o, {"git", {t.dir}, TreeTrust::Untrusted});
  REQUIRE(ci.has_value());
  CHECK(ci->fs.exclude_globs.empty());
  CHECK(ci->fs.max_file_size == 0);
  CHECK(ci->suppressor->entries() == 0);
  std::string notices;
  for (const auto& n : ci->notices) notices += n + "\n";
  CHECK(notices.find("refused [scan] exclude") != std::string::npos);
  CHECK(notices.find("refused [scan] max_file_size") != std::string::npos);
  CHECK(notices.find(".glpatrolignore: not applied") != std::string::npos);

  // The operator can still pass an ignore file and limits explicitly.
  o.ignore_files = {t.dir + "/.glpatrolignore"};
  o.fs.exclude_globs = {"vendor/*"};
  auto explicit_ci = make_plan(o, {"git", {t.dir}, TreeTrust::Untrusted});
  REQUIRE(explicit_ci.has_value());
  CHECK(explicit_ci->suppressor->entries() == 1);
  CHECK(explicit_ci->fs.exclude_globs == std::vector<std::string>{"vendor/*"});
}

TEST_CASE("outputs are checked before the scan: format, writable place, one report per path") {
  TempTree t;
  ScanOptions o;
  o.quiet = true;
  o.reports = {"json:" + t.dir + "/a.json", "sarif:" + t.dir + "/a.json"};
  auto twice = make_plan(o, {"dir", {t.dir}});
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().message.find("given twice") != std::string::npos);
  o.reports = {"json:" + t.dir + "/missing/a.json"};
  CHECK_FALSE(make_plan(o, {"dir", {t.dir}}).has_value());
  o.reports = {"pdf:" + t.dir + "/a.pdf"};
  CHECK_FALSE(make_plan(o, {"dir", {t.dir}}).has_value());
  o.reports = {"json:" + t.dir + "/a.json", "jsonl:-"};
  CHECK(make_plan(o, {"dir", {t.dir}}).has_value());
}

TEST_CASE("sizes: units and overflow") {
  CHECK(parse_size("512").value() == 512);
  CHECK(parse_size("10K").value() == 10240);
  CHECK(parse_size("2g").value() == (2ull << 30));
  CHECK_FALSE(parse_size("").has_value());
  CHECK_FALSE(parse_size("10X").has_value());
  CHECK_FALSE(parse_size("99999999999999999999").has_value());
  CHECK_FALSE(parse_size("17179869184G").has_value());
}
