#include "sources/gitlab/url.h"

#include <cctype>

namespace glpatrol::gitlab {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<Origin> parse_origin(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  Origin o;
  o.scheme = lower(url.substr(0, sep));
  if (o.scheme != "https" && o.scheme != "http") return std::nullopt;
  std::string_view rest = url.substr(sep + 3);
  const auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port;
  if (authority.front() == '[') {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    o.host = lower(authority.substr(0, close + 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    o.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (o.host.empty()) return std::nullopt;
  if (port.empty()) {
    o.port = o.scheme == "https" ? 443 : 80;
  } else {
    if (port.size() > 5) return std::nullopt;
    unsigned p = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      p = p * 10 + static_cast<unsigned>(c - '0');
    }
    if (p == 0 || p > 65535) return std::nullopt;
    o.port = p;
  }
  return o;
}

bool same_origin(std::string_view url, std::string_view base) {
  const auto a = parse_origin(url), b = parse_origin(base);
  return a && b && *a == *b;
}

std::optional<std::string> link_next(std::string_view header) {
  // Entries are `<uri-reference>; param; param`, separated by commas outside <...>.
  std::size_t i = 0;
  while (i < header.size()) {
    const auto open = header.find('<', i);
    if (open == std::string_view::npos) return std::nullopt;
    const auto close = header.find('>', open + 1);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view target = header.substr(open + 1, close - open - 1);
    auto next_entry = header.find('<', close + 1);
    std::string_view params = header.substr(
        close + 1, (next_entry == std::string_view::npos ? header.size() : next_entry) - close - 1);
    // params: ; rel="next", (the trailing comma belongs to the separator)
    std::size_t p = 0;
    while (p < params.size()) {
      auto semi = params.find(';', p);
      if (semi == std::string_view::npos) break;
      auto stop = params.find_first_of(";,", semi + 1);
      std::string_view kv =
          trim(params.substr(semi + 1, (stop == std::string_view::npos ? params.size() : stop) - semi - 1));
      const auto eq = kv.find('=');
      if (eq != std::string_view::npos && lower(trim(kv.substr(0, eq))) == "rel") {
        std::string_view v = trim(kv.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        // rel may hold several space-separated relation types
        std::size_t s = 0;
        while (s <= v.size()) {
          auto sp = v.find(' ', s);
          if (lower(v.substr(s, sp == std::string_view::npos ? std::string_view::npos : sp - s)) == "next")
            return std::string(target);
          if (sp == std::string_view::npos) break;
          s = sp + 1;
        }
      }
      if (stop == std::string_view::npos || params[stop] == ',') break;
      p = stop;
    }
    i = next_entry == std::string_view::npos ? header.size() : next_entry;
  }
  return std::nullopt;
}

std::string snippet_ref(std::string_view raw_url) {
  // ".../-/snippets/<id>/raw/<ref>/<path>" (project) or ".../snippets/<id>/raw/<ref>/<path>"
  const auto sn = raw_url.find("snippets/");
  if (sn == std::string_view::npos) return {};
  const auto at = raw_url.find("/raw/", sn);
  if (at == std::string_view::npos) return {};
  std::string_view rest = raw_url.substr(at + 5);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return {};
  return std::string(rest.substr(0, slash));
}

}  // namespace glpatrol::gitlab
