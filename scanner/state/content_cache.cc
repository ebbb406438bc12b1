#include "state/content_cache.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/encoding.h"

namespace glpatrol::state {

namespace {

using nlohmann::json;

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/// Lowercase hex (hex_encode) back to bytes; throws on anything else (a damaged row).
std::string hex_decode(const std::string& h) {
  if (h.size() % 2 != 0) throw std::invalid_argument("odd hex");
  std::string out(h.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(h[2 * i]), lo = nibble(h[2 * i + 1]);
    if (hi < 0 || lo < 0) throw std::invalid_argument("bad hex");
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

}  // namespace

std::optional<std::shared_ptr<const ContentMatches>> stored_matches(const std::string& text) {
  if (text.empty()) return std::shared_ptr<const ContentMatches>();
  auto m = matches_from_text(text);
  if (!m) return std::nullopt;
  return std::make_shared<const ContentMatches>(std::move(*m));
}

std::string matches_to_text(const ContentMatches& m) {
  json a = json::array();
  for (const ContentMatch& c : m.matches) {
    const LocatedMatch& l = c.located;
    json attrs = json::array();
    for (const auto& [k, v] : l.match.attributes) attrs.push_back({k, v});
    json chain = json::array();
    for (const auto& d : c.chain) chain.push_back({d.kind, hex_encode(d.member), d.offset});
    a.push_back({{"rule", l.match.rule},
                 {"start", l.match.start},
                 {"end", l.match.end},
                 {"secret_start", l.match.secret_start},
                 {"checksum", static_cast<int>(l.match.checksum)},
                 {"attributes", attrs},
                 {"secret", hex_encode(l.secret)},
                 {"pos", {l.line, l.column, l.end_line, l.end_column}},
                 {"inline_allow", static_cast<int>(l.inline_allow)},
                 {"chain", chain}});
  }
  return a.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<ContentMatches> matches_from_text(const std::string& text) {
  json a = json::parse(text, nullptr, false);
  if (!a.is_array() || a.empty()) return std::nullopt;
  ContentMatches out;
  try {
    for (const auto& j : a) {
      ContentMatch c;
      LocatedMatch& l = c.located;
      l.match.rule = j.at("rule").get<std::uint32_t>();
      l.match.start = j.at("start").get<std::uint64_t>();
      l.match.end = j.at("end").get<std::uint64_t>();
      l.match.secret_start = j.at("secret_start").get<std::uint64_t>();
      l.match.checksum = static_cast<Checksum>(j.at("checksum").get<int>());
      for (const auto& kv : j.at("attributes"))
        l.match.attributes.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
      l.secret = hex_decode(j.at("secret").get<std::string>());
      const auto& pos = j.at("pos");
      l.line = pos.at(0).get<std::uint64_t>();
      l.column = pos.at(1).get<std::uint64_t>();
      l.end_line = pos.at(2).get<std::uint64_t>();
      l.end_column = pos.at(3).get<std::uint64_t>();
      l.inline_allow = static_cast<InlineAllow>(j.at("inline_allow").get<int>());
      for (const auto& d : j.at("chain"))
        c.chain.push_back({d.at(0).get<std::string>(), hex_decode(d.at(1).get<std::string>()),
                           d.at(2).get<std::uint64_t>()});
      out.matches.push_back(std::move(c));
    }
  } catch (const std::exception&) {  // json or hex: a damaged row is scanned again
    return std::nullopt;
  }
  return out;
}

std::optional<std::shared_ptr<const ContentMatches>> ContentCache::peek(std::string_view id) const {
  std::string text;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = stored_.find(std::string(id));
    if (it == stored_.end()) return std::nullopt;
    text = it->second;
  }
  return stored_matches(text);
}

std::optional<std::shared_ptr<const ContentMatches>> ContentCache::find(std::string_view id) {
  auto matches = peek(id);
  if (!matches) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  ++hits_;
  return matches;
}

void ContentCache::add(std::string_view id, const std::shared_ptr<const ContentMatches>& matches) {
  std::string text = matches && !matches->empty() ? matches_to_text(*matches) : std::string();
  std::lock_guard<std::mutex> lock(mu_);
  added_.emplace_back(std::string(id), std::move(text));
}

std::uint64_t ContentCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

std::uint64_t ContentCache::added() const {
  std::lock_guard<std::mutex> lock(mu_);
  return added_.size();
}

Status ContentCache::save(StateDb& db) {
  std::vector<std::pair<std::string, std::string>> rows;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rows.swap(added_);
  }
  if (rows.empty()) return Status::ok();
  return db.put_contents(rows);
}

FileCache::FileCache(std::unordered_map<std::string, StateDb::FileRow> stored, std::int64_t scan_start_ns)
    : scan_start_ns_(scan_start_ns) {
  stored_.reserve(stored.size());
  while (!stored.empty()) {  // moved node by node: no copy of tens of thousands of paths
    auto node = stored.extract(stored.begin());
    stored_.emplace(std::move(node.key()), Stored{std::move(node.mapped()), false});
  }
}

std::string FileCache::signature(const struct stat& st) {
  return fmt::format("{}:{}:{}:{}.{:09}:{}.{:09}", static_cast<unsigned long long>(st.st_dev),
                     static_cast<unsigned long long>(st.st_ino), static_cast<long long>(st.st_size),
                     static_cast<long long>(st.st_mtim.tv_sec), static_cast<long>(st.st_mtim.tv_nsec),
                     static_cast<long long>(st.st_ctim.tv_sec), static_cast<long>(st.st_ctim.tv_nsec));
}

std::optional<std::shared_ptr<const ContentMatches>> FileCache::find(const std::string& path,
                                                                     const std::string& sig) {
  std::string text;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = stored_.find(path);
    if (it == stored_.end()) return std::nullopt;
    it->second.seen = true;
    if (it->second.row.sig != sig) return std::nullopt;
    text = it->second.row.matches;
  }
  auto matches = stored_matches(text);
  if (!matches) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  ++hits_;
  return matches;
}

void FileCache::add(const std::string& path, const struct stat& st,
                    const std::shared_ptr<const ContentMatches>& matches) {
  const auto ns = [](const timespec& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  };
  // Racily clean: not remembered, read again next time. A stored row for it holds an older
  // signature (its ctime has moved since), which can never match again.
  const bool racy = std::max(ns(st.st_mtim), ns(st.st_ctim)) >= scan_start_ns_ - kRacyWindowNs;
  std::string text = !racy && matches && !matches->empty() ? matches_to_text(*matches) : std::string();
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = stored_.find(path);
  if (it != stored_.end()) it->second.seen = true;
  if (!racy) added_.emplace_back(path, StateDb::FileRow{signature(st), std::move(text)});
}

std::uint64_t FileCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

std::uint64_t FileCache::added() const {
  std::lock_guard<std::mutex> lock(mu_);
  return added_.size();
}

Status FileCache::save(StateDb& db, const std::vector<std::string>& roots) {
  std::vector<std::pair<std::string, StateDb::FileRow>> rows;
  std::vector<std::string> removed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rows.swap(added_);
    const auto below = [&](const std::string& path) {
      for (const auto& r : roots) {
        if (path == r) return true;
        const std::string dir = r.size() > 1 && r.back() == '/' ? r : r + "/";
        if (path.compare(0, dir.size(), dir) == 0) return true;
      }
      return false;
    };
    for (const auto& [path, stored] : stored_)
      if (!stored.seen && below(path)) removed.push_back(path);
  }
  if (rows.empty() && removed.empty()) return Status::ok();
  return db.put_files(rows, removed);
}

}  // namespace glpatrol::state
