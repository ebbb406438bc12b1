#include "sources/git/git_walk.h"

#include <queue>
#include <tuple>

namespace glpatrol::git {

namespace {

std::string reason_for(int rc) { return rc == GIT_ENOTFOUND ? "missing-object" : "corrupt-object"; }

/// Follows a ref target through annotated tags to what it finally names.
void add_target(git_repository* repo, const git_oid& id, const std::string& ref_name,
                StartPoints& sp, const ObjectFaultFn& fault) {
  git_oid cur = id;
  for (int depth = 0; depth < 64; ++depth) {  // tag chains are short; a cycle is corruption
    git_object* raw = nullptr;
    const int rc = git_object_lookup(&raw, repo, &cur, GIT_OBJECT_ANY);
    if (rc != 0) {
      fault(cur, reason_for(rc), "named by " + ref_name + ": " + last_git_error_text());
      return;
    }
    ObjectPtr obj(raw);
    switch (git_object_type(raw)) {
      case GIT_OBJECT_COMMIT: sp.commits.push_back(cur); return;
      case GIT_OBJECT_TREE: sp.trees.push_back(cur); return;
      case GIT_OBJECT_BLOB: sp.blobs.push_back(cur); return;
      case GIT_OBJECT_TAG:
        sp.tags.push_back({cur, ref_name});
        cur = *git_tag_target_id(reinterpret_cast<git_tag*>(raw));
        continue;
      default: return;
    }
  }
}

/// Resolves a (possibly symbolic) ref to an object id; false for unborn/dangling symrefs.
bool ref_target(git_repository* repo, const char* name, git_oid* out) {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo, name) != 0) return false;
  RefPtr ref(raw);
  git_reference* resolved = nullptr;
  if (git_reference_resolve(&resolved, ref.get()) != 0) return false;  // unborn HEAD etc.
  RefPtr res(resolved);
  const git_oid* id = git_reference_target(res.get());
  if (id == nullptr) return false;
  *out = *id;
  return true;
}

}  // namespace

StartPoints collect_start_points(git_repository* repo, const ObjectFaultFn& fault) {
  StartPoints sp;
  std::vector<std::string> names{"HEAD"};
  git_reference_iterator* it_raw = nullptr;
  if (git_reference_iterator_new(&it_raw, repo) == 0) {
    RefIterPtr it(it_raw);
    const char* name = nullptr;
    int rc;
    while ((rc = git_reference_next_name(&name, it.get())) == 0) names.emplace_back(name);
    if (rc != GIT_ITEROVER)
      fault(git_oid{}, "unreadable-refs", "reference listing stopped: " + last_git_error_text());
  } else {
    fault(git_oid{}, "unreadable-refs", "cannot list references: " + last_git_error_text());
  }
  git_odb* odb_raw = nullptr;
  if (git_repository_odb(&odb_raw, repo) != 0) return sp;
  OdbPtr odb(odb_raw);
  for (const auto& name : names) {
    git_oid id;
    if (ref_target(repo, name.c_str(), &id)) {
      ++sp.refs;
      add_target(repo, id, name, sp, fault);
    }
    git_reflog* log_raw = nullptr;
    if (git_reflog_read(&log_raw, repo, name.c_str()) != 0) continue;
    ReflogPtr log(log_raw);
    const std::size_t n = git_reflog_entrycount(log.get());
    for (std::size_t i = 0; i < n; ++i) {
      const git_reflog_entry* e = git_reflog_entry_byindex(log.get(), i);
      ++sp.reflog_entries;
      for (const git_oid* rid : {git_reflog_entry_id_old(e), git_reflog_entry_id_new(e)}) {
        if (rid == nullptr || git_oid_is_zero(rid)) continue;
        if (git_odb_exists(odb.get(), rid) == 0) {
          ++sp.reflog_missing;  // expired history, already pruned: nothing left to scan
          continue;
        }
        add_target(repo, *rid, "reflog of " + name, sp, fault);
      }
    }
  }
  return sp;
}

std::vector<git_oid> add_all_objects(git_repository* repo, StartPoints& sp,
                                     const ObjectFaultFn& fault) {
  std::vector<git_oid> all, blobs;
  git_odb* odb_raw = nullptr;
  if (git_repository_odb(&odb_raw, repo) != 0) return blobs;
  OdbPtr odb(odb_raw);
  git_odb_foreach(
      odb.get(),
      [](const git_oid* id, void* payload) {
        static_cast<std::vector<git_oid>*>(payload)->push_back(*id);
        return 0;
      },
      &all);
  OidSet seen;
  for (const auto& id : all) {
    if (!seen.insert(id).second) continue;  // an object can be in several packs
    std::size_t len = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    const int rc = git_odb_read_header(&len, &type, odb.get(), &id);
    if (rc != 0) {
      fault(id, reason_for(rc), "object database entry: " + last_git_error_text());
      continue;
    }
    if (type == GIT_OBJECT_COMMIT) sp.commits.push_back(id);
    else if (type == GIT_OBJECT_TAG) sp.tags.push_back({id, ""});
    else if (type == GIT_OBJECT_BLOB) blobs.push_back(id);
  }
  return blobs;
}

CommitGraph collect_commits(git_repository* repo, const std::vector<git_oid>& starts,
                            const OidSet* hidden, const OidSet& shallow,
                            const ObjectFaultFn& fault) {
  CommitGraph g;
  git_odb* odb_raw = nullptr;
  if (git_repository_odb(&odb_raw, repo) != 0) return g;
  OdbPtr odb(odb_raw);
  OidSet failed;
  std::vector<git_oid> stack(starts.rbegin(), starts.rend());
  while (!stack.empty()) {
    const git_oid id = stack.back();
    stack.pop_back();
    if (g.index.count(id) != 0 || failed.count(id) != 0) continue;
    if (hidden != nullptr && hidden->count(id) != 0) continue;
    git_commit* raw = nullptr;
    const int rc = git_commit_lookup(&raw, repo, &id);
    if (rc != 0) {
      failed.insert(id);
      fault(id, reason_for(rc), "commit: " + last_git_error_text());
      continue;
    }
    CommitPtr c(raw);
    CommitNode n;
    n.id = id;
    n.tree = *git_commit_tree_id(raw);
    n.time = static_cast<std::int64_t>(git_commit_time(raw));
    if (shallow.count(id) != 0) {
      n.shallow_boundary = true;  // grafted: its parents are absent by design
    } else {
      const unsigned np = git_commit_parentcount(raw);
      for (unsigned i = 0; i < np; ++i) {
        const git_oid pid = *git_commit_parent_id(raw, i);
        if (git_odb_exists(odb.get(), &pid) == 0) {
          n.missing_parent = true;
          if (failed.insert(pid).second)
            fault(pid, "missing-object", "parent of commit " + oid_hex(id));
          continue;
        }
        n.parents.push_back(pid);
        if (hidden == nullptr || hidden->count(pid) == 0) stack.push_back(pid);
      }
    }
    g.index.emplace(id, static_cast<std::uint32_t>(g.nodes.size()));
    g.nodes.push_back(std::move(n));
  }

  // Parents before children; among ready commits the oldest first, so "first introduced"
  // means the earliest commit that could have introduced a blob.
  const std::size_t n = g.nodes.size();
  std::vector<std::vector<std::uint32_t>> children(n);
  std::vector<std::uint32_t> pending(n, 0);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (const auto& p : g.nodes[i].parents) {
      auto it = g.index.find(p);
      if (it == g.index.end()) continue;
      g.nodes[i].in_graph_parents.push_back(it->second);
      children[it->second].push_back(i);
      ++pending[i];
    }
  }
  using Item = std::tuple<std::int64_t, std::uint32_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> ready;
  for (std::uint32_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.emplace(g.nodes[i].time, i);
  g.order.reserve(n);
  while (!ready.empty()) {
    const auto [t, i] = ready.top();
    ready.pop();
    g.order.push_back(i);
    for (auto c : children[i])
      if (--pending[c] == 0) ready.emplace(g.nodes[c].time, c);
  }
  if (g.order.size() != n) {  // only a corrupt graph has a cycle; still visit everything
    std::vector<bool> done(n, false);
    for (auto i : g.order) done[i] = true;
    for (std::uint32_t i = 0; i < n; ++i)
      if (!done[i]) g.order.push_back(i);
  }
  return g;
}

OidSet ancestors(git_repository* repo, const std::vector<git_oid>& tips, const OidSet& shallow) {
  OidSet seen;
  std::vector<git_oid> stack(tips);
  while (!stack.empty()) {
    const git_oid id = stack.back();
    stack.pop_back();
    if (!seen.insert(id).second) continue;
    if (shallow.count(id) != 0) continue;
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, repo, &id) != 0) continue;
    CommitPtr c(raw);
    const unsigned np = git_commit_parentcount(raw);
    for (unsigned i = 0; i < np; ++i) stack.push_back(*git_commit_parent_id(raw, i));
  }
  return seen;
}

Result<NewCommits> new_commits(git_repository* repo, const std::vector<git_oid>& tips,
                               const std::vector<git_oid>& hidden) {
  git_revwalk* raw = nullptr;
  if (int rc = git_revwalk_new(&raw, repo); rc != 0) return git_error("revision walk", rc);
  GitPtr<git_revwalk, git_revwalk_free> walk(raw);
  for (const auto& t : tips)
    if (int rc = git_revwalk_push(walk.get(), &t); rc != 0) return git_error("revision walk: " + oid_hex(t), rc);
  for (const auto& h : hidden)
    if (int rc = git_revwalk_hide(walk.get(), &h); rc != 0) return git_error("revision walk: " + oid_hex(h), rc);
  NewCommits out;
  git_oid id;
  int rc = 0;
  while ((rc = git_revwalk_next(&id, walk.get())) == 0) out.commits.insert(id);
  if (rc != GIT_ITEROVER) return git_error("revision walk", rc);
  for (const auto& c : out.commits) {
    git_commit* craw = nullptr;
    if (git_commit_lookup(&craw, repo, &c) != 0) continue;  // the caller's walk reports it
    CommitPtr commit(craw);
    for (unsigned i = 0; i < git_commit_parentcount(craw); ++i) {
      const git_oid* p = git_commit_parent_id(craw, i);
      if (p != nullptr && out.commits.count(*p) == 0) out.boundary.insert(*p);
    }
  }
  return out;
}

bool commit_tree(git_repository* repo, const git_oid& commit, git_oid* tree) {
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo, &commit) != 0) return false;
  CommitPtr c(raw);
  *tree = *git_commit_tree_id(raw);
  return true;
}

TreePtr TreeDiffer::lookup(const git_oid& id) {
  git_tree* raw = nullptr;
  const int rc = git_tree_lookup(&raw, repo_, &id);
  if (rc != 0) {
    fault_(id, reason_for(rc), "tree: " + last_git_error_text());
    return nullptr;
  }
  return TreePtr(raw);
}

void TreeDiffer::introduced(const git_oid& tree, const std::vector<git_oid>& parent_trees,
                            const EmitFn& emit) {
  for (const auto& p : parent_trees)
    if (git_oid_equal(&p, &tree)) return;  // same tree as a parent: nothing new
  TreePtr t = lookup(tree);
  if (!t) return;
  std::vector<TreePtr> owned;
  std::vector<const git_tree*> ps;
  for (const auto& p : parent_trees) {
    if (TreePtr pt = lookup(p)) {
      ps.push_back(pt.get());
      owned.push_back(std::move(pt));
    }
  }
  std::string prefix;
  recurse(t.get(), ps, prefix, emit);
}

void TreeDiffer::recurse(const git_tree* tree, const std::vector<const git_tree*>& parents,
                         std::string& prefix, const EmitFn& emit) {
  const std::size_t count = git_tree_entrycount(tree);
  std::vector<TreePtr> owned;
  std::vector<const git_tree*> sub_parents;
  for (std::size_t i = 0; i < count; ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(tree, i);
    const git_oid* id = git_tree_entry_id(e);
    const char* name = git_tree_entry_name(e);
    const git_object_t type = git_tree_entry_type(e);
    bool same = false;
    owned.clear();
    sub_parents.clear();
    for (const git_tree* p : parents) {
      const git_tree_entry* pe = git_tree_entry_byname(p, name);
      if (pe == nullptr) continue;
      if (git_oid_equal(git_tree_entry_id(pe), id)) {
        same = true;  // inherited unchanged from this parent
        break;
      }
      if (type == GIT_OBJECT_TREE && git_tree_entry_type(pe) == GIT_OBJECT_TREE)
        if (TreePtr pt = lookup(*git_tree_entry_id(pe))) {
          sub_parents.push_back(pt.get());
          owned.push_back(std::move(pt));
        }
    }
    if (same) continue;
    if (type == GIT_OBJECT_TREE) {
      TreePtr sub = lookup(*id);
      if (!sub) continue;
      const std::size_t len = prefix.size();
      prefix += name;
      prefix += '/';
      std::vector<TreePtr> keep = std::move(owned);
      const std::vector<const git_tree*> sp = sub_parents;
      recurse(sub.get(), sp, prefix, emit);
      prefix.resize(len);
    } else if (type == GIT_OBJECT_BLOB) {
      const std::size_t len = prefix.size();
      prefix += name;
      emit(prefix, *id, git_tree_entry_filemode(e));
      prefix.resize(len);
    } else if (type == GIT_OBJECT_COMMIT) {
      ++gitlinks_;  // submodule: its history lives in another repository
    }
  }
}

}  // namespace glpatrol::git
