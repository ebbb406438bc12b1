#include "reporters/report_json.h"

#include <fmt/format.h>

#include "common/encoding.h"
#include "common/read_file.h"

namespace glpatrol {

using json = nlohmann::ordered_json;

std::string json_text(std::string_view bytes) { return to_valid_utf8(bytes); }

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

json opt_text(const std::optional<std::string>& s) { return s ? json(json_text(*s)) : json(nullptr); }

template <typename T>
void put_opt(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

json text_list(const std::vector<std::string>& v) {
  json a = json::array();
  for (const auto& s : v) a.push_back(json_text(s));
  return a;
}

json git_to_json(const GitInfo& g) {
  json j;
  j["mode"] = g.mode;
  j["repository"] = json_text(g.repository);
  put_opt(j, "bare", g.bare);
  j["head"] = opt_text(g.head);
  if (g.web_url) j["web_url"] = json_text(*g.web_url);
  if (g.index) {
    j["index"] = {{"reader", g.index->reader},
                  {"entries", g.index->entries},
                  {"trees_read", g.index->trees_read},
                  {"directories_skipped", g.index->directories_skipped}};
  }
  if (g.range) {
    const GitRangeInfo& r = *g.range;
    json o;
    o["spec"] = json_text(r.spec);
    if (r.from) o["from"] = *r.from;
    if (r.to) o["to"] = *r.to;
    if (r.spec == "pushed") o["tips"] = r.tips;
    put_opt(o, "stops", r.stops);
    o["commits"] = r.commits;
    o["blobs"] = r.blobs;
    j["range"] = o;
  }
  put_opt(j, "refs", g.refs);
  put_opt(j, "reflog_entries", g.reflog_entries);
  put_opt(j, "reflog_entries_pruned", g.reflog_entries_pruned);
  put_opt(j, "shallow", g.shallow);
  if (!g.shallow_boundary_commits.empty()) j["shallow_boundary_commits"] = g.shallow_boundary_commits;
  put_opt(j, "unreachable_blobs", g.unreachable_blobs);
  if (g.pack_reader)
    j["pack_reader"] = {{"packs", g.pack_reader->packs},
                        {"inflate", g.pack_reader->inflate},
                        {"blobs_decoded", g.pack_reader->blobs_decoded},
                        {"blobs_read_by_libgit2", g.pack_reader->blobs_read_by_libgit2},
                        {"walk_objects_decoded", g.pack_reader->walk_objects_decoded},
                        {"walk_objects_read_by_libgit2", g.pack_reader->walk_objects_read_by_libgit2}};
  put_opt(j, "commits", g.commits);
  put_opt(j, "staged_paths", g.staged_paths);
  put_opt(j, "blobs", g.blobs);
  put_opt(j, "blob_places", g.blob_places);
  put_opt(j, "submodule_entries_not_scanned", g.submodule_entries_not_scanned);
  put_opt(j, "messages_scanned", g.messages_scanned);
  put_opt(j, "later_versions_folded", g.later_versions_folded);
  if (g.state) {
    j["state"] = {{"dir", json_text(g.state->dir)},
                  {"history_reused", g.state->history_reused},
                  {"blobs_reused", g.state->blobs_reused},
                  {"blobs_scanned", g.state->blobs_scanned}};
    if (g.state->walk) j["state"]["walk"] = *g.state->walk;
    if (g.state->full_walk_reason) j["state"]["full_walk_reason"] = json_text(*g.state->full_walk_reason);
    if (g.state->ignored) j["state"]["ignored"] = json_text(*g.state->ignored);
  }
  return j;
}

json suppression_to_json(const SuppressionInfo& s) {
  json j;
  j["inline_allow"] = s.inline_allow;
  j["ignore_entries"] = s.ignore_entries;
  j["baseline"] = opt_text(s.baseline);
  j["baseline_fingerprints"] = s.baseline_fingerprints;
  j["counts"] = {{"ignore-file", s.ignore_file}, {"inline", s.inline_count}, {"baseline", s.baseline_count}};
  json unused = json::array();
  for (const auto& u : s.unused)
    unused.push_back({{"file", json_text(u.file)},
                      {"line", u.line},
                      {"fingerprint", u.fingerprint},
                      {"path_glob", u.path_glob.empty() ? json(nullptr) : json(json_text(u.path_glob))}});
  j["unused_ignore_entries"] = unused;
  return j;
}

/// verification.reach (docs/verification.md "Reach").
json reach_to_json(const Reach& r) {
  auto list = [](const std::vector<ReachEntry>& l, const char* key) {
    json a = json::array();
    for (const auto& e : l)
      a.push_back({{key, json_text(e.path)},
                   {"access_level", e.access_level ? json(*e.access_level) : json(nullptr)}});
    return a;
  };
  return {{"method", r.method},
          {"groups", list(r.groups, "full_path")},
          {"projects", list(r.projects, "path_with_namespace")},
          {"groups_total", r.groups_total},
          {"projects_total", r.projects_total},
          {"truncated", r.truncated},
          {"note", r.note.empty() ? json(nullptr) : json(json_text(r.note))}};
}

}  // namespace

json commit_to_json(const CommitInfo& c) {
  json j;
  j["sha"] = c.sha;
  j["author_name"] = json_text(c.author_name);
  j["author_email"] = json_text(c.author_email);
  j["date"] = c.date;
  j["message"] = json_text(c.message);
  j["merge_sha"] = opt_text(c.merge_sha);
  return j;
}

json attributes_to_json(const Finding& f) {
  json attrs = json::object();
  for (const auto& [k, v] : f.attributes) attrs[k] = json_text(v);
  // Several repositories in one report: the repository is reported as an attribute.
  if (!f.provenance.repository.empty()) attrs["repository"] = json_text(f.provenance.repository);
  return attrs;
}

json subject_to_json(const AuditSubject& s) {
  json o;
  o["type"] = s.type;
  o["id"] = s.id;
  o["name"] = json_text(s.name);
  o["owner"] = json_text(s.owner);
  o["resource"] = s.resource.empty() ? json(nullptr) : json(json_text(s.resource));
  json scopes = json::array();
  for (const auto& x : s.scopes) scopes.push_back(json_text(x));
  o["scopes"] = scopes;
  o["created_at"] = opt_text(s.created_at);
  o["expires_at"] = opt_text(s.expires_at);
  o["last_used_at"] = opt_text(s.last_used_at);
  o["web_url"] = json_text(s.web_url);
  return o;
}

json finding_to_json(const Finding& f, const ReportOptions& opts) {
  const Provenance& p = f.provenance;
  json j;
  j["rule_id"] = f.rule_id;
  j["rule_name"] = f.rule_name;
  j["severity"] = std::string(to_string(f.effective_severity()));
  j["fingerprint"] = fingerprint(f);
  j["secret_sha256"] = f.secret_sha256;
  j["redacted"] = json_text(f.redacted);
  if (opts.show_secrets) j["secret"] = json_text(f.secret);
  j["location_kind"] = std::string(to_string(p.kind));
  j["path"] = json_text(p.path);
  if (!is_valid_utf8(p.path)) j["path_bytes_b64"] = base64_encode(p.path);
  j["line"] = f.line;
  j["column"] = f.column;
  j["end_line"] = f.end_line;
  j["end_column"] = f.end_column;
  j["offset"] = f.offset;
  const auto cs = to_string(f.checksum);
  j["checksum"] = cs.empty() ? json(nullptr) : json(std::string(cs));
  j["attributes"] = attributes_to_json(f);
  j["blob_id"] = opt_text(p.blob_id);
  j["commit"] = p.commit ? commit_to_json(*p.commit) : json(nullptr);
  j["in_head"] = p.in_head ? json(*p.in_head) : json(nullptr);
  if (!p.reachable_only_via.empty()) j["reachable_only_via"] = p.reachable_only_via;
  if (!p.refs.empty()) j["refs"] = text_list(p.refs);
  if (p.source) {
    const SourceRef& s = *p.source;
    j["source"] = {{"kind", s.kind},
                   {"project", json_text(s.project)},
                   {"web_url", json_text(s.web_url)},
                   {"note_id", s.note_id ? json(*s.note_id) : json(nullptr)}};
  }
  if (!p.decoded.empty()) {
    json chain = json::array();
    for (const auto& d : p.decoded) {
      json o;
      o["kind"] = d.kind;
      if (!d.member.empty())
        o["member"] = json_text(d.member);
      else
        o["offset"] = d.offset;
      chain.push_back(o);
    }
    j["decoded"] = chain;
  }
  j["suppressed"] = f.suppressed
                        ? json({{"kind", f.suppressed->kind}, {"reason", json_text(f.suppressed->reason)}})
                        : json(nullptr);
  if (f.verification) {
    const Verification& v = *f.verification;
    json o;
    o["status"] = v.status;
    o["reason"] = v.reason.empty() ? json(nullptr) : json(json_text(v.reason));
    o["host"] = v.host;
    o["checked_at"] = v.checked_at;
    o["token_name"] = opt_text(v.token_name);
    o["scopes"] = v.scopes;
    o["created_at"] = opt_text(v.created_at);
    o["expires_at"] = opt_text(v.expires_at);
    o["last_used_at"] = opt_text(v.last_used_at);
    o["user_id"] = v.user_id ? json(*v.user_id) : json(nullptr);
    if (v.token_id) o["token_id"] = *v.token_id;
    o["username"] = opt_text(v.username);
    o["is_admin"] = v.is_admin ? json(*v.is_admin) : json(nullptr);
    o["risk_flags"] = v.risk_flags;
    if (!v.granular_scopes.empty()) o["granular_scopes"] = v.granular_scopes;
    if (v.reach) o["reach"] = reach_to_json(*v.reach);
    j["verification"] = o;
  } else {
    j["verification"] = nullptr;
  }
  if (f.subject) j["subject"] = subject_to_json(*f.subject);
  return j;
}

json scan_info_to_json(const ScanInfo& s) {
  json j;
  j["kind"] = s.kind;
  j["targets"] = text_list(s.targets);
  j["started_at"] = s.started_at;
  j["finished_at"] = s.finished_at;
  j["duration_seconds"] = s.duration_seconds;
  json phases = json::array();
  for (const auto& [phase, secs] : s.phase_seconds) phases.push_back({{"phase", phase}, {"seconds", secs}});
  j["timings"] = {{"phases", phases}};
  j["stats"] = {{"files", s.stats.files},     {"blobs", s.stats.blobs},   {"bytes", s.stats.bytes},
                {"skipped", s.stats.skipped}, {"errors", s.stats.errors}, {"commits", s.stats.commits}};
  if (s.stats.reused != 0) j["stats"]["reused"] = s.stats.reused;
  j["complete"] = s.complete;
  j["incomplete_reasons"] = s.incomplete_reasons;
  j["warnings"] = text_list(s.stats.warnings);
  json skipped = json::array();
  for (const auto& k : s.stats.skips)
    skipped.push_back({{"path", json_text(k.path)},
                       {"reason", k.reason},
                       {"detail", json_text(k.detail)},
                       {"error", k.is_error}});
  j["skipped"] = skipped;
  j["config_files"] = text_list(s.config_files);
  json rules = json::array();
  for (const auto& r : s.rules) rules.push_back(r.id);
  j["rules"] = rules;
  if (s.ci)
    j["ci"] = {{"provider", s.ci->provider},
               {"event", s.ci->event},
               {"range", s.ci->range ? json(*s.ci->range) : json(nullptr)},
               {"description", s.ci->description}};
  if (s.shard) {
    json o = {{"index", s.shard->index},
              {"total", s.shard->total},
              {"by", s.shard->by},
              {"origin", s.shard->origin}};
    put_opt(o, "repositories_in_other_shards", s.shard->repositories_in_other_shards);
    j["shard"] = o;
  }
  if (s.push) {
    json refs = json::array();
    for (const auto& u : s.push->updates)
      refs.push_back({{"ref", json_text(u.ref)}, {"old", u.old_id}, {"new", u.new_id}});
    j["push"] = {{"updates", refs}, {"new_commits", s.push->new_commits}};
  }
  if (s.git) j["git"] = git_to_json(*s.git);
  if (!s.repositories.empty()) {
    json list = json::array();
    for (const auto& r : s.repositories) {
      json e = {{"repository", json_text(r.repository)}};
      if (r.error)
        e["error"] = json_text(*r.error);
      else if (r.git)
        e["git"] = git_to_json(*r.git);
      list.push_back(e);
    }
    j["repositories"] = list;
  }
  if (s.suppression) j["suppression"] = suppression_to_json(*s.suppression);
  if (s.verification)
    j["verification"] = {{"hosts", s.verification->hosts},
                         {"unique_tokens", s.verification->unique_tokens},
                         {"requests", s.verification->requests},
                         {"budget_exhausted", s.verification->budget_exhausted}};
  if (s.gitlab) {
    const GitLabInfo& g = *s.gitlab;
    json o = {{"url", g.url},
              {"surfaces", g.surfaces},
              {"projects", g.projects},
              {"projects_refused", g.projects_refused},
              {"projects_in_other_shards", g.projects_in_other_shards},
              {"requests", g.requests},
              {"retries", g.retries},
              {"items", g.items},
              {"disabled", g.disabled},
              {"reused", g.reused}};
    o["state_dir"] = g.state_dir ? json(json_text(*g.state_dir)) : json(nullptr);
    j["gitlab"] = o;
  }
  if (s.merge) {
    json m;
    m["reports"] = s.merge->reports;
    if (s.merge->shards_total)
      m["shards"] = {{"total", *s.merge->shards_total},
                     {"by", s.merge->shards_by},
                     {"present", s.merge->shards_present}};
    m["duplicates_removed"] = s.merge->duplicates_removed;
    j["merge"] = m;
  }
  return j;
}

// ---------------------------------------------------------------------------------------------
// Reading

namespace {

std::string str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::string> opt_str(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::uint64_t> opt_num(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  if (it->is_number_integer() && it->get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(it->get<std::int64_t>());
  return std::nullopt;
}

std::uint64_t num(const json& o, const char* key, std::uint64_t dflt = 0) {
  return opt_num(o, key).value_or(dflt);
}

std::optional<bool> opt_bool(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::vector<std::string> str_list(const json& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

const json* object_at(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_object() ? &*it : nullptr;
}

Reach reach_from_json(const json& o) {
  Reach r;
  r.method = str(o, "method");
  auto list = [&o](const char* key, const char* path_key) {
    std::vector<ReachEntry> out;
    auto it = o.find(key);
    if (it == o.end() || !it->is_array()) return out;
    for (const auto& e : *it) {
      if (!e.is_object()) continue;
      ReachEntry re{str(e, path_key), std::nullopt};
      if (auto l = e.find("access_level"); l != e.end() && l->is_number_integer())
        re.access_level = l->get<int>();
      out.push_back(std::move(re));
    }
    return out;
  };
  r.groups = list("groups", "full_path");
  r.projects = list("projects", "path_with_namespace");
  r.groups_total = num(o, "groups_total", r.groups.size());
  r.projects_total = num(o, "projects_total", r.projects.size());
  r.truncated = opt_bool(o, "truncated").value_or(false);
  r.note = str(o, "note");
  return r;
}

std::optional<std::string> base64_decode_std(const std::string& s) {
  std::string t;
  for (char c : s) {
    if (c == '=') break;
    t += c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return base64url_decode(t);
}

GitInfo git_from_json(const json& j) {
  GitInfo g;
  g.mode = str(j, "mode");
  g.repository = str(j, "repository");
  g.bare = opt_bool(j, "bare");
  g.head = opt_str(j, "head");
  g.web_url = opt_str(j, "web_url");
  if (const json* ix = object_at(j, "index"))
    g.index = IndexInfo{str(*ix, "reader"), num(*ix, "entries"), num(*ix, "trees_read"),
                        num(*ix, "directories_skipped")};
  if (const json* r = object_at(j, "range")) {
    GitRangeInfo range;
    range.spec = str(*r, "spec");
    range.from = opt_str(*r, "from");
    range.to = opt_str(*r, "to");
    range.tips = str_list(*r, "tips");
    range.stops = opt_num(*r, "stops");
    range.commits = num(*r, "commits");
    range.blobs = num(*r, "blobs");
    g.range = std::move(range);
  }
  g.refs = opt_num(j, "refs");
  g.reflog_entries = opt_num(j, "reflog_entries");
  g.reflog_entries_pruned = opt_num(j, "reflog_entries_pruned");
  g.shallow = opt_bool(j, "shallow");
  g.shallow_boundary_commits = str_list(j, "shallow_boundary_commits");
  g.unreachable_blobs = opt_num(j, "unreachable_blobs");
  if (const json* p = object_at(j, "pack_reader"))
    g.pack_reader = PackReaderInfo{num(*p, "packs"),
                                   str(*p, "inflate"),
                                   num(*p, "blobs_decoded"),
                                   num(*p, "blobs_read_by_libgit2"),
                                   num(*p, "walk_objects_decoded"),
                                   num(*p, "walk_objects_read_by_libgit2")};
  g.commits = opt_num(j, "commits");
  g.staged_paths = opt_num(j, "staged_paths");
  g.blobs = opt_num(j, "blobs");
  g.blob_places = opt_num(j, "blob_places");
  g.submodule_entries_not_scanned = opt_num(j, "submodule_entries_not_scanned");
  g.messages_scanned = opt_num(j, "messages_scanned");
  g.later_versions_folded = opt_num(j, "later_versions_folded");
  return g;
}

void sections_from_json(const json& s, ScanInfo& si) {
  if (const json* c = object_at(s, "ci"))
    si.ci = CiInfo{str(*c, "provider"), str(*c, "event"), str(*c, "description"), opt_str(*c, "range")};
  if (const json* sh = object_at(s, "shard")) {
    ShardInfo o;
    o.index = static_cast<unsigned>(num(*sh, "index"));
    o.total = static_cast<unsigned>(num(*sh, "total"));
    o.by = str(*sh, "by");
    o.origin = str(*sh, "origin");
    o.repositories_in_other_shards = opt_num(*sh, "repositories_in_other_shards");
    si.shard = std::move(o);
  }
  if (const json* p = object_at(s, "push")) {
    PushInfo push;
    if (auto u = p->find("updates"); u != p->end() && u->is_array())
      for (const auto& e : *u)
        if (e.is_object()) push.updates.push_back({str(e, "ref"), str(e, "old"), str(e, "new")});
    push.new_commits = num(*p, "new_commits");
    si.push = std::move(push);
  }
  if (const json* g = object_at(s, "git")) si.git = git_from_json(*g);
  if (const json* g = object_at(s, "gitlab")) {
    GitLabInfo o;
    o.url = str(*g, "url");
    o.surfaces = str_list(*g, "surfaces");
    o.projects = num(*g, "projects");
    o.projects_refused = num(*g, "projects_refused");
    o.projects_in_other_shards = num(*g, "projects_in_other_shards");
    o.requests = num(*g, "requests");
    o.retries = num(*g, "retries");
    auto counts = [&](const char* key, std::map<std::string, std::uint64_t>& out) {
      if (const json* m = object_at(*g, key))
        for (auto it = m->begin(); it != m->end(); ++it)
          if (it.value().is_number_unsigned()) out[it.key()] = it.value().get<std::uint64_t>();
    };
    counts("items", o.items);
    counts("disabled", o.disabled);
    counts("reused", o.reused);
    o.state_dir = opt_str(*g, "state_dir");
    si.gitlab = std::move(o);
  }
  if (auto r = s.find("repositories"); r != s.end() && r->is_array())
    for (const auto& e : *r) {
      if (!e.is_object()) continue;
      RepositoryInfo ri;
      ri.repository = str(e, "repository");
      ri.error = opt_str(e, "error");
      if (const json* g = object_at(e, "git")) ri.git = git_from_json(*g);
      si.repositories.push_back(std::move(ri));
    }
  if (const json* sp = object_at(s, "suppression")) {
    SuppressionInfo o;
    o.inline_allow = opt_bool(*sp, "inline_allow").value_or(true);
    o.ignore_entries = num(*sp, "ignore_entries");
    o.baseline = opt_str(*sp, "baseline");
    o.baseline_fingerprints = num(*sp, "baseline_fingerprints");
    if (const json* c = object_at(*sp, "counts")) {
      o.ignore_file = num(*c, "ignore-file");
      o.inline_count = num(*c, "inline");
      o.baseline_count = num(*c, "baseline");
    }
    if (auto u = sp->find("unused_ignore_entries"); u != sp->end() && u->is_array())
      for (const auto& e : *u)
        if (e.is_object())
          o.unused.push_back({str(e, "file"), num(e, "line"), str(e, "fingerprint"), str(e, "path_glob")});
    si.suppression = std::move(o);
  }
  if (const json* v = object_at(s, "verification")) {
    VerificationInfo o;
    o.hosts = str_list(*v, "hosts");
    o.unique_tokens = num(*v, "unique_tokens");
    o.requests = num(*v, "requests");
    o.budget_exhausted = opt_bool(*v, "budget_exhausted").value_or(false);
    si.verification = std::move(o);
  }
  if (const json* m = object_at(s, "merge")) {
    MergeInfo o;
    o.reports = num(*m, "reports");
    if (const json* sh = object_at(*m, "shards")) {
      o.shards_total = static_cast<unsigned>(num(*sh, "total"));
      o.shards_by = str(*sh, "by");
      o.shards_present = num(*sh, "present");
    }
    o.duplicates_removed = num(*m, "duplicates_removed");
    si.merge = std::move(o);
  }
}

Result<Finding> finding_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return Error::config(where + " is not an object");
  Finding f;
  f.rule_id = str(j, "rule_id");
  if (f.rule_id.empty()) return Error::config(where + " has no rule_id");
  f.rule_name = str(j, "rule_name");
  auto sev = parse_severity(str(j, "severity"));
  if (!sev) return Error::config(where + ": unknown severity '" + str(j, "severity") + "'");
  f.severity = *sev;
  f.secret_sha256 = str(j, "secret_sha256");
  if (f.secret_sha256.size() != 64 ||
      f.secret_sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
    return Error::config(where + " has no valid secret_sha256");
  f.redacted = str(j, "redacted");
  if (auto s = opt_str(j, "secret")) f.secret = *s;  // only in --show-secrets reports
  Provenance& p = f.provenance;
  p.kind = parse_source_kind(str(j, "location_kind")).value_or(SourceKind::File);
  p.path = str(j, "path");
  if (auto b = opt_str(j, "path_bytes_b64")) {
    auto raw = base64_decode_std(*b);
    if (!raw) return Error::config(where + ": path_bytes_b64 is not base64");
    p.path = *raw;
  }
  f.line = num(j, "line", 1);
  f.column = num(j, "column", 1);
  f.end_line = num(j, "end_line", f.line);
  f.end_column = num(j, "end_column", f.column);
  f.offset = num(j, "offset");
  const std::string cs = str(j, "checksum");
  f.checksum = cs == "absent"    ? Checksum::Absent
               : cs == "valid"   ? Checksum::Valid
               : cs == "invalid" ? Checksum::Invalid
                                 : Checksum::None;
  if (const json* a = object_at(j, "attributes"))
    for (auto it = a->begin(); it != a->end(); ++it) {
      if (!it.value().is_string()) continue;
      if (it.key() == "repository")
        p.repository = it.value().get<std::string>();
      else
        f.attributes.emplace_back(it.key(), it.value().get<std::string>());
    }
  p.blob_id = opt_str(j, "blob_id");
  if (const json* c = object_at(j, "commit"))
    p.commit = CommitInfo{str(*c, "sha"),  str(*c, "author_name"), str(*c, "author_email"),
                          str(*c, "date"), str(*c, "message"),     opt_str(*c, "merge_sha")};
  p.in_head = opt_bool(j, "in_head");
  p.reachable_only_via = str(j, "reachable_only_via");
  p.refs = str_list(j, "refs");
  if (const json* s = object_at(j, "source")) {
    SourceRef r{str(*s, "kind"), str(*s, "project"), str(*s, "web_url"), std::nullopt, false};
    if (auto n = s->find("note_id"); n != s->end() && n->is_number_integer())
      r.note_id = n->get<std::int64_t>();
    p.source = std::move(r);
  }
  if (auto d = j.find("decoded"); d != j.end() && d->is_array())
    for (const auto& e : *d)
      if (e.is_object()) p.decoded.push_back({str(e, "kind"), str(e, "member"), num(e, "offset")});
  if (const json* s = object_at(j, "suppressed"))
    f.suppressed = Suppression{str(*s, "kind"), str(*s, "reason")};
  if (const json* o = object_at(j, "verification")) {
    Verification v;
    v.status = str(*o, "status");
    v.reason = str(*o, "reason");
    v.host = str(*o, "host");
    v.checked_at = str(*o, "checked_at");
    v.token_name = opt_str(*o, "token_name");
    v.scopes = str_list(*o, "scopes");
    v.created_at = opt_str(*o, "created_at");
    v.expires_at = opt_str(*o, "expires_at");
    v.last_used_at = opt_str(*o, "last_used_at");
    if (auto u = o->find("user_id"); u != o->end() && u->is_number_integer())
      v.user_id = u->get<std::int64_t>();
    if (auto t = o->find("token_id"); t != o->end() && t->is_number_integer())
      v.token_id = t->get<std::int64_t>();
    v.username = opt_str(*o, "username");
    v.is_admin = opt_bool(*o, "is_admin");
    v.risk_flags = str_list(*o, "risk_flags");
    v.granular_scopes = str_list(*o, "granular_scopes");
    if (const json* r = object_at(*o, "reach")) v.reach = reach_from_json(*r);
    f.verification = std::move(v);
  }
  // The written fingerprint must be the one this finding would get (a hand-edited report is
  // refused rather than merged into something inconsistent).
  if (auto fp = opt_str(j, "fingerprint"); fp && *fp != fingerprint(f))
    return Error::config(where + ": fingerprint does not match rule_id and secret_sha256");
  return f;
}

}  // namespace

Result<Report> parse_json_report(std::string_view text, const std::string& origin) {
  auto parsed = parse_report_document(text, origin, origin);
  if (!parsed) return parsed.error();
  const json& doc = *parsed;
  auto sc = doc.find("scan");
  if (sc == doc.end() || !sc->is_object())
    return Error::config(origin + ": the report has no \"scan\" object");
  const json& s = *sc;
  Report r;
  ScanInfo& si = r.scan;
  si.kind = str(s, "kind");
  si.targets = str_list(s, "targets");
  si.started_at = str(s, "started_at");
  si.finished_at = str(s, "finished_at");
  if (auto d = s.find("duration_seconds"); d != s.end() && d->is_number())
    si.duration_seconds = d->get<double>();
  if (const json* st = object_at(s, "stats")) {
    si.stats.files = num(*st, "files");
    si.stats.blobs = num(*st, "blobs");
    si.stats.bytes = num(*st, "bytes");
    si.stats.skipped = num(*st, "skipped");
    si.stats.errors = num(*st, "errors");
    si.stats.commits = num(*st, "commits");
    si.stats.reused = num(*st, "reused");
  }
  si.complete = opt_bool(s, "complete").value_or(true);
  si.incomplete_reasons = str_list(s, "incomplete_reasons");
  si.stats.warnings = str_list(s, "warnings");
  if (auto sk = s.find("skipped"); sk != s.end() && sk->is_array())
    for (const auto& k : *sk)
      if (k.is_object())
        si.stats.skips.push_back(
            {str(k, "path"), str(k, "reason"), str(k, "detail"), opt_bool(k, "error").value_or(false)});
  si.config_files = str_list(s, "config_files");
  for (const auto& id : str_list(s, "rules")) {
    Rule rule;
    rule.id = id;
    si.rules.push_back(std::move(rule));
  }
  sections_from_json(s, si);
  std::size_t i = 0;
  for (const auto& jf : doc["findings"]) {
    auto f = finding_from_json(jf, fmt::format("{}: finding {}", origin, i++));
    if (!f) return f.error();
    r.findings.push_back(std::move(*f));
  }
  return r;
}

Result<Report> load_json_report(const std::string& path) {
  auto text = read_regular_file(path, 4ull << 30, "report");
  if (!text) return Error::io(text.error().message);
  return parse_json_report(*text, path);
}

}  // namespace glpatrol
