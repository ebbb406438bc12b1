// Unit tests of the git history engine on repositories built with libgit2 in a temp dir.
#include <doctest/doctest.h>
#include <git2.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "app/scan_driver.h"
#include "sources/git/git_repo.h"
#include "sources/git/git_scan.h"
#include "sources/git/git_walk.h"
#include "sources/git/safe_odb.h"
#include "support/tokens.h"

using namespace glpatrol;
using namespace glpatrol::git;

namespace {

/// A scratch repository written through libgit2 (objects only; refs set explicitly).
class TestRepo {
 public:
  TestRepo() {
    char tmpl[] = "/tmp/glpatrol-gitunit-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    git_repository* raw = nullptr;
    REQUIRE(git_repository_init(&raw, dir_.c_str(), 0) == 0);
    repo_.reset(raw);
  }
  ~TestRepo() {
    repo_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  git_repository* get() { return repo_.get(); }
  const std::string& dir() const { return dir_; }

  git_oid blob(const std::string& data) {
    git_oid id;
    REQUIRE(git_blob_create_from_buffer(&id, repo_.get(), data.data(), data.size()) == 0);
    return id;
  }
  /// Builds nested trees from path -> blob.
  git_oid tree(const std::map<std::string, git_oid>& files) {
    std::map<std::string, std::map<std::string, git_oid>> subdirs;
    git_treebuilder* tb = nullptr;
    REQUIRE(git_treebuilder_new(&tb, repo_.get(), nullptr) == 0);
    GitPtr<git_treebuilder, git_treebuilder_free> owner(tb);
    for (const auto& [path, id] : files) {
      const auto slash = path.find('/');
      if (slash == std::string::npos) {
        REQUIRE(git_treebuilder_insert(nullptr, tb, path.c_str(), &id, GIT_FILEMODE_BLOB) == 0);
      } else {
        subdirs[path.substr(0, slash)][path.substr(slash + 1)] = id;
      }
    }
    for (const auto& [name, sub] : subdirs) {
      const git_oid sid = tree(sub);
      REQUIRE(git_treebuilder_insert(nullptr, tb, name.c_str(), &sid, GIT_FILEMODE_TREE) == 0);
    }
    git_oid out;
    REQUIRE(git_treebuilder_write(&out, tb) == 0);
    return out;
  }
  git_oid commit(const git_oid& tree_id, const std::vector<git_oid>& parents, const std::string& msg,
                 git_time_t when) {
    git_signature* sig = nullptr;
    REQUIRE(git_signature_new(&sig, "Unit Author", "unit@example.com", when, 0) == 0);
    GitPtr<git_signature, git_signature_free> s(sig);
    git_tree* t = nullptr;
    REQUIRE(git_tree_lookup(&t, repo_.get(), &tree_id) == 0);
    TreePtr tp(t);
    std::vector<CommitPtr> owned;
    std::vector<const git_commit*> ps;
    for (const auto& p : parents) {
      git_commit* c = nullptr;
      REQUIRE(git_commit_lookup(&c, repo_.get(), &p) == 0);
      ps.push_back(c);
      owned.emplace_back(c);
    }
    git_oid out;
    REQUIRE(git_commit_create(&out, repo_.get(), nullptr, sig, sig, nullptr, msg.c_str(), t,
                              ps.size(), ps.data()) == 0);
    return out;
  }
  void set_ref(const std::string& name, const git_oid& id) {
    git_reference* ref = nullptr;
    REQUIRE(git_reference_create(&ref, repo_.get(), name.c_str(), &id, 1, nullptr) == 0);
    git_reference_free(ref);
  }

 private:
  LibGit2 lib_;
  std::string dir_;
  RepoPtr repo_;
};

std::set<std::string> introduced(git_repository* repo, const git_oid& tree,
                                 const std::vector<git_oid>& parents) {
  std::set<std::string> out;
  TreeDiffer d(repo, [](const git_oid&, const std::string&, const std::string&) {});
  d.introduced(tree, parents, [&](const std::string& path, const git_oid& blob, git_filemode_t) {
    out.insert(path + "=" + oid_hex(blob).substr(0, 7));
  });
  return out;
}

std::string deflate_str(const std::string& s) {
  uLongf n = compressBound(static_cast<uLong>(s.size()));
  std::string out(n, '\0');
  REQUIRE(compress(reinterpret_cast<Bytef*>(out.data()), &n,
                   reinterpret_cast<const Bytef*>(s.data()), static_cast<uLong>(s.size())) == Z_OK);
  out.resize(n);
  return out;
}

}  // namespace

TEST_CASE("tree diff: only blobs that differ from every parent at their path") {
  TestRepo r;
  const git_oid b1 = r.blob("one\n"), b2 = r.blob("two\n"), b3 = r.blob("three\n");
  const git_oid parent = r.tree({{"a", b1}, {"d/x", b2}, {"same/deep/f", b1}});
  const git_oid child = r.tree({{"a", b1}, {"d/x", b3}, {"d/y", b2}, {"same/deep/f", b1}});
  const auto h = [](const git_oid& id) { return oid_hex(id).substr(0, 7); };
  CHECK(introduced(r.get(), child, {parent}) == std::set<std::string>{"d/x=" + h(b3), "d/y=" + h(b2)});
  CHECK(introduced(r.get(), child, {child}).empty());
  // root commit: everything
  CHECK(introduced(r.get(), parent, {}).size() == 3);

  SUBCASE("merge: content from either parent is inherited; a resolution is new") {
    const git_oid p1 = r.tree({{"f", b1}}), p2 = r.tree({{"f", b2}});
    CHECK(introduced(r.get(), r.tree({{"f", b2}}), {p1, p2}).empty());
    CHECK(introduced(r.get(), r.tree({{"f", b3}}), {p1, p2}) == std::set<std::string>{"f=" + h(b3)});
  }
  SUBCASE("rename: the same blob at a new path is introduced there") {
    CHECK(introduced(r.get(), r.tree({{"moved/a", b1}}), {r.tree({{"a", b1}})}) ==
          std::set<std::string>{"moved/a=" + h(b1)});
  }
}

TEST_CASE("commit graph: parents first, shallow boundaries and hidden ranges") {
  TestRepo r;
  const git_oid t1 = r.tree({{"a", r.blob("1")}}), t2 = r.tree({{"a", r.blob("2")}});
  const git_oid c1 = r.commit(t1, {}, "one", 1000);
  const git_oid c2 = r.commit(t2, {c1}, "two", 900);  // clock skew: child older than parent
  const git_oid c3 = r.commit(t1, {c2}, "three", 3000);
  const auto noop = [](const git_oid&, const std::string&, const std::string&) {};
  OidSet shallow;
  CommitGraph g = collect_commits(r.get(), {c3}, nullptr, shallow, noop);
  REQUIRE(g.order.size() == 3);
  CHECK(git_oid_equal(&g.nodes[g.order[0]].id, &c1));
  CHECK(git_oid_equal(&g.nodes[g.order[1]].id, &c2));
  CHECK(git_oid_equal(&g.nodes[g.order[2]].id, &c3));

  shallow.insert(c2);
  g = collect_commits(r.get(), {c3}, nullptr, shallow, noop);
  CHECK(g.nodes.size() == 2);
  CHECK(g.nodes[g.index.at(c2)].shallow_boundary);
  CHECK(g.nodes[g.index.at(c2)].parents.empty());

  const OidSet hidden = ancestors(r.get(), {c2}, OidSet{});
  g = collect_commits(r.get(), {c3}, &hidden, OidSet{}, noop);
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].parents.size() == 1);  // still diffed against its hidden parent
}

TEST_CASE("shallow file parsing keeps ids and reports junk") {
  std::vector<std::string> bad;
  const std::string id(40, 'a');
  const OidSet s = parse_shallow_file(id + "\n\nnot-an-id\n" + std::string(40, 'b') + "\r\n", &bad);
  CHECK(s.size() == 2);
  CHECK(bad == std::vector<std::string>{"not-an-id"});
}

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
  CHECK(inflate_loose(deflate_str("blobby 1" + std::string(1, '\0') + "x"), false, &type, &size,
                      &body, 1u << 20) != "");
  CHECK(inflate_loose("", false, &type, &size, &body, 1u << 20) != "");
}

TEST_CASE("scan_git: one finding per place, provenance, message and in_head") {
  TestRepo r;
  const std::string tok = test::legacy_pat(7), msg_tok = test::legacy_pat(8);
  const git_oid secret = r.blob("a\nkey=" + tok + "\n");
  const git_oid c1 = r.commit(r.tree({{"cfg/app.env", secret}}), {}, "add", 1700000000);
  const git_oid c2 = r.commit(r.tree({{"cfg/app.env", secret}, {"copy.env", secret}}), {c1},
                              "copy\n\n" + msg_tok + "\n", 1700000100);
  const git_oid c3 = r.commit(r.tree({{"README", r.blob("clean\n")}}), {c2}, "clean", 1700000200);
  r.set_ref("refs/heads/main", c3);

  ScanOptions sopts;
  auto db = load_rule_db(sopts, nullptr);
  REQUIRE(db.has_value());
  ScanStats stats;
  std::vector<Finding> found;
  std::mutex mu;
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  std::vector<std::string> reasons;
  GitScanIo io{*db, 2, stats,
               [&](Finding f) {
                 std::lock_guard<std::mutex> l(mu);
                 found.push_back(std::move(f));
               },
               [&](std::string reason, bool) { reasons.push_back(std::move(reason)); }, extra};
  GitScanOptions gopts;
  gopts.repo = r.dir();
  REQUIRE(scan_git(gopts, io).has_value());
  std::sort(found.begin(), found.end(), finding_less);
  REQUIRE(found.size() == 3);
  std::map<std::string, const Finding*> by_path;
  for (const auto& f : found) by_path[f.location_kind + ":" + f.path] = &f;
  const Finding& a = *by_path.at("blob:cfg/app.env");
  CHECK(a.line == 2);
  CHECK(a.column == 5);
  CHECK(a.commit->sha == oid_hex(c1));
  CHECK(a.commit->message == "add");
  CHECK(a.commit->date == "2023-11-14T22:13:20Z");
  CHECK(a.in_head == false);
  CHECK(a.blob_id == oid_hex(secret));
  CHECK(by_path.at("blob:copy.env")->commit->sha == oid_hex(c2));
  const Finding& m = *by_path.at("commit-message:");
  CHECK(m.line == 3);
  CHECK(m.commit->sha == oid_hex(c2));
  CHECK(stats.blobs.load() == 2);  // the secret blob once, README once
  CHECK(stats.commits.load() == 3);
  CHECK(reasons.empty());
  CHECK(extra["git"]["blob_places"] == 3);
}
