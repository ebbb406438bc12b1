#include "decode/lfs.h"

#include <limits>

namespace glpatrol::decode {

namespace {

bool is_oid(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_key(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  return true;
}

std::optional<std::uint64_t> parse_size(std::string_view v) {
  if (v.empty() || v.size() > 20) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return n;
}

}  // namespace

std::optional<LfsPointer> parse_lfs_pointer(std::string_view content) {
  if (content.empty() || content.size() > 1024) return std::nullopt;
  std::optional<std::string> oid;
  std::optional<std::uint64_t> size;
  std::string_view prev_key;
  bool first = true;
  std::size_t pos = 0;
  while (pos < content.size()) {
    std::size_t nl = content.find('\n', pos);
    if (nl == std::string_view::npos) nl = content.size();
    const std::string_view line = content.substr(pos, nl - pos);
    pos = nl + 1;
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return std::nullopt;
    const std::string_view key = line.substr(0, sp), value = line.substr(sp + 1);
    if (!is_key(key) || value.empty() || value.front() == ' ' || value.find('\r') != std::string_view::npos)
      return std::nullopt;
    if (first) {
      if (key != "version" ||
          (value != "https://git-lfs.github.com/spec/v1" && value != "https://hawser.github.com/spec/v1"))
        return std::nullopt;
      first = false;
      continue;
    }
    if (key == "version" || (!prev_key.empty() && key <= prev_key)) return std::nullopt;
    prev_key = key;
    if (key == "oid") {
      if (value.substr(0, 7) != "sha256:" || !is_oid(value.substr(7))) return std::nullopt;
      oid = std::string(value.substr(7));
    } else if (key == "size") {
      size = parse_size(value);
      if (!size) return std::nullopt;
    }
  }
  if (!oid || !size) return std::nullopt;
  return LfsPointer{std::move(*oid), *size};
}

std::string lfs_object_path(std::string_view common_dir, std::string_view oid) {
  if (!is_oid(oid)) return {};
  std::string out(common_dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += "lfs/objects/";
  out += oid.substr(0, 2);
  out += '/';
  out += oid.substr(2, 2);
  out += '/';
  out += oid;
  return out;
}

}  // namespace glpatrol::decode
