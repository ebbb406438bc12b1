#include "sources/git/pack_reader.h"

#include "common/byte_budget.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <list>
#include <optional>
#include <thread>
#include <unordered_map>

namespace glpatrol::git {

namespace {

constexpr std::uint8_t kCommit = 1, kBlob = 3, kTag = 4, kOfsDelta = 6, kRefDelta = 7;
constexpr int kMaxChain = 10000;                     // deeper chains are corruption
constexpr std::size_t kCacheBudget = 16u << 20;      // delta-base cache per worker
constexpr std::size_t kBulkReleaseEvery = 4u << 20;  // bulk pass: drop mapped pages after this much input
constexpr unsigned kBulkReleaseObjects = 256;        // ... or after this many objects
constexpr std::size_t kTreeHeld = 64u << 20;         // bulk pass: delta bases held per worker

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::uint64_t be64(const unsigned char* p) { return (std::uint64_t{be32(p)} << 32) | be32(p + 4); }

/// A read-only private mapping of a whole file.
class Mapping {
 public:
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (data_ != nullptr) ::munmap(const_cast<unsigned char*>(data_), size_);
  }
  bool open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
      ::close(fd);
      return false;
    }
    void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) return false;
    data_ = static_cast<const unsigned char*>(p);
    size_ = static_cast<std::size_t>(st.st_size);
    return true;
  }
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }
  /// Drops resident pages of [from, to) (they are re-read from the page cache if touched
  /// again), so RSS stays bounded while a multi-GB pack is streamed.
  void release(std::size_t from, std::size_t to) const {
    const std::size_t page = 4096;
    from = (from + page - 1) / page * page;
    to = to / page * page;
    if (to > from && to <= size_)
      ::madvise(const_cast<unsigned char*>(data_) + from, to - from, MADV_DONTNEED);
  }

 private:
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

/// libdeflate (about twice zlib's inflate speed) when the shared library is present: it is
/// looked up at run time so that building needs no extra package; zlib otherwise. Both check
/// the stream's Adler-32.
struct Libdeflate {
  using AllocFn = void* (*)();
  using FreeFn = void (*)(void*);
  using ZlibFn = int (*)(void*, const void*, std::size_t, void*, std::size_t, std::size_t*, std::size_t*);
  AllocFn alloc = nullptr;
  FreeFn release = nullptr;
  ZlibFn zlib = nullptr;
  bool ok() const { return alloc != nullptr && release != nullptr && zlib != nullptr; }
  static const Libdeflate& get() {
    static const Libdeflate lib = [] {
      Libdeflate l;
      void* h = ::dlopen("libdeflate.so.0", RTLD_NOW | RTLD_LOCAL);
      if (h == nullptr) return l;
      l.alloc = reinterpret_cast<AllocFn>(::dlsym(h, "libdeflate_alloc_decompressor"));
      l.release = reinterpret_cast<FreeFn>(::dlsym(h, "libdeflate_free_decompressor"));
      l.zlib = reinterpret_cast<ZlibFn>(::dlsym(h, "libdeflate_zlib_decompress_ex"));
      return l;
    }();
    return lib;
  }
};

/// An uninitialised byte buffer (decoded objects are fully overwritten; zero-filling 2 GB of
/// output would cost more than applying the deltas).
struct Buf {
  std::unique_ptr<char[]> p;
  std::size_t n = 0, cap = 0;
  ByteBudget::Lease lease;  ///< large buffers hold their bytes of the shared decode budget
  char* data() { return p.get(); }
  std::string_view view() const { return {p.get(), n}; }
  void reset(std::size_t size) {
    if (size > cap) {
      p.reset();
      lease.reset();
      // Leased before allocating: with every worker decoding huge delta results at once, the
      // budget (common/byte_budget.h) makes the later ones wait instead of multiplying memory.
      if (size >= kLeasedObjectMin) lease = decoded_object_budget().acquire(size);
      cap = size;
      p = std::make_unique_for_overwrite<char[]>(size == 0 ? 1 : size);
    }
    n = size;
  }
};

bool delta_header(std::string_view d, std::size_t& at, std::uint64_t& src, std::uint64_t& dst);
bool delta_apply(std::string_view base, std::string_view delta, std::size_t at, char* out, std::size_t size);

struct Header {
  std::uint8_t type = 0;
  std::uint64_t size = 0;                  // inflated size (for deltas: of the delta data)
  std::uint64_t data = 0;                  // offset of the zlib stream
  std::uint64_t base_offset = 0;           // OFS_DELTA
  const unsigned char* base_id = nullptr;  // REF_DELTA
};

}  // namespace

class PackFile {
 public:
  struct Entry {
    std::uint64_t offset = 0;
    std::uint64_t end = 0;  // next entry's offset (the zlib stream ends before it)
    std::uint32_t idx_pos = 0;
    std::int32_t base = -1;  // entry index of the delta base
    std::uint32_t dependents = 0;
    std::uint8_t raw_type = 0;
    std::uint8_t type = 0;  // after following deltas to their base
  };

  static std::unique_ptr<PackFile> open(const std::string& idx_path, const std::string& pack_path) {
    auto pf = std::unique_ptr<PackFile>(new PackFile());
    if (!pf->idx_.open(idx_path) || !pf->pack_.open(pack_path)) return nullptr;
    if (!pf->parse()) return nullptr;
    return pf;
  }

  const Mapping& pack() const { return pack_; }
  std::vector<Entry>& entries() { return entries_; }
  const std::vector<Entry>& const_entries() const { return entries_; }
  const unsigned char* oid_at(std::uint32_t pos) const {
    return idx_.data() + 8 + 1024 + std::size_t{pos} * 20;
  }

  /// The base id of a REF_DELTA entry whose base is not in this pack (nullptr otherwise).
  const unsigned char* external_base(std::uint32_t entry) const {
    auto it = external_.find(entry);
    return it == external_.end() ? nullptr : it->second;
  }
  /// The entry index of `id` in this pack, or -1.
  std::int64_t find_entry(const unsigned char* id) const { return find(id, pos_to_entry_); }
  const unsigned char* entry_oid(std::uint32_t entry) const { return oid_at(entries_[entry].idx_pos); }

  bool header(const Entry& e, Header& h) const {
    const unsigned char* p = pack_.data();
    std::uint64_t at = e.offset;
    const std::uint64_t end = e.end;
    if (at >= end) return false;
    unsigned c = p[at++];
    h.type = static_cast<std::uint8_t>((c >> 4) & 7);
    h.size = c & 15;
    unsigned shift = 4;
    while (c & 0x80) {
      if (at >= end || shift > 57) return false;
      c = p[at++];
      h.size |= std::uint64_t{c & 0x7f} << shift;
      shift += 7;
    }
    if (h.type == kOfsDelta) {
      if (at >= end) return false;
      c = p[at++];
      std::uint64_t rel = c & 0x7f;
      while (c & 0x80) {
        if (at >= end || rel > (std::uint64_t{1} << 56)) return false;
        c = p[at++];
        rel = ((rel + 1) << 7) | (c & 0x7f);
      }
      if (rel == 0 || rel > e.offset) return false;
      h.base_offset = e.offset - rel;
    } else if (h.type == kRefDelta) {
      if (at + 20 > end) return false;
      h.base_id = p + at;
      at += 20;
    } else if (h.type < kCommit || h.type > kTag) {
      return false;
    }
    h.data = at;
    return true;
  }

 private:
  PackFile() = default;

  bool parse() {
    const unsigned char* x = idx_.data();
    const std::size_t xs = idx_.size();
    if (xs < 8 + 1024 + 40 || std::memcmp(x, "\377tOc", 4) != 0 || be32(x + 4) != 2) return false;
    const std::uint32_t n = be32(x + 8 + 255 * 4);
    const std::size_t need = 8 + 1024 + std::size_t{n} * 28 + 40;
    if (xs < need) return false;
    const unsigned char* p = pack_.data();
    const std::size_t ps = pack_.size();
    if (ps < 12 + 20 || std::memcmp(p, "PACK", 4) != 0) return false;
    const std::uint32_t ver = be32(p + 4);
    if ((ver != 2 && ver != 3) || be32(p + 8) != n) return false;
    const unsigned char* offs = x + 8 + 1024 + std::size_t{n} * 24;
    const unsigned char* large = offs + std::size_t{n} * 4;
    const std::size_t n_large = (xs - need) / 8;
    entries_.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::uint64_t off = be32(offs + std::size_t{i} * 4);
      if (off & 0x80000000u) {
        const std::uint64_t li = off & 0x7fffffffu;
        if (li >= n_large) return false;
        const unsigned char* q = large + li * 8;
        off = (std::uint64_t{be32(q)} << 32) | be32(q + 4);
      }
      if (off < 12 || off >= ps - 20) return false;
      entries_[i].offset = off;
      entries_[i].idx_pos = i;
    }
    std::sort(entries_.begin(), entries_.end(),
              [](const Entry& a, const Entry& b) { return a.offset < b.offset; });
    std::vector<std::uint32_t>& pos_to_entry = pos_to_entry_;
    pos_to_entry.assign(n, 0);
    for (std::uint32_t i = 0; i < n; ++i) {
      entries_[i].end = i + 1 < n ? entries_[i + 1].offset : ps - 20;
      pos_to_entry[entries_[i].idx_pos] = i;
    }
    // Bases, dependents and final types. OFS_DELTA bases always precede their deltas;
    // REF_DELTA bases may not, hence the resolution loop below.
    bool unresolved = false;
    for (std::uint32_t i = 0; i < n; ++i) {
      Entry& e = entries_[i];
      Header h;
      if (!header(e, h)) continue;  // type 0: never decoded
      e.raw_type = h.type;
      if (h.type <= kTag) {
        e.type = h.type;
        continue;
      }
      std::int64_t base = -1;
      if (h.type == kOfsDelta) {
        auto it = std::lower_bound(entries_.begin(), entries_.begin() + i, h.base_offset,
                                   [](const Entry& a, std::uint64_t off) { return a.offset < off; });
        if (it != entries_.begin() + i && it->offset == h.base_offset) base = it - entries_.begin();
      } else {
        base = find(h.base_id, pos_to_entry);
        if (base < 0) external_.emplace(i, h.base_id);  // in another pack (or nowhere)
      }
      if (base < 0 || base == i) continue;
      e.base = static_cast<std::int32_t>(base);
      ++entries_[static_cast<std::size_t>(base)].dependents;
      if (entries_[static_cast<std::size_t>(base)].type != 0)
        e.type = entries_[static_cast<std::size_t>(base)].type;
      else
        unresolved = true;
    }
    for (int round = 0; unresolved && round < 64; ++round) {
      unresolved = false;
      for (auto& e : entries_)
        if (e.type == 0 && e.base >= 0) {
          e.type = entries_[static_cast<std::size_t>(e.base)].type;
          unresolved |= e.type == 0;
        }
    }
    // Reading every entry's header touched a page of the pack per entry: the whole pack would
    // stay resident (and count in RSS) until something released it.
    pack_.release(0, pack_.size());
    return true;
  }

  std::int64_t find(const unsigned char* id, const std::vector<std::uint32_t>& pos_to_entry) const {
    if (id == nullptr) return -1;
    const unsigned char* x = idx_.data();
    const std::uint32_t lo0 = id[0] == 0 ? 0 : be32(x + 8 + (id[0] - 1) * 4);
    std::uint32_t lo = lo0, hi = be32(x + 8 + id[0] * 4);
    // Ids compared by their first 8 bytes as one big-endian number (the order memcmp gives),
    // the rest only on a tie: the walk looks up every commit and tree it reads here.
    const std::uint64_t key = be64(id);
    while (lo < hi) {
      const std::uint32_t mid = lo + (hi - lo) / 2;
      const unsigned char* at = oid_at(mid);
      const std::uint64_t k = be64(at);
      const int c = k != key ? (k < key ? -1 : 1) : std::memcmp(at + 8, id + 8, 12);
      if (c == 0) return pos_to_entry[mid];
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    return -1;
  }

  Mapping idx_, pack_;
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> pos_to_entry_;                           ///< idx position -> entry index
  std::unordered_map<std::uint32_t, const unsigned char*> external_;  ///< REF_DELTA bases elsewhere
};

namespace {

/// One decoding thread: its own inflater, delta-base cache and reusable buffers.
class Decoder {
 public:
  Decoder(PackFile& pf, std::uint64_t max_size, std::size_t cache_budget = kCacheBudget)
      : pf_(pf), max_(max_size), budget_(cache_budget) {
    const Libdeflate& ld = Libdeflate::get();
    if (ld.ok()) ld_ = ld.alloc();
    ok_ = ld_ != nullptr || inflateInit(&zs_) == Z_OK;
    zlib_ = ld_ == nullptr && ok_;
  }
  ~Decoder() {
    if (ld_ != nullptr) Libdeflate::get().release(ld_);
    if (zlib_) inflateEnd(&zs_);
  }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  using Data = std::shared_ptr<const Buf>;

  /// Entry `i` decoded; an empty view when it cannot be decoded. Valid until the next call.
  std::optional<std::string_view> top(std::uint32_t i) {
    // The previous object's large buffers go back to the decode budget before this one is
    // decoded: a worker holding nothing waits for its turn (common/byte_budget.h).
    held_.reset();
    if (scratch_.cap >= kLeasedObjectMin) scratch_ = Buf();
    const auto& e = pf_.entries()[i];
    if (e.dependents > 0 || e.base >= 0) {  // part of a delta chain: go through the cache
      held_ = get(i);
      if (!held_) return std::nullopt;
      return held_->view();
    }
    if (!decode_into(i, 0, scratch_)) return std::nullopt;
    return scratch_.view();
  }

  /// Compressed bytes this decoder has inflated (the random-access reader releases the
  /// pages it touched after every 64 MiB).
  std::uint64_t inflated_input() const { return input_; }

  /// A buffer from this decoder's pool (see acquire()).
  Data buffer() { return acquire(); }
  /// Entry `i`, stored whole (not a delta), into `out`.
  bool whole(std::uint32_t i, Buf& out) {
    Header h;
    if (!ok_ || !pf_.header(pf_.entries()[i], h) || h.type > kTag || h.size > max_) return false;
    out.reset(static_cast<std::size_t>(h.size));
    return inflate_to(h.data, pf_.entries()[i].end, out.data(), out.n);
  }
  /// Entry `i`, a delta, applied to its base's bytes `base`, into `out`.
  bool delta(std::uint32_t i, std::string_view base, Buf& out) {
    Header h;
    if (!ok_ || !pf_.header(pf_.entries()[i], h) || h.type <= kTag || h.size > (max_ + (max_ >> 1) + 64))
      return false;
    delta_.reset(static_cast<std::size_t>(h.size));
    if (!inflate_to(h.data, pf_.entries()[i].end, delta_.data(), delta_.n)) return false;
    std::size_t at = 0;
    std::uint64_t src = 0, dst = 0;
    if (!delta_header(delta_.view(), at, src, dst) || src != base.size() || dst > max_) return false;
    out.reset(static_cast<std::size_t>(dst));
    return delta_apply(base, delta_.view(), at, out.data(), out.n);
  }

 private:
  Data get(std::uint32_t i, int depth = 0) {
    auto it = cache_.find(i);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.pos);
      return it->second.data;
    }
    if (depth > kMaxChain) return nullptr;
    Data d = acquire();
    if (!decode_into(i, depth, const_cast<Buf&>(*d))) return nullptr;
    if (pf_.entries()[i].dependents > 0 && d->n <= budget_ / 4) put(i, d);
    return d;
  }

  /// A buffer from this decoder's pool: decoded objects come and go by the thousand, and
  /// recycling their memory keeps malloc arenas (and RSS) from growing with every big blob.
  Data acquire() {
    Buf* b = nullptr;
    if (!pool_.empty()) {
      b = pool_.back().release();
      pool_.pop_back();
    } else {
      b = new Buf();
    }
    return Data(b, [this](const Buf* x) {
      auto* m = const_cast<Buf*>(x);
      if (pool_.size() < 4 && m->cap <= (1u << 20))
        pool_.emplace_back(m);
      else
        delete m;
    });
  }

  bool decode_into(std::uint32_t i, int depth, Buf& out) {
    const auto& e = pf_.entries()[i];
    if (e.base < 0) return whole(i, out);
    Data base = get(static_cast<std::uint32_t>(e.base), depth + 1);
    return base && delta(i, base->view(), out);
  }

  bool inflate_to(std::uint64_t from, std::uint64_t to, char* out, std::size_t size) {
    const unsigned char* in = pf_.pack().data() + from;
    const std::size_t in_len = static_cast<std::size_t>(to - from);
    input_ += in_len;
    if (ld_ != nullptr) {
      std::size_t used = 0, produced = 0;
      char dummy;
      const int rc = Libdeflate::get().zlib(ld_, in, in_len, size == 0 ? &dummy : out, size == 0 ? 1 : size,
                                            &used, &produced);
      return rc == 0 && produced == size;
    }
    if (size > 0xffffffffu || inflateReset(&zs_) != Z_OK) return false;
    char dummy;
    zs_.next_in = const_cast<Bytef*>(in);
    zs_.avail_in = static_cast<uInt>(std::min<std::size_t>(in_len, 0xffffffffu));
    zs_.next_out = reinterpret_cast<Bytef*>(size == 0 ? &dummy : out);
    zs_.avail_out = static_cast<uInt>(size == 0 ? 1 : size);
    const int rc = inflate(&zs_, Z_FINISH);
    return rc == Z_STREAM_END && zs_.total_out == size;
  }

  void put(std::uint32_t i, const Data& d) {
    const Buf* v = d.get();
    if (v == nullptr) return;
    lru_.push_front(i);
    cache_.emplace(i, Slot{d, lru_.begin()});
    bytes_ += v->n;
    while (bytes_ > budget_ && lru_.size() > 1) {
      const std::uint32_t victim = lru_.back();
      lru_.pop_back();
      auto it = cache_.find(victim);
      if (it == cache_.end()) continue;
      if (const Buf* old = it->second.data.get()) bytes_ -= old->n;
      cache_.erase(it);
    }
  }

  struct Slot {
    Data data;
    std::list<std::uint32_t>::iterator pos;
  };
  std::vector<std::unique_ptr<Buf>> pool_;  // declared first: outlives the cache below
  PackFile& pf_;
  std::uint64_t max_;
  std::size_t budget_;  ///< delta-base cache bytes
  void* ld_ = nullptr;
  z_stream zs_{};
  bool ok_ = false, zlib_ = false;
  Buf delta_, scratch_;
  Data held_;
  std::unordered_map<std::uint32_t, Slot> cache_;
  std::list<std::uint32_t> lru_;
  std::size_t bytes_ = 0;
  std::uint64_t input_ = 0;
};

bool read_varint(std::string_view d, std::size_t& at, std::uint64_t& v) {
  v = 0;
  unsigned shift = 0;
  while (true) {
    if (at >= d.size() || shift > 63) return false;
    const auto c = static_cast<unsigned char>(d[at++]);
    v |= std::uint64_t{c & 0x7fu} << shift;
    shift += 7;
    if ((c & 0x80) == 0) return true;
  }
}

}  // namespace

namespace {

bool delta_header(std::string_view d, std::size_t& at, std::uint64_t& src, std::uint64_t& dst) {
  return read_varint(d, at, src) && read_varint(d, at, dst);
}

bool delta_apply(std::string_view base, std::string_view delta, std::size_t at, char* out, std::size_t size) {
  std::size_t w = 0;
  while (at < delta.size()) {
    const auto op = static_cast<unsigned char>(delta[at++]);
    if (op & 0x80) {
      std::uint64_t off = 0, len = 0;
      for (unsigned b = 0; b < 4; ++b)
        if (op & (1u << b)) {
          if (at >= delta.size()) return false;
          off |= std::uint64_t{static_cast<unsigned char>(delta[at++])} << (8 * b);
        }
      for (unsigned b = 0; b < 3; ++b)
        if (op & (0x10u << b)) {
          if (at >= delta.size()) return false;
          len |= std::uint64_t{static_cast<unsigned char>(delta[at++])} << (8 * b);
        }
      if (len == 0) len = 0x10000;
      if (off + len > base.size() || w + len > size) return false;
      std::memcpy(out + w, base.data() + off, static_cast<std::size_t>(len));
      w += static_cast<std::size_t>(len);
    } else if (op != 0) {
      if (at + op > delta.size() || w + op > size) return false;
      std::memcpy(out + w, delta.data() + at, op);
      at += op;
      w += op;
    } else {
      return false;  // reserved opcode
    }
  }
  return w == size;
}

}  // namespace

bool apply_delta(std::string_view base, std::string_view delta, std::string& out, std::uint64_t max_size) {
  std::size_t at = 0;
  std::uint64_t src = 0, dst = 0;
  if (!delta_header(delta, at, src, dst) || src != base.size() || dst > max_size) return false;
  out.resize(static_cast<std::size_t>(dst));
  return delta_apply(base, delta, at, out.data(), out.size());
}

const char* inflate_backend() { return Libdeflate::get().ok() ? "libdeflate" : "zlib"; }

PackSet::PackSet() = default;
PackSet::PackSet(PackSet&&) noexcept = default;
PackSet& PackSet::operator=(PackSet&&) noexcept = default;
PackSet::~PackSet() = default;

PackSet PackSet::open(const std::string& objects_dir) {
  PackSet set;
  const std::string dir = objects_dir + "/pack/";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return set;
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".idx") == 0) names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    const std::string base = dir + n.substr(0, n.size() - 4);
    if (auto pf = PackFile::open(base + ".idx", base + ".pack")) set.packs_.push_back(std::move(pf));
  }
  return set;
}

std::vector<git_oid> PackSet::delta_cycles() const {
  // Every entry's delta base, within its pack or (a REF_DELTA) in another pack of the set, is
  // one edge; an entry whose chain comes back to itself, or reaches such an entry, can never
  // be decoded. One iterative pass over all entries of all packs.
  std::vector<git_oid> out;
  struct At {
    std::uint32_t pack, entry;
  };
  auto next = [this](At a) -> std::optional<At> {
    const PackFile& pf = *packs_[a.pack];
    const auto& e = pf.const_entries()[a.entry];
    if (e.base >= 0) return At{a.pack, static_cast<std::uint32_t>(e.base)};
    const unsigned char* id = pf.external_base(a.entry);
    if (id == nullptr) return std::nullopt;
    for (std::uint32_t q = 0; q < packs_.size(); ++q) {
      if (q == a.pack) continue;
      const std::int64_t j = packs_[q]->find_entry(id);
      if (j >= 0) return At{q, static_cast<std::uint32_t>(j)};
    }
    return std::nullopt;
  };
  std::vector<std::vector<std::uint8_t>> state(packs_.size());  // 0 unseen, 1 on chain, 2 fine, 3 cyclic
  for (std::size_t p = 0; p < packs_.size(); ++p) state[p].assign(packs_[p]->const_entries().size(), 0);
  std::vector<At> chain;
  for (std::uint32_t p = 0; p < packs_.size(); ++p) {
    for (std::uint32_t i = 0; i < state[p].size(); ++i) {
      if (state[p][i] != 0) continue;
      chain.clear();
      std::optional<At> cur = At{p, i};
      std::uint8_t verdict = 2;
      while (cur) {
        std::uint8_t& st = state[cur->pack][cur->entry];
        if (st == 1) {
          verdict = 3;  // back on this chain: a cycle
          break;
        }
        if (st != 0) {
          verdict = st;
          break;
        }
        st = 1;
        chain.push_back(*cur);
        cur = next(*cur);
      }
      for (const At& a : chain) {
        state[a.pack][a.entry] = verdict;
        if (verdict != 3) continue;
        git_oid id;
        std::memcpy(id.id, packs_[a.pack]->entry_oid(a.entry), 20);
        out.push_back(id);
      }
    }
  }
  return out;
}

struct PackObjects::Impl {
  const PackSet& set;
  std::uint64_t max_size;
  std::vector<std::unique_ptr<Decoder>> decoders;  ///< per pack, created on first use
  std::vector<std::uint64_t> released_at;          ///< per pack: inflated_input() at the last release
  unsigned reads_since_release = 0;  ///< each small object read touches a page or two of its own
};

PackObjects::PackObjects(const PackSet& set, std::uint64_t max_size)
    : impl_(std::make_unique<Impl>(Impl{set, max_size, {}, {}})) {
  impl_->decoders.resize(set.packs_.size());
  impl_->released_at.assign(set.packs_.size(), 0);
}

PackObjects::~PackObjects() = default;

bool PackObjects::read(const git_oid& id, git_object_t& type, std::string_view& data) {
  // Trees lie between blobs all over the pack: the pages read for them are dropped often
  // (after 8 MiB of input or 512 objects), so the walk's own mapping of a pack the blob pass
  // is streaming adds little to RSS.
  constexpr std::uint64_t kReleaseEvery = 8u << 20;
  constexpr std::size_t kWalkCache = 4u << 20;  // tree delta chains are short-lived
  for (std::size_t p = 0; p < impl_->set.packs_.size(); ++p) {
    PackFile& pf = *impl_->set.packs_[p];
    const std::int64_t i = pf.find_entry(id.id);
    if (i < 0) continue;
    const auto& e = pf.const_entries()[static_cast<std::size_t>(i)];
    if (e.type < kCommit || e.type > kTag) break;  // undecodable here (type unknown)
    auto& dec = impl_->decoders[p];
    if (!dec) dec = std::make_unique<Decoder>(pf, impl_->max_size, kWalkCache);
    auto got = dec->top(static_cast<std::uint32_t>(i));
    if (dec->inflated_input() - impl_->released_at[p] > kReleaseEvery || ++impl_->reads_since_release > 512) {
      pf.pack().release(0, pf.pack().size());
      impl_->released_at[p] = dec->inflated_input();
      impl_->reads_since_release = 0;
    }
    if (!got) break;
    type = static_cast<git_object_t>(e.type);  // pack type numbers are git_object_t's
    data = *got;
    return true;
  }
  return false;
}

std::uint64_t PackSet::blob_entries() const {
  std::uint64_t n = 0;
  for (const auto& p : packs_)
    for (const auto& e : p->entries())
      if (e.type == kBlob) ++n;
  return n;
}

namespace {

/// The bulk pass over one pack (PackSet::for_each_blob) in "index-pack order": every blob
/// stored whole is a root, and its deltas (and theirs) are resolved depth-first from it, so
/// each object is inflated once and each delta applied once, to a base still in memory. The
/// pack-order stream this replaced resolved each delta through a 16 MiB cache of recent bases,
/// and git orders a pack by recency, not by chain: on generated 0.5-1 GB histories it inflated
/// 3-6x the pack's bytes again (the bases it had evicted) and kept the whole pack resident.
///
/// Roots are handed out one at a time (a shared counter), so a file with thousands of
/// versions keeps one worker busy while the other takes the rest. A frame holds its object's
/// bytes only while it has children left; the last child replaces its parent on the stack, so
/// a linear chain holds two objects at a time. Beyond kTreeHeld bytes of held bases (or the
/// caller's held_bases) a subtree is decoded object by object through the Decoder's cache
/// instead (bounded memory whatever a crafted pack's fan-out). What is never reached (a delta
/// whose base is in another pack, a cycle, an undecodable entry and what depends on it) is
/// left to the libgit2 reader.
class DeltaForest {
 public:
  DeltaForest(PackFile& pf, std::uint64_t max_size, const PackSet::BlobFn& on_blob,
              const PackSet::SizeFn& on_too_big, std::size_t held_bases, std::atomic<std::uint64_t>& decoded)
      : pf_(pf),
        max_(max_size),
        on_blob_(on_blob),
        on_too_big_(on_too_big),
        held_max_(held_bases != 0 ? held_bases : kTreeHeld),
        decoded_(decoded) {
    const auto& es = pf.entries();
    const auto n = static_cast<std::uint32_t>(es.size());
    first_child_.assign(n, kNoEntry);
    next_sibling_.assign(n, kNoEntry);
    for (std::uint32_t i = n; i-- > 0;) {  // children in pack order
      const std::int32_t b = es[i].base;
      if (b < 0 || static_cast<std::uint32_t>(b) >= n) continue;
      next_sibling_[i] = first_child_[static_cast<std::uint32_t>(b)];
      first_child_[static_cast<std::uint32_t>(b)] = i;
    }
    for (std::uint32_t i = 0; i < n; ++i)
      if (es[i].base < 0 && es[i].raw_type == kBlob) roots_.push_back(i);
    heaviest_last();
  }

  /// One worker: takes roots until none are left.
  void work(unsigned w) {
    Worker wk{w, Decoder(pf_, max_)};
    for (std::size_t r; (r = next_root_.fetch_add(1, std::memory_order_relaxed)) < roots_.size();)
      tree(wk, roots_[r]);
  }

 private:
  static constexpr std::uint32_t kNoEntry = 0xffffffffu;

  /// Moves each object's child with the most descendants to the end of its child list. The
  /// last child replaces its parent on the stack, so the largest subtree is walked without its
  /// parent held, and a frame stays held only beside smaller subtrees: at most log2(objects)
  /// of them on a path (as a sort recurses into the smaller half first), where pack order
  /// held a base through all of a long first subtree.
  void heaviest_last() {
    const auto n = static_cast<std::uint32_t>(first_child_.size());
    std::vector<std::uint32_t> weight(n, 1), order;
    order.reserve(n);
    for (const std::uint32_t root : roots_) {  // preorder of every tree below a root
      std::vector<std::uint32_t> todo{root};
      while (!todo.empty()) {
        const std::uint32_t i = todo.back();
        todo.pop_back();
        order.push_back(i);
        for (std::uint32_t c = first_child_[i]; c != kNoEntry; c = next_sibling_[c]) todo.push_back(c);
      }
    }
    for (auto it = order.rbegin(); it != order.rend(); ++it) {  // children before parents
      const std::uint32_t i = *it;
      std::uint32_t heavy = kNoEntry, before_heavy = kNoEntry, prev = kNoEntry, last = kNoEntry;
      for (std::uint32_t c = first_child_[i]; c != kNoEntry; prev = c, c = next_sibling_[c]) {
        weight[i] += weight[c];
        if (heavy == kNoEntry || weight[c] > weight[heavy]) {
          heavy = c;
          before_heavy = prev;
        }
        last = c;
      }
      if (heavy == kNoEntry || heavy == last) continue;
      // Unlink `heavy` and append it after `last`.
      if (before_heavy == kNoEntry)
        first_child_[i] = next_sibling_[heavy];
      else
        next_sibling_[before_heavy] = next_sibling_[heavy];
      next_sibling_[last] = heavy;
      next_sibling_[heavy] = kNoEntry;
    }
  }

  struct Worker {
    unsigned index;
    Decoder dec;
    std::uint64_t released_at = 0;  ///< dec.inflated_input() at the last release
    unsigned since_release = 0;     ///< objects decoded since
  };

  /// Called after each object. The mapped pages read are dropped every few MiB of input or few
  /// hundred objects (a worker has then touched a few MiB of pages): the order is the chains',
  /// not the pack's, so there is no cursor to release behind, and on small packs (under
  /// 100 MB, where a byte-count alone would never trigger) the whole pack stayed resident.
  /// Pages come back from the page cache when touched again: a minor fault each.
  void decoded(Worker& wk) {
    if (wk.dec.inflated_input() - wk.released_at > kBulkReleaseEvery ||
        ++wk.since_release > kBulkReleaseObjects) {
      pf_.pack().release(0, pf_.pack().size());
      wk.released_at = wk.dec.inflated_input();
      wk.since_release = 0;
    }
  }

  void emit(Worker& wk, std::uint32_t i, std::string_view data) {
    decoded(wk);
    if (pf_.entries()[i].type != kBlob) return;
    git_oid id;
    std::memcpy(id.id, pf_.oid_at(pf_.entries()[i].idx_pos), GIT_OID_RAWSZ);
    on_blob_(wk.index, id, data);
    decoded_.fetch_add(1, std::memory_order_relaxed);
  }

  void tree(Worker& wk, std::uint32_t root) {
    Decoder& dec = wk.dec;
    Header h;
    if (!pf_.header(pf_.entries()[root], h)) return;
    if (h.size > max_) {  // too big to read: reported; its deltas are left to libgit2
      if (on_too_big_)
        on_too_big_(*reinterpret_cast<const git_oid*>(pf_.oid_at(pf_.entries()[root].idx_pos)), h.size);
      return;
    }
    Decoder::Data data = dec.buffer();
    if (!dec.whole(root, const_cast<Buf&>(*data))) return;
    emit(wk, root, data->view());
    struct Frame {
      std::uint32_t next;  ///< next child to resolve
      Decoder::Data data;  ///< this object's bytes, the base of its children
    };
    std::vector<Frame> stack;
    std::size_t held = 0;
    if (first_child_[root] != kNoEntry) {
      held += data->n;
      stack.push_back({first_child_[root], std::move(data)});
    }
    while (!stack.empty()) {
      const std::uint32_t c = stack.back().next;
      stack.back().next = next_sibling_[c];
      Decoder::Data base = stack.back().data;
      if (stack.back().next == kNoEntry) {  // the last child: its base is not needed after it
        held -= base->n;
        stack.pop_back();
      }
      Decoder::Data out = dec.buffer();
      const bool ok = dec.delta(c, base->view(), const_cast<Buf&>(*out));
      base.reset();
      if (!ok) continue;  // it and what depends on it: left to libgit2
      emit(wk, c, out->view());
      if (first_child_[c] == kNoEntry) continue;
      if (held + out->n > held_max_) {
        out.reset();
        by_cache(wk, c);
        continue;
      }
      held += out->n;
      stack.push_back({first_child_[c], std::move(out)});
    }
  }

  /// The descendants of `top` (already emitted), each decoded through the Decoder's cache.
  void by_cache(Worker& wk, std::uint32_t top) {
    std::vector<std::uint32_t> todo{first_child_[top]};
    while (!todo.empty()) {
      const std::uint32_t c = todo.back();
      todo.pop_back();
      if (next_sibling_[c] != kNoEntry) todo.push_back(next_sibling_[c]);
      if (auto data = wk.dec.top(c)) emit(wk, c, *data);
      if (first_child_[c] != kNoEntry) todo.push_back(first_child_[c]);
    }
  }

  PackFile& pf_;
  std::uint64_t max_;
  const PackSet::BlobFn& on_blob_;
  const PackSet::SizeFn& on_too_big_;
  std::size_t held_max_;
  std::atomic<std::uint64_t>& decoded_;
  std::vector<std::uint32_t> first_child_, next_sibling_, roots_;
  std::atomic<std::size_t> next_root_{0};
};

}  // namespace

std::uint64_t PackSet::for_each_blob(unsigned jobs, std::uint64_t max_size, const BlobFn& on_blob,
                                     const SizeFn& on_too_big, std::size_t held_bases) {
  if (jobs == 0) jobs = 1;
  std::atomic<std::uint64_t> decoded{0};
  for (auto& pp : packs_) {
    PackFile& pf = *pp;
    DeltaForest forest(pf, max_size, on_blob, on_too_big, held_bases, decoded);
    std::vector<std::thread> threads;
    for (unsigned w = 0; w < jobs; ++w) threads.emplace_back([&forest, w] { forest.work(w); });
    for (auto& t : threads) t.join();
    pf.pack().release(0, pf.pack().size());
  }
  return decoded.load();
}

}  // namespace glpatrol::git
