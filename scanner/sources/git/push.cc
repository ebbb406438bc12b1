#include "sources/git/push.h"

#include <limits.h>
#include <sys/stat.h>

#include <cstdlib>
#include <set>

#include "common/glob.h"
#include "sources/git/blob_reader.h"
#include "sources/git/git_walk.h"
#include "sources/git/messages.h"

namespace glpatrol {

namespace {

using namespace git;

Result<git_oid> parse_id(const std::string& hex) {
  git_oid id;
  if (git_oid_fromstrn(&id, hex.c_str(), hex.size()) != 0 || hex.size() != GIT_OID_HEXSZ)
    return Error::usage("invalid object id '" + hex + "'");
  return id;
}

/// The commit an existing ref's object peels to, if any (known history).
std::optional<git_oid> peel_to_commit(git_repository* repo, const git_oid& id) {
  git_object* obj = nullptr;
  if (git_object_lookup(&obj, repo, &id, GIT_OBJECT_ANY) != 0) return std::nullopt;
  ObjectPtr o(obj);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) != 0) return std::nullopt;
  ObjectPtr p(peeled);
  return *git_object_id(peeled);
}

/// Follows a pushed object through annotated tags (recording each) to what it finally names.
Status classify_pushed(git_repository* repo, const RefUpdate& u, PushPlan& plan,
                       std::vector<git_oid>& commits) {
  auto id = parse_id(u.new_id);
  if (!id) return id.error();
  git_oid cur = *id;
  for (int depth = 0; depth < 64; ++depth) {  // tag chains are short; a cycle is corruption
    git_object* obj = nullptr;
    if (git_object_lookup(&obj, repo, &cur, GIT_OBJECT_ANY) != 0)
      return Error::git("pushed object " + oid_hex(cur) + " (" + u.ref +
                        ") is not in the repository: " + last_git_error_text());
    ObjectPtr o(obj);
    switch (git_object_type(obj)) {
      case GIT_OBJECT_COMMIT:
        commits.push_back(cur);
        return Status::ok();
      case GIT_OBJECT_TREE:
        plan.trees.emplace_back(oid_hex(cur), u.ref);
        return Status::ok();
      case GIT_OBJECT_BLOB:
        plan.blobs.emplace_back(oid_hex(cur), u.ref);
        return Status::ok();
      case GIT_OBJECT_TAG:
        plan.tags.emplace_back(oid_hex(cur), u.ref);
        cur = *git_tag_target_id(reinterpret_cast<git_tag*>(obj));
        continue;
      default:
        return Error::git("pushed object " + oid_hex(cur) + " (" + u.ref + ") has an unknown type");
    }
  }
  return Error::git("pushed tag chain of " + u.ref + " is longer than 64 tags");
}

}  // namespace

Result<PushPlan> plan_push(const std::string& repo_path, const std::vector<std::string>& extra_object_dirs,
                           bool trust_repo_owner, const std::vector<RefUpdate>& updates,
                           const PushTarget& target) {
  LibGit2 lib;
  configure_libgit2(trust_repo_owner);
  auto r = open_repository(repo_path, extra_object_dirs);
  if (!r) return r.error();
  git_repository* repo = r->repo.get();
  PushPlan plan;
  std::vector<git_oid> pushed, known;
  for (const auto& u : updates) {
    if (u.is_deletion()) continue;
    if (auto s = classify_pushed(repo, u, plan, pushed); !s) return s.error();
  }
  if (pushed.empty()) return plan;
  auto hide = [&](const git_oid& id) {
    if (auto c = peel_to_commit(repo, id)) known.push_back(*c);
  };
  // Hides the target of every ref matching `glob` ("" = all refs).
  auto hide_refs = [&](const std::string& glob) -> Status {
    git_reference_iterator* it_raw = nullptr;
    const int rc = glob.empty() ? git_reference_iterator_new(&it_raw, repo)
                                : git_reference_iterator_glob_new(&it_raw, repo, glob.c_str());
    if (rc != 0) return git_error("refs", rc);
    RefIterPtr it(it_raw);
    git_reference* ref = nullptr;
    while (git_reference_next(&ref, it.get()) == 0) {
      RefPtr owned(ref);
      git_reference* resolved = nullptr;
      if (git_reference_resolve(&resolved, ref) != 0) continue;
      RefPtr rr(resolved);
      if (const git_oid* t = git_reference_target(resolved)) hide(*t);
    }
    return Status::ok();
  };
  if (target.server) {
    if (auto s = hide_refs(""); !s) return s.error();
  } else {
    for (const auto& u : updates) {
      if (u.is_creation()) continue;
      if (auto id = parse_id(u.old_id)) hide(*id);
    }
    if (!target.remote.empty() && target.remote.find('/') == std::string::npos)
      (void)hide_refs("refs/remotes/" + target.remote + "/*");  // none: a URL remote
  }
  auto fresh = new_commits(repo, pushed, known);
  if (!fresh) return fresh.error().with_context("walking the pushed commits");
  plan.new_commits = fresh->commits.size();
  std::set<std::string> stops, tips;
  for (const auto& p : fresh->boundary) stops.insert(oid_hex(p));
  for (const auto& c : pushed)
    if (fresh->commits.count(c) != 0) tips.insert(oid_hex(c));
  plan.tips.assign(tips.begin(), tips.end());
  plan.stops.assign(stops.begin(), stops.end());
  return plan;
}

std::vector<std::string> quarantine_dirs(const std::string& repo_dir) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto real = [](const std::string& p) {
    char buf[PATH_MAX + 1];
    return ::realpath(p.c_str(), buf) != nullptr ? std::string(buf) : std::string();
  };
  // The repository's own object directory is read anyway (and through the safe backend).
  seen.insert(real(repo_dir + "/objects"));
  seen.insert(real(repo_dir + "/.git/objects"));
  auto add = [&](std::string d) {
    if (d.empty()) return;
    if (d.front() != '/') d = repo_dir + "/" + d;
    struct stat st {};
    if (::stat(d.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
    const std::string r = real(d);
    if (!r.empty() && seen.insert(r).second) out.push_back(r);
  };
  if (const char* q = std::getenv("GIT_QUARANTINE_PATH")) add(q);
  if (const char* q = std::getenv("GIT_OBJECT_DIRECTORY")) add(q);
  if (const char* a = std::getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES")) {
    std::string_view v(a);
    std::size_t pos = 0;
    while (pos <= v.size()) {
      std::size_t c = v.find(':', pos);
      if (c == std::string_view::npos) c = v.size();
      add(std::string(v.substr(pos, c - pos)));
      pos = c + 1;
    }
  }
  return out;
}

Status PushSource::scan(ScanContext& ctx) {
  PushInfo push;
  for (const auto& u : updates_) push.updates.push_back({u.ref, u.old_id, u.new_id});
  push.new_commits = plan_.new_commits;
  ctx.info().push = std::move(push);

  if (!plan_.tags.empty() || !plan_.trees.empty() || !plan_.blobs.empty()) {
    LibGit2 lib;
    configure_libgit2(git_.trust_repo_owner);
    auto repo = open_repository(git_.repo, git_.extra_object_dirs);
    if (!repo) return repo.error();
    auto step = ctx.make_step();
    if (!step) return step.error();
    MessageScanner messages(repo->repo.get(), *step, git_);
    for (const auto& [hex, ref] : plan_.tags)
      if (auto id = parse_id(hex)) messages.tag(*id, ref);
    // Trees and blobs named by refs: every blob they hold, read like history blobs.
    std::vector<std::pair<git_oid, std::string>> places;
    const ObjectFaultFn fault = [&](const git_oid& id, const std::string& reason, const std::string& detail) {
      report_object_fault(ctx, git_, id, reason, detail);
    };
    TreeDiffer differ(repo->repo.get(), fault);
    for (const auto& [hex, ref] : plan_.trees)
      if (auto id = parse_id(hex))
        differ.all_blobs(*id, [&](const std::string& path, const git_oid& blob, git_filemode_t) {
          places.emplace_back(blob, path);
        });
    for (const auto& [hex, ref] : plan_.blobs)
      if (auto id = parse_id(hex)) places.emplace_back(*id, std::string());
    PathNames names(*step, git_, ctx);
    for (const auto& [blob, path] : places)
      if (!path.empty()) names.add(path, 0);
    names.emit([](std::uint32_t) { return std::nullopt; });
    if (!places.empty()) {
      BlobReader reader(*repo, ctx, git_);
      if (auto s = reader.start(1); !s) return s;
      OidSet queued;
      for (const auto& [blob, path] : places)
        if (queued.insert(blob).second) reader.push(blob);
      reader.finish();
      PlaceCallbacks cb;  // a "file" entry of a pushed tree naming a tree or commit
      cb.paths_of = [&](const git_oid& id) {
        std::vector<std::string> out;
        for (const auto& [blob, path] : places)
          if (git_oid_equal(&blob, &id)) out.push_back(path);
        return out;
      };
      cb.add = [&](const std::string& path, const git_oid& blob) {
        places.emplace_back(blob, path);
        return queued.insert(blob).second;
      };
      if (auto s = read_below_non_blobs(*repo, ctx, git_, differ, reader, cb); !s) return s;
      std::vector<Finding> made;
      for (const auto& [blob, path] : places) {
        if (!path.empty() && path_excluded(path, git_.exclude_globs)) continue;  // --exclude
        auto it = reader.results().find(blob);
        if (it == reader.results().end()) continue;
        made.clear();
        step->findings(*it->second, blob_provenance(git_, blob, path), made);
        for (auto& f : made) ctx.sink().add(std::move(f));
      }
    }
  }
  if (plan_.tips.empty()) return Status::ok();
  GitScanOptions g = git_;
  g.range_tips = plan_.tips;
  g.range_stops = plan_.stops;
  GitInfo info;
  Status st = scan_git_repository(g, ctx, info);
  ctx.info().git = std::move(info);
  return st;
}

}  // namespace glpatrol
