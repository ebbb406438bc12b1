#include "sources/fs_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "matcher/to_finding.h"

namespace glpatrol {

namespace {

/// Owns one file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  int get() const { return fd_; }

 private:
  int fd_;
};

/// Owns one DIR*.
class Dir {
 public:
  explicit Dir(DIR* d) : d_(d) {}
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
  ~Dir() { if (d_) ::closedir(d_); }
  DIR* get() const { return d_; }

 private:
  DIR* d_;
};

std::string join(const std::string& dir, const char* name) {
  if (dir == ".") return name;
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

const char* special_reason(mode_t m) {
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  if (S_ISCHR(m)) return "char-device";
  if (S_ISBLK(m)) return "block-device";
  return "special-file";
}

}  // namespace

bool path_excluded(std::string_view path, const std::vector<std::string>& globs) {
  if (globs.empty()) return false;
  const std::string p(path);
  for (const auto& g : globs) {
    if (fnmatch(g.c_str(), p.c_str(), 0) == 0) return true;
    for (std::size_t pos = p.find('/'); pos != std::string::npos; pos = p.find('/', pos + 1))
      if (fnmatch(g.c_str(), p.c_str() + pos + 1, 0) == 0) return true;
  }
  return false;
}

Status check_roots(const std::vector<std::string>& roots) {
  for (const auto& r : roots) {
    struct stat st{};
    if (::lstat(r.c_str(), &st) != 0)
      return Error::usage(r + ": " + std::strerror(errno));
  }
  return Status::ok();
}

void walk_paths(const std::vector<std::string>& roots, const FsOptions& opts, ScanStats& stats,
                const std::function<void(FileRef)>& emit) {
  std::set<std::pair<dev_t, ino_t>> visited;  // directories entered, for loop detection
  std::vector<std::string> stack;
  for (const auto& root : roots) {
    struct stat st{};
    // Roots named on the command line are followed even when they are symlinks.
    if (::stat(root.c_str(), &st) != 0) {
      stats.skip({root, "unreadable", std::strerror(errno), true});
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      stack.push_back(root);
    } else if (S_ISREG(st.st_mode)) {
      struct stat lst{};
      const bool link = ::lstat(root.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
      emit({root, link});
    } else {
      stats.skip({root, special_reason(st.st_mode), "not a regular file", false});
    }
  }
  while (!stack.empty()) {
    const std::string dir = std::move(stack.back());
    stack.pop_back();
    struct stat dst{};
    if (::stat(dir.c_str(), &dst) == 0) {
      if (!visited.insert({dst.st_dev, dst.st_ino}).second) {
        stats.skip({dir, "symlink-loop", "directory already visited", false});
        continue;
      }
    }
    Dir d(::opendir(dir.c_str()));
    if (d.get() == nullptr) {
      stats.skip({dir, "unreadable", std::strerror(errno), true});
      continue;
    }
    std::vector<std::string> subdirs;
    while (true) {
      errno = 0;
      const dirent* e = ::readdir(d.get());
      if (e == nullptr) {
        if (errno != 0) stats.skip({dir, "unreadable", std::strerror(errno), true});
        break;
      }
      const char* name = e->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      std::string path = join(dir, name);
      unsigned char type = e->d_type;
      mode_t mode = 0;
      if (type == DT_UNKNOWN) {
        struct stat st{};
        if (::lstat(path.c_str(), &st) != 0) {
          stats.skip({path, "unreadable", std::strerror(errno), true});
          continue;
        }
        mode = st.st_mode;
        type = S_ISDIR(mode) ? DT_DIR : S_ISREG(mode) ? DT_REG : S_ISLNK(mode) ? DT_LNK : DT_FIFO;
      }
      if (path_excluded(path, opts.exclude_globs)) {
        stats.skip({path, "excluded", "matches an exclude glob", false});
        continue;
      }
      if (type == DT_LNK) {
        if (!opts.follow_symlinks) {
          stats.skip({path, "symlink", "not followed (use --follow-symlinks)", false});
          continue;
        }
        struct stat st{};
        if (::stat(path.c_str(), &st) != 0) {
          stats.skip({path, "broken-symlink", std::strerror(errno), false});
          continue;
        }
        if (S_ISDIR(st.st_mode)) subdirs.push_back(std::move(path));
        else if (S_ISREG(st.st_mode)) emit({std::move(path), true});
        else stats.skip({path, special_reason(st.st_mode), "symlink to a special file", false});
        continue;
      }
      if (type == DT_DIR) {
        if (!opts.scan_git_dir && std::strcmp(name, ".git") == 0) {
          stats.skip({path, "git-dir", "history is scanned by `glpatrol git`", false});
          continue;
        }
        subdirs.push_back(std::move(path));
      } else if (type == DT_REG) {
        emit({std::move(path), false});
      } else {
        struct stat st{};
        const mode_t m = mode ? mode : (::lstat(path.c_str(), &st) == 0 ? st.st_mode : S_IFIFO);
        stats.skip({path, special_reason(m), "not a regular file", false});
      }
    }
    // Depth-first, in directory order reversed so pops come out in readdir order.
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
  }
}

Utf16Kind detect_utf16(std::string_view b) {
  if (b.size() >= 2 && b[0] == '\xff' && b[1] == '\xfe') return Utf16Kind::LittleEndian;
  if (b.size() >= 2 && b[0] == '\xfe' && b[1] == '\xff') return Utf16Kind::BigEndian;
  // No BOM: mostly-ASCII UTF-16 has NUL in every other byte.
  const std::size_t n = std::min<std::size_t>(b.size(), 4096) & ~std::size_t{1};
  if (n < 64) return Utf16Kind::None;
  // Text has no NUL at all: one vectorised memchr settles ~every file (the strided count
  // below was 15% of a directory scan's user CPU). Same answer: no NUL means no parity wins.
  if (std::memchr(b.data(), '\0', n) == nullptr) return Utf16Kind::None;
  std::size_t even_nul = 0, odd_nul = 0;
  for (std::size_t i = 0; i < n; i += 2) {
    even_nul += b[i] == '\0';
    odd_nul += b[i + 1] == '\0';
  }
  const std::size_t units = n / 2;
  if (odd_nul * 10 >= units * 7 && even_nul * 20 <= units) return Utf16Kind::LittleEndian;
  if (even_nul * 10 >= units * 7 && odd_nul * 20 <= units) return Utf16Kind::BigEndian;
  return Utf16Kind::None;
}

std::string narrow_utf16(std::string_view b, Utf16Kind kind) {
  std::string out;
  if (kind == Utf16Kind::None) return out;
  const std::size_t start = (b.size() >= 2 && ((b[0] == '\xff' && b[1] == '\xfe') ||
                                               (b[0] == '\xfe' && b[1] == '\xff'))) ? 2 : 0;
  out.reserve(b.size() / 2);
  for (std::size_t i = start; i + 1 < b.size(); i += 2) {
    const char lo = kind == Utf16Kind::LittleEndian ? b[i] : b[i + 1];
    const char hi = kind == Utf16Kind::LittleEndian ? b[i + 1] : b[i];
    // ASCII code units keep their byte; anything else becomes one non-token character, so
    // positions stay one per code unit (lines and columns remain right).
    out += (hi == '\0' && static_cast<unsigned char>(lo) < 0x80) ? lo : '\x01';
  }
  return out;
}

void scan_utf16(std::string_view content, FileScanState& st, const std::string& path,
                const std::function<void(Finding)>& sink) {
  const Utf16Kind kind = detect_utf16(content);
  if (kind == Utf16Kind::None) return;
  const std::string narrow = narrow_utf16(content, kind);
  std::vector<LocatedMatch> found;
  if (!st.matcher.scan(narrow, found)) return;
  const std::uint64_t bom = content.size() - narrow.size() * 2 >= 2 ? 2 : 0;
  for (const auto& m : found) {
    Finding f = make_finding(st.matcher.db(), m);
    f.path = path;
    f.location_kind = "file";
    f.offset = bom + 2 * m.match.start;
    f.attributes.emplace_back("encoding", kind == Utf16Kind::LittleEndian ? "utf-16le" : "utf-16be");
    sink(std::move(f));
  }
}

void scan_file(const FileRef& file, const FsOptions& opts, FileScanState& st,
               ScanStats& stats, const std::function<void(Finding)>& sink) {
  const std::string& path = file.path;
  const int nofollow = file.via_symlink ? 0 : O_NOFOLLOW;
  Fd fd(::open(path.c_str(), O_RDONLY | nofollow | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    const int e = errno;
    if (e == ELOOP) stats.skip({path, "symlink", "replaced by a symlink during the scan", false});
    else stats.skip({path, "unreadable", std::strerror(e), true});
    return;
  }
  struct stat sb{};
  if (::fstat(fd.get(), &sb) != 0) {
    stats.skip({path, "unreadable", std::strerror(errno), true});
    return;
  }
  if (!S_ISREG(sb.st_mode)) {
    stats.skip({path, special_reason(sb.st_mode), "not a regular file", false});
    return;
  }
  const auto size = static_cast<std::uint64_t>(sb.st_size);
  if (opts.max_file_size != 0 && size > opts.max_file_size) {
    stats.skip({path, "size", std::to_string(size) + " bytes > --max-file-size", false});
    return;
  }
  st.matches.clear();
  constexpr std::uint64_t kWholeFile = 16u << 20;
  std::uint64_t bytes = 0;
  auto read_fd = [&](char* buf, std::size_t cap) -> long {
    return static_cast<long>(::read(fd.get(), buf, cap));
  };
  if (size <= kWholeFile) {
    // Read whole. One byte more than fstat said tells whether the file grew meanwhile; a
    // grown file is streamed from the bytes already read.
    const std::size_t want = static_cast<std::size_t>(size) + 1;
    char* data = st.buffer(want);
    std::size_t got = 0;
    bool error = false;
    while (got < want) {
      const ssize_t n = ::read(fd.get(), data + got, want - got);
      if (n < 0) {
        if (errno == EINTR) continue;
        stats.skip({path, "unreadable", std::strerror(errno), true});
        error = true;
        break;
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (error) return;
    if (got == want) {
      // Grew since fstat: stream the rest with the already-read prefix first.
      std::size_t pos = 0;
      const std::string prefix(data, got);
      auto r = st.matcher.scan_stream(
          [&](char* out, std::size_t cap) -> long {
            if (pos < prefix.size()) {
              const std::size_t n = std::min(cap, prefix.size() - pos);
              std::memcpy(out, prefix.data() + pos, n);
              pos += n;
              return static_cast<long>(n);
            }
            return read_fd(out, cap);
          },
          st.matches);
      if (!r) {
        stats.skip({path, "unreadable", r.error().message, true});
        return;
      }
      bytes = *r;
    } else {
      const std::string_view content(data, got);
      auto s = st.matcher.scan(content, st.matches);
      if (!s) {
        stats.skip({path, "scan-error", s.error().message, true});
        return;
      }
      bytes = got;
      scan_utf16(content, st, path, sink);
    }
  } else {
    auto r = st.matcher.scan_stream(read_fd, st.matches);
    if (!r) {
      stats.skip({path, "unreadable", r.error().message, true});
      return;
    }
    bytes = *r;
  }
  stats.files.fetch_add(1, std::memory_order_relaxed);
  stats.blobs.fetch_add(1, std::memory_order_relaxed);
  stats.bytes.fetch_add(bytes, std::memory_order_relaxed);
  for (const auto& m : st.matches) {
    Finding f = make_finding(st.matcher.db(), m);
    f.path = path;
    f.location_kind = "file";
    sink(std::move(f));
  }
}

}  // namespace glpatrol
