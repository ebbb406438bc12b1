#include "sources/git/blob_reader.h"

#include "common/byte_budget.h"
#include "state/content_cache.h"

#include <utility>

namespace glpatrol::git {

Status BlobReader::start(unsigned jobs) {
  if (jobs == 0) jobs = 1;
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < jobs; ++i) {
    auto repo = reopen(repo_);
    if (!repo) return repo.error();
    git_odb* odb = nullptr;
    if (int rc = git_repository_odb(&odb, repo->get()); rc != 0)
      return git_error("cannot open object database", rc);
    auto step = ctx_.make_step();
    if (!step) return step.error();
    step->set_lfs_store(repo_.common_dir);
    workers.push_back(std::make_unique<Worker>(Worker{std::move(*repo), OdbPtr(odb), std::move(*step)}));
  }
  std::size_t next = 0;
  pool_ = std::make_unique<WorkPool<Worker>>(
      jobs, [&] { return std::move(workers[next++]); }, 256);
  return Status::ok();
}

void BlobReader::push(const git_oid& id) {
  // --state-dir: a blob scanned before under the same rules is not read again. Looked up here,
  // not by a worker: a walk of the whole history reaches every stored blob, and a hand-off
  // per blob (a wake-up and a lock each) cost more than the lookup. Only blobs are ever
  // stored (ids that named trees or commits are not), so read_one's type check still runs
  // for everything read.
  if (opts_.contents != nullptr)
    if (auto known =
            opts_.contents->find(std::string_view(reinterpret_cast<const char*>(id.id), GIT_OID_RAWSZ))) {
      ctx_.progress.advance("blobs");
      if (*known) record(id, std::move(*known));
      return;
    }
  pool_->push([this, id](Worker& w) { read_one(w, id); });
}

void BlobReader::finish() {
  if (pool_) pool_->finish();
}

void BlobReader::record(const git_oid& id, std::shared_ptr<const ContentMatches> matches) {
  std::lock_guard<std::mutex> lock(mu_);
  results_[id] = std::move(matches);
}

std::vector<git_oid> BlobReader::take_non_blobs() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(non_blobs_, {});
}

void BlobReader::read_one(Worker& w, const git_oid& id) {
  const std::string_view raw_id(reinterpret_cast<const char*>(id.id), GIT_OID_RAWSZ);
  ctx_.progress.advance("blobs");
  std::size_t len = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  int rc = git_odb_read_header(&len, &type, w.odb.get(), &id);
  if (rc != 0) {
    report_object_fault(ctx_, opts_, id, rc == GIT_ENOTFOUND ? "missing-object" : "corrupt-object",
                        "blob: " + last_git_error_text());
    return;
  }
  if (type == GIT_OBJECT_TREE || type == GIT_OBJECT_COMMIT) {
    std::lock_guard<std::mutex> lock(mu_);
    non_blobs_.push_back(id);
  }
  if (len > cap_) {
    report_oversized_blob(ctx_, opts_, id, len);
    return;
  }
  // A large object is decoded only once the shared decode budget has room for it (every
  // worker, every mode: common/byte_budget.h); held until its scan is done.
  ByteBudget::Lease lease;
  if (len >= kLeasedObjectMin) lease = decoded_object_budget().acquire(len);
  git_odb_object* raw = nullptr;
  rc = git_odb_read(&raw, w.odb.get(), &id);
  if (rc != 0) {
    report_object_fault(ctx_, opts_, id, rc == GIT_ENOTFOUND ? "missing-object" : "corrupt-object",
                        "blob: " + last_git_error_text());
    return;
  }
  OdbObjectPtr obj(raw);
  // A tree entry that names a tree, commit or tag object where a blob belongs is a crafted or
  // corrupt repository: its bytes are scanned all the same (never skipped for its type).
  const std::string_view data(static_cast<const char*>(git_odb_object_data(raw)), git_odb_object_size(raw));
  ctx_.stats.blobs.fetch_add(1, std::memory_order_relaxed);
  ctx_.stats.files.fetch_add(1, std::memory_order_relaxed);
  ctx_.stats.bytes.fetch_add(data.size(), std::memory_order_relaxed);
  auto found = w.step.match(data, oid_hex(id));
  if (!found) {
    report_object_fault(ctx_, opts_, id, "scan-error", found.error().message);
    return;
  }
  if (opts_.contents != nullptr && type == GIT_OBJECT_BLOB) opts_.contents->add(raw_id, *found);
  if (*found) record(id, std::move(*found));
}

Status read_below_non_blobs(const Repo& repo, ScanContext& ctx, const GitScanOptions& opts,
                            TreeDiffer& differ, BlobReader& reader, const PlaceCallbacks& places) {
  std::vector<git_oid> pending = reader.take_non_blobs();
  OidSet expanded;
  while (!pending.empty()) {
    BlobReader extra(repo, ctx, opts);
    if (auto s = extra.start(1); !s) return s;
    for (const git_oid& id : pending) {
      if (!expanded.insert(id).second) continue;
      git_oid tree = id;
      if (git_oid t; commit_tree(repo.repo.get(), id, &t)) tree = t;
      for (const std::string& at : places.paths_of(id)) {
        const std::string base = at.empty() ? std::string() : at + "/";
        differ.all_blobs(tree, [&](const std::string& sub, const git_oid& blob, git_filemode_t) {
          if (places.add(base + sub, blob)) extra.push(blob);
        });
      }
    }
    extra.finish();
    for (auto& [id, m] : extra.results()) reader.record(id, m);
    pending = extra.take_non_blobs();
  }
  return Status::ok();
}

}  // namespace glpatrol::git
