#pragma once
// A read-only decoder for git pack files (Documentation/gitformat-pack.txt, idx v2, pack v2/3)
// used for the bulk of history mode: it decodes every blob stored in the packs in pack-offset
// order, on N workers that each own a contiguous part of the pack and a delta-base cache, and
// hands each blob to a callback. It exists because libgit2 1.5's per-object reads are ~3x
// slower than git's own decoder (small compiled-in delta-base cache, per-object lookups).
//
// It never reports errors itself: an entry it cannot decode (corrupt zlib data, bad delta, a
// base in another pack) is simply not "covered", and the caller reads that blob again through
// libgit2, which reports the fault with its id. Hashes are not re-verified here (like
// `git cat-file --batch`); the index's object ids name the decoded bytes.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sources/git/git_handles.h"

namespace glpatrol::git {

class PackFile;
class PackObjects;

/// Every pack of an objects directory (objects/pack/*.idx with their .pack).
class PackSet {
 public:
  /// Packs that cannot be opened or parsed are skipped (their objects stay uncovered).
  static PackSet open(const std::string& objects_dir);
  PackSet();
  PackSet(PackSet&&) noexcept;
  PackSet& operator=(PackSet&&) noexcept;
  ~PackSet();

  std::size_t pack_count() const { return packs_.size(); }
  std::uint64_t blob_entries() const;

  /// Ids of entries whose delta chain loops (a REF_DELTA cycle within a pack or across the
  /// packs of the set, or a delta built on one): no
  /// decoder can ever produce them. libgit2 1.5 resolves such a chain forever, so the object
  /// database refuses these ids (safe_odb.cc) and they are reported corrupt.
  std::vector<git_oid> delta_cycles() const;

  /// Called for each decoded blob, from worker `worker` (0..jobs-1). The data is valid only
  /// during the call.
  using BlobFn = std::function<void(unsigned worker, const git_oid& id, std::string_view data)>;
  /// Called for each blob skipped because its size is above `max_size`.
  using SizeFn = std::function<void(const git_oid& id, std::uint64_t size)>;

  /// Decodes every blob entry of every pack with `jobs` threads, each object once, deltas
  /// resolved depth-first from the blobs stored whole (pack_reader.cc, DeltaForest). Blobs
  /// larger than `max_size` are not decoded (reported through `on_too_big`); neither is what
  /// cannot be (a base in another pack, a cycle, corruption): the caller reads those another
  /// way. Returns the number of blobs decoded. `held_bases`: bytes of bases a worker keeps
  /// before it decodes a subtree through its delta-base cache instead (0: 64 MiB; tests pass
  /// small values to take that path).
  std::uint64_t for_each_blob(unsigned jobs, std::uint64_t max_size, const BlobFn& on_blob,
                              const SizeFn& on_too_big, std::size_t held_bases = 0);

 private:
  friend class PackObjects;
  std::vector<std::unique_ptr<PackFile>> packs_;
};

/// Random access to single objects of a PackSet by id, for the history walk's trees (and any
/// other object read one at a time): each pack gets one decoder with its own delta-base cache
/// (4 MiB), so a tree stored as a delta against a neighbouring version is inflated once per
/// chain, not once per read as libgit2 1.5's small cache does. Like the bulk pass it never
/// reports errors and never re-hashes: an object it cannot find or decode (loose, in an
/// alternate, corrupt, a base in another pack, a delta cycle) is simply not returned, and the
/// caller reads it through libgit2, which reports the fault. Not thread-safe: one per thread.
/// Memory: the decoders' caches (4 MiB each) plus the object being returned; the mapped
/// pages it touched are released every 8 MiB of compressed input it reads.
class PackObjects {
 public:
  /// `set` must outlive this reader. Objects larger than `max_size` are not decoded.
  PackObjects(const PackSet& set, std::uint64_t max_size);
  PackObjects(const PackObjects&) = delete;
  PackObjects& operator=(const PackObjects&) = delete;
  ~PackObjects();
  /// The object `id` decoded: its type and bytes (valid until the next call). False when no
  /// pack of the set holds it or it cannot be decoded here.
  bool read(const git_oid& id, git_object_t& type, std::string_view& data);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// "libdeflate" or "zlib": what inflates pack entries in this process.
const char* inflate_backend();

/// Applies a git delta to `base`; false on any malformed or out-of-bounds instruction or a
/// result size different from the delta's header. Exposed for tests.
bool apply_delta(std::string_view base, std::string_view delta, std::string& out, std::uint64_t max_size);

}  // namespace glpatrol::git
