#include "sources/gitlab/mirror.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <vector>

#include "common/encoding.h"

#include "sources/git/git_handles.h"
#include "sources/git/git_source.h"
#include "sources/gitlab/gitlab_source.h"
#include "state/state_db.h"
#include "sources/gitlab/url.h"

namespace glpatrol {

namespace {

using RemotePtr = git::GitPtr<git_remote, git_remote_free>;

/// What the credential callback may hand out, and to whom.
struct CredPayload {
  const std::string* token;
  const std::string* base;
  unsigned calls = 0;
};

int credentials(git_credential** out, const char* url, const char* /*username_from_url*/,
                unsigned int allowed, void* payload) {
  auto* p = static_cast<CredPayload*>(payload);
  // Only the configured host gets the token (redirects are off, see mirror(); this holds even
  // if a libgit2 followed one), and only once: a second call means the token was refused.
  if (url == nullptr || !gitlab::same_origin(url, *p->base) || p->token->empty()) return GIT_PASSTHROUGH;
  if (++p->calls > 1) return GIT_EUSER;
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) == 0) return GIT_PASSTHROUGH;
  return git_credential_userpass_plaintext_new(out, "oauth2", p->token->c_str());
}

int fetch_progress(const git_indexer_progress* /*stats*/, void* /*payload*/) { return 0; }

constexpr const char* kRefspecs[] = {
    "+refs/heads/*:refs/heads/*",
    "+refs/tags/*:refs/tags/*",
    "+refs/merge-requests/*/head:refs/merge-requests/*/head",
};

/// Clones (first run) or fetches the mirror.
Status mirror(const GitLabScanOptions& o, const std::string& dir, const std::string& url) {
  git_repository* raw = nullptr;
  bool fresh = false;
  if (git_repository_open_bare(&raw, dir.c_str()) != 0) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);  // a half-made mirror of an interrupted run
    if (git_repository_init(&raw, dir.c_str(), 1) != 0) return git::git_error("cannot create the mirror", 0);
    fresh = true;
  }
  git::RepoPtr repo(raw);
  git_remote* rr = nullptr;
  if (fresh || git_remote_lookup(&rr, repo.get(), "origin") != 0) {
    if (git_remote_create_with_fetchspec(&rr, repo.get(), "origin", url.c_str(), kRefspecs[0]) != 0)
      return git::git_error("cannot configure the mirror", 0);
    RemotePtr tmp(rr);
    for (std::size_t i = 1; i < std::size(kRefspecs); ++i)
      if (git_remote_add_fetch(repo.get(), "origin", kRefspecs[i]) != 0)
        return git::git_error("cannot configure the mirror", 0);
    rr = nullptr;
    if (git_remote_lookup(&rr, repo.get(), "origin") != 0)
      return git::git_error("cannot configure the mirror", 0);
  } else if (std::string(git_remote_url(rr) ? git_remote_url(rr) : "") != url) {
    RemotePtr tmp(rr);
    if (git_remote_set_url(repo.get(), "origin", url.c_str()) != 0)
      return git::git_error("cannot update the mirror", 0);
    rr = nullptr;
    if (git_remote_lookup(&rr, repo.get(), "origin") != 0)
      return git::git_error("cannot configure the mirror", 0);
  }
  RemotePtr remote(rr);
  CredPayload payload{&o.api.token, &o.api.base};
  git_fetch_options fo;
  git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
  // No redirect is followed, as for the API: a 3xx fails the fetch (reported, never silent).
  fo.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
  fo.callbacks.credentials = credentials;
  fo.callbacks.transfer_progress = fetch_progress;
  fo.callbacks.payload = &payload;
  fo.prune = GIT_FETCH_PRUNE;
  fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;  // the tag refspec fetches them all
  fo.update_fetchhead = 0;
  if (git_remote_fetch(remote.get(), nullptr, &fo, nullptr) != 0) {
    if (payload.calls > 1) return Error::git("fetch: the token was refused (HTTP 401/403)");
    return git::git_error("fetch", 0);
  }
  return Status::ok();
}

/// A digest of every ref and its target: equal digests, equal history.
std::string refs_digest(git_repository* repo) {
  git_reference_iterator* raw = nullptr;
  if (git_reference_iterator_new(&raw, repo) != 0) return {};
  git::RefIterPtr it(raw);
  std::vector<std::string> lines;
  git_reference* ref = nullptr;
  while (git_reference_next(&ref, it.get()) == 0) {
    git::RefPtr owned(ref);
    const git_oid* target = git_reference_target(ref);
    lines.push_back(std::string(git_reference_name(ref)) + " " +
                    (target ? git::oid_hex(*target) : "symbolic"));
  }
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  return sha256_hex(all);
}

}  // namespace

std::string mirror_dir(const std::string& state_dir, std::int64_t id) {
  return state_dir + "/mirrors/" + std::to_string(id) + ".git";
}

GitSurfaceResult scan_git_surface(const GitLabScanOptions& o, std::int64_t id, const std::string& path,
                                  const std::string& http_url, const std::string& web_url, ScanContext& ctx,
                                  state::StateDb* state) {
  GitSurfaceResult res;
  if (o.state_dir.empty()) return {"no-state-dir", "no state directory for the mirrors", false};
  if (http_url.empty()) return res;  // no repository
  const std::string parent = o.state_dir + "/mirrors";
  ::mkdir(parent.c_str(), 0700);
  git::LibGit2 lib;
  // --ca-bundle replaces the system CAs for git as it does for the API.
  if (!o.http.ca_bundle.empty())
    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, o.http.ca_bundle.c_str(), nullptr);
  const std::string dir = mirror_dir(o.state_dir, id);
  if (auto s = mirror(o, dir, http_url); !s) return {"git-fetch", s.error().message, false};
  std::string digest;
  {
    git_repository* raw = nullptr;
    if (git_repository_open_bare(&raw, dir.c_str()) != 0)
      return {"git-error", git::last_git_error_text(), false};
    git::RepoPtr repo(raw);
    if (git_repository_is_empty(repo.get()) == 1) return res;  // nothing pushed yet
    digest = refs_digest(repo.get());
  }
  if (state != nullptr && !digest.empty() && state->version(id, "git", "refs") == digest) {
    for (auto& f : state->findings(id, "git", "refs")) ctx.sink().add(std::move(f));
    res.reused = true;
    return res;
  }
  GitScanOptions g = o.git;
  g.repo = dir;
  g.repository_label = path;
  g.shard_by_path = false;  // the instance is sharded by project
  g.trust_repo_owner = false;
  g.source = SourceRef{"git", path, web_url, std::nullopt, false};
  // The engine runs in a context of its own whose sink records what it found; its counts,
  // skips and lost coverage are handed to the scan's context afterwards.
  state::RecordingSink recorder(ctx.sink());
  ScanInfo sub_info;
  ScanContext sub(ctx.db(), ctx.step_options(), ctx.jobs(), Shard{}, recorder, sub_info);
  GitInfo info;
  const Status scanned = scan_git_repository(g, sub, info);
  ctx.stats.files.fetch_add(sub.stats.files.load());
  ctx.stats.blobs.fetch_add(sub.stats.blobs.load());
  ctx.stats.bytes.fetch_add(sub.stats.bytes.load());
  ctx.stats.commits.fetch_add(sub.stats.commits.load());
  const StatsSnapshot snap = sub.stats.snapshot();
  for (const auto& k : snap.skips) ctx.stats.skip(k);
  for (const auto& w : snap.warnings) ctx.stats.warn(w);
  for (const auto& reason : sub_info.incomplete_reasons)
    ctx.mark_incomplete(path + ": " + reason, sub.incomplete_fault());
  if (!scanned) return {"git-error", scanned.error().message, false};
  // Only a complete scan is remembered: anything lost is read again next time.
  if (state != nullptr && !digest.empty() && sub_info.complete && snap.skipped == 0)
    if (auto s = state->put(id, "git", "refs", digest, recorder.take()); !s)
      ctx.stats.warn(s.error().message);
  return res;
}

}  // namespace glpatrol
