// sources/git/git_walk and git_repo: the tree differ, the commit graph, shallow files.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <set>

#include "sources/git/git_repo.h"
#include "sources/git/git_walk.h"
#include "sources/git/history.h"
#include "sources/git/packed_objects.h"
#include "support/test_repo.h"

using namespace glpatrol;
using namespace glpatrol::git;
using glpatrol::test::TestRepo;

namespace {

std::set<std::string> introduced(git_repository* repo, const git_oid& tree,
                                 const std::vector<git_oid>& parents) {
  std::set<std::string> out;
  TreeDiffer d(repo, [](const git_oid&, const std::string&, const std::string&) {});
  d.introduced(tree, parents, [&](const std::string& path, const git_oid& blob, git_filemode_t) {
    out.insert(path + "=" + oid_hex(blob).substr(0, 7));
  });
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

namespace {

/// A raw tree entry: "<mode> <name>\0<id>".
std::string raw_entry(const std::string& mode, const std::string& name, const git_oid& id) {
  return mode + " " + name + std::string(1, '\0') + std::string(reinterpret_cast<const char*>(id.id), 20);
}

/// `data` written as a tree, read back by libgit2 (returned) and by parse_tree (into `out`).
TreePtr both_parses(TestRepo& repo, const std::string& data, std::vector<RawTreeEntry>& out) {
  const git_oid id = repo.raw(data, GIT_OBJECT_TREE);
  git_tree* raw = nullptr;
  REQUIRE(git_tree_lookup(&raw, repo.get(), &id) == 0);
  REQUIRE(parse_tree(data, out));
  return TreePtr(raw);
}

}  // namespace

TEST_CASE("parse_tree: malformed trees are refused, never read past the end") {
  git_oid id;
  std::memset(id.id, 0xab, sizeof id.id);
  std::vector<RawTreeEntry> out;
  CHECK(parse_tree("", out));  // the empty tree
  CHECK(out.empty());
  const std::string first = raw_entry("100644", "a", id);
  const std::string good = first + raw_entry("40000", "dir", id);
  REQUIRE(parse_tree(good, out));
  REQUIRE(out.size() == 2);
  CHECK(out[0].name == "a");
  CHECK(out[0].attr == 0100644);
  CHECK(out[1].name == "dir");
  CHECK(out[1].attr == 040000);
  CHECK(git_oid_equal(out[1].id, &id));
  // Every proper prefix of the tree but the one ending after its first entry is truncated.
  for (std::size_t n = 1; n < good.size(); ++n)
    if (n != first.size())
      CHECK_MESSAGE(!parse_tree(std::string_view(good).substr(0, n), out), "prefix " << n);
  CHECK(!parse_tree(raw_entry("100648", "a", id), out));                             // not octal
  CHECK(!parse_tree(raw_entry("", "a", id), out));                                   // no mode
  CHECK(!parse_tree(raw_entry("1006440", "a", id), out));                            // seven digits
  CHECK(!parse_tree(raw_entry("377777", "a", id), out));                             // above 16 bits
  CHECK(!parse_tree(raw_entry("+100644", "a", id), out));                            // a sign
  CHECK(!parse_tree(raw_entry("100644", "", id), out));                              // zero-length name
  CHECK(!parse_tree("100644a" + std::string(1, '\0') + std::string(20, 'x'), out));  // no space
  CHECK(!parse_tree("100644 name-without-nul", out));
}

TEST_CASE("parse_tree agrees with libgit2 on modes, types and name lookup") {
  TestRepo r;
  const git_oid blob = r.blob("content\n");
  // Modes git writes, legacy ones, and nonsense a crafted tree can hold.
  const char* modes[] = {"100644", "100755", "100664", "100600", "120000", "160000", "40000",  "040755",
                         "0",      "1",      "644",    "170000", "177777", "60000",  "140000", "100000"};
  for (const char* mode : modes) {
    std::vector<RawTreeEntry> out;
    const std::string data = raw_entry(mode, "x", blob);
    const TreePtr t = both_parses(r, data, out);
    REQUIRE(out.size() == 1);
    const git_tree_entry* e = git_tree_entry_byindex(t.get(), 0);
    CHECK_MESSAGE(out[0].attr == git_tree_entry_filemode_raw(e), mode);
    CHECK_MESSAGE(tree_entry_type(out[0].attr) == git_tree_entry_type(e), mode);
    CHECK_MESSAGE(tree_entry_filemode(out[0].attr) == git_tree_entry_filemode(e), mode);
  }
  // An unsorted tree with duplicate names and shared prefixes: lookups find what libgit2 finds.
  const std::vector<std::string> names = {"b", "a", "ab", "a", "c", "abc", "B", "aa", "b"};
  std::string data;
  for (std::size_t i = 0; i < names.size(); ++i)
    data += raw_entry(i % 2 ? "100755" : "100644", names[i], blob);
  std::vector<RawTreeEntry> out;
  const TreePtr t = both_parses(r, data, out);
  git_tree* raw = t.get();
  for (const char* probe : {"a", "b", "c", "ab", "abc", "aa", "B", "d", "abcd", "0", "~"}) {
    const git_tree_entry* theirs = git_tree_entry_byname(raw, probe);
    const RawTreeEntry* ours = tree_entry_byname(out, probe);
    REQUIRE_MESSAGE((theirs == nullptr) == (ours == nullptr), probe);
    if (ours == nullptr) continue;
    std::size_t at = out.size();  // the same position in the stored order
    for (std::size_t i = 0; i < out.size(); ++i)
      if (git_tree_entry_byindex(raw, i) == theirs) at = i;
    CHECK_MESSAGE(static_cast<std::size_t>(ours - out.data()) == at, probe);
  }
}

TEST_CASE("tree diff from the packs gives what libgit2 gives, and hostile trees are faults") {
  TestRepo r;
  const git_oid b1 = r.blob("one\n"), b2 = r.blob("two\n"), b3 = r.blob("three\n");
  const git_oid parent = r.tree({{"a", b1}, {"d/x", b2}, {"same/deep/f", b1}});
  const git_oid child = r.tree({{"a", b1}, {"d/x", b3}, {"d/y", b2}, {"same/deep/f", b1}});
  git_oid missing;
  std::memset(missing.id, 0x42, sizeof missing.id);
  // A tree entry naming a blob, one naming nothing, a truncated tree and the mode of an
  // entry changed (new content even with the same id).
  const git_oid hostile = r.raw(raw_entry("40000", "blob-as-dir", b1) +
                                    raw_entry("40000", "nowhere", missing) + raw_entry("100755", "a", b1),
                                GIT_OBJECT_TREE);
  const git_oid truncated = r.raw("100644 cut", GIT_OBJECT_TREE);
  r.pack_all();

  struct Run {
    std::set<std::string> paths;
    std::vector<std::string> faults;
    std::uint64_t from_packs = 0;
  };
  const auto run = [&](bool packs, const git_oid& tree, const std::vector<git_oid>& parents) {
    Run out;
    TreeDiffer d(r.get(), [&](const git_oid& id, const std::string& reason, const std::string&) {
      out.faults.push_back(oid_hex(id).substr(0, 7) + ":" + reason);
    });
    auto packed = packs ? PackedObjects::open(r.dir() + "/.git/objects", 1u << 20) : nullptr;
    if (packs) REQUIRE(packed != nullptr);
    d.use_packs(packed.get());
    d.introduced(tree, parents, [&](const std::string& path, const git_oid& blob, git_filemode_t mode) {
      out.paths.insert(path + "=" + oid_hex(blob).substr(0, 7) + ":" + std::to_string(mode));
    });
    out.from_packs = d.trees_from_packs();
    return out;
  };
  for (const auto& [tree, parents] : std::vector<std::pair<git_oid, std::vector<git_oid>>>{
           {child, {parent}}, {parent, {}}, {hostile, {parent}}, {truncated, {}}, {child, {truncated}}}) {
    const Run lib = run(false, tree, parents), pack = run(true, tree, parents);
    CHECK(lib.paths == pack.paths);
    CHECK(lib.faults == pack.faults);
  }
  CHECK(run(true, child, {parent}).from_packs > 0);
  const Run h = run(true, hostile, {parent});
  CHECK(h.paths == std::set<std::string>{"a=" + oid_hex(b1).substr(0, 7) + ":33261",
                                         "blob-as-dir=" + oid_hex(b1).substr(0, 7) + ":16384"});
  CHECK(h.faults == std::vector<std::string>{"4242424:missing-object"});
  const Run t = run(true, truncated, {});
  CHECK(t.paths.empty());
  REQUIRE(t.faults.size() == 1);
  CHECK(t.faults[0] == oid_hex(truncated).substr(0, 7) + ":corrupt-object");
}

TEST_CASE("PlaceIndex: ids numbered in insertion order across table growth, first place per path wins") {
  PlaceIndex ix;
  std::vector<git_oid> ids;
  for (std::uint32_t i = 0; i < 5000; ++i) {  // grows the tables several times
    git_oid id{};
    std::memcpy(id.id, &i, sizeof i);
    id.id[19] = static_cast<unsigned char>(i * 7);
    ids.push_back(id);
    const auto [n, fresh] = ix.add_blob(id);
    CHECK(n == i);
    CHECK(fresh);
  }
  CHECK(ix.blobs().size() == ids.size());
  for (std::uint32_t i = 0; i < ids.size(); i += 97) {
    CHECK(ix.add_blob(ids[i]) == std::pair<std::uint32_t, bool>{i, false});
    auto it = ix.blobs().find(ids[i]);
    REQUIRE(it != ix.blobs().end());
    CHECK(it->second == i);
    CHECK(git_oid_equal(&it->first, &ids[i]));
  }
  git_oid absent{};
  std::memset(absent.id, 0xee, sizeof absent.id);
  CHECK(ix.blobs().find(absent) == ix.blobs().end());
  CHECK(!ix.contains(absent));
  std::uint32_t seen = 0;
  for (const auto& [id, n] : ix.blobs()) {  // in insertion order
    CHECK(n == seen);
    CHECK(git_oid_equal(&id, &ids[seen]) == 1);
    ++seen;
  }
  CHECK(seen == ids.size());

  const std::uint32_t a = ix.intern_path("a"), b = ix.intern_path("b");
  CHECK(ix.intern_path("a") == a);
  CHECK(ix.places(7).empty());
  CHECK(ix.add_place(7, {b, 3}));
  CHECK(ix.add_place(7, {a, 5}));
  CHECK(!ix.add_place(7, {b, 1}));  // the same (blob, path) again: the first introduction stays
  CHECK(ix.add_place(8, {b, 1}));
  CHECK(ix.add_place(7, {kNone, kNone}));
  std::vector<std::pair<std::uint32_t, std::uint32_t>> got;
  for (const Place& p : ix.places(7)) got.emplace_back(p.path, p.commit);
  CHECK(got == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{b, 3}, {a, 5}, {kNone, kNone}});
  CHECK(ix.place_count() == 4);
}
