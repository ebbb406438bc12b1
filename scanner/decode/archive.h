#pragma once
// Containers through libarchive (never a hand-written parser), read in memory or as a stream;
// nothing is ever written to disk and no external program is ever run.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "decode/types.h"

namespace glpatrol::decode {

/// Zip also covers jar/war/ear/whl/apk/nupkg/docx/xlsx/pptx/odt; Ar covers .deb (whose
/// members are compressed tars); Other is a compressed stream libarchive also reads (lz4,
/// lzip, compress(1) .Z).
enum class ContainerKind { None, Zip, Tar, Gzip, Bzip2, Xz, Zstd, SevenZip, Rar, Ar, Cpio, Other };
std::string_view to_string(ContainerKind k);  // "none", "zip", "tar", "gzip", ...

/// Bytes of a content's head that sniff_container looks at (tar's magic is at 257..263 and its
/// header checksum covers 512 bytes).
inline constexpr std::size_t kSniffBytes = 512;

/// The container kind from magic bytes at the start of the content (never from a file name):
/// zip local/empty/spanned headers, a tar header (ustar/GNU magic, or a v7 header whose
/// checksum verifies), gzip (method 8, reserved flags clear), bzip2 ("BZh1".."BZh9" + block
/// magic), xz, zstd frame, 7z, rar 4/5, ar, cpio (odc/newc/crc), lz4 frame, lzip, compress.
ContainerKind sniff_container(std::string_view head);

/// Per-container limits. Totals per top-level blob live in DecodeBudget.
struct ArchiveLimits {
  /// Decompressed bytes read from one member: a quarter of the blob's default budget, so that
  /// one huge member cannot spend the budget of the members after it.
  std::uint64_t max_member_size = 64u << 20;
  /// decompressed/compressed bytes of one member (input = the bytes libarchive consumed while
  /// reading it); deflate peaks near 1030, bzip2/xz/zstd bombs go far beyond. A seekable zip
  /// skips a bomb member and goes on; a compressed stream stops there.
  double max_ratio = 1000;
  std::uint64_t ratio_grace = 1u << 20;  ///< no ratio check below this many decompressed bytes
};

struct Member {
  std::string_view name;   ///< raw bytes as stored (may hold "../", absolute paths, any bytes but NUL)
  std::uint64_t size = 0;  ///< declared size; 0 when unknown (streams, data descriptors)
  bool size_known = false;
};

/// Called for each regular-file member with a reader of its decompressed bytes (bounded
/// memory: read it in chunks, or feed it to Matcher::scan_stream, or to for_each_member for
/// a nested container). The reader is valid only during the call; it returns 0 at the
/// member's end and also when the member cannot be read further (a Fault follows after the
/// call: truncated, corrupt-archive, member-size, decoded-size, ratio), so that the bytes
/// read so far are still scanned. Return false to stop iterating.
using MemberFn = std::function<bool(const Member& member, const ReadFn& read)>;

/// Iterates the members of the container held in `content`. `outer_name` (the content's
/// path or member name) names the single member of a plain compressed stream: "app.log.gz"
/// -> "app.log", "x.tgz" -> "x.tar" (its basename without the compression suffix).
/// Directories, symlinks, devices and hard links (their data is in the target) are skipped
/// silently; encrypted members are reported as Fault "encrypted" and skipped. Corrupt input
/// yields the members read so far plus a Fault, never a crash or a hang. A content that is
/// not a container (sniff_container == None) yields nothing. Every member and decompressed
/// byte (also those skipped to reach the next member) is charged to `budget`.
/// Returns an error only when libarchive cannot be set up (out of memory); problems with the
/// content are Faults.
Status for_each_member(std::string_view content, std::string_view outer_name, const ArchiveLimits& limits,
                       DecodeBudget& budget, const MemberFn& on_member, const FaultFn& on_fault);

/// The same for a container read from a stream (e.g. a member of another container: nested
/// containers stream with bounded memory). Without seeking, zip is read through its local
/// headers (no central directory; a stored member with a data descriptor is unreadable that
/// way) and 7z not at all (Fault "unsupported"): give such content in memory when it fits.
Status for_each_member(const ReadFn& source, std::string_view outer_name, const ArchiveLimits& limits,
                       DecodeBudget& budget, const MemberFn& on_member, const FaultFn& on_fault);

/// The first `n` bytes of a stream (fewer at its end) for sniff_container, and a reader that
/// replays them and then continues with the rest of `source`.
struct Peeked {
  std::string head;
  ReadFn read;
};
Peeked peek(ReadFn source, std::size_t n = kSniffBytes);

}  // namespace glpatrol::decode
