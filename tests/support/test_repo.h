#pragma once
// TestRepo: a scratch git repository written through libgit2 in a temporary directory, for unit
// tests of the git source (objects only; refs set explicitly). Removed when it goes out of scope.
#include <doctest/doctest.h>
#include <git2.h>
#include <stdlib.h>

#include <cstdlib>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "sources/git/git_handles.h"

namespace glpatrol::test {

using namespace glpatrol::git;

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
    REQUIRE(git_commit_create(&out, repo_.get(), nullptr, sig, sig, nullptr, msg.c_str(), t, ps.size(),
                              ps.data()) == 0);
    return out;
  }
  /// `data` stored as an object of `type` as it is (libgit2 does not check the content).
  git_oid raw(const std::string& data, git_object_t type) {
    git_odb* raw = nullptr;
    REQUIRE(git_repository_odb(&raw, repo_.get()) == 0);
    OdbPtr odb(raw);
    git_oid id;
    REQUIRE(git_odb_write(&id, odb.get(), data.data(), data.size(), type) == 0);
    return id;
  }
  /// Every object of the repository (no ref needs to reach them) packed, the loose copies
  /// removed, so readers of the packs see them (runs `git`, which the tests may use).
  void pack_all() const {
    const std::string git = "git -C '" + dir_ + "' ";
    const std::string cmd = git + "cat-file --batch-all-objects --batch-check='%(objectname)' | " + git +
                            "pack-objects -q .git/objects/pack/pack >/dev/null && " + git + "prune-packed";
    REQUIRE(std::system(cmd.c_str()) == 0);
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

}  // namespace glpatrol::test
