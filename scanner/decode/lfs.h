#pragma once
// Git LFS pointer files (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md). A
// repository using LFS commits small pointer files; the content lives in the local object
// store (<common dir>/lfs/objects/) or on the LFS server, which glpatrol never contacts.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace glpatrol::decode {

struct LfsPointer {
  std::string oid;         ///< 64 lowercase hex digits (the object's SHA-256), without "sha256:"
  std::uint64_t size = 0;  ///< the object's size in bytes
};

/// The oid and size when `content` is a valid pointer, else nullopt. Valid: at most 1024
/// bytes; lines "key value\n" (one space; keys [a-z0-9.-]; values without CR); the first
/// key `version` with value https://git-lfs.github.com/spec/v1 (or the pre-release alias
/// https://hawser.github.com/spec/v1); the other keys strictly ascending; `oid` is
/// "sha256:" + 64 lowercase hex; `size` is decimal. Extension keys (ext-0-...) are allowed.
/// A missing final newline is tolerated (coverage over pedantry).
std::optional<LfsPointer> parse_lfs_pointer(std::string_view content);

/// Where the object of `oid` lives: <common_dir>/lfs/objects/<oid[0:2]>/<oid[2:4]>/<oid>.
/// Empty when `oid` is not 64 lowercase hex digits (never a path built from other bytes).
std::string lfs_object_path(std::string_view common_dir, std::string_view oid);

}  // namespace glpatrol::decode
