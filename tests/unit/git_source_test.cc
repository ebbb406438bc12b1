// sources/git/git_source: a history scan through the scan step, on a repository built here.
#include <doctest/doctest.h>

#include <map>

#include "matcher/load_rules.h"
#include "sources/git/git_repo.h"
#include "sources/git/git_source.h"
#include "support/test_repo.h"
#include "support/tokens.h"

using namespace glpatrol;
using namespace glpatrol::git;
using glpatrol::test::TestRepo;

TEST_CASE("scan_git: one finding per place, provenance, message and in_head") {
  TestRepo r;
  const std::string tok = test::legacy_pat(7), msg_tok = test::legacy_pat(8);
  const git_oid secret = r.blob("a\nkey=" + tok + "\n");
  const git_oid c1 = r.commit(r.tree({{"cfg/app.env", secret}}), {}, "add", 1700000000);
  const git_oid c2 = r.commit(r.tree({{"cfg/app.env", secret}, {"copy.env", secret}}), {c1},
                              "copy\n\n" + msg_tok + "\n", 1700000100);
  const git_oid c3 = r.commit(r.tree({{"README", r.blob("clean\n")}}), {c2}, "clean", 1700000200);
  r.set_ref("refs/heads/main", c3);

  auto db = load_rule_db(RuleSources{}, nullptr);
  REQUIRE(db.has_value());
  FindingCollector collector;
  ScanInfo info;
  ScanContext ctx(*db, StepOptions{}, 2, Shard{}, collector, info);
  GitScanOptions gopts;
  gopts.repo = r.dir();
  GitSource source(gopts);
  REQUIRE(source.scan(ctx).has_value());
  std::vector<Finding> found = collector.take(ctx.stats);
  std::sort(found.begin(), found.end(), finding_less);
  REQUIRE(found.size() == 3);
  std::map<std::string, const Finding*> by_path;
  for (const auto& f : found)
    by_path[std::string(to_string(f.provenance.kind)) + ":" + f.provenance.path] = &f;
  const Finding& a = *by_path.at("blob:cfg/app.env");
  CHECK(a.line == 2);
  CHECK(a.column == 5);
  CHECK(a.provenance.commit->sha == oid_hex(c1));
  CHECK(a.provenance.commit->message == "add");
  CHECK(a.provenance.commit->date == "2023-11-14T22:13:20Z");
  CHECK(a.provenance.in_head == false);
  CHECK(a.provenance.blob_id == oid_hex(secret));
  CHECK(by_path.at("blob:copy.env")->provenance.commit->sha == oid_hex(c2));
  // A message's place has one name in every format: the pseudo-path commit-message/<sha>.
  const Finding& m = *by_path.at("commit-message:commit-message/" + oid_hex(c2));
  CHECK(m.line == 3);
  CHECK(m.provenance.commit->sha == oid_hex(c2));
  CHECK(ctx.stats.blobs.load() == 2);  // the secret blob once, README once
  CHECK(ctx.stats.commits.load() == 3);
  CHECK(info.incomplete_reasons.empty());
  REQUIRE(info.git.has_value());
  CHECK(info.git->blob_places == 3u);
}

TEST_CASE("web_url_from_remote: https, ssh and scp forms; credentials dropped; nothing guessed") {
  CHECK(web_url_from_remote("https://gitlab.com/group/sub/project.git") ==
        "https://gitlab.com/group/sub/project");
  CHECK(web_url_from_remote("https://user:secret@gitlab.example.com:8443/g/p/") ==
        "https://gitlab.example.com:8443/g/p");
  CHECK(web_url_from_remote("ssh://git@gitlab.example.com:2222/g/p.git") == "https://gitlab.example.com/g/p");
  CHECK(web_url_from_remote("git@gitlab.com:group/project.git") == "https://gitlab.com/group/project");
  CHECK_FALSE(web_url_from_remote("http://gitlab.com/g/p"));  // plain http: no link
  CHECK_FALSE(web_url_from_remote("file:///srv/git/p.git"));
  CHECK_FALSE(web_url_from_remote("/srv/git/p.git"));
  CHECK_FALSE(web_url_from_remote("../p"));
  CHECK_FALSE(web_url_from_remote("https://gitlab.com/g/p\"><script>"));
  CHECK_FALSE(web_url_from_remote("https://evil.com/../../x"));
  CHECK_FALSE(web_url_from_remote("https://gitlab.com"));
  CHECK_FALSE(web_url_from_remote("https://ex ample.com/g/p"));
}
