#include "matcher/routable.h"

#include "common/encoding.h"

namespace glpatrol {

namespace {

bool is_b36(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); }
bool is_b64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}
/// GitLab's prefix charset (application_setting.rb: /\A[a-zA-Z0-9_+=\/@:.-]+\z/).
bool is_prefix_char(char c) {
  return is_b64url(c) || c == '+' || c == '=' || c == '/' || c == '@' || c == ':' || c == '.';
}

std::string_view routing_key_name(char k) {
  switch (k) {
    case 'c':
      return "cell";
    case 'o':
      return "organization";
    case 'g':
      return "group";
    case 'p':
      return "project";
    case 'u':
      return "user";
    case 't':
      return "runner_type";
    default:
      return {};
  }
}

/// Decodes "k:v\nk:v" (values base36) into readable pairs; empty on any malformation.
std::vector<std::pair<std::string, std::string>> parse_routing(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  if (text.empty()) return out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(pos, nl - pos);
    if (line.size() < 3 || line[1] != ':') return {};
    const std::string_view name = routing_key_name(line[0]);
    const auto value = from_base36(line.substr(2));
    if (name.empty() || !value) return {};
    out.emplace_back(std::string(name), std::to_string(*value));
    pos = nl + 1;
    if (nl == text.size()) break;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> decode_payload(std::string_view body, bool versioned) {
  const auto bytes = base64url_decode(body);
  if (!bytes || bytes->size() < 18) return {};
  const auto last = static_cast<unsigned char>(bytes->back());
  if (versioned) {  // 16 random bytes | routing | u8(len(routing))
    if (bytes->size() != 16u + last + 1u) return {};
    return parse_routing(std::string_view(*bytes).substr(16, last));
  }
  // unversioned: routing | random bytes | u8(len(random))
  if (last == 0 || bytes->size() < last + 1u) return {};
  return parse_routing(std::string_view(*bytes).substr(0, bytes->size() - last - 1));
}

}  // namespace

std::optional<RoutableToken> find_routable_ending_at(std::string_view text, std::size_t end,
                                                     std::size_t min_start, std::size_t max_prefix) {
  if (end > text.size() || end < 37) return std::nullopt;
  for (std::size_t i = end - 9; i < end; ++i)
    if (!is_b36(text[i])) return std::nullopt;
  if (text[end - 10] != '.') return std::nullopt;
  const auto payload_len = from_base36(text.substr(end - 9, 2));
  if (!payload_len || *payload_len < 27 || *payload_len > 300) return std::nullopt;
  const std::string_view crc_text = text.substr(end - 7, 7);

  for (int shape = 0; shape < 2; ++shape) {
    const bool versioned = shape == 0;
    std::size_t body_end = end - 10;
    std::string version;
    if (versioned) {
      if (end < 13 || text[end - 13] != '.' || !is_b36(text[end - 12]) || !is_b36(text[end - 11])) continue;
      version = std::string(text.substr(end - 12, 2));
      body_end = end - 13;
    }
    if (body_end < *payload_len || body_end - *payload_len < min_start) continue;
    const std::size_t body_start = body_end - *payload_len;
    bool body_ok = true;
    for (std::size_t i = body_start; i < body_end && body_ok; ++i) body_ok = is_b64url(text[i]);
    if (!body_ok || *payload_len % 4 == 1) continue;

    std::optional<std::size_t> best;
    for (std::size_t p = 0; p <= max_prefix; ++p) {
      if (p > 0) {
        if (body_start < p || body_start - p < min_start) break;
        if (!is_prefix_char(text[body_start - p])) break;
      }
      const std::size_t start = body_start - p;
      const std::uint32_t crc = crc32(text.substr(start, end - 7 - start));
      if (to_base36(crc, 7) == crc_text) best = start;  // keep the longest valid prefix
    }
    if (!best) continue;
    RoutableToken t;
    t.start = *best;
    t.end = end;
    t.prefix = std::string(text.substr(*best, body_start - *best));
    t.versioned = versioned;
    t.version = version;
    t.routing = decode_payload(text.substr(body_start, *payload_len), versioned);
    return t;
  }
  return std::nullopt;
}

bool routable_crc_valid(std::string_view token) {
  const auto t = find_routable_ending_at(token, token.size(), 0, token.size());
  return t && t->start == 0;
}

}  // namespace glpatrol
