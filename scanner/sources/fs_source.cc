#include "sources/fs_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "common/encoding.h"
#include "common/glob.h"
#include "common/read_file.h"
#include "common/work_pool.h"
#include "state/content_cache.h"

namespace glpatrol {

namespace {

/// Owns one file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
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
  ~Dir() {
    if (d_) ::closedir(d_);
  }
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

Status check_roots(const std::vector<std::string>& roots) {
  for (const auto& r : roots) {
    struct stat st {};
    if (::lstat(r.c_str(), &st) != 0) return Error::usage(r + ": " + std::strerror(errno));
  }
  return Status::ok();
}

void walk_paths(const std::vector<std::string>& roots, const FsOptions& opts, ScanStats& stats,
                const std::function<void(FileRef)>& emit, const NameFn& on_name) {
  std::set<std::pair<dev_t, ino_t>> visited;  // directories entered, for loop detection
  std::vector<std::string> stack;
  for (const auto& root : roots) {
    struct stat st {};
    // Roots named on the command line are followed even when they are symlinks.
    if (::stat(root.c_str(), &st) != 0) {
      stats.skip({root, "unreadable", std::strerror(errno), true});
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      stack.push_back(root);
    } else if (S_ISREG(st.st_mode)) {
      struct stat lst {};
      const bool link = ::lstat(root.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
      emit({root, link});
    } else {
      stats.skip({root, special_reason(st.st_mode), "not a regular file", false});
    }
  }
  while (!stack.empty()) {
    const std::string dir = std::move(stack.back());
    stack.pop_back();
    struct stat dst {};
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
        struct stat st {};
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
      if (on_name) on_name(path, path.size() - std::strlen(name));
      if (type == DT_LNK) {
        if (!opts.follow_symlinks) {
          stats.skip({path, "symlink", "not followed (use --follow-symlinks)", false});
          continue;
        }
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) {
          stats.skip({path, "broken-symlink", std::strerror(errno), false});
          continue;
        }
        if (S_ISDIR(st.st_mode))
          subdirs.push_back(std::move(path));
        else if (S_ISREG(st.st_mode))
          emit({std::move(path), true});
        else
          stats.skip({path, special_reason(st.st_mode), "symlink to a special file", false});
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
        struct stat st {};
        const mode_t m = mode ? mode : (::lstat(path.c_str(), &st) == 0 ? st.st_mode : S_IFIFO);
        stats.skip({path, special_reason(m), "not a regular file", false});
      }
    }
    // Depth-first, in directory order reversed so pops come out in readdir order.
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
  }
}

char* FileScanner::buffer(std::size_t n) {
  if (n > cap_) {
    cap_ = std::max(n, cap_ * 2);
    buf_ = std::make_unique_for_overwrite<char[]>(cap_);
  }
  return buf_.get();
}

namespace {

/// `path` as an absolute path: the state's key, so the same file named from another
/// directory is the same row. Cheap (it runs for every file): the working directory is read
/// once and only leading "./" is folded; other spellings ("a/../a") are consistent keys too,
/// just not shared with the plain one.
std::string absolute(const std::string& path) {
  static const std::string cwd = [] {
    std::error_code ec;
    std::string c = std::filesystem::current_path(ec).string();
    return ec ? std::string() : c;
  }();
  if (path.empty() || path[0] == '/' || cwd.empty()) return path;
  std::string_view rest = path;
  while (rest.substr(0, 2) == "./") rest.remove_prefix(2);
  if (rest == ".") rest = {};
  std::string out = cwd;
  if (!rest.empty()) {
    if (out.back() != '/') out += '/';
    out += rest;
  }
  return out;
}

}  // namespace

bool FileScanner::replay(const FileRef& file, const std::string& key, ScanStats& stats) {
  // stat/lstat, not open: an unchanged file costs one system call. Nothing is read, so there
  // is no window between this check and a read to race with.
  if (!files_->stored(key)) return false;  // new: no stat before the open that reads it
  struct stat st {};
  const int rc = file.via_symlink ? ::stat(file.path.c_str(), &st) : ::lstat(file.path.c_str(), &st);
  if (rc != 0 || !S_ISREG(st.st_mode)) return false;
  auto known = files_->find(key, state::FileCache::signature(st));
  if (!known) return false;
  if (*known) {
    Provenance where;
    where.kind = SourceKind::File;
    where.path = file.path;
    std::vector<Finding> found;
    step_.findings(**known, where, found);
    for (auto& f : found) step_.sink().add(std::move(f));
  }
  stats.files.fetch_add(1, std::memory_order_relaxed);
  stats.blobs.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void FileScanner::scan(const FileRef& file, const FsOptions& opts, ScanStats& stats) {
  const std::string& path = file.path;
  const std::string key = files_ != nullptr ? absolute(path) : std::string();  // the state's row
  if (files_ != nullptr && replay(file, key, stats)) return;
  const int nofollow = file.via_symlink ? 0 : O_NOFOLLOW;
  Fd fd(::open(path.c_str(), O_RDONLY | nofollow | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    const int e = errno;
    if (e == ELOOP)
      stats.skip({path, "symlink", "replaced by a symlink during the scan", false});
    else
      stats.skip({path, "unreadable", std::strerror(e), true});
    return;
  }
  struct stat sb {};
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
  Provenance where;
  where.kind = SourceKind::File;
  where.path = path;
  constexpr std::uint64_t kWholeFile = 16u << 20;
  std::uint64_t bytes = 0;
  if (size <= kWholeFile) {
    char* data = buffer(static_cast<std::size_t>(size));
    std::size_t got = 0;
    while (got < size) {
      const ssize_t n = ::read(fd.get(), data + got, static_cast<std::size_t>(size) - got);
      if (n < 0) {
        if (errno == EINTR) continue;
        stats.skip({path, "unreadable", std::strerror(errno), true});
        return;
      }
      if (n == 0) break;  // shrank since fstat: scan what is there
      got += static_cast<std::size_t>(n);
    }
    const std::uint64_t faults_before = step_.faults();
    auto kept = step_.scan_kept(std::string_view(data, got), where);
    if (!kept) {
      stats.skip({path, "scan-error", kept.error().message, true});
      return;
    }
    // Remembered only when read whole and decoded without a fault (nothing was lost).
    if (files_ != nullptr && got == size && step_.faults() == faults_before) files_->add(key, sb, *kept);
    bytes = got;
  } else {
    // The size seen at open bounds the read: a file appended to while it is scanned (a log)
    // is a snapshot, not an endless stream.
    std::uint64_t left = size;
    auto r = step_.scan_stream(
        [&](char* buf, std::size_t cap) -> long {
          if (left == 0) return 0;
          const long n = static_cast<long>(::read(fd.get(), buf, std::min<std::uint64_t>(cap, left)));
          if (n > 0) left -= static_cast<std::uint64_t>(n);
          return n;
        },
        where);
    if (!r) {
      stats.skip({path, "unreadable", r.error().message, true});
      return;
    }
    bytes = *r;
  }
  stats.files.fetch_add(1, std::memory_order_relaxed);
  stats.blobs.fetch_add(1, std::memory_order_relaxed);
  stats.bytes.fetch_add(bytes, std::memory_order_relaxed);
}

Status FsSource::scan(ScanContext& ctx) {
  if (auto s = check_roots(roots_); !s) return s;
  // --state-dir: never trusted blindly, never fatal (state/state_db.h).
  std::unique_ptr<state::StateDb> db;
  std::unique_ptr<state::FileCache> files;
  if (!opts_.state_dir.empty()) {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    auto dir = state::prepare_state_dir(opts_.state_dir);
    auto opened = dir ? state::StateDb::open(*dir, sha256_hex("files\n" + state::content_scope_key(ctx)))
                      : Result<std::unique_ptr<state::StateDb>>(dir.error());
    if (opened) {
      db = std::move(*opened);
      files = std::make_unique<state::FileCache>(
          db->files(), static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec);
    } else {
      ctx.stats.warn("--state-dir not used: " + opened.error().message);
    }
  }
  // Steps are created up front so that an allocation failure is one error, not N.
  std::vector<std::unique_ptr<FileScanner>> scanners;
  for (unsigned i = 0; i < ctx.jobs(); ++i) {
    auto step = ctx.make_step();
    if (!step) return step.error();
    scanners.push_back(std::make_unique<FileScanner>(std::move(*step), files.get()));
  }
  std::size_t next = 0;
  WorkPool<FileScanner> pool(
      ctx.jobs(), [&] { return std::move(scanners[next++]); }, 4096);
  // Files go to the workers in batches: one queue operation per 32 files instead of per
  // file (the per-file futex traffic cost more than reading small files).
  constexpr std::size_t kBatch = 32;
  auto batch = std::make_shared<std::vector<FileRef>>();
  auto flush = [&] {
    if (batch->empty()) return;
    pool.push([this, &ctx, files = std::move(batch)](FileScanner& fs) {
      for (const FileRef& f : *files) fs.scan(f, opts_, ctx.stats);
    });
    batch = std::make_shared<std::vector<FileRef>>();
  };
  // Entry names are scanned on the walking thread, with a step of its own.
  auto names = ctx.make_step();
  if (!names) return names.error();
  walk_paths(
      roots_, opts_, ctx.stats,
      [&](FileRef file) {
        batch->push_back(std::move(file));
        if (batch->size() == kBatch) flush();
      },
      [&](const std::string& path, std::size_t name_at) {
        Provenance where;
        where.kind = SourceKind::Path;
        where.path = path;
        (void)names->scan(std::string_view(path).substr(name_at), where);
      });
  flush();
  pool.finish();
  if (files) {
    std::vector<std::string> roots;
    for (const auto& r : roots_) roots.push_back(absolute(r));
    if (auto saved = files->save(*db, roots); !saved) ctx.stats.warn("--state-dir: " + saved.error().message);
    ctx.stats.reused.fetch_add(files->hits(), std::memory_order_relaxed);
  }
  return Status::ok();
}

Status StdinSource::scan(ScanContext& ctx) {
  auto step = ctx.make_step();
  if (!step) return step.error();
  Provenance where;
  where.kind = SourceKind::Stdin;
  where.path = "<stdin>";
  auto r = step->scan_stream(
      [](char* buf, std::size_t cap) -> long { return static_cast<long>(::read(STDIN_FILENO, buf, cap)); },
      where);
  if (!r) {
    ctx.stats.skip({"<stdin>", "unreadable", r.error().message, true});
    return Status::ok();
  }
  ctx.stats.files.fetch_add(1);
  ctx.stats.blobs.fetch_add(1);
  ctx.stats.bytes.fetch_add(*r);
  return Status::ok();
}

Status MessageFileSource::scan(ScanContext& ctx) {
  constexpr std::uint64_t kMaxMessage = 16u << 20;
  auto text = read_regular_file(path_, kMaxMessage, "commit message file");
  if (!text) {
    ctx.stats.skip({path_, "unreadable", text.error().message, true});
    return Status::ok();
  }
  std::string_view msg = *text;
  // git's cut line (wt-status.c cut_line): the line itself and everything after it.
  constexpr std::string_view kScissors = " ------------------------ >8 ------------------------\n";
  for (std::size_t at = 0; (at = msg.find(kScissors, at)) != std::string_view::npos; ++at) {
    if (at >= 1 && (at == 1 || msg[at - 2] == '\n')) {  // "<comment char><scissors>" at a line start
      msg = msg.substr(0, at - 1);
      break;
    }
  }
  auto step = ctx.make_step();
  if (!step) return step.error();
  Provenance where;
  where.kind = SourceKind::CommitMessage;
  where.path = pseudo_path(SourceKind::CommitMessage, "pending");
  if (auto st = step->scan(msg, where); !st) {
    ctx.stats.skip({path_, "scan-error", st.error().message, true});
    return Status::ok();
  }
  ctx.stats.files.fetch_add(1);
  ctx.stats.bytes.fetch_add(msg.size());
  return Status::ok();
}

}  // namespace glpatrol
