// GitLab token verification: which request each token kind gets, how every answer maps to a
// status, and the risk assessment. See verifier.h for the safety contract.
#include "common/echo.h"
#include "common/encoding.h"
#include "common/time.h"
#include "net/transport.h"
#include "verifier/json_fields.h"
#include "verifier/verifier.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <thread>

namespace glpatrol {

namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr auto kDay = std::chrono::hours(24);
constexpr auto kMinRequestTime = std::chrono::milliseconds(100);  ///< see Verifier::send
constexpr int kRotateDays = 90;
constexpr int kUnusedDays = 90;
constexpr int kMaxLifetimeDays = 365;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// GitLab's timestamps ("2026-01-02", "2026-01-02T03:04:05.678Z", "...+01:00"): the one ISO 8601
/// parser in common/time.h.
std::optional<std::chrono::system_clock::time_point> parse_time(const std::string& s) {
  const auto t = parse_iso8601(s);
  if (!t) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(*t));
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& v,
                                                           std::chrono::system_clock::time_point now) {
  // The server's value is clamped to a day before any arithmetic: a year-9999 date or a
  // 30-digit delta must not overflow (the caller refuses any wait beyond its own budget).
  constexpr std::chrono::milliseconds kCap = std::chrono::hours(24);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (v.size() > 9) return kCap;
    return std::min<std::chrono::milliseconds>(std::chrono::seconds(std::stol(v)), kCap);
  }
  std::tm tm{};
  const char* end = strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  // Compare calendar fields with the cap before converting: timegm of year 9999 fits a 64-bit
  // time_t, but the difference in milliseconds would not fit a signed 64-bit count.
  const std::time_t at = timegm(&tm);
  if (at == static_cast<std::time_t>(-1)) return std::nullopt;
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t delta_s = static_cast<std::int64_t>(at) - now_s;
  if (delta_s <= 0) return 0ms;
  if (delta_s >= std::chrono::duration_cast<std::chrono::seconds>(kCap).count()) return kCap;
  return std::chrono::milliseconds(delta_s * 1000);
}

namespace {

using json_fields::opt_string;

std::optional<Json> parse_object(const HttpResponse& r) {
  Json j = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

/// Scope tiers (docs/gitlab-tokens.md 4.1, our proposal).
bool is_admin_scope(const std::string& s) { return s == "sudo" || s == "admin_mode"; }
bool is_broad_scope(const std::string& s) {
  static const char* const kBroad[] = {
      "api",           "write_repository", "write_registry", "write_virtual_registry", "create_runner",
      "manage_runner", "k8s_proxy",        "self_rotate",    "write_observability"};
  if (is_admin_scope(s)) return true;
  return std::any_of(std::begin(kBroad), std::end(kBroad), [&](const char* b) { return s == b; });
}
bool is_low_scope(const std::string& s) {
  return s == "read_user" || s == "read_service_ping" || s == "read_observability" || s == "openid" ||
         s == "profile" || s == "email";
}
bool may_read_user(const std::vector<std::string>& scopes) {
  return std::any_of(scopes.begin(), scopes.end(), [](const std::string& s) {
    return s == "api" || s == "read_api" || s == "read_user" || s == "sudo";
  });
}

std::string attr(const TokenQuery& q, const std::string& key) {
  for (const auto& [k, v] : q.attributes)
    if (k == key) return v;
  return {};
}

/// Host name of a JWT issuer ("https://gitlab.example.com", "gitlab.example.com:8443/x").
std::string issuer_host(std::string iss) {
  if (auto p = iss.find("://"); p != std::string::npos) iss = iss.substr(p + 3);
  if (auto p = iss.find_first_of("/?#"); p != std::string::npos) iss = iss.substr(0, p);
  if (auto p = iss.rfind('@'); p != std::string::npos) iss = iss.substr(p + 1);
  if (!iss.empty() && iss.front() == '[') {
    if (auto p = iss.find(']'); p != std::string::npos) return lower(iss.substr(1, p - 1));
  }
  if (auto p = iss.find(':'); p != std::string::npos) iss = iss.substr(0, p);
  return lower(iss);
}

bool contains(const std::string& hay, const char* needle) {
  return lower(hay).find(needle) != std::string::npos;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Hosts

Result<GitLabHost> parse_gitlab_url(const std::string& url) {
  // A token pasted in place of the URL must never reach a resolver, a report or a log: refused
  // first, and the message does not repeat the value.
  if (contains_token_shaped(url))
    return Error::usage(
        "GitLab URL looks like it contains a token; give only the instance's address "
        "(the value is not shown)");
  const std::string l = lower(url);
  std::string scheme;
  if (l.rfind("https://", 0) == 0)
    scheme = "https";
  else if (l.rfind("http://", 0) == 0)
    scheme = "http";
  else
    return Error::usage("GitLab URL must start with https://");
  std::string rest = url.substr(scheme.size() + 3);
  if (rest.find_first_of("?#") != std::string::npos)
    return Error::usage("GitLab URL must not have a query or fragment");
  if (rest.find_first_of(" \t\r\n\\") != std::string::npos)
    return Error::usage("GitLab URL contains invalid characters");
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string::npos)
    return Error::usage("GitLab URL must not contain user info (credentials); pass only the host");
  std::string host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return Error::usage("GitLab URL: bad IPv6 host");
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Error::usage("GitLab URL: bad host");
      port = authority.substr(close + 2);
    }
  } else if (auto colon = authority.find(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Error::usage("GitLab URL has no host");
  if (!port.empty() && (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
                          return std::isdigit(static_cast<unsigned char>(c));
                        })))
    return Error::usage("GitLab URL has an invalid port");
  if (host.front() != '[')
    for (char c : host)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
        return Error::usage("GitLab URL has an invalid host");
  if (scheme == "http" && !net::is_loopback_host(host))
    return Error::usage("GitLab URL: plain http is only allowed to loopback addresses; use https");
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (lower(path).size() >= 7 && lower(path).compare(path.size() - 7, 7, "/api/v4") == 0)
    path.resize(path.size() - 7);
  while (!path.empty() && path.back() == '/') path.pop_back();
  GitLabHost h;
  h.host = lower(host.front() == '[' ? host.substr(1, host.size() - 2) : host);
  h.base = scheme + "://" + lower(host) + (port.empty() ? "" : ":" + port) + path;
  return h;
}

Result<std::vector<GitLabHost>> resolve_gitlab_hosts(
    const std::vector<std::string>& urls, const std::function<const char*(const char*)>& getenv_fn) {
  std::vector<GitLabHost> out;
  auto add = [&out](GitLabHost h) {
    for (const auto& o : out)
      if (o.base == h.base) return;
    out.push_back(std::move(h));
  };
  for (const auto& u : urls) {
    auto h = parse_gitlab_url(u);
    if (!h) return h.error().with_context("--gitlab-url");
    add(std::move(*h));
  }
  if (!out.empty()) return out;
  const char* ci = getenv_fn("GITLAB_CI");
  const char* server = getenv_fn("CI_SERVER_URL");
  if (ci != nullptr && std::string(ci) == "true" && server != nullptr && server[0] != '\0') {
    auto h = parse_gitlab_url(server);
    if (!h) return Error::config(h.error().message).with_context("CI_SERVER_URL");
    out.push_back(std::move(*h));
    return out;
  }
  GitLabHost def;
  def.base = "https://gitlab.com";
  def.host = "gitlab.com";
  def.from_default = true;
  out.push_back(def);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scrubbing and risk

std::string scrub_secret(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (const std::string& needle : {secret, percent_encode(secret)}) {
    std::size_t pos = 0;
    while ((pos = text.find(needle, pos)) != std::string::npos) {
      text.replace(pos, needle.size(), "[REDACTED]");
      pos += 10;
    }
  }
  return text;
}

void assess_risk(Verification& v, Severity rule_severity, std::chrono::system_clock::time_point now) {
  v.risk_flags.clear();
  v.severity_override.reset();
  if (v.status == "revoked" || v.status == "expired" || v.status == "invalid") {
    // The leak happened and stays a finding, but the token no longer opens anything.
    v.severity_override = std::min(rule_severity, Severity::Low);
    return;
  }
  if (v.status != "active") return;
  auto flag = [&v](const char* f) { v.risk_flags.emplace_back(f); };
  // token_name is only known from /personal_access_tokens/self, the one source of lifetimes.
  const bool have_lifetime = v.token_name.has_value();
  const auto created = v.created_at ? parse_time(*v.created_at) : std::nullopt;
  const auto expires = v.expires_at ? parse_time(*v.expires_at) : std::nullopt;
  const auto used = v.last_used_at ? parse_time(*v.last_used_at) : std::nullopt;
  if (have_lifetime && !v.expires_at) flag("no-expiry");
  if (created && expires && *expires - *created > kMaxLifetimeDays * kDay) flag("over-max-lifetime");
  if (created && now - *created > kRotateDays * kDay) flag("not-rotated");
  if (have_lifetime && (!used || now - *used > kUnusedDays * kDay)) flag("unused-90d");
  const bool admin_scope = std::any_of(v.scopes.begin(), v.scopes.end(), is_admin_scope);
  const bool broad = std::any_of(v.scopes.begin(), v.scopes.end(), is_broad_scope);
  if (broad) flag("broad-scope");
  if (admin_scope) flag("admin-scope");
  if (v.is_admin.value_or(false)) flag("admin-owner");

  if (admin_scope || broad || v.is_admin.value_or(false)) {
    v.severity_override = Severity::Critical;
  } else if (!v.scopes.empty()) {
    const bool all_low = std::all_of(v.scopes.begin(), v.scopes.end(), is_low_scope);
    v.severity_override = all_low ? Severity::Medium : Severity::High;
  } else {
    // Live, scopes unknown (job token, session, runner, PAT without metadata): at least high.
    v.severity_override = std::max(rule_severity, Severity::High);
  }
}

// ---------------------------------------------------------------------------------------------
// Verifier

Verifier::Verifier(VerifyOptions opts, std::shared_ptr<HttpClient> http, VerifyClock clock)
    : opts_(std::move(opts)), http_(std::move(http)), clock_(std::move(clock)) {
  if (!clock_.sleep) clock_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (opts_.concurrency == 0) opts_.concurrency = 1;
  deadline_ = clock_.mono() + opts_.total_budget;
}

VerifyStats Verifier::stats() const {
  VerifyStats s;
  s.tokens = tokens_.load();
  s.requests = requests_.load();
  s.cache_hits = cache_hits_.load();
  s.budget_exhausted = budget_exhausted_.load();
  return s;
}

std::chrono::milliseconds Verifier::remaining() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - clock_.mono());
}

Verification Verifier::base(const GitLabHost& h) const {
  Verification v;
  v.host = h.base;
  v.checked_at = iso8601(clock_.wall());
  return v;
}

std::vector<Verification> Verifier::verify_all(const std::vector<TokenQuery>& queries) {
  // Unique tokens first, so that no two workers ever ask about the same token.
  std::vector<std::size_t> unique;
  {
    std::map<std::string, bool> seen;
    for (std::size_t i = 0; i < queries.size(); ++i)
      if (seen.emplace(queries[i].secret_sha256, true).second) unique.push_back(i);
  }
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t k = next++; k < unique.size(); k = next++) (void)verify(queries[unique[k]]);
  };
  const std::size_t n = std::min<std::size_t>(opts_.concurrency, unique.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < n; ++i) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  std::vector<Verification> out;
  out.reserve(queries.size());
  for (const auto& q : queries) out.push_back(verify(q));  // all cached now
  return out;
}

Verification Verifier::verify(const TokenQuery& q) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cache_.find(q.secret_sha256); it != cache_.end()) {
      ++cache_hits_;
      return it->second;
    }
  }
  if (opts_.disk_cache)
    if (auto hit = opts_.disk_cache->get(q.secret_sha256, clock_.wall())) {
      ++cache_hits_;
      Verification v = std::move(*hit);
      assess_risk(v, q.severity, clock_.wall());
      if (q.verify_kind == "session" && v.status == "active") v.severity_override = Severity::Critical;
      std::lock_guard<std::mutex> lock(mu_);
      return cache_.emplace(q.secret_sha256, std::move(v)).first->second;
    }
  // Verification never changes the outcome of a scan: whatever an answer holds (wrong JSON
  // types, a value out of range), any exception while reading it makes this token unknown.
  Verification v;
  try {
    v = verify_uncached(q);
  } catch (const std::exception& e) {
    v = base(GitLabHost{});
    v.status = "unknown";
    v.reason = std::string("unexpected answer (") + e.what() + ")";
  }
  v.reason = scrub_secret(scrub_secret(v.reason, q.secret), opts_.admin_token);
  if (opts_.disk_cache) opts_.disk_cache->put(q.secret_sha256, v);
  assess_risk(v, q.severity, clock_.wall());
  // A live session cookie is the user's whole signed-in session, whatever token scopes exist.
  if (q.verify_kind == "session" && v.status == "active") v.severity_override = Severity::Critical;
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.emplace(q.secret_sha256, std::move(v)).first->second;
}

Verification Verifier::verify_uncached(const TokenQuery& q) {
  ++tokens_;
  const GitLabHost none{};
  const std::string& kind = q.verify_kind;
  auto unverifiable = [&](std::string reason) {
    Verification v = base(none);
    v.status = "unverifiable";
    v.reason = std::move(reason);
    return v;
  };
  std::string admin_note;
  // PAT-family tokens keep their own self endpoint (it says more: owner, reach); every other
  // kind is identified with the administrator's token when one is given.
  if (!opts_.admin_token.empty() && !opts_.hosts.empty() && !kind.empty() && kind != "pat")
    if (auto v = verify_with_admin_api(q, admin_note)) return *v;
  if (!admin_note.empty() && (kind.rfind("none:", 0) == 0 || kind == "none"))
    return unverifiable((kind == "none" ? std::string("no verifier for this token kind") : kind.substr(5)) +
                        "; " + admin_note);
  if (kind.rfind("none:", 0) == 0) return unverifiable(kind.substr(5));
  if (kind.empty() || kind == "none") return unverifiable("no verifier for this token kind");
  if (kind == "runner-registration")
    return unverifiable(
        "no side-effect-free check: a registration token can only be used to register a runner");
  if (kind == "runner" && !opts_.verify_runners)
    return unverifiable(
        "runner tokens are checked only with --verify-runners, because "
        "POST /runners/verify updates the runner's last-contact time");
  if (kind != "pat" && kind != "job" && kind != "session" && kind != "runner")
    return unverifiable("no verifier for kind '" + kind + "'");

  std::vector<const GitLabHost*> hosts;
  for (const auto& h : opts_.hosts) hosts.push_back(&h);
  const std::string iss = attr(q, "jwt.iss");
  if (kind == "job" && !iss.empty()) {
    // A JWT job token names its issuer. It is only ever sent to a configured host with that
    // name: the issuer from scanned content never chooses where a request goes.
    const std::string ih = issuer_host(iss);
    hosts.erase(
        std::remove_if(hosts.begin(), hosts.end(), [&](const GitLabHost* h) { return h->host != ih; }),
        hosts.end());
    if (hosts.empty()) {
      Verification v = base(none);
      v.status = "unknown";
      v.reason = "not verifiable against the configured host(s): the token was issued by '" +
                 ih.substr(0, 200) + "' (pass --gitlab-url for it)";
      return v;
    }
  }
  if (kind == "pat" && q.secret.rfind("glpat-", 0) != 0 && opts_.hosts.size() == 1 &&
      opts_.hosts.front().from_default) {
    Verification v = base(opts_.hosts.front());
    v.status = "unknown";
    v.reason =
        "not verifiable against gitlab.com: the token carries a self-managed instance's "
        "custom prefix (pass --gitlab-url for that instance)";
    return v;
  }

  std::optional<Verification> first_unknown, first_invalid;
  std::size_t invalid_hosts = 0;
  for (const GitLabHost* h : hosts) {
    if (remaining() < kMinRequestTime) {
      budget_exhausted_ = true;
      Verification v = base(*h);
      v.status = "unknown";
      v.reason = "verification time budget exhausted";
      if (!first_unknown) first_unknown = v;
      break;
    }
    Verification v = verify_on_host(q, *h);
    if (v.status == "active" || v.status == "revoked" || v.status == "expired") return v;
    if (v.status == "invalid") {
      ++invalid_hosts;
      if (!first_invalid) first_invalid = std::move(v);
    } else if (!first_unknown) {
      first_unknown = std::move(v);
    }
  }
  if (first_unknown) {
    if (invalid_hosts != 0)
      first_unknown->reason += "; rejected by " + std::to_string(invalid_hosts) + " other host(s)";
    return *first_unknown;
  }
  Verification v = first_invalid ? *first_invalid : base(none);
  if (!first_invalid) {
    v.status = "unknown";
    v.reason = "no host to verify against";
  } else if (hosts.size() > 1) {
    v.reason = "rejected by all " + std::to_string(hosts.size()) + " configured hosts";
  } else if (hosts.front()->from_default && v.reason.empty()) {
    v.reason =
        "rejected by gitlab.com (a token of a self-managed GitLab is only known there: "
        "--gitlab-url)";
  }
  return v;
}

std::optional<Verification> Verifier::verify_with_admin_api(const TokenQuery& q, std::string& note) {
  if (admin_api_off_) return std::nullopt;
  const GitLabHost& h = opts_.hosts.front();
  if (remaining() < kMinRequestTime) return std::nullopt;
  ++requests_;
  const AdminTokenAnswer a = admin_token_call(*http_, h, opts_.admin_token, q.secret, "POST",
                                              std::min(opts_.request_timeout, remaining()));
  if (a.status == 200) {
    Verification v = base(h);
    if (apply_admin_token_info(a.body, clock_.wall(), v)) return v;
    note = "the token information API gave an unexpected answer";
    return std::nullopt;
  }
  if (a.status == 0) {
    note = "the token information API could not be reached";
  } else if (a.status == 404) {
    // GitLab answers 404 both for an unknown token and where the API does not exist.
    note = "the token information API does not know it (HTTP 404: unknown token, or GitLab before 17.5)";
  } else if (a.status == 422) {
    note = "the token information API cannot identify this kind (HTTP 422)";
  } else {
    admin_api_off_ = true;  // 401/403: not an administrator, or the API is disabled
    note =
        "the token information API refused the administrator token (HTTP " + std::to_string(a.status) + ")";
  }
  return std::nullopt;
}

Verification Verifier::verify_on_host(const TokenQuery& q, const GitLabHost& h) {
  if (q.verify_kind == "pat") return verify_pat(q, h);
  if (q.verify_kind == "job") return verify_job(q, h);
  if (q.verify_kind == "runner") return verify_runner(q, h);
  // session: the cookie is accepted by the API; GET /user is read-only.
  return verify_user_endpoint(q, h, {"Cookie", "_gitlab_session=" + q.secret}, "session cookie");
}

Verifier::Outcome Verifier::send(HttpRequest req, const std::string& secret) {
  for (int attempt = 0;; ++attempt) {
    const auto rem = remaining();
    // A request with only a few milliseconds left cannot get an answer (TLS alone takes
    // longer); starting it would only hand the server a token for nothing.
    if (rem < kMinRequestTime) {
      budget_exhausted_ = true;
      return {std::nullopt, "verification time budget exhausted"};
    }
    req.timeout = std::min(opts_.request_timeout, rem);
    ++requests_;
    auto r = http_->send(req);
    if (!r) return {std::nullopt, scrub_secret(r.error().message, secret)};
    if (r->status != 429) return {std::move(*r), {}};
    if (attempt >= opts_.max_retries)
      return {std::nullopt, "rate limited (HTTP 429) after " + std::to_string(attempt + 1) + " attempts"};
    auto wait = r->retry_after ? parse_retry_after(*r->retry_after, clock_.wall()) : std::nullopt;
    const std::chrono::milliseconds delay = wait ? *wait : std::chrono::milliseconds(1000LL << attempt);
    if (delay > opts_.max_retry_wait || delay >= remaining())
      return {std::nullopt, "rate limited (HTTP 429); the server asked to wait " +
                                std::to_string(delay.count() / 1000) + " s, beyond the verification budget"};
    clock_.sleep(delay);
  }
}

std::optional<HttpResponse> Verifier::get(const GitLabHost& h, const std::string& path,
                                          std::pair<std::string, std::string> auth, const std::string& secret,
                                          Verification& v) {
  HttpRequest req;
  req.url = h.base + path;
  req.headers = {std::move(auth)};
  v = base(h);
  return call(req, secret, v);
}

std::optional<HttpResponse> Verifier::call(const HttpRequest& req, const std::string& secret,
                                           Verification& v) {
  Outcome o = send(req, secret);
  if (!o.resp) {
    v.status = "unknown";
    v.reason = o.error;
  }
  return std::move(o.resp);
}

namespace {

/// A 200 answer must be a JSON object with `key`; anything else (an HTML login page, a
/// proxy's error page) proves nothing and makes `v` unknown.
std::optional<Json> expect_object(const HttpResponse& r, const char* key, const char* what, Verification& v) {
  auto j = parse_object(r);
  if (!j || !j->contains(key)) {
    v.status = "unknown";
    v.reason = std::string("unexpected answer (HTTP 200 without ") + what + " JSON)";
    return std::nullopt;
  }
  return j;
}

/// A 401 from GitLab: revoked and expired have their own error_description.
void classify_401(Verification& v, const HttpResponse& r) {
  if (contains(r.body, "revoked")) {
    v.status = "revoked";
  } else if (contains(r.body, "expired")) {
    v.status = "expired";
  } else if (contains(r.body, "impersonation")) {
    v.status = "invalid";
    v.reason = "impersonation token, but impersonation is disabled on this instance";
  } else {
    v.status = "invalid";
  }
}

/// Any answer that proves nothing about the token.
void classify_other(Verification& v, const HttpResponse& r) {
  v.status = "unknown";
  if (r.truncated) {
    v.reason = "response larger than the size cap";
  } else if (r.status >= 300 && r.status < 400) {
    v.reason = "redirect (HTTP " + std::to_string(r.status) + ") not followed";
  } else if (r.status >= 500) {
    v.reason = "server error (HTTP " + std::to_string(r.status) + ")";
  } else {
    v.reason = "unexpected answer (HTTP " + std::to_string(r.status) + ")";
  }
}

/// 403 from GitLab for an authenticated token: scope too narrow, or owner blocked.
bool classify_403(Verification& v, const HttpResponse& r) {
  if (r.truncated) return false;
  if (contains(r.body, "insufficient_scope")) {
    v.status = "active";
    v.reason = "token works; its scopes do not allow reading this endpoint (insufficient_scope)";
    return true;
  }
  if (contains(r.body, "blocked")) {
    v.status = "active";
    v.reason = "token exists but its owner's account is blocked";
    return true;
  }
  return false;
}

}  // namespace

Verification Verifier::verify_pat(const TokenQuery& q, const GitLabHost& h) {
  // Authorization: Bearer rather than PRIVATE-TOKEN: GitLab accepts both, and libcurl never
  // forwards Authorization to another host even if a redirect were ever followed.
  const std::pair<std::string, std::string> auth{"Authorization", "Bearer " + q.secret};
  Verification v;
  const auto resp = get(h, "/api/v4/personal_access_tokens/self", auth, q.secret, v);
  if (!resp) return v;
  const HttpResponse& r = *resp;
  if (r.status == 200 && !r.truncated) {
    auto j = expect_object(r, "scopes", "token", v);
    if (!j) return v;
    v.token_name = opt_string(*j, "name").value_or("");
    // Fine-grained tokens answer `granular: true` and `granular_scopes`; their `scopes` is a
    // placeholder ("granular"), never reported as the token's scopes.
    bool granular = false;
    if (auto it = j->find("granular"); it != j->end() && it->is_boolean()) granular = it->get<bool>();
    if (auto it = j->find("granular_scopes"); it != j->end() && it->is_array()) {
      granular = true;
      for (const auto& g : *it) {
        if (!g.is_object()) continue;
        std::string where = opt_string(g, "access").value_or("unknown access");
        for (const char* k : {"project_id", "group_id"})
          if (auto id = g.find(k); id != g.end() && id->is_number_integer())
            where += std::string(", ") + (k[0] == 'p' ? "project " : "group ") +
                     std::to_string(id->get<std::int64_t>());
        if (auto perms = g.find("permissions"); perms != g.end() && perms->is_array())
          for (const auto& p : *perms)
            if (p.is_string()) v.granular_scopes.push_back(p.get<std::string>() + " (" + where + ")");
      }
      if (v.granular_scopes.empty()) v.granular_scopes.emplace_back("(no permissions listed)");
    }
    if (auto it = j->find("scopes"); it->is_array())
      for (const auto& s : *it)
        if (s.is_string() && !(granular && s.get<std::string>() == "granular"))
          v.scopes.push_back(s.get<std::string>());
    if (granular && v.granular_scopes.empty())
      v.granular_scopes.emplace_back("(fine-grained; permissions not listed)");
    v.created_at = opt_string(*j, "created_at");
    v.expires_at = opt_string(*j, "expires_at");
    v.last_used_at = opt_string(*j, "last_used_at");
    if (auto it = j->find("user_id"); it != j->end() && it->is_number_integer())
      v.user_id = it->get<std::int64_t>();
    if (auto it = j->find("id"); it != j->end() && it->is_number_integer())
      v.token_id = it->get<std::int64_t>();
    // The fields that decide the status must be booleans (absent or null: their default).
    // Anything else proves nothing: unknown, never an exception (json::value would throw).
    auto flag = [&j](const char* key, bool absent) -> std::optional<bool> {
      auto it = j->find(key);
      if (it == j->end() || it->is_null()) return absent;
      if (!it->is_boolean()) return std::nullopt;
      return it->get<bool>();
    };
    const auto active = flag("active", true), revoked = flag("revoked", false),
               expired = flag("expired", false);
    if (!active || !revoked || !expired) {
      v.status = "unknown";
      v.reason = "unexpected answer (HTTP 200 where 'active', 'revoked' or 'expired' is not a boolean)";
      return v;
    }
    if (!*active) {
      v.status = *revoked ? "revoked" : *expired ? "expired" : "revoked";
      return v;
    }
    v.status = "active";
    if (opts_.reach) fill_reach(q, h, auth, v);
    if (may_read_user(v.scopes)) {
      // Owner details: a second read-only request, only when the scopes allow it.
      HttpRequest ureq;
      ureq.url = h.base + "/api/v4/user";
      ureq.headers = {auth};
      Outcome u = send(ureq, q.secret);
      if (u.resp && u.resp->status == 200 && !u.resp->truncated) {
        if (auto uj = parse_object(*u.resp)) {
          v.username = opt_string(*uj, "username");
          if (auto it = uj->find("is_admin"); it != uj->end() && it->is_boolean())
            v.is_admin = it->get<bool>();
          if (!v.user_id)
            if (auto it = uj->find("id"); it != uj->end() && it->is_number_integer())
              v.user_id = it->get<std::int64_t>();
        }
      }
    }
    return v;
  }
  if (r.status == 401 && !r.truncated) {
    classify_401(v, r);
    return v;
  }
  if (r.status == 403 && classify_403(v, r)) return v;
  if ((r.status == 404 || r.status == 400) && !r.truncated) {
    // 404: GitLab older than 15.5 (no self endpoint). 400: authenticated, but not as a personal
    // access token. Either way GET /user answers whether the token works.
    Verification u = verify_user_endpoint(q, h, auth, "token");
    if (u.status == "unknown" && r.status == 404 && u.reason.find("404") != std::string::npos)
      u.reason = "no GitLab API at this URL (HTTP 404 from both endpoints)";
    return u;
  }
  classify_other(v, r);
  return v;
}

Verification Verifier::verify_user_endpoint(const TokenQuery& q, const GitLabHost& h,
                                            const std::pair<std::string, std::string>& auth,
                                            const std::string& what) {
  Verification v;
  const auto resp = get(h, "/api/v4/user", auth, q.secret, v);
  if (!resp) return v;
  const HttpResponse& r = *resp;
  if (r.status == 200 && !r.truncated) {
    auto j = expect_object(r, "id", "user", v);
    if (!j) return v;
    v.status = "active";
    if (auto it = j->find("id"); it->is_number_integer()) v.user_id = it->get<std::int64_t>();
    v.username = opt_string(*j, "username");
    if (auto it = j->find("is_admin"); it != j->end() && it->is_boolean()) v.is_admin = it->get<bool>();
    return v;
  }
  if (r.status == 401 && !r.truncated) {
    classify_401(v, r);
    if (v.status == "invalid" && v.reason.empty() && what == "session cookie")
      v.reason = "session cookie not accepted (signed out, expired or unknown)";
    return v;
  }
  if (r.status == 403 && classify_403(v, r)) return v;
  classify_other(v, r);
  return v;
}

Verification Verifier::verify_job(const TokenQuery& q, const GitLabHost& h) {
  Verification v;
  const auto resp = get(h, "/api/v4/job", {"JOB-TOKEN", q.secret}, q.secret, v);
  if (!resp) return v;
  const HttpResponse& r = *resp;
  if (r.status == 200 && !r.truncated) {
    auto j = expect_object(r, "id", "job", v);
    if (!j) return v;
    v.status = "active";
    v.reason = "its CI/CD job is still running";
    if (auto u = j->find("user"); u != j->end() && u->is_object()) {
      if (auto it = u->find("id"); it != u->end() && it->is_number_integer())
        v.user_id = it->get<std::int64_t>();
      v.username = opt_string(*u, "username");
    }
    return v;
  }
  if (r.status == 401 && !r.truncated) {
    v.status = "invalid";
    v.reason = "not accepted: its job has finished, or the token is unknown";
    return v;
  }
  classify_other(v, r);
  return v;
}

Verification Verifier::verify_runner(const TokenQuery& q, const GitLabHost& h) {
  HttpRequest req;
  req.method = "POST";
  req.url = h.base + "/api/v4/runners/verify";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "token=" + percent_encode(q.secret);
  Verification v = base(h);
  const auto resp = call(req, q.secret, v);
  if (!resp) return v;
  const HttpResponse& r = *resp;
  if (r.status == 200 && !r.truncated) {
    v.status = "active";  // the body echoes the token: deliberately not kept
    return v;
  }
  if (r.status == 403 && !r.truncated) {
    v.status = "invalid";
    return v;
  }
  if (r.status == 422) {
    v.status = "unknown";
    v.reason = "GitLab could not check this runner (HTTP 422)";
    return v;
  }
  classify_other(v, r);
  return v;
}

}  // namespace glpatrol
