#include "reporters/report_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

namespace glpatrol {

namespace {

// Registry of temporary files, readable from a signal handler (fixed storage, atomics).
constexpr int kMaxTemps = 32;
std::array<std::array<char, 4096>, kMaxTemps> g_temp_paths{};
std::array<std::atomic<bool>, kMaxTemps> g_temp_used{};

int register_temp(const std::string& path) {
  if (path.size() >= 4096) return -1;
  for (int i = 0; i < kMaxTemps; ++i) {
    bool expected = false;
    if (g_temp_used[static_cast<std::size_t>(i)].load()) continue;
    std::memcpy(g_temp_paths[static_cast<std::size_t>(i)].data(), path.c_str(), path.size() + 1);
    if (g_temp_used[static_cast<std::size_t>(i)].compare_exchange_strong(expected, true)) return i;
  }
  return -1;
}

void unregister_temp(int slot) {
  if (slot >= 0) g_temp_used[static_cast<std::size_t>(slot)].store(false);
}

extern "C" void on_fatal_signal(int sig) {
  for (int i = 0; i < kMaxTemps; ++i)
    if (g_temp_used[static_cast<std::size_t>(i)].load())
      ::unlink(g_temp_paths[static_cast<std::size_t>(i)].data());
  ::_exit(128 + sig);
}

std::string dirname_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void install_signal_cleanup() {
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

Status check_report_path(const std::string& path) {
  if (path == "-") return Status::ok();
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) return Error::io(path + ": refusing to write a report through a symlink");
    if (!S_ISREG(st.st_mode)) return Error::io(path + ": exists and is not a regular file");
  }
  const std::string dir = dirname_of(path);
  struct stat dst {};
  if (::stat(dir.c_str(), &dst) != 0)
    return Error::io(path + ": cannot write a report there: " + dir + ": " + std::strerror(errno));
  if (!S_ISDIR(dst.st_mode))
    return Error::io(path + ": cannot write a report there: " + dir + " is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return Error::io(path + ": cannot write a report there: " + dir + ": " + std::strerror(errno));
  return Status::ok();
}

Result<std::unique_ptr<AtomicFile>> AtomicFile::create(const std::string& path) {
  if (auto s = check_report_path(path); !s) return s.error();
  const std::string dir = dirname_of(path);
  std::random_device rd;
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".glpatrol-%08x.tmp", rd());
    const auto slash = path.rfind('/');
    tmp = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + "." +
          path.substr(slash == std::string::npos ? 0 : slash + 1) + suffix;
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0)
    return Error::io(path + ": cannot create a temporary file in " + dir + ": " + std::strerror(errno));
  const int slot = register_temp(tmp);
  return std::unique_ptr<AtomicFile>(new AtomicFile(path, tmp, fd, slot));
}

AtomicFile::~AtomicFile() {
  if (done_) return;
  if (fd_ >= 0) ::close(fd_);
  ::unlink(tmp_.c_str());
  unregister_temp(slot_);
}

Status AtomicFile::fail(const std::string& what, int err) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_.c_str());
  unregister_temp(slot_);
  done_ = true;
  return Error::io(path_ + ": " + what + ": " + std::strerror(err));
}

Status AtomicFile::write(std::string_view content) {
  if (done_ || fd_ < 0) return Error::io(path_ + ": write after close");
  std::size_t off = 0;
  while (off < content.size()) {
    const ssize_t n = ::write(fd_, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write failed", errno);
    }
    off += static_cast<std::size_t>(n);
  }
  return Status::ok();
}

Status AtomicFile::commit() {
  if (done_ || fd_ < 0) return Error::io(path_ + ": commit after close");
  if (::fchmod(fd_, 0600) != 0) return fail("chmod failed", errno);
  if (::fsync(fd_) != 0) return fail("fsync failed", errno);
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) return fail("close failed", errno);
  // A symlink planted at `path` meanwhile is replaced, not followed (rename(2) replaces the
  // link itself), so the report never lands outside `path`.
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) return fail("rename failed", errno);
  unregister_temp(slot_);
  done_ = true;
  return Status::ok();
}

Status write_file_atomically(const std::string& path, std::string_view content) {
  if (path == "-") {
    std::fwrite(content.data(), 1, content.size(), stdout);
    std::fflush(stdout);
    return Status::ok();
  }
  auto file = AtomicFile::create(path);
  if (!file) return file.error();
  if (auto s = (*file)->write(content); !s) return s;
  return (*file)->commit();
}

}  // namespace glpatrol
