#include "sources/git/index_file.h"

#include "common/encoding.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace glpatrol::git {

namespace {

constexpr std::size_t kHeader = 12;
constexpr std::size_t kTrailer = 20;
// ctime, mtime (8 each), dev, ino, mode, uid, gid, size (4 each), oid (20), flags (2).
constexpr std::size_t kEntryFixed = 62;
constexpr std::uint16_t kFlagExtended = 0x4000;
constexpr std::uint16_t kFlagIntentToAdd = 0x2000;  // in the extended flags

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
std::uint16_t be16(const unsigned char* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

Error bad(std::size_t at, std::string_view what) {
  return Error::git(fmt::format("index: {} (at byte {})", what, at));
}

bool sha1_matches(std::string_view body, const unsigned char* want) {
  unsigned char got[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(body.data(), body.size(), got, &n, EVP_sha1(), nullptr) != 1 || n != 20) return false;
  return std::equal(got, got + 20, want);
}

// git's offset varint (varint.c): 7 bits per byte, high bit = more, +1 per continuation.
bool read_varint(const unsigned char*& p, const unsigned char* end, std::uint64_t& out) {
  if (p >= end) return false;
  unsigned char c = *p++;
  std::uint64_t v = c & 127;
  while (c & 128) {
    if (p >= end || v > (UINT64_MAX >> 8)) return false;
    c = *p++;
    v = ((v + 1) << 7) | (c & 127);
  }
  out = v;
  return true;
}

Status parse_cache_tree(const unsigned char* p, const unsigned char* end, std::size_t base,
                        std::vector<CacheTreeDir>& out) {
  // Pre-order: name NUL, "<entry_count> <subtrees>\n", then the id when entry_count >= 0.
  // A stack of (path, subtrees still to come) rebuilds the full paths.
  struct Open {
    std::string path;
    std::uint64_t remaining;
  };
  std::vector<Open> stack;
  const unsigned char* const start = p;
  auto number = [&](char stop, std::int64_t& v) -> bool {
    bool neg = false, any = false;
    if (p < end && *p == '-') {
      neg = true;
      ++p;
    }
    std::int64_t x = 0;
    while (p < end && *p >= '0' && *p <= '9') {
      x = x * 10 + (*p - '0');
      if (x > (std::int64_t{1} << 40)) return false;
      ++p;
      any = true;
    }
    if (!any || p >= end || *p != static_cast<unsigned char>(stop)) return false;
    ++p;
    v = neg ? -x : x;
    return true;
  };
  while (p < end) {
    const std::size_t at = base + static_cast<std::size_t>(p - start);
    const auto* nul = static_cast<const unsigned char*>(std::memchr(p, 0, static_cast<std::size_t>(end - p)));
    if (nul == nullptr) return bad(at, "cache tree: unterminated name");
    std::string name(reinterpret_cast<const char*>(p), static_cast<std::size_t>(nul - p));
    p = nul + 1;
    std::int64_t count = 0, subtrees = 0;
    if (!number(' ', count) || !number('\n', subtrees) || count < -1 || subtrees < 0)
      return bad(at, "cache tree: malformed counts");
    CacheTreeDir d;
    d.entry_count = static_cast<std::int32_t>(std::min<std::int64_t>(count, INT32_MAX));
    if (count >= 0) {
      if (end - p < 20) return bad(at, "cache tree: truncated id");
      std::copy(p, p + 20, d.id.begin());
      p += 20;
    }
    if (stack.empty()) {
      if (!out.empty()) return bad(at, "cache tree: more than one root");
      if (!name.empty()) return bad(at, "cache tree: the root has a name");
      d.path = "";
    } else {
      if (name.empty() || name.find('/') != std::string::npos)
        return bad(at, "cache tree: bad directory name");
      Open& parent = stack.back();
      --parent.remaining;
      d.path = parent.path.empty() ? name : parent.path + "/" + name;
    }
    out.push_back(d);
    stack.push_back({d.path, static_cast<std::uint64_t>(subtrees)});
    while (!stack.empty() && stack.back().remaining == 0) stack.pop_back();
    if (stack.empty() && p != end) return bad(at, "cache tree: data after the root's subtrees");
  }
  if (!stack.empty()) return bad(base + static_cast<std::size_t>(end - start), "cache tree: truncated");
  return Status::ok();
}

}  // namespace

Result<IndexFile> parse_index_file(std::string_view data, bool verify_checksum) {
  const auto* const b = reinterpret_cast<const unsigned char*>(data.data());
  if (data.size() < kHeader + kTrailer) return bad(0, "file too short");
  if (data.substr(0, 4) != "DIRC") return bad(0, "not an index file (no DIRC signature)");
  IndexFile ix;
  ix.version = be32(b + 4);
  if (ix.version < 2 || ix.version > 4) return bad(4, fmt::format("unsupported version {}", ix.version));
  const std::uint32_t n = be32(b + 8);
  const std::size_t body = data.size() - kTrailer;
  if (n > kMaxIndexEntries || n > (body - kHeader) / (kEntryFixed + 2))  // >= 64 bytes per entry
    return bad(8, fmt::format("entry count {} does not fit the file", n));
  if (verify_checksum) {
    const unsigned char* trailer = b + body;
    const bool skip_hash = std::all_of(trailer, trailer + kTrailer, [](unsigned char c) { return c == 0; });
    if (!skip_hash && !sha1_matches(data.substr(0, body), trailer))
      return bad(body, "checksum mismatch (corrupt or concurrently written index)");
  }

  ix.entries.reserve(n);
  std::size_t off = kHeader;
  std::string prev;  // version 4: paths are prefix-compressed against the previous one
  std::size_t empty_path_at = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::size_t start = off;
    if (body - off < kEntryFixed) return bad(off, "truncated entry");
    IndexEntry e;
    e.mode = be32(b + off + 24);
    std::copy(b + off + 40, b + off + 60, e.id.begin());
    const std::uint16_t flags = be16(b + off + 60);
    e.stage = static_cast<std::uint8_t>((flags >> 12) & 3);
    off += kEntryFixed;
    if (flags & kFlagExtended) {
      if (ix.version < 3) return bad(start, "extended flags in a version 2 index");
      if (body - off < 2) return bad(off, "truncated extended flags");
      e.intent_to_add = (be16(b + off) & kFlagIntentToAdd) != 0;
      off += 2;
    }
    if (ix.version == 4) {
      const unsigned char* p = b + off;
      std::uint64_t strip = 0;
      if (!read_varint(p, b + body, strip) || strip > prev.size()) return bad(off, "bad path prefix length");
      off = static_cast<std::size_t>(p - b);
      const void* nul = std::memchr(b + off, 0, body - off);
      if (nul == nullptr) return bad(off, "unterminated path");
      const std::size_t len = static_cast<std::size_t>(static_cast<const unsigned char*>(nul) - (b + off));
      e.path.reserve(prev.size() - strip + len);
      e.path.assign(prev, 0, prev.size() - static_cast<std::size_t>(strip));
      e.path.append(data.data() + off, len);
      off += len + 1;
      prev = e.path;
    } else {
      const void* nul = std::memchr(b + off, 0, body - off);
      if (nul == nullptr) return bad(off, "unterminated path");
      const std::size_t len = static_cast<std::size_t>(static_cast<const unsigned char*>(nul) - (b + off));
      e.path.assign(data.data() + off, len);
      // 1-8 NUL bytes pad the entry to a multiple of 8 bytes.
      const std::size_t size = (off - start + len + 8) & ~std::size_t{7};
      if (size > body - start) return bad(start, "truncated entry padding");
      off = start + size;
    }
    // A split index stores entries that replace shared-index entries with an empty name; it
    // is only valid with the "link" extension, checked below.
    if (e.path.empty() && empty_path_at == 0) empty_path_at = start;
    ix.entries.push_back(std::move(e));
  }

  // Extensions: 4-byte signature, 4-byte size, data. Upper-case first letter = optional.
  while (off < body) {
    if (body - off < 8) return bad(off, "truncated extension header");
    const std::string sig(data.substr(off, 4));
    const std::uint32_t size = be32(b + off + 4);
    if (size > body - off - 8)
      return bad(off, "extension '" + escape_for_terminal(sig) + "' runs past the end");
    const std::size_t ext = off + 8;
    if (sig == "TREE") {
      if (auto s = parse_cache_tree(b + ext, b + ext + size, ext, ix.cache_tree); !s) return s.error();
    } else if (!(sig[0] >= 'A' && sig[0] <= 'Z')) {
      ix.unsupported.push_back(sig);
    }
    off = ext + size;
  }
  if (empty_path_at != 0 &&
      std::find(ix.unsupported.begin(), ix.unsupported.end(), "link") == ix.unsupported.end())
    return bad(empty_path_at, "empty path");
  return ix;
}

}  // namespace glpatrol::git
