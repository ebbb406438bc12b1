#include "common/private_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace glpatrol {

Result<std::string> prepare_private_dir(std::string dir, std::string_view what) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.empty()) return Error::usage(fmt::format("{}: the directory name is empty", what));
  // Parents as mkdir -p would make them; the directory itself is private.
  for (std::size_t i = 1; i < dir.size(); ++i)
    if (dir[i] == '/') ::mkdir(dir.substr(0, i).c_str(), 0700);
  ::mkdir(dir.c_str(), 0700);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return Error::io(fmt::format("{}: cannot create '{}'", what, dir));
  if (!S_ISDIR(st.st_mode))
    return Error::usage(fmt::format("{}: '{}' is not a directory (symlinks are refused)", what, dir));
  if (st.st_uid != ::geteuid())
    return Error::usage(fmt::format("{}: '{}' belongs to another user", what, dir));
  // Someone else could have written its files: nothing in it can be trusted.
  if ((st.st_mode & 022) != 0)
    return Error::usage(
        fmt::format("{}: '{}' is writable by group or others (mode {:o}); its contents are not trusted", what,
                    dir, st.st_mode & 07777));
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0)
    return Error::io(fmt::format("{}: cannot make '{}' private (mode 0700)", what, dir));
  return dir;
}

}  // namespace glpatrol
