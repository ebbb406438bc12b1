#pragma once
// The history model: start points (refs, HEAD, reflogs, tags), the commit graph in
// parents-first order, and the tree walk that finds which blobs a commit introduced.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sources/git/git_repo.h"

namespace glpatrol::git {

/// An object that could not be read: id, stable reason word, detail.
using ObjectFaultFn =
    std::function<void(const git_oid& id, const std::string& reason, const std::string& detail)>;

struct TagRef {
  git_oid tag;           ///< annotated tag object
  std::string ref_name;  ///< refs/tags/... that named it (or "" when found in the database)
};

/// Everything history mode starts from.
struct StartPoints {
  std::vector<git_oid> commits;
  std::vector<TagRef> tags;           ///< annotated tags (messages are scanned)
  std::vector<git_oid> trees;         ///< refs/tags pointing straight at trees
  std::vector<git_oid> blobs;         ///< ... or at blobs
  std::size_t refs = 0;               ///< refs seen (incl. HEAD)
  std::size_t reflog_entries = 0;
  std::size_t reflog_missing = 0;     ///< reflog entries naming objects no longer present
};

/// Every ref (branches, tags, remotes, notes, stash, anything under refs/), HEAD (also
/// detached) and every reflog entry (old and new ids). Broken refs are reported as faults.
StartPoints collect_start_points(git_repository* repo, const ObjectFaultFn& fault);

/// Adds every commit and tag object in the database (for --all-objects), and returns the ids
/// of all blobs in it.
std::vector<git_oid> add_all_objects(git_repository* repo, StartPoints& sp,
                                     const ObjectFaultFn& fault);

struct CommitNode {
  git_oid id{};
  git_oid tree{};
  std::int64_t time = 0;          ///< committer time (ordering)
  std::vector<git_oid> parents;   ///< parents to diff against (empty at a boundary)
  std::vector<std::uint32_t> in_graph_parents;
  bool shallow_boundary = false;  ///< listed in .git/shallow: parents absent by design
  bool missing_parent = false;    ///< a parent could not be read (corruption)
};

struct CommitGraph {
  std::vector<CommitNode> nodes;
  std::unordered_map<git_oid, std::uint32_t, OidHash, OidEq> index;
  std::vector<std::uint32_t> order;  ///< parents before children, older first
};

/// Walks from `starts` through parents; stops at commits in `hidden` (range lower ends) and
/// at shallow boundaries. Unreadable commits are reported through `fault` and skipped.
CommitGraph collect_commits(git_repository* repo, const std::vector<git_oid>& starts,
                            const OidSet* hidden, const OidSet& shallow,
                            const ObjectFaultFn& fault);

/// All ancestors of `tips` (inclusive), stopping at shallow boundaries and missing objects.
OidSet ancestors(git_repository* repo, const std::vector<git_oid>& tips, const OidSet& shallow);

/// The commits reachable from `tips` but not from `hidden`, and their boundary: the parents
/// outside that set, where a walk from the tips must stop. Found with libgit2's revision walk
/// (git's "uninteresting" marking), which stops once every path has met hidden history
/// instead of listing all of it. libgit2 1.5 does not know shallow boundaries: in a shallow
/// clone use `ancestors` instead. `hidden` must name commits.
struct NewCommits {
  OidSet commits;
  OidSet boundary;
};
Result<NewCommits> new_commits(git_repository* repo, const std::vector<git_oid>& tips,
                               const std::vector<git_oid>& hidden);

/// Finds the blobs a tree introduces relative to its parents' trees: every blob whose id
/// differs from the entry at the same path in every parent. Subtrees equal (by id) to the
/// same subtree of any parent are skipped, so the cost follows what changed.
class TreeDiffer {
 public:
  using EmitFn = std::function<void(const std::string& path, const git_oid& blob, git_filemode_t mode)>;
  TreeDiffer(git_repository* repo, ObjectFaultFn fault) : repo_(repo), fault_(std::move(fault)) {}
  void introduced(const git_oid& tree, const std::vector<git_oid>& parent_trees, const EmitFn& emit);
  /// Every blob of a tree, with paths.
  void all_blobs(const git_oid& tree, const EmitFn& emit) { introduced(tree, {}, emit); }
  std::uint64_t gitlinks() const { return gitlinks_; }

 private:
  TreePtr lookup(const git_oid& id);
  void recurse(const git_tree* tree, const std::vector<const git_tree*>& parents,
               std::string& prefix, const EmitFn& emit);
  git_repository* repo_;
  ObjectFaultFn fault_;
  std::uint64_t gitlinks_ = 0;
};

/// The tree id of a commit, or nullopt-equivalent false when unreadable.
bool commit_tree(git_repository* repo, const git_oid& commit, git_oid* tree);

}  // namespace glpatrol::git
