// Staged mode (pre-commit): the index blobs that differ from HEAD at their path, i.e. exactly
// the content the next commit would add. The working tree is never read, and no filter,
// attribute or hook is applied.
#include <fmt/format.h>

#include <unordered_set>

#include "matcher/to_finding.h"
#include "sources/git/blob_scanner.h"
#include "sources/git/git_scan.h"

namespace glpatrol {

Status scan_git_staged(const GitScanOptions& opts, GitScanIo& io) {
  using namespace git;
  auto repo = open_repository(opts.repo);
  if (!repo) return repo.error();
  git_repository* r = repo->repo.get();
  if (repo->bare) return Error::usage("--staged needs a repository with a work tree (this one is bare)");

  git_index* idx_raw = nullptr;
  if (int rc = git_repository_index(&idx_raw, r); rc != 0) return git_error("cannot read the index", rc);
  IndexPtr index(idx_raw);

  // HEAD's tree; an unborn HEAD (first commit) compares with the empty tree.
  TreePtr head_tree;
  nlohmann::ordered_json& gx = io.extra["git"];
  gx["mode"] = "staged";
  gx["repository"] = repo->git_dir;
  if (git_repository_head_unborn(r) == 1) {
    gx["head"] = nullptr;
  } else {
    auto head = git::resolve_commit(r, "HEAD");
    if (!head) return Error::git("cannot read HEAD: " + head.error().message);
    git_commit* commit_raw = nullptr;
    if (int rc = git_commit_lookup(&commit_raw, r, &*head); rc != 0)
      return git_error("cannot read HEAD", rc);
    CommitPtr commit(commit_raw);
    git_tree* tree_raw = nullptr;
    if (int rc = git_commit_tree(&tree_raw, commit.get()); rc != 0)
      return git_error("cannot read HEAD's tree", rc);
    head_tree.reset(tree_raw);
    gx["head"] = oid_hex(*head);
  }

  git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
  dopts.flags = GIT_DIFF_IGNORE_SUBMODULES;  // gitlinks name other repositories' commits
  git_diff* diff_raw = nullptr;
  if (int rc = git_diff_tree_to_index(&diff_raw, r, head_tree.get(), index.get(), &dopts); rc != 0)
    return git_error("cannot compare the index with HEAD", rc);
  DiffPtr diff(diff_raw);

  struct Staged {
    std::string path;
    git_oid blob;
  };
  std::vector<Staged> staged;
  auto add = [&](const char* path, const git_oid& id, std::uint16_t mode) {
    if (path == nullptr || git_oid_is_zero(&id) || mode == GIT_FILEMODE_COMMIT) return;
    staged.push_back({path, id});
  };
  // Blob ids the commit removes from some path: a staged blob among them is a move of content
  // already in HEAD (a rename), so its tokens are old leaks, not new ones (in_head: true).
  std::unordered_set<git_oid, OidHash, OidEq> removed;
  const std::size_t n = git_diff_num_deltas(diff.get());
  for (std::size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    if (d->status == GIT_DELTA_DELETED || d->status == GIT_DELTA_MODIFIED) removed.insert(d->old_file.id);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    switch (d->status) {
      case GIT_DELTA_ADDED:
      case GIT_DELTA_MODIFIED:
      case GIT_DELTA_TYPECHANGE:
      case GIT_DELTA_RENAMED:
      case GIT_DELTA_COPIED:
        add(d->new_file.path, d->new_file.id, d->new_file.mode);
        break;
      default: break;  // deleted, unmodified, conflicted (below)
    }
  }
  // An unresolved merge: every side's staged content is about to be resolved into the commit.
  if (git_index_has_conflicts(index.get()) == 1) {
    git_index_conflict_iterator* it_raw = nullptr;
    if (git_index_conflict_iterator_new(&it_raw, index.get()) == 0) {
      GitPtr<git_index_conflict_iterator, git_index_conflict_iterator_free> it(it_raw);
      const git_index_entry *anc = nullptr, *ours = nullptr, *theirs = nullptr;
      while (git_index_conflict_next(&anc, &ours, &theirs, it.get()) == 0)
        for (const git_index_entry* e : {ours, theirs})
          if (e != nullptr) add(e->path, e->id, static_cast<std::uint16_t>(e->mode));
    }
  }

  const std::uint64_t cap = opts.max_blob_size != 0 ? std::min(opts.max_blob_size, kMaxGitBlobSize)
                                                    : kMaxGitBlobSize;
  std::unordered_set<git_oid, OidHash, OidEq> unique;
  for (const auto& s : staged) unique.insert(s.blob);
  {
    BlobScanner scanner(*repo, io, cap);
    // Small commits scan on one worker: opening a second repository costs more than it saves.
    if (auto s = scanner.start(unique.size() > 64 ? io.jobs : 1); !s) return s;
    for (const auto& id : unique) scanner.push(id);
    scanner.finish();
    BlobMatches& hits = scanner.results();
    for (const auto& s : staged) {
      auto it = hits.find(s.blob);
      if (it == hits.end()) continue;
      // Is the token already in HEAD at this path (an old leak the commit keeps)?
      std::string head_content;
      bool have_head = false;
      if (head_tree) {
        git_tree_entry* e_raw = nullptr;
        if (git_tree_entry_bypath(&e_raw, head_tree.get(), s.path.c_str()) == 0) {
          TreeEntryPtr e(e_raw);
          git_blob* b_raw = nullptr;
          if (git_tree_entry_type(e_raw) == GIT_OBJECT_BLOB &&
              git_blob_lookup(&b_raw, r, git_tree_entry_id(e_raw)) == 0) {
            GitPtr<git_blob, git_blob_free> b(b_raw);
            head_content.assign(static_cast<const char*>(git_blob_rawcontent(b_raw)),
                                static_cast<std::size_t>(git_blob_rawsize(b_raw)));
            have_head = true;
          }
        }
      }
      for (const auto& lm : it->second) {
        Finding f = make_finding(io.db, lm);
        f.location_kind = "blob";
        f.path = s.path;
        f.blob_id = oid_hex(s.blob);
        f.in_head = removed.count(s.blob) != 0 ||
                    (have_head && head_content.find(f.secret) != std::string::npos);
        io.add_finding(std::move(f));
      }
    }
  }
  gx["staged_paths"] = staged.size();
  gx["blobs"] = unique.size();
  return Status::ok();
}

}  // namespace glpatrol
