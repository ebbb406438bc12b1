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

  /// Called for each decoded blob, from worker `worker` (0..jobs-1). The data is valid only
  /// during the call.
  using BlobFn = std::function<void(unsigned worker, const git_oid& id, std::string_view data)>;
  /// Called for each blob skipped because its size is above `max_size`.
  using SizeFn = std::function<void(const git_oid& id, std::uint64_t size)>;

  /// Decodes every blob entry of every pack with `jobs` threads. Blobs larger than `max_size`
  /// are not decoded (reported through `on_too_big`). Returns the number of blobs decoded.
  std::uint64_t for_each_blob(unsigned jobs, std::uint64_t max_size, const BlobFn& on_blob,
                              const SizeFn& on_too_big);

 private:
  std::vector<std::unique_ptr<PackFile>> packs_;
};

/// "libdeflate" or "zlib": what inflates pack entries in this process.
const char* inflate_backend();

/// Applies a git delta to `base`; false on any malformed or out-of-bounds instruction or a
/// result size different from the delta's header. Exposed for tests.
bool apply_delta(std::string_view base, std::string_view delta, std::string& out,
                 std::uint64_t max_size);

}  // namespace glpatrol::git
