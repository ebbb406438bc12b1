#include "state/state_db.h"

#include <fcntl.h>
#include <cstdlib>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/private_dir.h"
#include "scan/context.h"

namespace glpatrol::state {

namespace {

using nlohmann::json;

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items(scope TEXT NOT NULL, project INTEGER NOT NULL, surface TEXT NOT NULL,
  key TEXT NOT NULL, version TEXT NOT NULL, findings TEXT NOT NULL,
  PRIMARY KEY(scope, project, surface, key));
CREATE TABLE IF NOT EXISTS cursors(scope TEXT NOT NULL, project INTEGER NOT NULL, surface TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY(scope, project, surface));
CREATE TABLE IF NOT EXISTS contents(scope TEXT NOT NULL, id BLOB NOT NULL, matches TEXT NOT NULL,
  PRIMARY KEY(scope, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files(scope TEXT NOT NULL, path BLOB NOT NULL, sig TEXT NOT NULL,
  matches TEXT NOT NULL, PRIMARY KEY(scope, path)) WITHOUT ROWID;
)";

std::string errmsg(sqlite3* db) { return db != nullptr ? sqlite3_errmsg(db) : "out of memory"; }

Stmt prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  return Stmt(s);
}

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void bind_int(sqlite3_stmt* s, int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }

std::string column(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
}

json finding_json(const Finding& f) {
  const Provenance& p = f.provenance;
  json j = {{"rule_id", f.rule_id},
            {"rule_name", f.rule_name},
            {"severity", static_cast<int>(f.severity)},
            {"secret", f.secret},
            {"secret_sha256", f.secret_sha256},
            {"redacted", f.redacted},
            {"checksum", static_cast<int>(f.checksum)},
            {"attributes", f.attributes},
            {"offset", f.offset},
            {"line", f.line},
            {"column", f.column},
            {"end_line", f.end_line},
            {"end_column", f.end_column},
            {"inline_allow", static_cast<int>(f.inline_allow)},
            {"kind", static_cast<int>(p.kind)},
            {"path", p.path},
            {"repository", p.repository},
            {"reachable_only_via", p.reachable_only_via},
            {"refs", p.refs}};
  if (p.blob_id) j["blob_id"] = *p.blob_id;
  if (p.in_head) j["in_head"] = *p.in_head;
  if (p.commit) {
    const CommitInfo& c = *p.commit;
    j["commit"] = {{"sha", c.sha},
                   {"author_name", c.author_name},
                   {"author_email", c.author_email},
                   {"date", c.date},
                   {"message", c.message}};
    if (c.merge_sha) j["commit"]["merge_sha"] = *c.merge_sha;
  }
  if (p.source) {
    j["source"] = {{"kind", p.source->kind}, {"project", p.source->project}, {"web_url", p.source->web_url}};
    if (p.source->note_id) j["source"]["note_id"] = *p.source->note_id;
  }
  json chain = json::array();
  for (const auto& d : p.decoded) chain.push_back({d.kind, d.member, d.offset});
  j["decoded"] = chain;
  return j;
}

Finding finding_from(const json& j) {
  Finding f;
  f.rule_id = j.value("rule_id", "");
  f.rule_name = j.value("rule_name", "");
  f.severity = static_cast<Severity>(j.value("severity", 3));
  f.secret = j.value("secret", "");
  f.secret_sha256 = j.value("secret_sha256", "");
  f.redacted = j.value("redacted", "");
  f.checksum = static_cast<Checksum>(j.value("checksum", 0));
  if (auto a = j.find("attributes"); a != j.end() && a->is_array())
    for (const auto& kv : *a)
      if (kv.is_array() && kv.size() == 2)
        f.attributes.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
  f.offset = j.value("offset", std::uint64_t{0});
  f.line = j.value("line", std::uint64_t{1});
  f.column = j.value("column", std::uint64_t{1});
  f.end_line = j.value("end_line", std::uint64_t{1});
  f.end_column = j.value("end_column", std::uint64_t{1});
  f.inline_allow = static_cast<InlineAllow>(j.value("inline_allow", 0));
  Provenance& p = f.provenance;
  p.kind = static_cast<SourceKind>(j.value("kind", 0));
  p.path = j.value("path", "");
  p.repository = j.value("repository", "");
  p.reachable_only_via = j.value("reachable_only_via", "");
  if (auto r = j.find("refs"); r != j.end() && r->is_array())
    for (const auto& x : *r) p.refs.push_back(x.get<std::string>());
  if (j.contains("blob_id")) p.blob_id = j["blob_id"].get<std::string>();
  if (j.contains("in_head")) p.in_head = j["in_head"].get<bool>();
  if (auto c = j.find("commit"); c != j.end() && c->is_object()) {
    CommitInfo ci{c->value("sha", ""),  c->value("author_name", ""), c->value("author_email", ""),
                  c->value("date", ""), c->value("message", ""),     std::nullopt};
    if (c->contains("merge_sha")) ci.merge_sha = (*c)["merge_sha"].get<std::string>();
    p.commit = std::move(ci);
  }
  if (auto s = j.find("source"); s != j.end() && s->is_object()) {
    SourceRef r{s->value("kind", ""), s->value("project", ""), s->value("web_url", ""), std::nullopt, false};
    if (s->contains("note_id")) r.note_id = (*s)["note_id"].get<std::int64_t>();
    p.source = std::move(r);
  }
  if (auto d = j.find("decoded"); d != j.end() && d->is_array())
    for (const auto& l : *d)
      if (l.is_array() && l.size() == 3)
        p.decoded.push_back({l[0].get<std::string>(), l[1].get<std::string>(), l[2].get<std::uint64_t>()});
  return f;
}

}  // namespace

std::string findings_to_text(const std::vector<Finding>& findings) {
  json a = json::array();
  for (const auto& f : findings) a.push_back(finding_json(f));
  // Token bytes may be invalid UTF-8: replace rather than throw (the secret hash is kept).
  return a.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<Finding> findings_from_text(const std::string& text) {
  std::vector<Finding> out;
  json a = json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& j : a) {
    if (!j.is_object()) continue;
    try {
      out.push_back(finding_from(j));
    } catch (const json::exception&) {  // a damaged row: skipped, the item is re-read next time
    }
  }
  return out;
}

std::optional<std::string> default_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/glpatrol";
  if (home != nullptr && home[0] == '/') return std::string(home) + "/.cache/glpatrol";
  return std::nullopt;
}

Result<std::string> prepare_state_dir(std::string dir) {
  return prepare_private_dir(std::move(dir), "--state-dir");
}

std::string content_scope_key(const ScanContext& ctx) {
  std::string key;
  for (const auto& r : ctx.db().rules())
    key += r.id + '\0' + r.pattern + '\0' + r.prefilter + '\0' + r.secret_after + '\n';
  for (const auto& prefix : token_prefixes(ctx.db().rule_set())) key += prefix + '\n';  // --pat-prefix
  for (const auto& prefix : ctx.db().rule_set().prefixes.instance_prefixes) key += "inst:" + prefix + '\n';
  const StepOptions& so = ctx.step_options();
  key += fmt::format("redact={} decode={} archives={} depth={} max={}", so.redact, so.decode, so.archives,
                     so.max_depth, so.max_decoded);
  return key;
}

Result<std::unique_ptr<StateDb>> StateDb::open(const std::string& dir, const std::string& scope) {
  std::unique_ptr<StateDb> s(new StateDb());
  s->scope_ = scope;
  const std::string lock = dir + "/lock";
  s->lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (s->lock_fd_ < 0) return Error::io("state directory: cannot open " + lock);
  if (::flock(s->lock_fd_, LOCK_EX | LOCK_NB) != 0)
    return Error::usage(
        "the state directory " + dir +
        " is in use by another glpatrol run; wait for it to finish or pass another --state-dir");
  const std::string path = dir + "/state.db";
  if (struct stat st{}; ::lstat(path.c_str(), &st) == 0 && (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid()))
    return Error::usage("state database " + path + " is not a regular file of this user; not trusted");
  if (sqlite3_open_v2(path.c_str(), &s->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
                      nullptr) != SQLITE_OK)
    return Error::io("state database " + path + ": " + errmsg(s->db_));
  ::chmod(path.c_str(), 0600);
  sqlite3_busy_timeout(s->db_, 5000);
  auto exec = [&](const char* sql) -> Status {
    char* err = nullptr;
    if (sqlite3_exec(s->db_, sql, nullptr, nullptr, &err) == SQLITE_OK) return Status::ok();
    std::string m = err != nullptr ? err : errmsg(s->db_);
    sqlite3_free(err);
    return Error::io("state database " + path + ": " + m);
  };
  // A file that is not SQLite fails here ("file is not a database").
  if (auto st = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !st) return st.error();
  // The version is read before anything is written: a newer or foreign database is never
  // changed. Foreign: SQLite with tables but without glpatrol's schema_version.
  int version = 0;
  Stmt tables = prepare(s->db_, "SELECT count(*) FROM sqlite_master WHERE type='table'");
  if (!tables || sqlite3_step(tables.get()) != SQLITE_ROW)
    return Error::io("state database " + path + ": " + errmsg(s->db_));
  const bool fresh = sqlite3_column_int64(tables.get(), 0) == 0;
  if (!fresh) {
    Stmt get = prepare(s->db_, "SELECT value FROM meta WHERE key='schema_version'");
    if (get && sqlite3_step(get.get()) == SQLITE_ROW) version = std::atoi(column(get.get(), 0).c_str());
    if (version <= 0)
      return Error::usage(
          "state database " + path +
          " was not written by glpatrol (no schema version); not trusted, pass another --state-dir");
    if (version > kStateSchemaVersion)
      return Error::usage("state database " + path + " has schema version " + std::to_string(version) +
                          ", newer than this glpatrol understands (" + std::to_string(kStateSchemaVersion) +
                          "): use a newer glpatrol or another --state-dir");
  }
  // Creates what is missing: a fresh database, or the contents table (version 2) and the files
  // table (version 3) of an older one (the migrations so far are new tables; old rows stay
  // valid).
  if (auto st = exec(kSchema); !st) return st.error();
  if (version != kStateSchemaVersion) {
    Stmt put = prepare(s->db_, "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)");
    bind_text(put.get(), 1, std::to_string(kStateSchemaVersion));
    if (sqlite3_step(put.get()) != SQLITE_DONE)
      return Error::io("state database " + path + ": " + errmsg(s->db_));
  }
  return s;
}

StateDb::~StateDb() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

std::optional<std::string> StateDb::version(std::int64_t project, const std::string& surface,
                                            const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q = prepare(db_, "SELECT version FROM items WHERE scope=? AND project=? AND surface=? AND key=?");
  if (!q) return std::nullopt;
  bind_text(q.get(), 1, scope_);
  bind_int(q.get(), 2, project);
  bind_text(q.get(), 3, surface);
  bind_text(q.get(), 4, key);
  if (sqlite3_step(q.get()) != SQLITE_ROW) return std::nullopt;
  return column(q.get(), 0);
}

std::vector<StateDb::Item> StateDb::items(std::int64_t project, const std::string& surface) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Item> out;
  Stmt q = prepare(db_, "SELECT key, version FROM items WHERE scope=? AND project=? AND surface=?");
  if (!q) return out;
  bind_text(q.get(), 1, scope_);
  bind_int(q.get(), 2, project);
  bind_text(q.get(), 3, surface);
  while (sqlite3_step(q.get()) == SQLITE_ROW) out.push_back({column(q.get(), 0), column(q.get(), 1)});
  return out;
}

Status StateDb::put(std::int64_t project, const std::string& surface, const std::string& key,
                    const std::string& version, const std::vector<Finding>& findings) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q = prepare(
      db_,
      "INSERT OR REPLACE INTO items(scope, project, surface, key, version, findings) VALUES(?,?,?,?,?,?)");
  if (!q) return Error::io("state database: " + errmsg(db_));
  bind_text(q.get(), 1, scope_);
  bind_int(q.get(), 2, project);
  bind_text(q.get(), 3, surface);
  bind_text(q.get(), 4, key);
  bind_text(q.get(), 5, version);
  bind_text(q.get(), 6, findings_to_text(findings));
  if (sqlite3_step(q.get()) != SQLITE_DONE) return Error::io("state database: " + errmsg(db_));
  return Status::ok();
}

std::vector<Finding> StateDb::findings(std::int64_t project, const std::string& surface,
                                       const std::string& key) {
  std::string text;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt q = prepare(db_, "SELECT findings FROM items WHERE scope=? AND project=? AND surface=? AND key=?");
    if (!q) return {};
    bind_text(q.get(), 1, scope_);
    bind_int(q.get(), 2, project);
    bind_text(q.get(), 3, surface);
    bind_text(q.get(), 4, key);
    if (sqlite3_step(q.get()) != SQLITE_ROW) return {};
    text = column(q.get(), 0);
  }
  return findings_from_text(text);
}

std::unordered_map<std::string, std::string> StateDb::contents() {
  std::lock_guard<std::mutex> lock(mu_);
  std::unordered_map<std::string, std::string> out;
  Stmt q = prepare(db_, "SELECT id, matches FROM contents WHERE scope=?");
  if (!q) return out;
  bind_text(q.get(), 1, scope_);
  while (sqlite3_step(q.get()) == SQLITE_ROW) {
    const auto* id = static_cast<const char*>(sqlite3_column_blob(q.get(), 0));
    const auto n = static_cast<std::size_t>(sqlite3_column_bytes(q.get(), 0));
    out.emplace(id != nullptr ? std::string(id, n) : std::string(), column(q.get(), 1));
  }
  return out;
}

Status StateDb::put_contents(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
    return Error::io("state database: " + errmsg(db_));
  Stmt q = prepare(db_, "INSERT OR REPLACE INTO contents(scope, id, matches) VALUES(?,?,?)");
  bool ok = q != nullptr;
  for (const auto& [id, matches] : rows) {
    if (!ok) break;
    sqlite3_reset(q.get());
    bind_text(q.get(), 1, scope_);
    sqlite3_bind_blob(q.get(), 2, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
    bind_text(q.get(), 3, matches);
    ok = sqlite3_step(q.get()) == SQLITE_DONE;
  }
  const std::string err = ok ? std::string() : errmsg(db_);
  q.reset();
  sqlite3_exec(db_, ok ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
  if (!ok) return Error::io("state database: " + err);
  return Status::ok();
}

std::unordered_map<std::string, StateDb::FileRow> StateDb::files() {
  std::lock_guard<std::mutex> lock(mu_);
  std::unordered_map<std::string, FileRow> out;
  Stmt q = prepare(db_, "SELECT path, sig, matches FROM files WHERE scope=?");
  if (!q) return out;
  bind_text(q.get(), 1, scope_);
  while (sqlite3_step(q.get()) == SQLITE_ROW) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(q.get(), 0));
    const auto n = static_cast<std::size_t>(sqlite3_column_bytes(q.get(), 0));
    out.emplace(p != nullptr ? std::string(p, n) : std::string(),
                FileRow{column(q.get(), 1), column(q.get(), 2)});
  }
  return out;
}

Status StateDb::put_files(const std::vector<std::pair<std::string, FileRow>>& rows,
                          const std::vector<std::string>& removed) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
    return Error::io("state database: " + errmsg(db_));
  Stmt put = prepare(db_, "INSERT OR REPLACE INTO files(scope, path, sig, matches) VALUES(?,?,?,?)");
  Stmt del = prepare(db_, "DELETE FROM files WHERE scope=? AND path=?");
  bool ok = put != nullptr && del != nullptr;
  for (const auto& [path, row] : rows) {
    if (!ok) break;
    sqlite3_reset(put.get());
    bind_text(put.get(), 1, scope_);
    sqlite3_bind_blob(put.get(), 2, path.data(), static_cast<int>(path.size()), SQLITE_TRANSIENT);
    bind_text(put.get(), 3, row.sig);
    bind_text(put.get(), 4, row.matches);
    ok = sqlite3_step(put.get()) == SQLITE_DONE;
  }
  for (const auto& path : removed) {
    if (!ok) break;
    sqlite3_reset(del.get());
    bind_text(del.get(), 1, scope_);
    sqlite3_bind_blob(del.get(), 2, path.data(), static_cast<int>(path.size()), SQLITE_TRANSIENT);
    ok = sqlite3_step(del.get()) == SQLITE_DONE;
  }
  const std::string err = ok ? std::string() : errmsg(db_);
  put.reset();
  del.reset();
  sqlite3_exec(db_, ok ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
  if (!ok) return Error::io("state database: " + err);
  return Status::ok();
}

std::optional<std::string> StateDb::cursor(std::int64_t project, const std::string& surface) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q = prepare(db_, "SELECT value FROM cursors WHERE scope=? AND project=? AND surface=?");
  if (!q) return std::nullopt;
  bind_text(q.get(), 1, scope_);
  bind_int(q.get(), 2, project);
  bind_text(q.get(), 3, surface);
  if (sqlite3_step(q.get()) != SQLITE_ROW) return std::nullopt;
  return column(q.get(), 0);
}

Status StateDb::set_cursor(std::int64_t project, const std::string& surface, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q = prepare(db_, "INSERT OR REPLACE INTO cursors(scope, project, surface, value) VALUES(?,?,?,?)");
  if (!q) return Error::io("state database: " + errmsg(db_));
  bind_text(q.get(), 1, scope_);
  bind_int(q.get(), 2, project);
  bind_text(q.get(), 3, surface);
  bind_text(q.get(), 4, value);
  if (sqlite3_step(q.get()) != SQLITE_DONE) return Error::io("state database: " + errmsg(db_));
  return Status::ok();
}

}  // namespace glpatrol::state
