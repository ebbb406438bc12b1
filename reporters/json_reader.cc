// Reader of glpatrol's own JSON report (the inverse of json_reporter.cc).
#include "reporters/json_reader.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "common/encoding.h"

namespace glpatrol {

namespace {

using json = nlohmann::ordered_json;

std::string str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::string> opt_str(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::uint64_t num(const json& o, const char* key, std::uint64_t dflt = 0) {
  auto it = o.find(key);
  return it != o.end() && it->is_number_unsigned() ? it->get<std::uint64_t>()
         : it != o.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0
             ? static_cast<std::uint64_t>(it->get<std::int64_t>())
             : dflt;
}

std::vector<std::string> str_list(const json& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::optional<std::string> base64_decode_std(const std::string& s) {
  std::string t;
  for (char c : s) {
    if (c == '=') break;
    t += c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return base64url_decode(t);
}

Result<Finding> read_finding(const json& j, const std::string& where) {
  if (!j.is_object()) return Error::config(where + " is not an object");
  Finding f;
  f.rule_id = str(j, "rule_id");
  if (f.rule_id.empty()) return Error::config(where + " has no rule_id");
  f.rule_name = str(j, "rule_name");
  auto sev = parse_severity(str(j, "severity"));
  if (!sev) return Error::config(where + ": unknown severity '" + str(j, "severity") + "'");
  f.severity = *sev;
  f.secret_sha256 = str(j, "secret_sha256");
  if (f.secret_sha256.size() != 64 || f.secret_sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
    return Error::config(where + " has no valid secret_sha256");
  f.redacted = str(j, "redacted");
  if (auto s = opt_str(j, "secret")) f.secret = *s;  // only in --show-secrets reports
  f.location_kind = str(j, "location_kind");
  if (f.location_kind.empty()) f.location_kind = "file";
  f.path = str(j, "path");
  if (auto b = opt_str(j, "path_bytes_b64")) {
    auto raw = base64_decode_std(*b);
    if (!raw) return Error::config(where + ": path_bytes_b64 is not base64");
    f.path = *raw;
  }
  f.line = num(j, "line", 1);
  f.column = num(j, "column", 1);
  f.end_line = num(j, "end_line", f.line);
  f.end_column = num(j, "end_column", f.column);
  f.offset = num(j, "offset");
  const std::string cs = str(j, "checksum");
  f.checksum = cs == "absent" ? Checksum::Absent : cs == "valid" ? Checksum::Valid
             : cs == "invalid" ? Checksum::Invalid : Checksum::None;
  if (auto it = j.find("attributes"); it != j.end() && it->is_object())
    for (auto a = it->begin(); a != it->end(); ++a)
      if (a.value().is_string()) f.attributes.emplace_back(a.key(), a.value().get<std::string>());
  f.blob_id = opt_str(j, "blob_id");
  if (auto it = j.find("commit"); it != j.end() && it->is_object()) {
    CommitInfo c;
    c.sha = str(*it, "sha");
    c.author_name = str(*it, "author_name");
    c.author_email = str(*it, "author_email");
    c.date = str(*it, "date");
    c.message = str(*it, "message");
    c.merge_sha = opt_str(*it, "merge_sha");
    f.commit = std::move(c);
  }
  if (auto it = j.find("in_head"); it != j.end() && it->is_boolean()) f.in_head = it->get<bool>();
  f.refs = str_list(j, "refs");
  if (auto it = j.find("suppressed"); it != j.end() && it->is_object())
    f.suppressed = Suppression{str(*it, "kind"), str(*it, "reason")};
  if (auto it = j.find("verification"); it != j.end() && it->is_object()) {
    const json& o = *it;
    Verification v;
    v.status = str(o, "status");
    v.reason = str(o, "reason");
    v.host = str(o, "host");
    v.checked_at = str(o, "checked_at");
    v.token_name = opt_str(o, "token_name");
    v.scopes = str_list(o, "scopes");
    v.created_at = opt_str(o, "created_at");
    v.expires_at = opt_str(o, "expires_at");
    v.last_used_at = opt_str(o, "last_used_at");
    if (auto u = o.find("user_id"); u != o.end() && u->is_number_integer()) v.user_id = u->get<std::int64_t>();
    v.username = opt_str(o, "username");
    if (auto a = o.find("is_admin"); a != o.end() && a->is_boolean()) v.is_admin = a->get<bool>();
    v.risk_flags = str_list(o, "risk_flags");
    f.verification = std::move(v);
  }
  // The written fingerprint must be the one this finding would get (a hand-edited report
  // is refused rather than merged into something inconsistent).
  if (auto fp = opt_str(j, "fingerprint"); fp && *fp != fingerprint(f))
    return Error::config(where + ": fingerprint does not match rule_id and secret_sha256");
  return f;
}

}  // namespace

Result<Report> parse_json_report(std::string_view text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return Error::config(origin + ": not valid JSON (" + e.what() + ")");
  }
  if (!doc.is_object() || !doc.contains("findings") || !doc["findings"].is_array() ||
      !doc.contains("scan") || !doc["scan"].is_object())
    return Error::config(origin + ": not a glpatrol JSON report (write one with -f json or "
                         "-r json:PATH)");
  std::string tool;
  if (auto t = doc.find("tool"); t != doc.end() && t->is_object()) tool = str(*t, "name");
  if (tool != kToolName)
    return Error::config(origin + ": written by '" + (tool.empty() ? "an unknown tool" : tool) +
                         "', not glpatrol");
  const std::string version = str(doc, "schema_version");
  if (version.rfind("1.", 0) != 0)
    return Error::config(origin + ": report schema version '" + version +
                         "'; this glpatrol reads version 1.x");
  Report r;
  const json& s = doc["scan"];
  ScanInfo& si = r.scan;
  si.kind = str(s, "kind");
  si.targets = str_list(s, "targets");
  si.started_at = str(s, "started_at");
  si.finished_at = str(s, "finished_at");
  if (auto d = s.find("duration_seconds"); d != s.end() && d->is_number()) si.duration_seconds = d->get<double>();
  if (auto st = s.find("stats"); st != s.end() && st->is_object()) {
    si.stats.files = num(*st, "files");
    si.stats.blobs = num(*st, "blobs");
    si.stats.bytes = num(*st, "bytes");
    si.stats.skipped = num(*st, "skipped");
    si.stats.errors = num(*st, "errors");
    si.stats.commits = num(*st, "commits");
  }
  if (auto c = s.find("complete"); c != s.end() && c->is_boolean()) si.complete = c->get<bool>();
  si.incomplete_reasons = str_list(s, "incomplete_reasons");
  si.stats.warnings = str_list(s, "warnings");
  if (auto sk = s.find("skipped"); sk != s.end() && sk->is_array())
    for (const auto& k : *sk)
      if (k.is_object()) {
        auto e = k.find("error");
        si.stats.skips.push_back({str(k, "path"), str(k, "reason"), str(k, "detail"),
                                  e != k.end() && e->is_boolean() && e->get<bool>()});
      }
  si.config_files = str_list(s, "config_files");
  for (const auto& id : str_list(s, "rules")) {
    Rule rule;
    rule.id = id;
    si.rules.push_back(std::move(rule));
  }
  static const char* kKnown[] = {"kind", "targets", "started_at", "finished_at", "duration_seconds",
                                 "stats", "complete", "incomplete_reasons", "warnings", "skipped",
                                 "config_files", "rules"};
  for (auto it = s.begin(); it != s.end(); ++it) {
    bool known = false;
    for (const char* k : kKnown) known |= it.key() == k;
    if (!known) si.extra[it.key()] = it.value();
  }
  std::size_t i = 0;
  for (const auto& jf : doc["findings"]) {
    auto f = read_finding(jf, fmt::format("{}: finding {}", origin, i++));
    if (!f) return f.error();
    r.findings.push_back(std::move(*f));
  }
  return r;
}

Result<Report> load_json_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::io(path + ": cannot read report");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) return Error::io(path + ": read error");
  return parse_json_report(ss.str(), path);
}

}  // namespace glpatrol
