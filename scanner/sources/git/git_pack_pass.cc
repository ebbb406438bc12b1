// History mode's bulk read: every packed blob decoded in pack order (sources/git/pack_reader.h).
#include "sources/git/history.h"
#include "state/content_cache.h"

namespace glpatrol::git {

Status PackPass::start(PackSet* shared) {
  const unsigned workers = std::max(1u, ctx_.jobs());
  for (unsigned i = 0; i < workers; ++i) {
    auto step = ctx_.make_step();
    if (!step) return step.error();
    step->set_lfs_store(repo_.common_dir);
    steps_.push_back(std::move(*step));
    covered_.emplace_back();
  }
  if (shared != nullptr) {
    packs_ = shared;
  } else {
    own_packs_ = PackSet::open(repo_.common_dir + "objects");
    packs_ = &own_packs_;
  }
  const std::uint64_t cap = blob_cap(opts_);
  thread_ = std::thread([this, cap] {
    packs_->for_each_blob(
        static_cast<unsigned>(steps_.size()), cap,
        [this](unsigned w, const git_oid& id, std::string_view data) {
          auto found = steps_[w].match(data, oid_hex(id));
          if (!found) return;  // not covered: the BlobReader reads it again and reports it
          covered_[w].emplace_back(id, data.size());
          ctx_.progress.decoded(data.size());
          if (opts_.contents != nullptr)  // --state-dir: stored when the scan is lossless
            opts_.contents->add(std::string_view(reinterpret_cast<const char*>(id.id), GIT_OID_RAWSZ),
                                *found);
          if (*found) reader_.record(id, std::move(*found));
        },
        [this](const git_oid& id, std::uint64_t size) {
          std::lock_guard<std::mutex> lock(mu_);
          too_big_.emplace(id, size);
        });
  });
  return Status::ok();
}

void PackPass::finish(const PlaceIndex& places, GitInfo& info) {
  join();
  std::unordered_map<git_oid, std::uint64_t, OidHash, OidEq> covered;
  std::uint64_t decoded = 0;
  for (auto& v : covered_) {
    decoded += v.size();
    for (auto& [id, size] : v) covered.emplace(id, size);
    std::vector<std::pair<git_oid, std::uint64_t>>().swap(v);
  }
  std::uint64_t fallback = 0;
  for (const auto& [id, index] : places.blobs()) {
    if (auto c = covered.find(id); c != covered.end()) {
      ctx_.stats.blobs.fetch_add(1, std::memory_order_relaxed);
      ctx_.stats.files.fetch_add(1, std::memory_order_relaxed);
      ctx_.stats.bytes.fetch_add(c->second, std::memory_order_relaxed);
      ctx_.progress.advance("blobs");
      continue;
    }
    if (too_big_.count(id) == 0) ++fallback;
    reader_.push(id);
  }
  PackReaderInfo pr;
  pr.packs = packs_->pack_count();
  pr.inflate = inflate_backend();
  pr.blobs_decoded = decoded;
  pr.blobs_read_by_libgit2 = fallback;
  info.pack_reader = std::move(pr);
}

}  // namespace glpatrol::git
