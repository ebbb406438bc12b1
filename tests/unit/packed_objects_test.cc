// sources/git/packed_objects: commits and trees read from the packs give exactly what libgit2
// gives, or nothing (and the caller asks libgit2).
#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sources/git/git_walk.h"
#include "sources/git/packed_objects.h"
#include "support/test_repo.h"

using namespace glpatrol;
using namespace glpatrol::git;
using glpatrol::test::TestRepo;

namespace {

/// Everything of a signature, for comparing libgit2's with ours.
std::string describe(const git_signature* s) {
  if (s == nullptr) return "(none)";
  return std::string(s->name) + "|" + s->email + "|" + std::to_string(s->when.time) + "|" +
         std::to_string(s->when.offset) + "|" + s->when.sign;
}

/// What libgit2 makes of commit `id`, and what PackedObjects makes of it. Returns whether the
/// packed reader gave the commit; when it did, every field must be libgit2's.
bool same_as_libgit2(git_repository* repo, PackedObjects& packed, const git_oid& id,
                     const std::string& label) {
  CAPTURE(label);
  PackedObjects::Commit ours;
  const bool got = packed.read_commit(id, ours);
  git_commit* raw = nullptr;
  const int rc = git_commit_lookup(&raw, repo, &id);
  CommitPtr lib(raw);
  if (rc != 0) {
    CHECK_FALSE(got);  // libgit2 refuses it: so must we
    return got;
  }
  if (!got) return false;
  CHECK(git_oid_equal(&ours.fields.tree, git_commit_tree_id(raw)));
  REQUIRE(ours.fields.parents.size() == git_commit_parentcount(raw));
  for (unsigned i = 0; i < git_commit_parentcount(raw); ++i)
    CHECK(git_oid_equal(&ours.fields.parents[i], git_commit_parent_id(raw, i)));
  CHECK(describe(ours.author.get()) == describe(git_commit_author(raw)));
  CHECK(describe(ours.committer.get()) == describe(git_commit_committer(raw)));
  CHECK(ours.fields.message_raw == std::string_view(git_commit_message_raw(raw)));
  return got;
}

}  // namespace

TEST_CASE("read_commit: git's commit shapes parse as libgit2 parses them; other shapes are left to it") {
  TestRepo r;
  const git_oid tree = r.tree({{"a", r.blob("a\n")}});
  const std::string t = "tree " + oid_hex(tree) + "\n";
  const std::string p1 = "parent " + std::string(40, '1') + "\n",
                    p2 = "parent " + std::string(40, 'a') + "\n",
                    p3 = "parent 0123456789abcdef0123456789abcdef01234567\n";
  const std::string who = "A U Thor <author@example.com> 1700000000 +0100\n";
  const std::string author = "author " + who,
                    committer = "committer C O Mitter <c@example.com> 1700000100 -0530\n";
  const std::string body = "\nsubject line\n\nbody text\n";

  // Shapes git writes (and some it tolerates): the packed reader must give each one.
  const std::vector<std::pair<std::string, std::string>> accepted = {
      {"root", t + author + committer + body},
      {"one parent", t + p1 + author + committer + body},
      {"octopus", t + p1 + p2 + p3 + author + committer + body},
      {"encoding", t + p1 + author + committer + "encoding ISO-8859-1\n" + body},
      {"gpgsig",
       t + p1 + author + committer +
           "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n" +
           body},
      {"leading newlines kept raw", t + author + committer + "\n\n\nsubject\n"},
      {"empty message", t + author + committer + "\n"},
      {"no blank line: empty message", t + author + committer},
      {"NUL cuts the message", t + author + committer + std::string("\nvisible\0hidden\n", 16)},
      {"CRLF message", t + author + committer + "\nsubject\r\nbody\r\n"},
      {"no time at all", t + "author A <a@b.c>\n" + committer + body},
      {"odd time zone", t + "author A <a@b.c> 1 +2561\n" + committer + body},
      {"angle brackets in the name", t + "author A <x> B <a@b.c> 5 +0000\n" + committer + body},
      {"empty name and e-mail", t + "author  <> 0 +0000\n" + committer + body},
      {"author-looking header later", t + author + committer + "author ignored\n" + body},
      {"mergetag", t + p1 + p2 + author + committer + "mergetag object " + std::string(40, '2') +
                       "\n type commit\n tag v1\n" + body},
  };
  // Shapes left to libgit2 (it may accept or refuse them -- libgit2 1.5 refuses a time that
  // is not a number, and so does its signature parser here; the reader must not answer).
  const std::vector<std::pair<std::string, std::string>> left = {
      {"two author lines", t + author + author + committer + body},
      {"uppercase tree id", "tree " + std::string(40, 'A') + "\n" + author + committer + body},
      {"NUL in the author line", t + std::string("author A\0B <a@b.c> 1 +0000\n", 27) + committer + body},
      {"no author", t + committer + body},
      {"no committer", t + author + body},
      {"no tree", author + committer + body},
      {"short tree id", "tree 1234\n" + author + committer + body},
      {"tree line with CR", "tree " + oid_hex(tree) + "\r\n" + author + committer + body},
      {"no e-mail", t + "author Nobody\n" + committer + body},
      {"committer without newline", t + author + "committer C <c@d.e> 1 +0000"},
      {"time not a number", t + "author A <a@b.c> soon +0000\n" + committer + body},
      {"huge time", t + "author A <a@b.c> 99999999999999999999999 +0000\n" + committer + body},
      {"empty", ""},
  };
  std::vector<std::pair<git_oid, std::string>> ids_accepted, ids_left;
  for (const auto& [label, text] : accepted) ids_accepted.emplace_back(r.raw(text, GIT_OBJECT_COMMIT), label);
  for (const auto& [label, text] : left) ids_left.emplace_back(r.raw(text, GIT_OBJECT_COMMIT), label);
  r.pack_all();
  auto packed = PackedObjects::open(r.dir() + "/.git/objects", 1u << 20);
  REQUIRE(packed != nullptr);
  for (const auto& c : ids_accepted) {
    const std::string& label = c.second;
    CHECK_MESSAGE(same_as_libgit2(r.get(), *packed, c.first, label), label);
  }
  for (const auto& c : ids_left) {
    const std::string& label = c.second;
    CHECK_FALSE_MESSAGE(same_as_libgit2(r.get(), *packed, c.first, label), label);
  }

  // An id that names a tree is not a commit here either; an absent id is not given.
  PackedObjects::Commit c;
  CHECK_FALSE(packed->read_commit(tree, c));
  git_oid absent;
  std::memset(absent.id, 0x5a, sizeof absent.id);
  CHECK_FALSE(packed->read_commit(absent, c));
  CHECK(packed->read(tree, GIT_OBJECT_TREE).has_value());
  CHECK_FALSE(packed->read(tree, GIT_OBJECT_BLOB).has_value());
}

TEST_CASE("read_commit: thousands of mutated commits, never an answer libgit2 would not give") {
  // Random byte edits of a well-formed commit (deleted, inserted, replaced bytes, biased to
  // the characters the parsers look at): whatever the reader gives must be libgit2's reading.
  TestRepo r;
  const git_oid tree = r.tree({{"f", r.blob("x\n")}});
  const std::string base =
      "tree " + oid_hex(tree) + "\nparent " + std::string(40, 'b') +
      "\nauthor A U Thor <a@example.com> 1700000000 +0100\n"
      "committer C <c@example.com> 1700000100 -0000\nencoding UTF-8\n\nsubject\n\nbody\n";
  std::mt19937 rng(12345);
  const std::string alphabet = std::string("\n\0 <>+-:0123456789abcdefAtreparentuthorcomiE", 43);
  std::vector<git_oid> ids;
  for (int i = 0; i < 3000; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = rng() % text.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          text.erase(at, 1);
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          text[at] = c;
          break;
      }
    }
    ids.push_back(r.raw(text, GIT_OBJECT_COMMIT));
  }
  r.pack_all();
  auto packed = PackedObjects::open(r.dir() + "/.git/objects", 1u << 20);
  REQUIRE(packed != nullptr);
  int given = 0;
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (same_as_libgit2(r.get(), *packed, ids[i], "mutation " + std::to_string(i))) ++given;
  // Edits in the message or a name still parse (~30 %): the fast path is taken, and checked.
  CHECK(given > 500);
  MESSAGE("packed reader gave ", given, " of ", ids.size(), " mutated commits");
}

TEST_CASE("collect_commits: the same graph from the packs as through libgit2") {
  TestRepo r;
  const git_oid t1 = r.tree({{"a", r.blob("1\n")}}), t2 = r.tree({{"a", r.blob("2\n")}});
  const git_oid c1 = r.commit(t1, {}, "one", 1000);
  const git_oid c2 = r.commit(t2, {c1}, "two", 2000);
  const git_oid c3 = r.commit(t1, {c1}, "side", 1500);
  const git_oid m = r.commit(t2, {c2, c3}, "merge", 3000);
  r.pack_all();
  const auto fault = [](const git_oid&, const std::string&, const std::string&) {};
  auto packed = PackedObjects::open(r.dir() + "/.git/objects", 1u << 20);
  REQUIRE(packed != nullptr);
  const CommitGraph lib = collect_commits(r.get(), {m}, nullptr, {}, fault);
  const CommitGraph ours = collect_commits(r.get(), {m}, nullptr, {}, fault, packed.get());
  CHECK(packed->hits() == 4);
  REQUIRE(lib.nodes.size() == 4);
  REQUIRE(ours.nodes.size() == lib.nodes.size());
  CHECK(ours.order == lib.order);
  for (std::size_t i = 0; i < lib.nodes.size(); ++i) {
    CHECK(git_oid_equal(&ours.nodes[i].id, &lib.nodes[i].id));
    CHECK(git_oid_equal(&ours.nodes[i].tree, &lib.nodes[i].tree));
    CHECK(ours.nodes[i].time == lib.nodes[i].time);
    CHECK(ours.nodes[i].parents.size() == lib.nodes[i].parents.size());
    CHECK(ours.nodes[i].in_graph_parents == lib.nodes[i].in_graph_parents);
  }
}
