#pragma once
// The history model: start points (refs, HEAD, reflogs, tags), the commit graph in
// parents-first order, and the tree walk that finds which blobs a commit introduced.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sources/git/git_repo.h"

namespace glpatrol::git {

class PackedObjects;

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
  std::vector<TagRef> tags;    ///< annotated tags (messages are scanned)
  std::vector<git_oid> trees;  ///< refs/tags pointing straight at trees
  std::vector<git_oid> blobs;  ///< ... or at blobs
  std::size_t refs = 0;        ///< refs seen (incl. HEAD)
  std::size_t reflog_entries = 0;
  std::size_t reflog_missing = 0;  ///< reflog entries naming objects no longer present
  /// Commit start points named only by something a history rewrite or clean-up leaves behind:
  /// (commit, "reflog" | "stash" | "refs/original" | "no ref (--all-objects)"). A commit named
  /// by a branch, tag, HEAD or
  /// any other ref is not listed. Findings reachable only from these say so.
  std::vector<std::pair<git_oid, std::string>> secondary;
  std::vector<git_oid> primary;  ///< the other commit start points
};

/// Every ref (branches, tags, remotes, notes, stash, anything under refs/), HEAD (also
/// detached) and every reflog entry (old and new ids). Broken refs are reported as faults.
/// `reflogs` false (--no-reflogs): reflogs (also worktrees' logs/HEAD) are not read.
StartPoints collect_start_points(git_repository* repo, const ObjectFaultFn& fault, bool reflogs = true);

/// Adds every commit and tag object in the database (for --all-objects), and returns the ids
/// of all blobs in it.
std::vector<git_oid> add_all_objects(git_repository* repo, StartPoints& sp, const ObjectFaultFn& fault);

struct CommitNode {
  git_oid id{};
  git_oid tree{};
  std::int64_t time = 0;         ///< committer time (ordering)
  std::vector<git_oid> parents;  ///< parents to diff against (empty at a boundary)
  std::vector<std::uint32_t> in_graph_parents;
  bool shallow_boundary = false;  ///< listed in .git/shallow: parents absent by design
  bool missing_parent = false;    ///< a parent could not be read (corruption)
};

struct CommitGraph {
  std::vector<CommitNode> nodes;
  std::unordered_map<git_oid, std::uint32_t, OidHash, OidEq> index;
  std::vector<std::uint32_t> order;  ///< parents before children, older first
};

/// For each commit of `g`: "" when it is reachable from a start point not in
/// `sp.secondary`, else the kind of secondary start point that reaches it (refs/original
/// before stash before reflog before --all-objects).
std::vector<std::string> reachable_only_via(const CommitGraph& g, const StartPoints& sp);

/// How strongly a reachable_only_via label says a commit is kept: 0 for "" (a branch, tag,
/// HEAD or other ref reaches it), then the secondary kinds in the order reachable_only_via
/// prefers them (refs/original, stash, reflog, --all-objects).
int reach_rank(const std::string& label);

/// Walks from `starts` through parents; stops at commits in `hidden` (range lower ends) and
/// at shallow boundaries. Unreadable commits are reported through `fault` and skipped.
/// Commits are read from `packed` when it gives them, else through libgit2 (same result).
CommitGraph collect_commits(git_repository* repo, const std::vector<git_oid>& starts, const OidSet* hidden,
                            const OidSet& shallow, const ObjectFaultFn& fault,
                            PackedObjects* packed = nullptr);

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

/// One entry of a tree object as stored: views into the tree's bytes.
struct RawTreeEntry {
  std::string_view name;
  const git_oid* id = nullptr;
  std::uint16_t attr = 0;  ///< the mode as written (libgit2 keeps 16 bits)
};

/// Parses a tree object's bytes ("<octal mode> <name>\0<20-byte id>"...) into `out`. Strict: a
/// mode of 1-6 octal digits up to 0xffff, a non-empty name, a whole id; anything else (a
/// truncated entry, a bad or overlong mode, an empty name) returns false and the caller reads
/// the tree through libgit2, which parses it its own way or reports it corrupt. Whatever this
/// accepts, libgit2 1.5 parses to the same entries (tests/unit/git_walk_test.cc checks it).
bool parse_tree(std::string_view data, std::vector<RawTreeEntry>& out);
/// libgit2's git_tree_entry_type and git_tree_entry_filemode of a stored mode.
git_object_t tree_entry_type(std::uint16_t attr);
git_filemode_t tree_entry_filemode(std::uint16_t attr);
/// The entry named `name`, found exactly as libgit2 1.5's git_tree_entry_byname finds it
/// (a binary "homing" search on the stored order, then a scan of the entries sharing its
/// prefix), so unsorted or duplicate-name trees give the same answers; nullptr when absent.
const RawTreeEntry* tree_entry_byname(const std::vector<RawTreeEntry>& entries, std::string_view name);

/// Finds the blobs a tree introduces relative to its parents' trees: every entry whose id or
/// mode differs from the entry at the same path in every parent (a changed type or mode is new
/// content, never "inherited"). Subtrees equal (by id and mode) to the same subtree of any
/// parent are skipped, so the cost follows what changed. A gitlink whose id names an object of
/// this repository is scanned as that object (see walk()); an entry whose id names an object
/// of another type than its mode says is emitted for its bytes. The walk is iterative.
///
/// Trees are read from the packs directly when use_packs() was called (libdeflate, a delta-base
/// cache, the raw bytes parsed by parse_tree and their SHA-1 checked as libgit2's strict
/// verification does), else and for anything the packs do not give (loose objects, alternates,
/// corrupt entries, odd trees) through libgit2, which reports faults as before. Recently read
/// trees are kept in a cache of at most 2 x 4 MiB (two generations of id -> bytes + entries).
class TreeDiffer {
 public:
  using EmitFn = std::function<void(const std::string& path, const git_oid& blob, git_filemode_t mode)>;
  TreeDiffer(git_repository* repo, ObjectFaultFn fault);
  ~TreeDiffer();
  TreeDiffer(const TreeDiffer&) = delete;
  TreeDiffer& operator=(const TreeDiffer&) = delete;
  /// Reads trees from `packed` first (the caller owns it; nullptr: libgit2 only). Opening
  /// it parses the pack indexes, so only the history walk, which reads many trees, asks.
  void use_packs(PackedObjects* packed);
  void introduced(const git_oid& tree, const std::vector<git_oid>& parent_trees, const EmitFn& emit);
  /// Every blob of a tree, with paths.
  void all_blobs(const git_oid& tree, const EmitFn& emit) { introduced(tree, {}, emit); }
  /// Gitlinks naming no object of this repository (submodule commits), not scanned.
  std::uint64_t gitlinks() const { return gitlinks_; }
  /// Trees read from the packs / through libgit2 (for the JSON report and benchmarks).
  std::uint64_t trees_from_packs() const { return from_packs_; }
  std::uint64_t trees_from_libgit2() const { return from_libgit2_; }

 private:
  /// A parsed tree: its own bytes (pack path) or libgit2's object (fallback) and the entries.
  struct Tree {
    std::string bytes;
    TreePtr lg;
    std::vector<RawTreeEntry> entries;
  };
  using TreeRef = std::shared_ptr<const Tree>;
  struct Frame {
    TreeRef tree;
    std::vector<TreeRef> parents;  ///< the same directory in the parents' trees
    std::size_t next = 0;          ///< next entry to visit
    std::size_t prefix_len = 0;    ///< path prefix length to restore when done
  };
  /// The tree `id`, or nullptr (nothing reported; libgit2's error is the thread's last error).
  TreeRef load(const git_oid& id);
  /// load(), reporting a failure as a fault.
  TreeRef lookup(const git_oid& id);
  git_object_t stored_type(const git_oid& id);  ///< GIT_OBJECT_INVALID when absent/unreadable
  void actual_tree_fail(const git_oid& commit) {
    fault_(commit, "corrupt-object", "commit named by a gitlink: " + last_git_error_text());
  }
  void walk(Frame root, const EmitFn& emit);
  git_repository* repo_;
  ObjectFaultFn fault_;
  OdbPtr odb_;
  OidSet gitlink_seen_;
  std::uint64_t gitlinks_ = 0;
  PackedObjects* packed_ = nullptr;
  std::unordered_map<git_oid, TreeRef, OidHash, OidEq> cache_, cache_old_;
  std::size_t cache_bytes_ = 0;
  int last_rc_ = 0;
  std::uint64_t from_packs_ = 0, from_libgit2_ = 0;
};

/// The tree id of a commit, or nullopt-equivalent false when unreadable.
bool commit_tree(git_repository* repo, const git_oid& commit, git_oid* tree);

}  // namespace glpatrol::git
