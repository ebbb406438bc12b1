#include "verifier/cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>

#include "common/encoding.h"
#include "common/private_dir.h"
#include "common/time.h"

namespace glpatrol {

namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxFile = 16u << 20;
constexpr std::size_t kMaxText = 1024;

bool definitive(const std::string& s) {
  return s == "active" || s == "revoked" || s == "expired" || s == "invalid";
}

Json opt(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

std::optional<std::string> text(const Json& j, const char* k) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().size() > kMaxText)
    return std::nullopt;
  return it->get<std::string>();
}

Json to_json(const Verification& v) {
  Json j = {{"status", v.status},
            {"reason", v.reason},
            {"host", v.host},
            {"checked_at", v.checked_at},
            {"token_name", opt(v.token_name)},
            {"scopes", v.scopes},
            {"created_at", opt(v.created_at)},
            {"expires_at", opt(v.expires_at)},
            {"last_used_at", opt(v.last_used_at)},
            {"username", opt(v.username)},
            {"granular_scopes", v.granular_scopes}};
  if (v.user_id) j["user_id"] = *v.user_id;
  if (v.token_id) j["token_id"] = *v.token_id;
  if (v.is_admin) j["is_admin"] = *v.is_admin;
  if (v.reach) {
    auto list = [](const std::vector<ReachEntry>& es) {
      Json a = Json::array();
      for (const auto& e : es)
        a.push_back(
            {{"path", e.path}, {"access_level", e.access_level ? Json(*e.access_level) : Json(nullptr)}});
      return a;
    };
    j["reach"] = {{"method", v.reach->method},
                  {"groups", list(v.reach->groups)},
                  {"projects", list(v.reach->projects)},
                  {"groups_total", v.reach->groups_total},
                  {"projects_total", v.reach->projects_total},
                  {"truncated", v.reach->truncated},
                  {"note", v.reach->note}};
  }
  return j;
}

/// A cached reach, or nullopt when it is not exactly what to_json writes (bounded lists).
std::optional<Reach> reach_from_json(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  Reach r;
  auto method = text(j, "method");
  if (!method || (*method != "associations" && *method != "membership")) return std::nullopt;
  r.method = *method;
  r.note = text(j, "note").value_or("");
  for (const char* k : {"groups", "projects"}) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_array() || it->size() > kMaxReachEntries) return std::nullopt;
    for (const auto& e : *it) {
      auto path = e.is_object() ? text(e, "path") : std::nullopt;
      if (!path) return std::nullopt;
      ReachEntry re{*path, std::nullopt};
      if (auto l = e.find("access_level"); l != e.end() && l->is_number_integer()) {
        const auto level = l->get<std::int64_t>();
        if (level < 0 || level > 100) return std::nullopt;
        re.access_level = static_cast<int>(level);
      }
      (k[0] == 'g' ? r.groups : r.projects).push_back(std::move(re));
    }
  }
  for (const char* k : {"groups_total", "projects_total"}) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
    (k[0] == 'g' ? r.groups_total : r.projects_total) = it->get<std::uint64_t>();
  }
  if (auto it = j.find("truncated"); it != j.end() && it->is_boolean()) r.truncated = it->get<bool>();
  return r;
}

/// The entry back, or nullopt for anything that is not exactly what to_json writes.
std::optional<Verification> from_json(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  Verification v;
  auto st = text(j, "status");
  auto checked = text(j, "checked_at");
  if (!st || !definitive(*st) || !checked) return std::nullopt;
  v.status = *st;
  v.checked_at = *checked;
  v.reason = text(j, "reason").value_or("");
  v.host = text(j, "host").value_or("");
  v.token_name = text(j, "token_name");
  v.created_at = text(j, "created_at");
  v.expires_at = text(j, "expires_at");
  v.last_used_at = text(j, "last_used_at");
  v.username = text(j, "username");
  for (const char* k : {"scopes", "granular_scopes"})
    if (auto it = j.find(k); it != j.end() && it->is_array() && it->size() <= 64)
      for (const auto& s : *it)
        if (s.is_string() && s.get_ref<const std::string&>().size() <= kMaxText)
          (k[0] == 's' ? v.scopes : v.granular_scopes).push_back(s.get<std::string>());
  if (auto it = j.find("user_id"); it != j.end() && it->is_number_integer())
    v.user_id = it->get<std::int64_t>();
  if (auto it = j.find("token_id"); it != j.end() && it->is_number_integer())
    v.token_id = it->get<std::int64_t>();
  if (auto it = j.find("is_admin"); it != j.end() && it->is_boolean()) v.is_admin = it->get<bool>();
  if (auto it = j.find("reach"); it != j.end()) {
    v.reach = reach_from_json(*it);
    if (!v.reach) return std::nullopt;  // a reach that is not ours: the whole entry is dropped
  }
  return v;
}

}  // namespace

Result<std::shared_ptr<VerifyCache>> VerifyCache::open(const std::string& dir, std::chrono::seconds ttl,
                                                       const std::string& context) {
  auto d = prepare_private_dir(dir, "verification cache");
  if (!d) return d.error();
  std::shared_ptr<VerifyCache> c(new VerifyCache(*d + "/verify-cache.json", ttl, sha256_hex(context)));
  const int fd = ::open(c->path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return c;
    return Error::io("verification cache: cannot open '" + c->path_ +
                     "' (a symlink is refused): " + std::strerror(errno));
  }
  struct stat st {};
  std::string body;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
      static_cast<std::size_t>(st.st_size) <= kMaxFile) {
    body.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < body.size()) {
      const ssize_t n = ::read(fd, body.data() + got, body.size() - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    body.resize(got);
  }
  ::close(fd);
  // A file that is not ours, too large or not the format: start empty (it is rewritten on save).
  Json j = Json::parse(body, nullptr, false);
  if (j.is_object())
    if (auto it = j.find("entries"); it != j.end() && it->is_object())
      for (const auto& [k, e] : it->items())
        if (k.size() == 129 && from_json(e)) c->entries_[k] = e.dump();
  return c;
}

std::optional<Verification> VerifyCache::get(const std::string& sha,
                                             std::chrono::system_clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(sha + ":" + ctx_);
  if (it == entries_.end()) return std::nullopt;
  auto v = from_json(Json::parse(it->second, nullptr, false));
  if (!v) return std::nullopt;
  const auto at = parse_iso8601(v->checked_at);
  if (!at) return std::nullopt;
  const auto checked = std::chrono::system_clock::time_point(std::chrono::seconds(*at));
  if (checked > now + std::chrono::minutes(1) || now - checked >= ttl_) return std::nullopt;
  return v;
}

void VerifyCache::put(const std::string& sha, const Verification& v) {
  if (!definitive(v.status) || sha.size() != 64) return;
  std::lock_guard<std::mutex> lock(mu_);
  entries_[sha + ":" + ctx_] = to_json(v).dump();
}

void VerifyCache::forget(const std::string& sha) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.lower_bound(sha + ":"); it != entries_.end() && it->first.rfind(sha + ":", 0) == 0;)
    it = entries_.erase(it);
}

Status VerifyCache::save(std::chrono::system_clock::time_point now) const {
  Json entries = Json::object();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, e] : entries_) {
      Json j = Json::parse(e, nullptr, false);
      auto v = from_json(j);
      const auto at = v ? parse_iso8601(v->checked_at) : std::nullopt;
      // Entries of other contexts keep their own TTL only as long as ours: a day at most.
      if (at &&
          now - std::chrono::system_clock::time_point(std::chrono::seconds(*at)) < std::chrono::hours(24))
        entries[k] = j;
    }
  }
  const std::string body = Json{{"version", 1}, {"entries", entries}}.dump();
  const std::string tmp = path_ + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Error::io("verification cache: cannot write '" + tmp + "': " + std::strerror(errno));
  std::size_t done = 0;
  bool ok = true;
  while (done < body.size()) {
    const ssize_t n = ::write(fd, body.data() + done, body.size() - done);
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error::io("verification cache: cannot write '" + path_ + "'");
  }
  return Status::ok();
}

}  // namespace glpatrol
