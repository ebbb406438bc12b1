#include "decode/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace glpatrol::decode {

std::string_view to_string(ContainerKind k) {
  switch (k) {
    case ContainerKind::None:
      return "none";
    case ContainerKind::Zip:
      return "zip";
    case ContainerKind::Tar:
      return "tar";
    case ContainerKind::Gzip:
      return "gzip";
    case ContainerKind::Bzip2:
      return "bzip2";
    case ContainerKind::Xz:
      return "xz";
    case ContainerKind::Zstd:
      return "zstd";
    case ContainerKind::SevenZip:
      return "7z";
    case ContainerKind::Rar:
      return "rar";
    case ContainerKind::Ar:
      return "ar";
    case ContainerKind::Cpio:
      return "cpio";
    case ContainerKind::Other:
      return "other";
  }
  return "none";
}

namespace {

bool starts(std::string_view s, std::string_view magic) { return s.substr(0, magic.size()) == magic; }

/// A tar header: POSIX/GNU magic, or an old (v7) header whose checksum verifies.
bool tar_header(std::string_view h) {
  if (h.size() < 512) return false;
  if (h.substr(257, 5) == "ustar") return true;
  if (h[0] == '\0') return false;
  // Checksum: octal at 148..155; the sum of all 512 bytes with that field read as spaces.
  std::uint64_t want = 0;
  std::size_t i = 148;
  while (i < 156 && h[i] == ' ') ++i;
  std::size_t digits = 0;
  for (; i < 156 && h[i] >= '0' && h[i] <= '7'; ++i, ++digits)
    want = want * 8 + static_cast<std::uint64_t>(h[i] - '0');
  if (digits == 0) return false;
  std::uint64_t sum = 0;
  for (std::size_t k = 0; k < 512; ++k) sum += (k >= 148 && k < 156) ? ' ' : static_cast<unsigned char>(h[k]);
  return sum == want;
}

}  // namespace

ContainerKind sniff_container(std::string_view h) {
  using namespace std::string_view_literals;
  if (starts(h, "PK\x03\x04"sv) || starts(h, "PK\x05\x06"sv) || starts(h, "PK\x07\x08PK\x03\x04"sv))
    return ContainerKind::Zip;
  if (h.size() >= 4 && starts(h, "\x1f\x8b\x08"sv) && (static_cast<unsigned char>(h[3]) & 0xe0) == 0)
    return ContainerKind::Gzip;
  if (h.size() >= 10 && starts(h, "BZh"sv) && h[3] >= '1' && h[3] <= '9' &&
      (h.substr(4, 6) == "\x31\x41\x59\x26\x53\x59"sv || h.substr(4, 6) == "\x17\x72\x45\x38\x50\x90"sv))
    return ContainerKind::Bzip2;
  if (starts(h, "\xfd\x37\x7a\x58\x5a\x00"sv)) return ContainerKind::Xz;
  if (starts(h, "\x28\xb5\x2f\xfd"sv)) return ContainerKind::Zstd;
  if (starts(h, "\x37\x7a\xbc\xaf\x27\x1c"sv)) return ContainerKind::SevenZip;
  if (starts(h, "Rar!\x1a\x07\x00"sv) || starts(h, "Rar!\x1a\x07\x01\x00"sv)) return ContainerKind::Rar;
  if (starts(h, "!<arch>\n"sv)) return ContainerKind::Ar;
  if (starts(h, "070701"sv) || starts(h, "070702"sv) || starts(h, "070707"sv)) return ContainerKind::Cpio;
  if (tar_header(h)) return ContainerKind::Tar;
  if (starts(h, "\x04\x22\x4d\x18"sv) || starts(h, "LZIP"sv) || starts(h, "\x1f\x9d"sv))
    return ContainerKind::Other;
  return ContainerKind::None;
}

namespace {

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

using SupportFn = int (*)(struct archive*);

/// The decompression filters libarchive implements in-process. A filter whose library was
/// not compiled in makes libarchive run an external program (archive_read_support_filter_*
/// returns ARCHIVE_WARN then): content from a scanned repository must never start a
/// process, so such filters are left out. Probed once.
const std::vector<SupportFn>& in_process_filters() {
  static const std::vector<SupportFn> filters = [] {
    std::vector<SupportFn> out;
    for (SupportFn f : {archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
                        archive_read_support_filter_xz, archive_read_support_filter_lzma,
                        archive_read_support_filter_lzip, archive_read_support_filter_zstd,
                        archive_read_support_filter_lz4, archive_read_support_filter_compress}) {
      ArchivePtr probe(archive_read_new());
      if (probe && f(probe.get()) == ARCHIVE_OK) out.push_back(f);
    }
    return out;
  }();
  return filters;
}

/// A reader with an explicit list of formats: never archive_read_support_format_all, whose
/// mtree reader opens the files an mtree spec names on the local disk.
ArchivePtr new_reader() {
  ArchivePtr a(archive_read_new());
  if (!a) return a;
  for (SupportFn f : in_process_filters()) f(a.get());
  for (SupportFn f :
       {archive_read_support_format_tar, archive_read_support_format_zip, archive_read_support_format_7zip,
        archive_read_support_format_rar, archive_read_support_format_rar5, archive_read_support_format_cpio,
        archive_read_support_format_ar,
        // A plain compressed stream (.log.gz) is one member; the raw format
        // bids lowest, so any real archive format inside wins.
        archive_read_support_format_raw})
    f(a.get());
  return a;
}

std::string archive_message(struct archive* a) {
  const char* m = archive_error_string(a);
  return m ? m : "damaged or truncated archive";
}

/// Stable reason for a libarchive error message.
std::string reason_for(const std::string& msg) {
  std::string lower = msg;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find("encrypt") != std::string::npos || lower.find("passphrase") != std::string::npos)
    return "encrypted";
  if (lower.find("truncat") != std::string::npos || lower.find("premature") != std::string::npos ||
      lower.find("unexpected end") != std::string::npos)
    return "truncated";
  if (lower.find("unsupported") != std::string::npos || lower.find("seek") != std::string::npos)
    return "unsupported";
  return "corrupt-archive";
}

/// The basename of `outer` without a compression suffix (.tgz-style suffixes become .tar).
std::string raw_member_name(std::string_view outer) {
  const std::size_t slash = outer.find_last_of('/');
  std::string base(slash == std::string_view::npos ? outer : outer.substr(slash + 1));
  const auto ends = [&](std::string_view suf) {
    if (base.size() <= suf.size()) return false;
    std::string_view tail = std::string_view(base).substr(base.size() - suf.size());
    return std::equal(tail.begin(), tail.end(), suf.begin(), suf.end(),
                      [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == y; });
  };
  for (std::string_view suf : {".tgz", ".tbz2", ".tbz", ".txz", ".tzst", ".tlz"})
    if (ends(suf)) return base.substr(0, base.size() - suf.size()) + ".tar";
  for (std::string_view suf :
       {".gz", ".gzip", ".bz2", ".bz", ".xz", ".lzma", ".lz", ".zst", ".zstd", ".lz4", ".z"})
    if (ends(suf)) return base.substr(0, base.size() - suf.size());
  return base.empty() ? std::string("data") : base;
}

/// Client side of archive_read_open for a stream source.
struct StreamSource {
  const ReadFn* read = nullptr;
  std::vector<char> buf = std::vector<char>(64u << 10);
  std::uint64_t consumed = 0;
  /// Zero bytes served once after the source's end. libarchive's streaming zip reader reads
  /// ahead past a member's data descriptor; when a truncated zip ends right there (the
  /// central directory is what got lost) it fails that member's last block without the
  /// look-ahead. After a complete zip the reader stops at the central directory and never
  /// sees the padding.
  std::size_t pad = 0;
};

la_ssize_t stream_read(struct archive* a, void* ud, const void** out) {
  auto* s = static_cast<StreamSource*>(ud);
  long n = -1;
  try {
    do {
      n = (*s->read)(s->buf.data(), s->buf.size());
    } while (n < 0 && errno == EINTR);
  } catch (...) {
    // Never let an exception unwind through libarchive's C frames.
    archive_set_error(a, EIO, "the source reader failed");
    return -1;
  }
  if (n < 0) {
    archive_set_error(a, errno, "read error: %s", std::strerror(errno));
    return -1;
  }
  if (n == 0 && s->pad > 0) {
    n = static_cast<long>(std::min(s->pad, s->buf.size()));
    std::memset(s->buf.data(), 0, static_cast<std::size_t>(n));
    s->pad = 0;
  }
  *out = s->buf.data();
  s->consumed += static_cast<std::uint64_t>(n);
  return n;
}

/// gzip through zlib, in front of libarchive. libarchive's own gzip filter drops the partly
/// filled 64 KiB output block when its input ends early, so a truncated .gz or .tar.gz lost
/// its last (often only) block, and it never checks the trailer's CRC-32. This reader hands
/// out every byte inflated before a truncation and reports it (and a CRC mismatch) as a
/// Fault after the members. Concatenated gzip members are one stream, as gzip -d reads them.
class Gunzip {
 public:
  explicit Gunzip(const ReadFn& source) : source_(source) {
    ok_ = inflateInit2(&zs_, 15 + 16) == Z_OK;  // gzip wrapper only
    if (!ok_) fail("corrupt-archive", "zlib could not be initialised");
  }
  ~Gunzip() {
    if (ok_) inflateEnd(&zs_);
  }
  Gunzip(const Gunzip&) = delete;
  Gunzip& operator=(const Gunzip&) = delete;

  long read(char* out, std::size_t cap) {
    if (done_ || cap == 0) return 0;
    const auto want = static_cast<uInt>(std::min<std::size_t>(cap, UINT_MAX));
    zs_.next_out = reinterpret_cast<Bytef*>(out);
    zs_.avail_out = want;
    while (zs_.avail_out == want && !done_) {
      const int r = inflate(&zs_, Z_NO_FLUSH);
      if (r == Z_STREAM_END) {
        // Another gzip member may follow (cat a.gz b.gz); anything else ends the stream.
        if (zs_.avail_in < 2 && !source_eof_) fill_more();
        if (zs_.avail_in >= 2 && zs_.next_in[0] == 0x1f && zs_.next_in[1] == 0x8b)
          inflateReset(&zs_);
        else
          done_ = true;
      } else if (r == Z_BUF_ERROR && zs_.avail_in == 0) {  // needs input
        if (source_eof_ || fill_more() == 0)
          fail("truncated", "the gzip stream ends early; the bytes before the cut were scanned");
      } else if (r != Z_OK) {
        fail("corrupt-archive", std::string("gzip: ") + (zs_.msg ? zs_.msg : "inflate failed"));
      }
    }
    return static_cast<long>(want - zs_.avail_out);
  }

  std::uint64_t consumed() const { return consumed_; }
  const std::string& reason() const { return reason_; }
  const std::string& detail() const { return detail_; }

 private:
  /// Appends source bytes after the unread input; returns how many.
  long fill_more() {
    if (zs_.avail_in > 0 && zs_.next_in != in_.data()) std::memmove(in_.data(), zs_.next_in, zs_.avail_in);
    zs_.next_in = in_.data();
    long n = -1;
    try {
      do {
        n = source_(reinterpret_cast<char*>(in_.data()) + zs_.avail_in, in_.size() - zs_.avail_in);
      } while (n < 0 && errno == EINTR);
    } catch (...) {
      n = -1;
    }
    if (n < 0) {
      fail("corrupt-archive", std::string("read error: ") + std::strerror(errno));
      source_eof_ = true;
      return 0;
    }
    if (n == 0) source_eof_ = true;
    zs_.avail_in += static_cast<uInt>(n);
    consumed_ += static_cast<std::uint64_t>(n);
    return n;
  }
  void fail(std::string reason, std::string detail) {
    if (done_) return;
    done_ = true;
    reason_ = std::move(reason);
    detail_ = std::move(detail);
  }

  const ReadFn& source_;
  z_stream zs_{};
  std::vector<Bytef> in_ = std::vector<Bytef>(64u << 10);
  std::uint64_t consumed_ = 0;
  bool ok_ = false, done_ = false, source_eof_ = false;
  std::string reason_, detail_;
};

/// One container being iterated: the accounting shared by member readers and skips.
class Walk {
 public:
  Walk(struct archive* a, const ArchiveLimits& limits, DecodeBudget& budget, const FaultFn& on_fault,
       std::function<std::uint64_t()> input_bytes, bool zip_seekable)
      : a_(a),
        limits_(limits),
        budget_(budget),
        on_fault_(on_fault),
        input_bytes_(std::move(input_bytes)),
        zip_seekable_(zip_seekable) {}

  void fault(std::string reason, std::string member, std::string detail) {
    if (on_fault_) on_fault_({std::move(reason), std::move(member), std::move(detail)});
  }

  /// Reads decompressed bytes of the current member, charging budget and ratio. Returns
  /// bytes read, or 0 at the member's end or when it cannot go on (state_ says why).
  long read(char* buf, std::size_t cap) {
    if (member_done_) return 0;
    const std::uint64_t member_left =
        member_read_ >= limits_.max_member_size ? 0 : limits_.max_member_size - member_read_;
    const std::uint64_t want = std::min<std::uint64_t>({cap, member_left, budget_.decoded_left()});
    if (want == 0) {
      if (cap == 0) return 0;
      member_done_ = true;
      if (budget_.decoded_left() == 0)
        stop("decoded-size", "the decoded-bytes budget of this blob is spent");
      else
        over_size_ = true;  // reported after the callback, with the member's name
      return 0;
    }
    const la_ssize_t n = archive_read_data(a_, buf, static_cast<std::size_t>(want));
    if (n <= 0) {
      member_done_ = true;
      if (n < 0) data_error(n);
      return 0;
    }
    charge(static_cast<std::uint64_t>(n));
    member_read_ += static_cast<std::uint64_t>(n);
    return static_cast<long>(n);
  }

  /// Moves past the rest of the current member. Decompressing is charged like reading (it is
  /// the same work); only seekable zip and uncompressed tar/cpio/ar skip without decoding.
  void skip_rest() {
    if (member_done_ || stopped_) return;
    member_done_ = true;
    const int format = archive_format(a_) & ARCHIVE_FORMAT_BASE_MASK;
    const bool plain = archive_filter_code(a_, 0) == ARCHIVE_FILTER_NONE;
    if ((zip_seekable_ && format == ARCHIVE_FORMAT_ZIP) ||
        (plain &&
         (format == ARCHIVE_FORMAT_TAR || format == ARCHIVE_FORMAT_CPIO || format == ARCHIVE_FORMAT_AR)))
      return;  // archive_read_next_header skips by offset
    std::vector<char> scratch(64u << 10);
    while (!stopped_) {
      const std::uint64_t want = std::min<std::uint64_t>(scratch.size(), budget_.decoded_left());
      if (want == 0) {
        stop("decoded-size", "the decoded-bytes budget of this blob is spent");
        return;
      }
      const la_ssize_t n = archive_read_data(a_, scratch.data(), static_cast<std::size_t>(want));
      if (n <= 0) {
        if (n < 0) data_error(n);
        return;
      }
      charge(static_cast<std::uint64_t>(n));
    }
  }

  void begin_member(std::string name) {
    name_ = std::move(name);
    member_read_ = 0;
    member_out_ = 0;
    member_done_ = false;
    over_size_ = false;
    data_fault_.clear();
  }

  /// Faults found while the member was read, reported after its callback returned.
  void end_member() {
    if (over_size_)
      fault("member-size", name_,
            "member larger than " + std::to_string(limits_.max_member_size) +
                " bytes; only its head was scanned");
    if (!data_fault_.empty()) fault(data_fault_, name_, data_detail_);
    if (!stop_reason_.empty() && !stop_reported_) {
      stop_reported_ = true;
      fault(stop_reason_, name_, stop_detail_);
    }
  }

  bool stopped() const { return stopped_; }
  const std::string& name() const { return name_; }

 private:
  /// Charges decompressed bytes to the blob's budget and checks the compression ratio. The
  /// ratio is the container's: the decompressed bytes of its members so far (less those of
  /// members skipped as bombs) against the compressed bytes read so far. A member's own
  /// compressed size is not knowable here (libarchive reads ahead, and an in-memory archive
  /// is all input from the start), and judging a member against zero input bytes called
  /// every member past the grace a bomb (a 54 KB changelog.gz of 1.5 MB was one). A bomb
  /// hidden among large ordinary members is still bounded by the member-size limit and the
  /// blob's decoded-bytes budget. A bomb member of a seekable zip is skipped and the next
  /// members are still read (a token must not hide behind a bomb); in a compressed stream
  /// nothing after it can be reached, so it stops.
  void charge(std::uint64_t n) {
    budget_.decoded += n;
    out_ += n;
    member_out_ += n;
    const std::uint64_t in = input_bytes_();
    const std::uint64_t counted = out_ - skipped_out_;
    if (counted > limits_.ratio_grace &&
        static_cast<double>(counted) >
            limits_.max_ratio * static_cast<double>(std::max<std::uint64_t>(in, 1))) {
      const std::string detail =
          "decompressed " + std::to_string(counted) + " bytes from " + std::to_string(in) + " (limit " +
          std::to_string(static_cast<std::uint64_t>(limits_.max_ratio)) + "x): a compression bomb";
      const bool zip = (archive_format(a_) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP;
      if (zip_seekable_ && zip && !member_done_) {
        member_done_ = true;
        skipped_out_ += member_out_;
        data_fault_ = "ratio";
        data_detail_ = detail + "; the member was skipped";
      } else {
        stop("ratio", detail);
      }
    }
  }
  void stop(std::string reason, std::string detail) {
    if (stopped_) return;
    stopped_ = true;
    member_done_ = true;
    stop_reason_ = std::move(reason);
    stop_detail_ = std::move(detail);
  }
  void data_error(la_ssize_t code) {
    const std::string msg = archive_message(a_);
    data_fault_ = reason_for(msg);
    data_detail_ = msg;
    if (code <= ARCHIVE_FATAL) stopped_ = true;  // libarchive cannot go on after FATAL
  }

  struct archive* a_;
  const ArchiveLimits& limits_;
  DecodeBudget& budget_;
  const FaultFn& on_fault_;
  std::function<std::uint64_t()> input_bytes_;
  bool zip_seekable_;
  std::string name_;
  std::uint64_t member_read_ = 0, out_ = 0, member_out_ = 0, skipped_out_ = 0;
  bool member_done_ = false, over_size_ = false, stopped_ = false, stop_reported_ = false;
  std::string data_fault_, data_detail_, stop_reason_, stop_detail_;
};

/// A zip end-of-central-directory record in the last 64 KiB + 22 bytes: libarchive then reads
/// the zip through its central directory and skips members by offset, without inflating.
bool has_zip_central_directory(std::string_view c) {
  using namespace std::string_view_literals;
  const std::size_t from = c.size() > (64u << 10) + 22 ? c.size() - (64u << 10) - 22 : 0;
  return c.find("PK\x05\x06"sv, from) != std::string_view::npos;
}

/// The member loop over an opened archive. `zip_seekable`: see has_zip_central_directory.
Status iterate(struct archive* a, std::string_view outer_name, const ArchiveLimits& limits,
               DecodeBudget& budget, const MemberFn& on_member, const FaultFn& on_fault,
               std::function<std::uint64_t()> input_bytes, bool zip_seekable,
               bool decompressed_outside = false, std::string* last_member = nullptr) {
  Walk walk(a, limits, budget, on_fault, std::move(input_bytes), zip_seekable);
  struct SaveName {
    const Walk& w;
    std::string* out;
    ~SaveName() {
      if (out) *out = w.name();
    }
  } save{walk, last_member};
  int retries = 0;
  for (bool first = true;; first = false) {
    struct archive_entry* entry = nullptr;
    const int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r == ARCHIVE_RETRY && ++retries < 64) continue;
    if (r < ARCHIVE_WARN || entry == nullptr) {
      // FAILED/FATAL on a header: libarchive cannot find the next member reliably.
      const std::string msg = archive_message(a);
      walk.fault(reason_for(msg), first ? std::string() : walk.name(), "after the last member read: " + msg);
      break;
    }
    retries = 0;
    if (first && !decompressed_outside && archive_format(a) == ARCHIVE_FORMAT_RAW &&
        archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE)
      return Status::ok();  // not compressed and no archive format: not a container
    if (++budget.members > budget.max_members) {
      walk.fault("members", "",
                 "more than " + std::to_string(budget.max_members) +
                     " archive members in this blob; the rest were not read");
      break;
    }
    const char* raw = archive_entry_pathname(entry);
    if (!raw) raw = archive_entry_pathname_utf8(entry);
    std::string name =
        archive_format(a) == ARCHIVE_FORMAT_RAW ? raw_member_name(outer_name) : std::string(raw ? raw : "");
    walk.begin_member(name);
    if (archive_entry_is_metadata_encrypted(entry) || archive_entry_is_data_encrypted(entry)) {
      walk.fault("encrypted", name, "encrypted member; not decrypted (no passphrase is tried)");
      walk.skip_rest();
      walk.end_member();
      if (walk.stopped()) break;
      continue;
    }
    // Regular files only; a hard link's data is in the member it links to.
    const bool regular = archive_entry_filetype(entry) == AE_IFREG || archive_format(a) == ARCHIVE_FORMAT_RAW;
    if (!regular || (archive_entry_hardlink(entry) != nullptr && archive_entry_size(entry) == 0)) {
      walk.skip_rest();
      walk.end_member();
      if (walk.stopped()) break;
      continue;
    }
    Member m;
    m.name = name;
    m.size_known = archive_entry_size_is_set(entry) != 0 && archive_format(a) != ARCHIVE_FORMAT_RAW;
    m.size =
        m.size_known ? static_cast<std::uint64_t>(std::max<la_int64_t>(archive_entry_size(entry), 0)) : 0;
    const ReadFn reader = [&walk](char* buf, std::size_t cap) { return walk.read(buf, cap); };
    const bool go_on = on_member(m, reader);
    walk.skip_rest();
    walk.end_member();
    if (!go_on || walk.stopped()) break;
  }
  return Status::ok();
}

}  // namespace

namespace {

/// Opens `source` (whose head sniffed as `kind`) with read callbacks and iterates it.
Status iterate_stream(const ReadFn& source, ContainerKind kind, std::string_view outer_name,
                      const ArchiveLimits& limits, DecodeBudget& budget, const MemberFn& on_member,
                      const FaultFn& on_fault) {
  std::optional<Gunzip> gunzip;
  ReadFn inflated;
  if (kind == ContainerKind::Gzip) {
    gunzip.emplace(source);
    inflated = [&gunzip](char* buf, std::size_t cap) { return gunzip->read(buf, cap); };
  }
  ArchivePtr a = new_reader();
  if (!a) return Error::internal("libarchive: out of memory");
  StreamSource src;
  src.read = gunzip ? &inflated : &source;
  src.pad = kind == ContainerKind::Zip ? 64 : 0;
  if (archive_read_open(a.get(), &src, nullptr, stream_read, nullptr) != ARCHIVE_OK) {
    // A well-formed gzip of nothing (man pages of empty scripts are such files) inflates to
    // zero bytes, which libarchive cannot name a format for: it holds nothing to scan.
    if (gunzip && gunzip->reason().empty() && src.consumed == 0) return Status::ok();
    const std::string msg = archive_message(a.get());
    if (on_fault) on_fault({reason_for(msg), "", msg});
    if (gunzip && !gunzip->reason().empty() && on_fault) on_fault({gunzip->reason(), "", gunzip->detail()});
    return Status::ok();
  }
  const auto input = [&] { return gunzip ? gunzip->consumed() : src.consumed; };
  std::string last;
  Status st = iterate(a.get(), outer_name, limits, budget, on_member, on_fault, input, false,
                      gunzip.has_value(), &last);
  if (gunzip && !gunzip->reason().empty() && on_fault) on_fault({gunzip->reason(), last, gunzip->detail()});
  return st;
}

}  // namespace

Status for_each_member(std::string_view content, std::string_view outer_name, const ArchiveLimits& limits,
                       DecodeBudget& budget, const MemberFn& on_member, const FaultFn& on_fault) {
  const ContainerKind kind = sniff_container(content.substr(0, kSniffBytes));
  if (kind == ContainerKind::None) return Status::ok();
  if (kind == ContainerKind::Gzip || (kind == ContainerKind::Zip && !has_zip_central_directory(content))) {
    // gzip goes through zlib (see Gunzip); a zip without its central directory (truncated)
    // is read through its local headers.
    std::size_t pos = 0;
    const ReadFn from_memory = [&](char* buf, std::size_t cap) -> long {
      const std::size_t n = std::min(cap, content.size() - pos);
      std::memcpy(buf, content.data() + pos, n);
      pos += n;
      return static_cast<long>(n);
    };
    return iterate_stream(from_memory, kind, outer_name, limits, budget, on_member, on_fault);
  }
  ArchivePtr a = new_reader();
  if (!a) return Error::internal("libarchive: out of memory");
  if (archive_read_open_memory(a.get(), content.data(), content.size()) != ARCHIVE_OK) {
    const std::string msg = archive_message(a.get());
    if (on_fault) on_fault({reason_for(msg), "", msg});
    return Status::ok();
  }
  const std::uint64_t size = content.size();
  return iterate(
      a.get(), outer_name, limits, budget, on_member, on_fault, [size] { return size; },
      kind == ContainerKind::Zip);
}

Status for_each_member(const ReadFn& source, std::string_view outer_name, const ArchiveLimits& limits,
                       DecodeBudget& budget, const MemberFn& on_member, const FaultFn& on_fault) {
  Peeked p = peek(source);
  const ContainerKind kind = sniff_container(p.head);
  if (kind == ContainerKind::None) return Status::ok();
  if (kind == ContainerKind::SevenZip) {
    // libarchive's 7z reader seeks to the header at the end of the file.
    if (on_fault)
      on_fault({"unsupported", "", "a 7z archive read as a stream (7z needs the whole content in memory)"});
    return Status::ok();
  }
  return iterate_stream(p.read, kind, outer_name, limits, budget, on_member, on_fault);
}

Peeked peek(ReadFn source, std::size_t n) {
  struct State {
    ReadFn source;
    std::string head;
    std::size_t pos = 0;
    int err = 0;  ///< errno of a read error met while peeking, returned after the head
  };
  auto st = std::make_shared<State>();
  st->source = std::move(source);
  st->head.resize(n);
  std::size_t got = 0;
  while (got < n) {
    long r = -1;
    do {
      r = st->source(st->head.data() + got, n - got);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      st->err = errno ? errno : EIO;
      break;
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  st->head.resize(got);
  Peeked out;
  out.head = st->head;
  out.read = [st](char* buf, std::size_t cap) -> long {
    if (st->pos < st->head.size()) {
      const std::size_t k = std::min(cap, st->head.size() - st->pos);
      std::copy_n(st->head.data() + st->pos, k, buf);
      st->pos += k;
      return static_cast<long>(k);
    }
    if (st->err != 0) {
      errno = st->err;
      return -1;
    }
    return st->source(buf, cap);
  };
  return out;
}

}  // namespace glpatrol::decode
