#include "sources/git/git_source.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/time.h"
#include "sources/git/git_types.h"

namespace glpatrol {

namespace {
bool is_range(const GitScanOptions& o) {
  return !o.range.empty() || !o.since.empty() || o.since_time || !o.range_tips.empty();
}
}  // namespace

std::string git_scan_kind(const GitScanOptions& opts) {
  if (opts.staged) return "staged";
  if (is_range(opts)) return "range";
  return "git";
}

Status validate_git_options(const GitScanOptions& opts) {
  if (opts.staged && (is_range(opts) || opts.all_objects))
    return Error::usage("--staged cannot be combined with --range, --since or --all-objects");
  if (!opts.range.empty() && !opts.since.empty())
    return Error::usage("--range and --since cannot be combined");
  if (opts.all_objects && (!opts.range.empty() || !opts.since.empty() || opts.since_time))
    return Error::usage("--all-objects cannot be combined with --range or --since");
  return Status::ok();
}

Status scan_git_repository(const GitScanOptions& opts, ScanContext& ctx, GitInfo& info) {
  git::LibGit2 lib;
  git::configure_libgit2(opts.trust_repo_owner);
  if (auto s = validate_git_options(opts); !s) return s;
  if (opts.staged) return git::scan_staged(opts, ctx, info);
  auto repo = git::open_repository(opts.repo, opts.extra_object_dirs);
  if (!repo) return repo.error();
  if (!opts.state_dir.empty()) return git::scan_history_with_state(opts, *repo, ctx, info);
  return git::scan_history(opts, *repo, ctx, info);
}

Status GitSource::scan(ScanContext& ctx) {
  GitInfo info;
  Status st = scan_git_repository(opts_, ctx, info);
  ctx.info().git = std::move(info);
  return st;
}

Status MultiRepoGitSource::scan(ScanContext& ctx) {
  std::uint64_t failed = 0, other_shards = 0;
  for (const auto& repo : repos_) {
    if (!ctx.in_shard(repo)) {
      ++other_shards;
      continue;
    }
    GitScanOptions g = base_;
    g.repo = repo;
    g.repository_label = repo;
    g.shard_by_path = false;
    RepositoryInfo entry;
    entry.repository = repo;
    GitInfo info;
    if (Status st = scan_git_repository(g, ctx, info); !st) {
      ++failed;
      ctx.stats.skip({repo, "repository-error", st.error().message, true});
      entry.error = st.error().message;
    } else {
      entry.git = std::move(info);
    }
    ctx.info().repositories.push_back(std::move(entry));
  }
  if (ctx.info().shard) ctx.info().shard->repositories_in_other_shards = other_shards;
  if (failed != 0)
    ctx.mark_incomplete(fmt::format("{} of {} repositories could not be scanned (see skipped)", failed,
                                    repos_.size() - other_shards),
                        true);
  return Status::ok();
}

namespace git {

std::uint64_t blob_cap(const GitScanOptions& opts) {
  return opts.max_blob_size != 0 ? std::min(opts.max_blob_size, kMaxGitBlobSize) : kMaxGitBlobSize;
}

void mark_incomplete(ScanContext& ctx, const GitScanOptions& opts, std::string reason, bool fault) {
  if (!opts.repository_label.empty()) reason = opts.repository_label + ": " + reason;
  ctx.mark_incomplete(std::move(reason), fault);
}

void report_oversized_blob(ScanContext& ctx, const GitScanOptions& opts, const git_oid& id,
                           std::uint64_t size) {
  const std::uint64_t cap = blob_cap(opts);
  // The operator's own limit is policy; the engine's hard cap without one is lost coverage.
  const bool policy = opts.max_blob_size != 0 && opts.max_blob_size <= kMaxGitBlobSize;
  ctx.stats.skip({oid_hex(id), "size", fmt::format("{} bytes (limit {})", size, cap), !policy});
  if (!policy)
    mark_incomplete(ctx, opts,
                    fmt::format("blobs larger than {} bytes cannot be read (see skipped)", kMaxGitBlobSize),
                    true);
}

void report_object_fault(ScanContext& ctx, const GitScanOptions& opts, const git_oid& id,
                         const std::string& reason, const std::string& detail) {
  ctx.stats.skip({git_oid_is_zero(&id) ? std::string("<refs>") : oid_hex(id), reason, detail, true});
  mark_incomplete(ctx, opts, "objects of the repository are missing or corrupt (see skipped)", true);
}

std::string place_path(const GitScanOptions& opts, const std::string& path) {
  if (opts.repository_label.empty() || path.empty()) return path;
  std::string r = opts.repository_label;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r + "/" + path;
}

Provenance blob_provenance(const GitScanOptions& opts, const git_oid& blob, const std::string& path) {
  Provenance p;
  p.kind = SourceKind::GitBlob;
  p.path = place_path(opts, path);
  p.blob_id = oid_hex(blob);
  p.repository = opts.repository_label;
  return p;
}

void attach_source(const GitScanOptions& opts, Provenance& p, const std::string& path) {
  if (!opts.source) return;
  p.source = opts.source;
  const std::string sha = p.commit ? p.commit->sha : std::string();
  if (sha.empty()) return;
  if (p.kind == SourceKind::GitBlob && !path.empty()) {
    p.source->web_url += "/-/blob/" + sha + "/" + path;
    p.source->line_anchor = true;
  } else if (p.kind == SourceKind::CommitMessage || p.kind == SourceKind::CommitHeader) {
    p.source->web_url += "/-/commit/" + sha;
  }
}

CommitInfo signature_info(const git_oid& id, const git_signature* sig, const char* message) {
  CommitInfo ci;
  ci.sha = oid_hex(id);
  if (sig != nullptr) {
    ci.author_name = sig->name != nullptr ? sig->name : "";
    ci.author_email = sig->email != nullptr ? sig->email : "";
    ci.date = iso8601_utc(static_cast<std::int64_t>(sig->when.time));
  }
  if (message != nullptr) {
    std::string_view m(message);
    while (!m.empty() && (m.front() == '\n' || m.front() == '\r')) m.remove_prefix(1);
    m = m.substr(0, m.find('\n'));
    if (!m.empty() && m.back() == '\r') m.remove_suffix(1);
    ci.message = std::string(m);  // shortened by the scan step, after redaction
  }
  return ci;
}

}  // namespace git

}  // namespace glpatrol
