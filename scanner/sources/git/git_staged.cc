// Staged mode (pre-commit): the index blobs that differ from HEAD at their path, i.e. exactly
// the content the next commit would add. The working tree is never read, and no filter,
// attribute or hook is applied.
//
// The index is git's, or $GIT_INDEX_FILE when git sets it for the hook: `git commit -a` and
// `git commit PATHS` build the commit from another index than .git/index, and reading
// .git/index there would check the wrong content and let the commit through. The variable
// comes from the environment git gives the hook, never from the repository.
//
// Comparison: the index is parsed by index_file.h and walked against HEAD's tree directory by
// directory; a directory whose cache-tree entry is valid and names HEAD's tree for it has
// nothing staged and is skipped unread (what `git diff --cached` does), so a commit on a
// 100,000-file repository reads a handful of trees. Indexes this reader does not apply
// (split or sparse index) go through libgit2's tree-to-index diff instead.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "common/glob.h"
#include "common/read_file.h"
#include "sources/git/blob_reader.h"
#include "sources/git/git_walk.h"
#include "sources/git/index_file.h"
#include "sources/git/messages.h"

namespace glpatrol::git {

namespace {

constexpr std::uint64_t kMaxIndexFileSize = 2ull << 30;

struct Staged {
  std::string path;
  git_oid blob;
};

struct StagedChanges {
  std::vector<Staged> staged;  ///< content the commit adds (path, blob)
  OidSet removed;              ///< blob ids the commit removes from some path
  std::string reader;          ///< "glpatrol" or "libgit2"
  std::uint64_t index_entries = 0, trees_read = 0, dirs_skipped = 0;
};

bool is_gitlink(std::uint32_t mode) { return mode == GIT_FILEMODE_COMMIT; }

git_oid to_oid(const RawOid& raw) {
  git_oid o;
  git_oid_fromraw(&o, raw.data());
  return o;
}

/// The index file the commit is built from.
std::string index_file_path(git_repository* r) {
  if (const char* env = std::getenv("GIT_INDEX_FILE"); env != nullptr && *env != '\0') return env;
  return std::string(git_repository_path(r)) + "index";
}

/// Reads the index; a missing file is an empty index (nothing staged yet), like git.
Result<std::string> read_index_bytes(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return std::string();
  return read_regular_file(path, kMaxIndexFileSize, "the index");
}

/// Walks the index's stage-0 entries against HEAD's tree (see the file comment).
class IndexTreeWalk {
 public:
  IndexTreeWalk(git_repository* repo, const IndexFile& ix, StagedChanges& out) : repo_(repo), out_(out) {
    bool conflicts = false;
    for (const auto& e : ix.entries) {
      if (e.stage == 0) {
        entries_.push_back(&e);
      } else {
        conflicts = true;
      }
    }
    // Git keeps the index sorted; an index that is not is sorted here rather than trusted.
    auto by_path = [](const IndexEntry* a, const IndexEntry* b) { return a->path < b->path; };
    if (!std::is_sorted(entries_.begin(), entries_.end(), by_path))
      std::stable_sort(entries_.begin(), entries_.end(), by_path);
    // Git invalidates the cache tree around conflicts; without them it is trusted as git does.
    if (!conflicts)
      for (const auto& d : ix.cache_tree)
        if (d.entry_count >= 0) cache_tree_.emplace(d.path, &d);
  }

  Status run(const git_tree* head) {
    // Directories wait on an explicit stack (never recursion): a crafted index or HEAD nesting
    // 40,000 directories must not exhaust the stack.
    pending_.push_back({"", head != nullptr ? std::optional<git_oid>(*git_tree_id(head)) : std::nullopt, 0,
                        entries_.size()});
    while (!pending_.empty() && fault_.empty()) {
      Dir d = std::move(pending_.back());
      pending_.pop_back();
      walk(d.prefix, d.head ? &*d.head : nullptr, d.begin, d.end);
    }
    return fault_.empty() ? Status::ok() : Status(Error::git(fault_));
  }

 private:
  struct Item {
    std::string key;        ///< name, or name + "/" for a directory (git's tree order)
    std::size_t begin = 0;  ///< index: entry (file) or entry range (directory)
    std::size_t end = 0;
    const git_tree_entry* head = nullptr;
    bool in_index = false;
  };

  /// `prefix`: "" or "dir/"; `head_id`: HEAD's tree for it (null: not in HEAD); [b, e): the
  /// index entries under it. The tree is read only when the cache tree cannot vouch for it.
  void walk(const std::string& prefix, const git_oid* head_id, std::size_t b, std::size_t e) {
    if (!fault_.empty()) return;
    TreePtr head_tree;
    if (head_id != nullptr) {
      const std::string dir = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
      auto ct = cache_tree_.find(dir);
      if (ct != cache_tree_.end() && static_cast<std::size_t>(ct->second->entry_count) == e - b &&
          std::memcmp(ct->second->id.data(), head_id->id, 20) == 0) {
        ++out_.dirs_skipped;
        return;
      }
      head_tree = lookup(head_id);
      if (!head_tree) return;
    }
    const git_tree* head = head_tree.get();
    std::vector<Item> items;
    for (std::size_t i = b; i < e;) {
      const std::string& path = entries_[i]->path;
      const std::size_t slash = path.find('/', prefix.size());
      Item it;
      it.in_index = true;
      it.begin = i;
      if (slash == std::string::npos) {
        it.key = path.substr(prefix.size());
        it.end = ++i;
      } else {
        it.key = path.substr(prefix.size(), slash + 1 - prefix.size());  // "name/"
        const std::string dir = path.substr(0, slash + 1);
        while (i < e && entries_[i]->path.compare(0, dir.size(), dir) == 0) ++i;
        it.end = i;
      }
      items.push_back(std::move(it));
    }
    if (head != nullptr) {
      const std::size_t n = git_tree_entrycount(head);
      std::unordered_map<std::string, std::size_t> at;
      at.reserve(items.size());
      for (std::size_t k = 0; k < items.size(); ++k) at.emplace(items[k].key, k);
      for (std::size_t k = 0; k < n; ++k) {
        const git_tree_entry* te = git_tree_entry_byindex(head, k);
        std::string key = git_tree_entry_name(te);
        if (git_tree_entry_type(te) == GIT_OBJECT_TREE) key += '/';
        auto f = at.find(key);
        if (f != at.end()) {
          items[f->second].head = te;
        } else {
          Item gone;
          gone.key = std::move(key);
          gone.head = te;
          items.push_back(std::move(gone));
        }
      }
    }
    for (const Item& it : items) {
      const bool dir = !it.key.empty() && it.key.back() == '/';
      if (!it.in_index) {  // only in HEAD: deleted by the commit
        removed_from(it.head);
        continue;
      }
      if (dir) {
        pending_.push_back(
            {prefix + it.key,
             it.head != nullptr ? std::optional<git_oid>(*git_tree_entry_id(it.head)) : std::nullopt,
             it.begin, it.end});
        continue;
      }
      const IndexEntry& ie = *entries_[it.begin];
      if (ie.intent_to_add) continue;  // nothing staged yet
      const git_oid id = to_oid(ie.id);
      // A gitlink names a commit of another repository, unless its id names an object of this
      // one: then it is content like any other (a crafted index can hide a blob that way).
      if (is_gitlink(ie.mode) && !object_exists(id)) continue;
      if (it.head != nullptr) {
        // Same blob already in HEAD at this path: at most the mode changed, nothing is added.
        // The same id under another object type (a gitlink in HEAD, a file now) is new content:
        // HEAD never had it as a file, so nothing scanned it.
        if (git_oid_equal(&id, git_tree_entry_id(it.head)) && !is_gitlink(ie.mode) &&
            git_tree_entry_type(it.head) == GIT_OBJECT_BLOB)
          continue;
        if (git_tree_entry_type(it.head) == GIT_OBJECT_BLOB) out_.removed.insert(*git_tree_entry_id(it.head));
      }
      out_.staged.push_back({ie.path, id});
    }
  }

  bool object_exists(const git_oid& id) {
    git_odb* odb = nullptr;
    if (git_repository_odb(&odb, repo_) != 0) return false;
    OdbPtr owned(odb);
    return git_odb_exists(odb, &id) == 1;
  }

  TreePtr lookup(const git_oid* id) {
    git_tree* raw = nullptr;
    if (git_tree_lookup(&raw, repo_, id) != 0) {
      fault_ = "cannot read a tree of HEAD (" + oid_hex(*id) + "): " + last_git_error_text();
      return nullptr;
    }
    ++out_.trees_read;
    return TreePtr(raw);
  }

  /// A HEAD entry the commit deletes: its blobs (a whole directory's) go to `removed`.
  /// Iterative: trees to open wait on a stack.
  void removed_from(const git_tree_entry* top) {
    if (git_tree_entry_type(top) == GIT_OBJECT_BLOB) {
      out_.removed.insert(*git_tree_entry_id(top));
      return;
    }
    if (git_tree_entry_type(top) != GIT_OBJECT_TREE) return;
    std::vector<git_oid> trees{*git_tree_entry_id(top)};
    while (!trees.empty()) {
      const git_oid id = trees.back();
      trees.pop_back();
      TreePtr t = lookup(&id);
      if (!t) return;
      for (std::size_t k = 0; k < git_tree_entrycount(t.get()); ++k) {
        const git_tree_entry* te = git_tree_entry_byindex(t.get(), k);
        if (git_tree_entry_type(te) == GIT_OBJECT_BLOB)
          out_.removed.insert(*git_tree_entry_id(te));
        else if (git_tree_entry_type(te) == GIT_OBJECT_TREE)
          trees.push_back(*git_tree_entry_id(te));
      }
    }
  }

  struct Dir {
    std::string prefix;
    std::optional<git_oid> head;
    std::size_t begin = 0, end = 0;
  };
  git_repository* repo_;
  StagedChanges& out_;
  std::vector<Dir> pending_;  ///< directories still to walk
  std::vector<const IndexEntry*> entries_;
  std::unordered_map<std::string, const CacheTreeDir*> cache_tree_;
  std::string fault_;
};

/// Indexes index_file.h does not apply (split, sparse): libgit2's tree-to-index diff.
Status staged_by_libgit2(git_repository* r, const std::string& index_path, git_tree* head_tree,
                         StagedChanges& out) {
  git_index* idx_raw = nullptr;
  if (int rc = git_index_open(&idx_raw, index_path.c_str()); rc != 0)
    return git_error("cannot read the index '" + index_path + "'", rc);
  IndexPtr index(idx_raw);
  out.reader = "libgit2";
  out.index_entries = git_index_entrycount(index.get());
  git_diff_options dopts;
  git_diff_options_init(&dopts, GIT_DIFF_OPTIONS_VERSION);
  dopts.flags = GIT_DIFF_IGNORE_SUBMODULES;  // gitlinks name other repositories' commits
  git_diff* diff_raw = nullptr;
  if (int rc = git_diff_tree_to_index(&diff_raw, r, head_tree, index.get(), &dopts); rc != 0)
    return git_error("cannot compare the index with HEAD", rc);
  DiffPtr diff(diff_raw);
  auto add = [&](const char* path, const git_oid& id, std::uint16_t mode) {
    if (path == nullptr || git_oid_is_zero(&id) || mode == GIT_FILEMODE_COMMIT) return;
    out.staged.push_back({path, id});
  };
  const std::size_t n = git_diff_num_deltas(diff.get());
  for (std::size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    switch (d->status) {
      case GIT_DELTA_DELETED:
        out.removed.insert(d->old_file.id);
        break;
      case GIT_DELTA_MODIFIED:
        out.removed.insert(d->old_file.id);
        add(d->new_file.path, d->new_file.id, d->new_file.mode);
        break;
      case GIT_DELTA_ADDED:
      case GIT_DELTA_TYPECHANGE:
      case GIT_DELTA_RENAMED:
      case GIT_DELTA_COPIED:
        add(d->new_file.path, d->new_file.id, d->new_file.mode);
        break;
      default:
        break;  // unmodified, conflicted (below)
    }
  }
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
  return Status::ok();
}

Status staged_changes(git_repository* r, git_tree* head_tree, StagedChanges& out) {
  const std::string path = index_file_path(r);
  auto bytes = read_index_bytes(path);
  if (!bytes) return bytes.error();
  if (bytes->empty()) {  // no index yet: nothing staged
    out.reader = "glpatrol";
    return Status::ok();
  }
  auto ix = parse_index_file(*bytes);
  if (!ix) return ix.error().with_context(path);
  if (!ix->unsupported.empty()) return staged_by_libgit2(r, path, head_tree, out);
  out.reader = "glpatrol";
  out.index_entries = ix->entries.size();
  IndexTreeWalk walk(r, *ix, out);
  if (auto s = walk.run(head_tree); !s) return s;
  // An unresolved merge: every side's staged content is about to be resolved into the commit.
  for (const auto& e : ix->entries)
    if ((e.stage == 2 || e.stage == 3) && !is_gitlink(e.mode)) out.staged.push_back({e.path, to_oid(e.id)});
  return Status::ok();
}

/// The content of HEAD's blob at `path` ("" when HEAD has none there).
std::string head_blob_at(git_repository* r, git_tree* head_tree, const std::string& path) {
  if (head_tree == nullptr) return {};
  git_tree_entry* e_raw = nullptr;
  if (git_tree_entry_bypath(&e_raw, head_tree, path.c_str()) != 0) return {};
  TreeEntryPtr e(e_raw);
  git_blob* b_raw = nullptr;
  if (git_tree_entry_type(e_raw) != GIT_OBJECT_BLOB ||
      git_blob_lookup(&b_raw, r, git_tree_entry_id(e_raw)) != 0)
    return {};
  GitPtr<git_blob, git_blob_free> b(b_raw);
  return std::string(static_cast<const char*>(git_blob_rawcontent(b_raw)),
                     static_cast<std::size_t>(git_blob_rawsize(b_raw)));
}

}  // namespace

Status scan_staged(const GitScanOptions& opts, ScanContext& ctx, GitInfo& info) {
  auto repo = open_repository(opts.repo);
  if (!repo) return repo.error();
  git_repository* r = repo->repo.get();
  if (repo->bare) return Error::usage("--staged needs a repository with a work tree (this one is bare)");

  // HEAD's tree; an unborn HEAD (first commit) compares with the empty tree.
  TreePtr head_tree;
  info.mode = "staged";
  info.repository = repo->git_dir;
  if (git_repository_head_unborn(r) != 1) {
    auto head = resolve_commit(r, "HEAD");
    if (!head) return Error::git("cannot read HEAD: " + head.error().message);
    git_commit* commit_raw = nullptr;
    if (int rc = git_commit_lookup(&commit_raw, r, &*head); rc != 0) return git_error("cannot read HEAD", rc);
    CommitPtr commit(commit_raw);
    git_tree* tree_raw = nullptr;
    if (int rc = git_commit_tree(&tree_raw, commit.get()); rc != 0)
      return git_error("cannot read HEAD's tree", rc);
    head_tree.reset(tree_raw);
    info.head = oid_hex(*head);
  }

  StagedChanges changes;
  if (auto s = staged_changes(r, head_tree.get(), changes); !s) return s;
  IndexInfo ix;
  ix.reader = changes.reader;
  ix.entries = changes.index_entries;
  ix.trees_read = changes.trees_read;
  ix.directories_skipped = changes.dirs_skipped;
  info.index = std::move(ix);

  OidSet unique;
  for (const auto& s : changes.staged) unique.insert(s.blob);
  auto step = ctx.make_step();
  if (!step) return step.error();
  {
    BlobReader reader(*repo, ctx, opts);
    // Small commits scan on one worker: opening a second repository costs more than it saves.
    if (auto s = reader.start(unique.size() > 64 ? ctx.jobs() : 1); !s) return s;
    for (const auto& id : unique) reader.push(id);
    reader.finish();
    // A staged "file" whose id names a tree or commit (a crafted index): its bytes were scanned;
    // the files below it are staged content too, at its path.
    TreeDiffer differ(r, [&](const git_oid& id, const std::string& reason, const std::string& detail) {
      report_object_fault(ctx, opts, id, reason, detail);
    });
    PlaceCallbacks cb;
    cb.paths_of = [&](const git_oid& id) {
      std::vector<std::string> out;
      for (const auto& st : changes.staged)
        if (git_oid_equal(&st.blob, &id)) out.push_back(st.path);
      return out;
    };
    cb.add = [&](const std::string& path, const git_oid& blob) {
      changes.staged.push_back({path, blob});
      return unique.insert(blob).second;
    };
    if (auto s = read_below_non_blobs(*repo, ctx, opts, differ, reader, cb); !s) return s;
    const BlobMatches& hits = reader.results();
    PathNames names(*step, opts, ctx);
    for (const auto& s : changes.staged) names.add(s.path, 0);
    names.emit([](std::uint32_t) { return std::nullopt; });
    std::vector<Finding> made;
    for (const auto& s : changes.staged) {
      if (path_excluded(s.path, opts.exclude_globs)) continue;  // --exclude
      auto it = hits.find(s.blob);
      if (it == hits.end()) continue;
      made.clear();
      step->findings(*it->second, blob_provenance(opts, s.blob, s.path), made);
      // Is the token already in HEAD at this path (an old leak the commit keeps)?
      const std::string head_content = head_blob_at(r, head_tree.get(), s.path);
      for (auto& f : made) {
        f.provenance.in_head = changes.removed.count(s.blob) != 0 ||
                               (!head_content.empty() && head_content.find(f.secret) != std::string::npos);
        ctx.sink().add(std::move(f));
      }
    }
  }
  info.staged_paths = changes.staged.size();
  info.blobs = unique.size();
  return Status::ok();
}

}  // namespace glpatrol::git
