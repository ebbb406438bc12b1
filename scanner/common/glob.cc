#include "common/glob.h"

#include <fnmatch.h>

namespace glpatrol {

bool path_matches(std::string_view path, const std::string& glob) {
  const std::string p(path);
  if (fnmatch(glob.c_str(), p.c_str(), 0) == 0) return true;
  for (std::size_t pos = p.find('/'); pos != std::string::npos; pos = p.find('/', pos + 1))
    if (fnmatch(glob.c_str(), p.c_str() + pos + 1, 0) == 0) return true;
  return false;
}

bool path_excluded(std::string_view path, const std::vector<std::string>& globs) {
  for (const auto& g : globs)
    if (path_matches(path, g)) return true;
  return false;
}

}  // namespace glpatrol
