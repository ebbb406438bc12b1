#include "sources/git/git_walk.h"

#include <dirent.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <queue>
#include <tuple>

#include "sources/git/packed_objects.h"

namespace glpatrol::git {

namespace {

std::string reason_for(int rc) { return rc == GIT_ENOTFOUND ? "missing-object" : "corrupt-object"; }

/// What a start point's name says about it: "stash", "reflog", "refs/original" for what
/// history rewrites and clean-ups leave behind, "" for everything else.
std::string secondary_kind(const std::string& ref_name) {
  if (ref_name == "refs/stash" || ref_name == "reflog of refs/stash") return "stash";
  if (ref_name.rfind("reflog of ", 0) == 0) return "reflog";
  if (ref_name.rfind("refs/original/", 0) == 0) return "refs/original";
  return {};
}

/// Follows a ref target through annotated tags to what it finally names.
void add_target(git_repository* repo, const git_oid& id, const std::string& ref_name, StartPoints& sp,
                const ObjectFaultFn& fault) {
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
      case GIT_OBJECT_COMMIT:
        sp.commits.push_back(cur);
        if (auto kind = secondary_kind(ref_name); !kind.empty())
          sp.secondary.emplace_back(cur, std::move(kind));
        else
          sp.primary.push_back(cur);
        return;
      case GIT_OBJECT_TREE:
        sp.trees.push_back(cur);
        return;
      case GIT_OBJECT_BLOB:
        sp.blobs.push_back(cur);
        return;
      case GIT_OBJECT_TAG:
        sp.tags.push_back({cur, ref_name});
        cur = *git_tag_target_id(reinterpret_cast<git_tag*>(raw));
        continue;
      default:
        return;
    }
  }
}

/// A small file's text (at most `limit` bytes); empty when absent or unreadable.
std::string read_small(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamoff size = in.tellg();
  if (size <= 0) return {};
  in.seekg(0);
  std::string out(std::min<std::size_t>(static_cast<std::size_t>(size), limit), '\0');
  in.read(out.data(), static_cast<std::streamsize>(limit));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

/// The two ids that start a reflog line ("<old> <new> <signature>\t<message>").
bool reflog_line_ids(std::string_view line, git_oid* old_id, git_oid* new_id) {
  if (line.size() < 81 || line[40] != ' ') return false;
  return git_oid_fromstrn(old_id, line.data(), 40) == 0 &&
         git_oid_fromstrn(new_id, line.data() + 41, 40) == 0;
}

/// What one listed reference names: an object id, or (symbolic) another reference's name.
struct Listed {
  std::optional<git_oid> id;
  std::string symbolic;
};

/// Linked worktrees (<common dir>/worktrees/<name>/): each has its own HEAD (possibly
/// detached) and HEAD reflog, which can name commits no other ref reaches. The files are read
/// directly: they exist even when the worktree's checkout has been deleted. Also the main
/// HEAD and its reflog when the scan was opened from inside a linked worktree.
template <typename Resolve>
void add_worktree_heads(git_repository* repo, git_odb* odb, const Resolve& resolve, StartPoints& sp,
                        const ObjectFaultFn& fault, bool reflogs) {
  const char* common_c = git_repository_commondir(repo);
  if (common_c == nullptr) return;
  std::string common = common_c;
  if (!common.empty() && common.back() != '/') common += '/';
  std::vector<std::pair<std::string, std::string>> heads;  // (label, directory holding HEAD)
  if (git_repository_is_worktree(repo) == 1) heads.emplace_back("HEAD of the main worktree", common);
  if (DIR* d = ::opendir((common + "worktrees").c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      heads.emplace_back("HEAD of worktree " + n, common + "worktrees/" + n + "/");
    }
    ::closedir(d);
  }
  std::sort(heads.begin(), heads.end());
  for (const auto& [label, dir] : heads) {
    std::string head = read_small(dir + "HEAD", 4096);
    while (!head.empty() && (head.back() == '\n' || head.back() == '\r' || head.back() == ' '))
      head.pop_back();
    if (head.rfind("ref: ", 0) == 0) {
      if (auto id = resolve(head.substr(5))) {
        ++sp.refs;
        add_target(repo, *id, label, sp, fault);
      }
    } else if (!head.empty()) {
      git_oid id;
      if (head.size() == 40 && git_oid_fromstrn(&id, head.data(), 40) == 0) {
        ++sp.refs;
        add_target(repo, id, label, sp, fault);
      } else {
        fault(git_oid{}, "unreadable-refs", label + ": not a ref or an object id");
      }
    }
    const std::string log = reflogs ? read_small(dir + "logs/HEAD", std::size_t{256} << 20) : std::string();
    std::size_t at = 0;
    while (at < log.size()) {
      std::size_t end = log.find('\n', at);
      if (end == std::string::npos) end = log.size();
      git_oid old_id, new_id;
      if (reflog_line_ids(std::string_view(log).substr(at, end - at), &old_id, &new_id)) {
        ++sp.reflog_entries;
        for (const git_oid* rid : {&old_id, &new_id}) {
          if (git_oid_is_zero(rid)) continue;
          if (git_odb_exists(odb, rid) == 0) {
            ++sp.reflog_missing;
            continue;
          }
          add_target(repo, *rid, "reflog of " + label, sp, fault);
        }
      }
      at = end + 1;
    }
  }
}

}  // namespace

StartPoints collect_start_points(git_repository* repo, const ObjectFaultFn& fault, bool reflogs) {
  StartPoints sp;
  // Every reference is taken from the listing itself (git_reference_next), never looked up
  // again by name: a lookup can fail where the listing succeeded (a packed-refs file that
  // claims `sorted` but is not is binary-searched by a lookup), and a start point that fails
  // must be reported, never dropped. Symbolic references resolve within the listing.
  std::vector<std::string> names{"HEAD"};
  std::map<std::string, Listed> listed;
  git_reference_iterator* it_raw = nullptr;
  if (git_reference_iterator_new(&it_raw, repo) == 0) {
    RefIterPtr it(it_raw);
    git_reference* ref_raw = nullptr;
    int rc;
    while ((rc = git_reference_next(&ref_raw, it.get())) == 0) {
      RefPtr ref(ref_raw);
      const std::string name = git_reference_name(ref_raw);
      Listed l;
      if (git_reference_type(ref_raw) == GIT_REFERENCE_SYMBOLIC) {
        const char* t = git_reference_symbolic_target(ref_raw);
        l.symbolic = t != nullptr ? t : "";
      } else if (const git_oid* id = git_reference_target(ref_raw)) {
        l.id = *id;
      }
      if (listed.emplace(name, std::move(l)).second) names.push_back(name);
    }
    if (rc != GIT_ITEROVER)
      fault(git_oid{}, "unreadable-refs", "reference listing stopped: " + last_git_error_text());
  } else {
    fault(git_oid{}, "unreadable-refs", "cannot list references: " + last_git_error_text());
  }
  {  // HEAD is not part of the listing: read it on its own (a file, never packed).
    git_reference* raw = nullptr;
    if (git_reference_lookup(&raw, repo, "HEAD") == 0) {
      RefPtr head(raw);
      Listed l;
      if (git_reference_type(raw) == GIT_REFERENCE_SYMBOLIC)
        l.symbolic = git_reference_symbolic_target(raw);
      else if (const git_oid* id = git_reference_target(raw))
        l.id = *id;
      listed.emplace("HEAD", std::move(l));
    } else {
      fault(git_oid{}, "unreadable-refs", "HEAD: " + last_git_error_text());
    }
  }
  // A symbolic reference resolves through the listing; one whose target is not a listed
  // reference names nothing (an unborn branch), which loses no content.
  auto resolve = [&listed](const std::string& name) -> std::optional<git_oid> {
    std::string cur = name;
    for (int hop = 0; hop < 8; ++hop) {
      auto f = listed.find(cur);
      if (f == listed.end()) return std::nullopt;
      if (f->second.id) return f->second.id;
      if (f->second.symbolic.empty()) return std::nullopt;
      cur = f->second.symbolic;
    }
    return std::nullopt;
  };
  git_odb* odb_raw = nullptr;
  if (git_repository_odb(&odb_raw, repo) != 0) return sp;
  OdbPtr odb(odb_raw);
  add_worktree_heads(repo, odb.get(), resolve, sp, fault, reflogs);
  for (const auto& name : names) {
    if (auto id = resolve(name)) {
      ++sp.refs;
      add_target(repo, *id, name, sp, fault);
    }
    if (!reflogs) continue;
    git_reflog* log_raw = nullptr;
    if (int rc = git_reflog_read(&log_raw, repo, name.c_str()); rc != 0) {
      // A reflog that exists but cannot be parsed is lost history: reported, never dropped.
      if (rc != GIT_ENOTFOUND)
        fault(git_oid{}, "unreadable-refs", "reflog of " + name + ": " + last_git_error_text());
      continue;
    }
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

std::vector<git_oid> add_all_objects(git_repository* repo, StartPoints& sp, const ObjectFaultFn& fault) {
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
    if (type == GIT_OBJECT_COMMIT) {
      sp.commits.push_back(id);
      sp.secondary.emplace_back(id, "no ref (--all-objects)");  // dangling unless a ref reaches it
    } else if (type == GIT_OBJECT_TAG)
      sp.tags.push_back({id, ""});
    else if (type == GIT_OBJECT_BLOB)
      blobs.push_back(id);
  }
  return blobs;
}

CommitGraph collect_commits(git_repository* repo, const std::vector<git_oid>& starts, const OidSet* hidden,
                            const OidSet& shallow, const ObjectFaultFn& fault, PackedObjects* packed) {
  CommitGraph g;
  git_odb* odb_raw = nullptr;
  if (git_repository_odb(&odb_raw, repo) != 0) return g;
  OdbPtr odb(odb_raw);
  OidSet failed;
  PackedObjects::Commit packed_commit;
  std::vector<git_oid> parents;
  std::vector<git_oid> stack(starts.rbegin(), starts.rend());
  while (!stack.empty()) {
    const git_oid id = stack.back();
    stack.pop_back();
    if (g.index.count(id) != 0 || failed.count(id) != 0) continue;
    if (hidden != nullptr && hidden->count(id) != 0) continue;
    CommitNode n;
    n.id = id;
    if (packed != nullptr && packed->read_commit(id, packed_commit)) {
      n.tree = packed_commit.fields.tree;
      n.time = static_cast<std::int64_t>(packed_commit.committer->when.time);
      parents.assign(packed_commit.fields.parents.begin(), packed_commit.fields.parents.end());
    } else {
      git_commit* raw = nullptr;
      const int rc = git_commit_lookup(&raw, repo, &id);
      if (rc != 0) {
        failed.insert(id);
        fault(id, reason_for(rc), "commit: " + last_git_error_text());
        continue;
      }
      CommitPtr c(raw);
      n.tree = *git_commit_tree_id(raw);
      n.time = static_cast<std::int64_t>(git_commit_time(raw));
      parents.clear();
      for (unsigned i = 0; i < git_commit_parentcount(raw); ++i)
        parents.push_back(*git_commit_parent_id(raw, i));
    }
    if (shallow.count(id) != 0) {
      n.shallow_boundary = true;  // grafted: its parents are absent by design
    } else {
      for (const git_oid& pid : parents) {
        if (git_odb_exists(odb.get(), &pid) == 0) {
          n.missing_parent = true;
          if (failed.insert(pid).second) fault(pid, "missing-object", "parent of commit " + oid_hex(id));
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
    if (int rc = git_revwalk_push(walk.get(), &t); rc != 0)
      return git_error("revision walk: " + oid_hex(t), rc);
  for (const auto& h : hidden)
    if (int rc = git_revwalk_hide(walk.get(), &h); rc != 0)
      return git_error("revision walk: " + oid_hex(h), rc);
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

bool parse_tree(std::string_view data, std::vector<RawTreeEntry>& out) {
  out.clear();
  // An entry takes at least 24 bytes ("1 a\0" and the id): one allocation, never a regrowth.
  out.reserve(data.size() / 24 + 1);
  std::size_t at = 0;
  const std::size_t n = data.size();
  while (at < n) {
    std::uint32_t mode = 0;
    std::size_t digits = 0;
    while (at < n && data[at] >= '0' && data[at] <= '7') {
      if (++digits > 6) return false;
      mode = mode * 8 + static_cast<std::uint32_t>(data[at++] - '0');
    }
    if (digits == 0 || mode > 0xffffu || at >= n || data[at++] != ' ') return false;
    const void* nul = std::memchr(data.data() + at, 0, n - at);
    if (nul == nullptr) return false;
    const std::size_t name_len = static_cast<std::size_t>(static_cast<const char*>(nul) - (data.data() + at));
    if (name_len == 0 || name_len >= 0xffffu) return false;
    const std::size_t id_at = at + name_len + 1;
    if (n - id_at < GIT_OID_RAWSZ) return false;
    out.push_back({data.substr(at, name_len), reinterpret_cast<const git_oid*>(data.data() + id_at),
                   static_cast<std::uint16_t>(mode)});
    at = id_at + GIT_OID_RAWSZ;
  }
  return true;
}

git_object_t tree_entry_type(std::uint16_t attr) {
  if ((attr & 0170000) == 0160000) return GIT_OBJECT_COMMIT;
  if ((attr & 0170000) == 0040000) return GIT_OBJECT_TREE;
  return GIT_OBJECT_BLOB;
}

git_filemode_t tree_entry_filemode(std::uint16_t attr) {
  const unsigned type = attr & 0170000u;
  if (type == 0040000u) return GIT_FILEMODE_TREE;
  if ((attr & 0100u) != 0) return GIT_FILEMODE_BLOB_EXECUTABLE;  // libgit2: the owner's x bit
  if (type == 0160000u) return GIT_FILEMODE_COMMIT;
  if (type == 0120000u) return GIT_FILEMODE_LINK;
  return GIT_FILEMODE_BLOB;
}

const RawTreeEntry* tree_entry_byname(const std::vector<RawTreeEntry>& entries, std::string_view name) {
  // libgit2 1.5 tree_key_search: compare on the common prefix only ("homing"), binary search
  // over the stored order, then look forward and backward among the entries sharing it.
  const auto homing_cmp = [&](const RawTreeEntry& e) {
    const std::size_t len = std::min(name.size(), e.name.size());
    return len == 0 ? 0 : std::memcmp(name.data(), e.name.data(), len);
  };
  std::size_t base = 0;
  int cmp = -1;
  for (std::size_t lim = entries.size(); lim != 0; lim >>= 1) {
    const std::size_t part = base + (lim >> 1);
    cmp = homing_cmp(entries[part]);
    if (cmp == 0) {
      base = part;
      break;
    }
    if (cmp > 0) {
      base = part + 1;
      --lim;
    }
  }
  if (cmp != 0) return nullptr;
  const std::size_t homing = base;
  for (std::size_t i = homing; i < entries.size(); ++i) {
    if (homing_cmp(entries[i]) < 0) break;
    if (entries[i].name == name) return &entries[i];
  }
  for (std::size_t i = homing; i-- > 0;) {
    if (homing_cmp(entries[i]) > 0) break;
    if (entries[i].name == name) return &entries[i];
  }
  return nullptr;
}

TreeDiffer::TreeDiffer(git_repository* repo, ObjectFaultFn fault) : repo_(repo), fault_(std::move(fault)) {}
TreeDiffer::~TreeDiffer() = default;

void TreeDiffer::use_packs(PackedObjects* packed) { packed_ = packed; }

TreeDiffer::TreeRef TreeDiffer::load(const git_oid& id) {
  constexpr std::size_t kCacheGeneration = 4u << 20;  // the parents just walked, and more
  if (auto it = cache_.find(id); it != cache_.end()) return it->second;
  if (auto it = cache_old_.find(id); it != cache_old_.end()) return it->second;
  if (packed_ != nullptr) {
    if (const auto data = packed_->read(id, GIT_OBJECT_TREE)) {
      auto t = std::make_shared<Tree>();
      t->bytes.assign(*data);  // entries view these bytes: parsed only once they are in place
      if (parse_tree(t->bytes, t->entries)) {
        ++from_packs_;
        const std::size_t cost = t->bytes.size() + t->entries.size() * sizeof(RawTreeEntry) + 128;
        if (cache_bytes_ + cost > kCacheGeneration) {
          cache_old_ = std::move(cache_);
          cache_.clear();
          cache_bytes_ = 0;
        }
        cache_bytes_ += cost;
        cache_.emplace(id, t);
        return t;
      }
    }
  }
  // Everything else as before: libgit2 reads (and verifies) it, or says why not.
  git_tree* raw = nullptr;
  last_rc_ = git_tree_lookup(&raw, repo_, &id);
  if (last_rc_ != 0) return nullptr;
  ++from_libgit2_;
  auto t = std::make_shared<Tree>();
  t->lg.reset(raw);
  const std::size_t n = git_tree_entrycount(raw);
  t->entries.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(raw, i);
    t->entries.push_back({git_tree_entry_name(e), git_tree_entry_id(e),
                          static_cast<std::uint16_t>(git_tree_entry_filemode_raw(e))});
  }
  return t;
}

TreeDiffer::TreeRef TreeDiffer::lookup(const git_oid& id) {
  TreeRef t = load(id);
  if (!t) fault_(id, reason_for(last_rc_), "tree: " + last_git_error_text());
  return t;
}

git_object_t TreeDiffer::stored_type(const git_oid& id) {
  if (!odb_) {
    git_odb* raw = nullptr;
    if (git_repository_odb(&raw, repo_) != 0) return GIT_OBJECT_INVALID;
    odb_.reset(raw);
  }
  std::size_t len = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  if (git_odb_read_header(&len, &type, odb_.get(), &id) != 0) return GIT_OBJECT_INVALID;
  return type;
}

void TreeDiffer::introduced(const git_oid& tree, const std::vector<git_oid>& parent_trees,
                            const EmitFn& emit) {
  for (const auto& p : parent_trees)
    if (git_oid_equal(&p, &tree)) return;  // same tree as a parent: nothing new
  TreeRef t = lookup(tree);
  if (!t) return;
  Frame root;
  root.tree = std::move(t);
  for (const auto& p : parent_trees)
    if (TreeRef pt = lookup(p)) root.parents.push_back(std::move(pt));
  walk(std::move(root), emit);
}

void TreeDiffer::walk(Frame root, const EmitFn& emit) {
  // Iterative depth-first walk (an explicit stack, never recursion): a crafted history of
  // 40,000 nested trees must not exhaust the thread's stack. Paths come out in the order a
  // recursive walk would give.
  std::string prefix;
  std::vector<Frame> stack;
  stack.push_back(std::move(root));
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next == f.tree->entries.size()) {
      prefix.resize(f.prefix_len);
      stack.pop_back();
      continue;
    }
    const RawTreeEntry& e = f.tree->entries[f.next++];
    const git_oid id = *e.id;
    const std::string_view name = e.name;
    const git_object_t type = tree_entry_type(e.attr);
    const git_filemode_t mode = tree_entry_filemode(e.attr);
    // Inherited only when a parent has the same id under the same mode (hence the same type):
    // an id that a parent held as a gitlink, a tree or a blob of another mode was never
    // scanned as this entry is now, so it is new content.
    bool same = false;
    Frame sub;
    for (const TreeRef& p : f.parents) {
      const RawTreeEntry* pe = tree_entry_byname(p->entries, name);
      if (pe == nullptr) continue;
      if (git_oid_equal(pe->id, &id) && tree_entry_filemode(pe->attr) == mode) {
        same = true;
        break;
      }
      if (type == GIT_OBJECT_TREE && tree_entry_type(pe->attr) == GIT_OBJECT_TREE)
        if (TreeRef pt = lookup(*pe->id)) sub.parents.push_back(std::move(pt));
    }
    if (same) continue;
    const std::size_t len = prefix.size();
    if (type == GIT_OBJECT_TREE) {
      TreeRef t = load(id);
      if (!t) {
        // Not a readable tree: if the id names another object type (a crafted entry), its bytes
        // are scanned as content; if nothing is there, it is a fault.
        const git_object_t actual = stored_type(id);
        if (actual == GIT_OBJECT_INVALID || actual == GIT_OBJECT_TREE) {
          (void)lookup(id);  // reports the fault with libgit2's reason
        } else {
          prefix += name;
          emit(prefix, id, mode);
          prefix.resize(len);
        }
        continue;
      }
      sub.tree = std::move(t);
      sub.prefix_len = len;
      prefix += name;
      prefix += '/';
      stack.push_back(std::move(sub));  // `f` and `e` are invalid from here on
    } else if (type == GIT_OBJECT_COMMIT) {
      // A gitlink names a commit of another repository; but when its id names an object of
      // this one, that object is content like any other, scanned as what it is: its bytes
      // (a blob, a commit's message and headers, a tag), and a tree's or commit's files below
      // the gitlink's path. Each such object once per walk (a commit may contain itself).
      const git_object_t actual = stored_type(id);
      if (actual == GIT_OBJECT_INVALID) {
        ++gitlinks_;  // submodule: its history lives in another repository
        continue;
      }
      if (!gitlink_seen_.insert(id).second) continue;
      prefix += name;
      if (actual != GIT_OBJECT_TREE) emit(prefix, id, GIT_FILEMODE_BLOB);
      git_oid tree_id = id;
      if (actual == GIT_OBJECT_COMMIT && !commit_tree(repo_, id, &tree_id)) actual_tree_fail(id);
      if (actual == GIT_OBJECT_TREE || actual == GIT_OBJECT_COMMIT) {
        if (TreeRef t = load(tree_id)) {
          sub.tree = std::move(t);
          sub.parents.clear();
          sub.prefix_len = len;
          prefix += '/';
          stack.push_back(std::move(sub));
          continue;
        }
      }
      prefix.resize(len);
    } else {
      // A blob (or an entry of an unknown type: the reader scans whatever bytes it names).
      prefix += name;
      emit(prefix, id, mode);
      prefix.resize(len);
    }
  }
}

namespace {

/// Secondary start points' kinds, the most telling first: a rewrite's backup (refs/original)
/// or the stash says more than the reflog that also holds every commit a branch ever pointed at.
constexpr const char* kSecondaryKinds[] = {"refs/original", "stash", "reflog", "no ref (--all-objects)"};

}  // namespace

int reach_rank(const std::string& label) {
  if (label.empty()) return 0;
  int rank = 1;
  for (const char* k : kSecondaryKinds) {
    if (label == k) return rank;
    ++rank;
  }
  return rank;
}

std::vector<std::string> reachable_only_via(const CommitGraph& g, const StartPoints& sp) {
  std::vector<std::string> via(g.nodes.size());
  if (sp.secondary.empty()) return via;
  // Labels everything reachable from `starts` (over the graph's own parent links) that no
  // earlier call reached.
  std::vector<char> seen(g.nodes.size(), 0);
  auto mark = [&](const std::vector<git_oid>& starts, const std::string& label) {
    std::vector<std::uint32_t> stack;
    for (const auto& id : starts)
      if (auto it = g.index.find(id); it != g.index.end()) stack.push_back(it->second);
    while (!stack.empty()) {
      const std::uint32_t i = stack.back();
      stack.pop_back();
      if (seen[i]) continue;
      seen[i] = 1;
      via[i] = label;
      for (std::uint32_t p : g.nodes[i].in_graph_parents) stack.push_back(p);
    }
  };
  mark(sp.primary, "");  // first: what a branch, tag or HEAD reaches is never "only via"
  for (const char* k : kSecondaryKinds)
    for (const auto& [id, kind] : sp.secondary)
      if (kind == k) mark({id}, kind);
  return via;
}

}  // namespace glpatrol::git
