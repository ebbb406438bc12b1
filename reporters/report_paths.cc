#include "reporters/report_paths.h"

#include "common/encoding.h"

namespace glpatrol {

namespace {
std::string_view strip_dot_slash(std::string_view p) {
  while (p.size() > 2 && p[0] == '.' && p[1] == '/') {
    p.remove_prefix(2);
    while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  }
  return p;
}
}  // namespace

std::string relative_report_path(std::string_view path, const std::vector<std::string>& targets) {
  for (const auto& raw_target : targets) {
    std::string_view t = raw_target;
    while (t.size() > 1 && t.back() == '/') t.remove_suffix(1);
    if (t.empty() || t == ".") continue;
    if (path.size() > t.size() && path.substr(0, t.size()) == t &&
        (path[t.size()] == '/' || t.back() == '/')) {
      std::string_view rest = path.substr(t.size());
      while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
      if (!rest.empty()) return std::string(strip_dot_slash(rest));
    }
  }
  return std::string(strip_dot_slash(path));
}

std::string path_to_uri(std::string_view path) {
  std::string out;
  if (!path.empty() && path.front() == '/') out = "file://";
  out += percent_encode(path, "/");
  // A relative reference whose first segment contains ':' would parse as a scheme; we never
  // emit ':' unencoded, so "c:x" is already "c%3Ax".
  return out;
}

std::string stable_uuid(std::string_view key) {
  std::string h = sha256_hex(key).substr(0, 32);
  h[12] = '8';  // version 8 (custom)
  static constexpr char kVariant[] = "89ab";
  h[16] = kVariant[static_cast<unsigned char>(h[16]) % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20, 12);
}

}  // namespace glpatrol
