#pragma once
// One RAII owner per libgit2 handle type, the one place libgit2 error codes become
// glpatrol Errors, and the process-wide libgit2 initialisation guard.
#include <git2.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace glpatrol::git {

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const noexcept {
    if (p != nullptr) Free(p);
  }
};
/// unique_ptr owning a libgit2 handle: GitPtr<git_tree, git_tree_free>.
template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepoPtr = GitPtr<git_repository, git_repository_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using OdbObjectPtr = GitPtr<git_odb_object, git_odb_object_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using TreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using TagPtr = GitPtr<git_tag, git_tag_free>;
using RefPtr = GitPtr<git_reference, git_reference_free>;
using RefIterPtr = GitPtr<git_reference_iterator, git_reference_iterator_free>;
using ReflogPtr = GitPtr<git_reflog, git_reflog_free>;
using IndexPtr = GitPtr<git_index, git_index_free>;
using DiffPtr = GitPtr<git_diff, git_diff_free>;
using RemotePtr = GitPtr<git_remote, git_remote_free>;

/// The text of the last libgit2 error on this thread ("unknown error" when none).
inline std::string last_git_error_text() {
  const git_error* e = git_error_last();
  return (e != nullptr && e->message != nullptr) ? std::string(e->message) : "unknown error";
}

/// Converts a failed libgit2 call into Error::git("<what>: <libgit2 message>").
inline Error git_error(std::string_view what, int /*code*/) {
  return Error::git(std::string(what) + ": " + last_git_error_text());
}

/// Hex id of an object.
inline std::string oid_hex(const git_oid& id) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &id);
  return buf;
}

struct OidHash {
  std::size_t operator()(const git_oid& id) const noexcept {
    std::size_t h;
    static_assert(sizeof(h) <= GIT_OID_RAWSZ);
    std::memcpy(&h, id.id, sizeof h);
    return h;
  }
};
struct OidEq {
  bool operator()(const git_oid& a, const git_oid& b) const noexcept { return git_oid_equal(&a, &b) != 0; }
};

/// Holds libgit2 initialised for its lifetime (git_libgit2_init is reference counted).
class LibGit2 {
 public:
  LibGit2() { git_libgit2_init(); }
  ~LibGit2() { git_libgit2_shutdown(); }
  LibGit2(const LibGit2&) = delete;
  LibGit2& operator=(const LibGit2&) = delete;
};

}  // namespace glpatrol::git
