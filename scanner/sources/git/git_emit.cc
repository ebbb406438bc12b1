// History findings: matches (per blob) + places (per blob) -> one finding per leak.
#include "common/encoding.h"
#include "common/glob.h"
#include "sources/git/history.h"
#include "sources/git/messages.h"
#include "state/content_cache.h"

namespace glpatrol::git {

namespace {

/// HEAD's blobs, for in_head.
struct HeadTree {
  OidSet blobs;
  std::unordered_map<std::string, git_oid> paths;
};

HeadTree load_head(git_repository* repo, const std::optional<git_oid>& head) {
  HeadTree h;
  git_oid tree;
  if (!head || !commit_tree(repo, *head, &tree)) return h;
  TreeDiffer d(repo, [](const git_oid&, const std::string&, const std::string&) {});
  d.all_blobs(tree, [&](const std::string& path, const git_oid& blob, git_filemode_t) {
    h.blobs.insert(blob);
    h.paths.emplace(path, blob);
  });
  return h;
}

/// True when HEAD's blob at `path` contains `secret` (range mode: HEAD blobs outside the range
/// were not scanned, so look directly).
bool head_path_contains(git_repository* repo, const HeadTree& head, const std::string& path,
                        const std::string& secret) {
  auto it = head.paths.find(path);
  if (it == head.paths.end()) return false;
  git_blob* raw = nullptr;
  if (git_blob_lookup(&raw, repo, &it->second) != 0) return false;
  GitPtr<git_blob, git_blob_free> blob(raw);
  const std::string_view data(static_cast<const char*>(git_blob_rawcontent(raw)),
                              static_cast<std::size_t>(git_blob_rawsize(raw)));
  return data.find(secret) != std::string_view::npos;
}

/// Resumed scans: the tokens in HEAD's blobs, from this run's matches or, for blobs the walk of
/// new commits did not reach, the stored ones (every HEAD blob was scanned by the stored scan
/// or by this one). HEAD's paths stand in for the blob's places, which the stored scan saw.
void head_tokens_with_stored(const EmitInput& in, const HeadTree& head,
                             std::unordered_set<std::string>& tokens) {
  for (const auto& [path, blob] : head.paths) {
    if (path_excluded(path, in.opts.exclude_globs)) continue;
    std::shared_ptr<const ContentMatches> found;
    if (auto it = in.matches.find(blob); it != in.matches.end())
      found = it->second;
    else if (auto stored =
                 in.stored->peek(std::string_view(reinterpret_cast<const char*>(blob.id), GIT_OID_RAWSZ)))
      found = *stored;
    if (found)
      for (const auto& m : found->matches) tokens.insert(sha256_hex(m.located.secret));
  }
}

}  // namespace

std::string fold_key(const Finding& f) {
  std::string k = f.secret_sha256 + '\0' + f.provenance.path;
  if (!f.provenance.commit) k += '\0' + f.provenance.blob_id.value_or("");
  return k;
}

void emit_history_findings(const EmitInput& in, ScanStep& step, GitInfo& info) {
  const bool resumed = in.prior_keys != nullptr;
  if (in.matches.empty() && !resumed) {
    info.later_versions_folded = 0;
    return;
  }
  const HeadTree head = load_head(in.repo, in.head);
  std::vector<std::uint64_t> rank(in.graph.nodes.size(), 0);
  for (std::size_t i = 0; i < in.graph.order.size(); ++i) rank[in.graph.order[i]] = i;
  std::unordered_map<std::uint32_t, CommitInfo> commits;  // by graph index, built on demand
  auto commit_of = [&](std::uint32_t ci) -> const CommitInfo& {
    auto it = commits.find(ci);
    if (it == commits.end()) it = commits.emplace(ci, commit_info(in.repo, in.graph.nodes[ci].id)).first;
    return it->second;
  };
  struct Candidate {
    Finding f;
    std::uint64_t rank;
    std::string path;  ///< unprefixed, for in_head
  };
  std::vector<Candidate> out;
  std::unordered_set<std::string> head_tokens;
  std::unordered_map<std::string, std::uint64_t> first;  // fold key -> best rank
  std::vector<Finding> made;
  for (const auto& [blob, matches] : in.matches) {
    auto bi = in.places.blobs().find(blob);
    if (bi == in.places.blobs().end()) continue;
    const bool in_head_blob = head.blobs.count(blob) != 0;
    for (const Place& p : in.places.places(bi->second)) {
      const std::string path = p.path != kNone ? in.places.path(p.path) : std::string();
      if (!path.empty() && path_excluded(path, in.opts.exclude_globs)) continue;  // --exclude
      // --shard: every version of a path meets in one shard; blobs without a path by id.
      if (in.opts.shard_by_path && !in.ctx.in_shard(p.path != kNone ? path : oid_hex(blob))) {
        if (in_head_blob)
          for (const auto& m : matches->matches) head_tokens.insert(sha256_hex(m.located.secret));
        continue;
      }
      Provenance where = blob_provenance(in.opts, blob, path);
      if (p.commit != kNone) {
        where.commit = commit_of(p.commit);
        if (in.only_via != nullptr && p.commit < in.only_via->size())
          where.reachable_only_via = (*in.only_via)[p.commit];
      }
      attach_source(in.opts, where, path);
      made.clear();
      step.findings(*matches, where, made);
      const std::uint64_t r = p.commit != kNone ? rank[p.commit] : ~std::uint64_t{0};
      for (auto& f : made) {
        if (in_head_blob) head_tokens.insert(f.secret_sha256);
        auto [it, inserted] = first.emplace(fold_key(f), r);
        if (!inserted && r < it->second) it->second = r;
        out.push_back({std::move(f), r, path});
      }
    }
  }
  if (resumed) head_tokens_with_stored(in, head, head_tokens);
  std::uint64_t folded = 0;
  for (auto& c : out) {
    const std::string key = fold_key(c.f);
    if (first[key] != c.rank || (resumed && in.prior_keys->count(key) != 0)) {
      ++folded;
      continue;
    }
    Finding& f = c.f;
    bool in_head = head_tokens.count(f.secret_sha256) != 0;
    if (!in_head && in.range_mode && !c.path.empty())
      in_head = head_path_contains(in.repo, head, c.path, f.secret);
    f.provenance.in_head = in_head;
    step.sink().add(std::move(f));
  }
  info.later_versions_folded = folded;
  if (in.head_tokens != nullptr) *in.head_tokens = std::move(head_tokens);
}

}  // namespace glpatrol::git
