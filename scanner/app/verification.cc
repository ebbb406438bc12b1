#include "app/verification.h"

#include "app/secret_input.h"
#include "common/echo.h"
#include "state/state_db.h"

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <set>

namespace glpatrol {

VerifyOptions to_verify_options(const ScanOptions& o, std::vector<GitLabHost> hosts) {
  VerifyOptions v;
  v.hosts = std::move(hosts);
  v.verify_runners = o.verify_runners;
  v.reach = o.verify_reach;
  v.concurrency = o.verify_concurrency == 0 ? 1 : o.verify_concurrency;
  v.request_timeout = std::chrono::milliseconds(static_cast<long long>(o.verify_timeout * 1000.0));
  v.total_budget = std::chrono::milliseconds(static_cast<long long>(o.verify_budget * 1000.0));
  return v;
}

Status load_admin_token(const ScanOptions& o, VerifyOptions& v) {
  auto t = read_secret(o.admin_token_file, "GITLAB_ADMIN_TOKEN", "--admin-token-file");
  if (!t) return t.error();
  if (t->empty() && !o.admin_token_file.empty())
    return Error::usage("--admin-token-file: the file holds no token");
  v.admin_token = std::move(*t);
  return Status::ok();
}

Status open_verify_cache(const ScanOptions& o, VerifyOptions& v) {
  if (!o.verify_cache) return Status::ok();
  // A directory the operator named must work or the run stops. The default one is a
  // convenience: without HOME/XDG_CACHE_HOME (a bare service account), or when it cannot be
  // used, verification goes on uncached with a warning.
  std::string dir = o.verify_cache_dir;
  const bool named = !dir.empty();
  if (!named) {
    auto def = state::default_cache_dir();
    if (!def) return Status::ok();
    dir = std::move(*def);
  }
  std::string context = "hosts=";
  for (const auto& h : v.hosts) context += h.base + " ";
  context += fmt::format("|reach={}|runners={}|admin={}", v.reach, v.verify_runners, !v.admin_token.empty());
  const auto ttl = std::chrono::seconds(static_cast<long long>(o.verify_ttl > 0 ? o.verify_ttl : 3600));
  auto c = VerifyCache::open(dir, ttl, context);
  if (!c && !named) {
    std::cerr << "glpatrol: warning: verification results are not kept: " << c.error().message << "\n";
    return Status::ok();
  }
  if (!c) return c.error();
  v.disk_cache = std::move(*c);
  return Status::ok();
}

void save_verify_cache(const VerifyOptions& v) {
  if (!v.disk_cache) return;
  if (auto s = v.disk_cache->save(std::chrono::system_clock::now()); !s)
    std::cerr << "glpatrol: warning: " << s.error().message << "\n";
}

void forget_in_verify_cache(const ScanOptions& o, const std::vector<GitLabHost>& hosts,
                            const std::vector<std::string>& secret_sha256s) {
  VerifyOptions v = to_verify_options(o, hosts);
  if (secret_sha256s.empty() || !open_verify_cache(o, v) || !v.disk_cache) return;
  for (const auto& s : secret_sha256s) v.disk_cache->forget(s);
  save_verify_cache(v);
}

CurlClientOptions curl_options(const ScanOptions& o) {
  CurlClientOptions c;
  c.ca_bundle = o.ca_bundle;
  // A page of 100 associations (verification reach) is larger than the 64 KiB a single token
  // answer needs; still bounded.
  c.max_body = 512 * 1024;
  return c;
}

std::string host_list(const std::vector<GitLabHost>& hosts) {
  std::string s;
  for (const auto& h : hosts) s += (s.empty() ? "" : ", ") + redact_token_shaped(h.base);
  return s;
}

Result<std::vector<GitLabHost>> hosts_for(const ScanOptions& o) {
  return resolve_gitlab_hosts(o.gitlab_urls, [](const char* n) { return std::getenv(n); });
}

/// The rule behind each finding: its verify key and severity.
TokenQuery query_for(const Finding& f, const std::map<std::string, std::string>& verify_kinds) {
  TokenQuery q;
  q.secret = f.secret;
  q.secret_sha256 = f.secret_sha256;
  q.rule_id = f.rule_id;
  q.severity = f.severity;
  q.attributes = f.attributes;
  auto it = verify_kinds.find(f.rule_id);
  q.verify_kind = it == verify_kinds.end() ? "none:no verifier for this rule" : it->second;
  return q;
}

VerificationInfo verification_info(const std::vector<GitLabHost>& hosts, const VerifyStats& s) {
  VerificationInfo v;
  for (const auto& h : hosts) v.hosts.push_back(h.base);
  v.unique_tokens = s.tokens;
  v.requests = s.requests;
  v.budget_exhausted = s.budget_exhausted;
  return v;
}

Status verify_findings(const ScanOptions& o, const std::vector<Rule>& rules, std::vector<Finding>& findings,
                       ScanInfo& info, ScanStats& stats) {
  auto hosts = hosts_for(o);
  if (!hosts) return hosts.error();
  std::map<std::string, std::string> kinds;
  for (const auto& r : rules) kinds.emplace(r.id, r.verify);
  // Only unsuppressed findings' tokens are verified (deduplicated by token hash). A token that
  // also appears in suppressed places gets the same result there; a token found only in
  // suppressed places keeps verification = null (docs/verification.md).
  std::vector<TokenQuery> queries;
  std::set<std::string> seen;
  for (const auto& f : findings)
    if (!f.suppressed && seen.insert(f.secret_sha256).second) queries.push_back(query_for(f, kinds));
  std::cerr << fmt::format("glpatrol: verifying {} unique token(s) with {}\n", queries.size(),
                           host_list(*hosts));
  if (queries.empty()) {  // nothing to send: libcurl is not even initialised
    info.verification = verification_info(*hosts, VerifyStats{});
    return Status::ok();
  }
  VerifyOptions vo = to_verify_options(o, *hosts);
  if (auto s = load_admin_token(o, vo); !s) return s;
  if (auto s = open_verify_cache(o, vo); !s) return s;
  auto http = std::shared_ptr<HttpClient>(make_curl_client(curl_options(o)));
  Verifier verifier(vo, http);
  const auto results = verifier.verify_all(queries);
  save_verify_cache(vo);
  std::map<std::string, const Verification*> by_hash;
  for (std::size_t i = 0; i < queries.size(); ++i) by_hash[queries[i].secret_sha256] = &results[i];
  for (auto& f : findings)
    if (auto it = by_hash.find(f.secret_sha256); it != by_hash.end()) f.verification = *it->second;
  const VerifyStats st = verifier.stats();
  info.verification = verification_info(*hosts, st);
  if (st.budget_exhausted) stats.warn("verification time budget exhausted: some tokens are 'unknown'");
  return Status::ok();
}

}  // namespace glpatrol
