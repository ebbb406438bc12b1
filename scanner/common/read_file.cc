#include "common/read_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace glpatrol {

Result<std::string> read_regular_file(const std::string& path, std::uint64_t max, std::string_view what) {
  const std::string w(what);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Error::io(path + ": cannot read " + w + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Error::io(path + ": " + w + " is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > max)
    return Error::io(path + ": " + w + " is too large (" + std::to_string(st.st_size) + " bytes, limit " +
                     std::to_string(max) + ")");
  std::ifstream in(path, std::ios::binary);
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  if (!in || !in.read(data.data(), static_cast<std::streamsize>(data.size())))
    return Error::io(path + ": cannot read " + w);
  return data;
}

}  // namespace glpatrol
