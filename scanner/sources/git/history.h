#pragma once
// History and range mode, in parts (internal to scanner/sources/git):
//   git_history.cc  HistoryScan: start points -> commit graph -> tree walk -> places
//   git_range.cc    the commit graph of a range (A..B, REV..HEAD, pushed tips/stops)
//   git_pack_pass.cc every packed blob decoded in pack order on all workers
//   git_emit.cc     matches + places -> one finding per leak (per token and path)
#include <cstdint>
#include <string>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sources/git/blob_reader.h"
#include "sources/git/git_walk.h"
#include "sources/git/pack_reader.h"

namespace glpatrol::git {

inline constexpr std::uint32_t kNone = 0xffffffffu;

/// A place where a blob appears: a path (index into PlaceIndex's paths) and the commit that
/// introduced it there (index into the commit graph); kNone when unknown.
struct Place {
  std::uint32_t path = kNone;
  std::uint32_t commit = kNone;
};

/// Object ids numbered 0, 1, 2, ... in insertion order: the ids in one flat array (20 bytes
/// each) and an open-addressing table of their numbers (4 bytes a slot, at most half full),
/// instead of a node-based map (about 70 bytes an id with malloc's overhead). Iterates in
/// insertion order; entries look like map entries (`first` id, `second` number).
class OidIndex {
 public:
  using value_type = std::pair<git_oid, std::uint32_t>;
  class const_iterator {
   public:
    const_iterator(const OidIndex* ix, std::uint32_t i) : ix_(ix), i_(i) {}
    value_type operator*() const { return {ix_->ids_[i_], i_}; }
    const value_type* operator->() const {
      cur_ = **this;
      return &cur_;
    }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    const OidIndex* ix_;
    std::uint32_t i_;
    mutable value_type cur_{};
  };
  /// The id's number, and whether it was new.
  std::pair<std::uint32_t, bool> insert(const git_oid& id);
  const_iterator find(const git_oid& id) const;
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, static_cast<std::uint32_t>(ids_.size())}; }
  std::size_t size() const { return ids_.size(); }
  std::size_t count(const git_oid& id) const { return find(id) != end() ? 1 : 0; }
  const git_oid& id(std::uint32_t i) const { return ids_[i]; }
  /// Bytes held (for the memory notes in bench/README.md).
  std::size_t bytes() const { return ids_.capacity() * sizeof(git_oid) + slots_.capacity() * 4; }

 private:
  std::size_t slot_of(const git_oid& id) const;  ///< the id's slot, or the empty one it would take
  std::vector<git_oid> ids_;
  std::vector<std::uint32_t> slots_;  ///< kNone or a number; size a power of two
};

/// Every blob the history reaches, with its places; paths interned once. Memory per blob:
/// its id in an OidIndex (about 28-36 bytes) and a first/last place link (8 bytes); per place:
/// 12 bytes in one flat list and 8-16 bytes in the (blob, path) set that keeps the first
/// introduction. No per-blob heap allocation.
class PlaceIndex {
 public:
  std::uint32_t intern_path(const std::string& p);
  const std::string& path(std::uint32_t i) const { return *paths_[i]; }
  /// The blob's index, and whether it was new.
  std::pair<std::uint32_t, bool> add_blob(const git_oid& blob);
  /// Adds a place of a blob; false when this (blob, path) already has one (the first
  /// introduction wins).
  bool add_place(std::uint32_t blob, Place place);

  /// A blob's places in the order they were added.
  class Places {
   public:
    class const_iterator {
     public:
      const_iterator(const PlaceIndex* ix, std::uint32_t at) : ix_(ix), at_(at) {}
      const Place& operator*() const { return ix_->links_[at_].place; }
      const_iterator& operator++() {
        at_ = ix_->links_[at_].next;
        return *this;
      }
      bool operator==(const const_iterator& o) const { return at_ == o.at_; }
      bool operator!=(const const_iterator& o) const { return at_ != o.at_; }

     private:
      const PlaceIndex* ix_;
      std::uint32_t at_;
    };
    Places(const PlaceIndex* ix, std::uint32_t first) : ix_(ix), first_(first) {}
    const_iterator begin() const { return {ix_, first_}; }
    const_iterator end() const { return {ix_, kNone}; }
    bool empty() const { return first_ == kNone; }

   private:
    const PlaceIndex* ix_;
    std::uint32_t first_;
  };
  Places places(std::uint32_t blob) const { return {this, first_[blob]}; }
  const OidIndex& blobs() const { return index_; }
  bool contains(const git_oid& blob) const { return index_.count(blob) != 0; }
  std::uint64_t place_count() const { return place_count_; }

 private:
  struct Link {
    Place place;
    std::uint32_t next = kNone;
  };
  /// Open-addressing set of (blob << 32 | path) keys; ~0 marks an empty slot.
  bool insert_seen(std::uint64_t key);
  std::unordered_map<std::string, std::uint32_t> path_index_;
  std::vector<const std::string*> paths_;
  OidIndex index_;
  std::vector<std::uint32_t> first_, last_;  ///< per blob: its first and last link, or kNone
  std::vector<Link> links_;
  std::vector<std::uint64_t> seen_;
  std::uint64_t seen_count_ = 0;
  std::uint64_t place_count_ = 0;
};

/// The commit graph of a range scan, or an error (bad or empty range). Fills info.range.
Result<CommitGraph> range_graph(const GitScanOptions& opts, Repo& r, const ObjectFaultFn& fault,
                                ScanContext& ctx, GitInfo& info);

/// Decodes every packed blob in pack order on all workers while the caller walks commits and
/// trees (a background thread drives the pack reader). Blobs it could not decode are then read
/// through the BlobReader, which also reports every fault by object id.
class PackPass {
 public:
  PackPass(const Repo& r, ScanContext& ctx, const GitScanOptions& opts, BlobReader& reader)
      : repo_(r), ctx_(ctx), opts_(opts), reader_(reader) {}
  ~PackPass() { join(); }
  /// Starts decoding on `shared` (the walk's packs, which must outlive this pass: one parsed
  /// index per pack for the whole scan) or, when null, on packs it opens itself.
  Status start(PackSet* shared = nullptr);
  /// Waits for the decoders, counts what they covered, and sends every other reachable blob
  /// of `places` to the BlobReader. Fills info.pack_reader.
  void finish(const PlaceIndex& places, GitInfo& info);

 private:
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  const Repo& repo_;
  ScanContext& ctx_;
  const GitScanOptions& opts_;
  BlobReader& reader_;
  PackSet own_packs_;
  PackSet* packs_ = nullptr;  ///< shared or &own_packs_
  std::vector<ScanStep> steps_;
  std::vector<std::vector<std::pair<git_oid, std::uint64_t>>> covered_;
  std::mutex mu_;
  std::unordered_map<git_oid, std::uint64_t, OidHash, OidEq> too_big_;
  std::thread thread_;
};

/// What emit_history_findings needs to know about the walk.
struct EmitInput {
  const GitScanOptions& opts;
  ScanContext& ctx;
  git_repository* repo;
  const CommitGraph& graph;
  const PlaceIndex& places;
  const BlobMatches& matches;
  std::optional<git_oid> head;
  bool range_mode = false;
  /// Per graph node: "" or what alone reaches it (reachable_only_via); may be empty.
  const std::vector<std::string>* only_via = nullptr;
  /// Set when only the commits made since a stored scan were walked (HistoryResume): the fold
  /// keys of the stored findings (a new place of a token already reported at that path is a
  /// later version), and the stored matches of HEAD's blobs that the walk did not reach, for
  /// in_head. `head_tokens` receives the tokens (secret_sha256) in HEAD's tree.
  const std::unordered_set<std::string>* prior_keys = nullptr;
  const state::ContentCache* stored = nullptr;
  std::unordered_set<std::string>* head_tokens = nullptr;
};

/// The key under which emit_history_findings folds places into one finding.
std::string fold_key(const Finding& f);

/// One finding per place where a token entered the history: per (token, path), the blob whose
/// introducing commit comes first; later versions of the same file that merely keep the token
/// are folded into it and counted (info.later_versions_folded). Sends them to the sink.
void emit_history_findings(const EmitInput& in, ScanStep& step, GitInfo& info);

}  // namespace glpatrol::git
