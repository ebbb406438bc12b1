// Verifier: hosts, the mapping of every GitLab answer to a status, retries, budget, cache,
// risk flags and scrubbing, against a scripted fake HttpClient (no network).
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <random>

#include "common/encoding.h"
#include "verifier/verifier.h"

using namespace glpatrol;
using namespace std::chrono_literals;

namespace {

/// Tokens are assembled at run time: no token-shaped literal in this file.
std::string make_token(const std::string& kind_prefix, std::size_t n = 20) {
  static std::mt19937 rng(20261127);
  static const std::string alphabet = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789";
  std::string body;
  for (std::size_t i = 0; i < n; ++i) body += alphabet[rng() % alphabet.size()];
  return kind_prefix + body;
}
std::string pat() { return make_token(std::string("gl") + "pat-"); }

struct FakeHttp : HttpClient {
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&, int attempt)>;
  std::mutex mu;
  std::vector<HttpRequest> log;
  std::map<std::string, int> hits;        // method + path
  std::map<std::string, Handler> routes;  // "GET /api/v4/user"
  Result<HttpResponse> send(const HttpRequest& req) override {
    const auto path_at = req.url.find("/api/");
    const std::string key =
        req.method + " " + (path_at == std::string::npos ? req.url : req.url.substr(path_at));
    Handler h;
    int attempt = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      log.push_back(req);
      attempt = hits[key]++;
      auto it = routes.find(key);
      if (it != routes.end()) h = it->second;
    }
    if (!h) return resp(404, R"({"message":"404 Not Found"})");
    return h(req, attempt);
  }
  static HttpResponse resp(long status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  std::size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return log.size();
  }
};

const std::string kSelf = "GET /api/v4/personal_access_tokens/self";
const std::string kUser = "GET /api/v4/user";

GitLabHost host(const std::string& url) {
  auto h = parse_gitlab_url(url);
  REQUIRE(h.has_value());
  return *h;
}

struct Rig {
  std::shared_ptr<FakeHttp> http = std::make_shared<FakeHttp>();
  std::vector<std::chrono::milliseconds> sleeps;
  std::chrono::steady_clock::time_point mono_now = std::chrono::steady_clock::time_point{} + 1000h;
  VerifyOptions opts;
  Rig() { opts.hosts = {host("https://gitlab.example.com")}; }
  Verifier make() {
    VerifyClock c;
    c.wall = [] {
      return std::chrono::system_clock::from_time_t(1795000000);  // 2026-11-18T11:06:40Z
    };
    c.mono = [this] { return mono_now; };
    c.sleep = [this](std::chrono::milliseconds d) {
      sleeps.push_back(d);
      mono_now += d;
    };
    return Verifier(opts, http, c);
  }
};

TokenQuery query(const std::string& secret, const std::string& kind = "pat") {
  TokenQuery q;
  q.secret = secret;
  q.secret_sha256 = sha256_hex(secret);
  q.rule_id = "gitlab.pat";
  q.verify_kind = kind;
  q.severity = Severity::Critical;
  return q;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("parse_gitlab_url: https anywhere, http only to loopback, nothing hidden in the URL") {
  CHECK(host("https://GitLab.Example.com/").base == "https://gitlab.example.com");
  CHECK(host("https://gitlab.example.com/gitlab/api/v4/").base == "https://gitlab.example.com/gitlab");
  CHECK(host("https://gitlab.example.com:8443").base == "https://gitlab.example.com:8443");
  CHECK(host("https://gitlab.example.com:8443").host == "gitlab.example.com");
  CHECK(host("http://127.0.0.1:8080").base == "http://127.0.0.1:8080");
  CHECK(host("http://127.1.2.3").base == "http://127.1.2.3");
  CHECK(host("http://localhost:3000").base == "http://localhost:3000");
  CHECK(host("http://[::1]:3000").host == "::1");
  for (const char* bad : {"gitlab.example.com", "ftp://127.0.0.1", "http://gitlab.example.com",
                          "http://10.0.0.1", "http://[::2]", "http://128.0.0.1",
                          "https://u:p@gitlab.example.com", "https://gitlab.example.com/?private_token=x",
                          "https://gitlab.example.com/#x", "https://gitlab.example.com:99999x", "https://",
                          "https://exa mple.com", "https://gitlab.example.com\\@evil.example"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_gitlab_url(bad).has_value());
  }
  // Errors never echo the value (it might be a token pasted in the wrong place).
  const std::string t = pat();
  auto r = parse_gitlab_url(t);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find(t) == std::string::npos);
}

TEST_CASE("resolve_gitlab_hosts: explicit URLs, then CI_SERVER_URL in GitLab CI, then gitlab.com") {
  std::map<std::string, std::string> env;
  auto getenv_fn = [&env](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto def = resolve_gitlab_hosts({}, getenv_fn);
  REQUIRE(def.has_value());
  REQUIRE(def->size() == 1);
  CHECK(def->front().base == "https://gitlab.com");
  CHECK(def->front().from_default);
  env["CI_SERVER_URL"] = "https://gitlab.corp.example";
  CHECK(resolve_gitlab_hosts({}, getenv_fn)->front().base == "https://gitlab.com");  // not in CI
  env["GITLAB_CI"] = "true";
  CHECK(resolve_gitlab_hosts({}, getenv_fn)->front().base == "https://gitlab.corp.example");
  auto both =
      resolve_gitlab_hosts({"https://a.example/", "https://a.example", "https://b.example"}, getenv_fn);
  REQUIRE(both.has_value());
  REQUIRE(both->size() == 2);
  CHECK_FALSE(both->front().from_default);
  env["CI_SERVER_URL"] = "http://gitlab.corp.example";
  CHECK_FALSE(resolve_gitlab_hosts({}, getenv_fn).has_value());
}

TEST_CASE("personal access token: every documented answer maps to one status") {
  const std::string t = pat();
  struct Case {
    long status;
    std::string body;
    std::string want;
  };
  const std::vector<Case> cases = {
      {401,
       R"({"error":"invalid_token","error_description":"Token was revoked. You have to re-authorize from the user."})",
       "revoked"},
      {401,
       R"({"error":"invalid_token","error_description":"Token is expired. You can either do re-authorization or token refresh."})",
       "expired"},
      {401, R"({"message":"401 Unauthorized"})", "invalid"},
      {403, R"({"error":"insufficient_scope","error_description":"The request requires higher privileges"})",
       "active"},
      {403, R"({"message":"403 Forbidden - Your account has been blocked."})", "active"},
      {403, "<html>WAF</html>", "unknown"},
      {500, R"({"message":"500 Internal Server Error"})", "unknown"},
      {502, "bad gateway", "unknown"},
      {302, "", "unknown"},
      {200, "<html>Sign in</html>", "unknown"},
      {200, R"({"id":1})", "unknown"},
      {418, "", "unknown"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.status);
    CAPTURE(c.body);
    Rig rig;
    rig.http->routes[kSelf] = [&](const HttpRequest&, int) { return FakeHttp::resp(c.status, c.body); };
    auto v = rig.make().verify(query(t));
    CHECK(v.status == c.want);
    CHECK(rig.http->count() == 1);
    if (c.want == "unknown") CHECK_FALSE(v.reason.empty());
    CHECK(v.host == "https://gitlab.example.com");
  }
}

TEST_CASE("personal access token: metadata, owner, request shape") {
  const std::string t = pat();
  Rig rig;
  rig.http->routes[kSelf] = [](const HttpRequest&, int) {
    return FakeHttp::resp(
        200, R"({"id":4,"name":"Test Token","revoked":false,"created_at":"2026-01-01T10:00:00.000Z",
      "description":"","scopes":["api","read_user"],"user_id":3,"last_used_at":"2026-11-17T09:00:00.000Z",
      "active":true,"expires_at":"2027-06-01"})");
  };
  rig.http->routes[kUser] = [](const HttpRequest&, int) {
    return FakeHttp::resp(200, R"({"id":3,"username":"root","is_admin":true})");
  };
  auto v = rig.make().verify(query(t));
  CHECK(v.status == "active");
  CHECK(v.token_name == "Test Token");
  CHECK(v.scopes == std::vector<std::string>{"api", "read_user"});
  CHECK(v.created_at == "2026-01-01T10:00:00.000Z");
  CHECK(v.expires_at == "2027-06-01");
  CHECK(v.user_id == 3);
  CHECK(v.username == "root");
  CHECK(v.is_admin == true);
  CHECK(v.checked_at == "2026-11-18T11:06:40Z");
  CHECK(has(v.risk_flags, "over-max-lifetime"));  // 2026-01-01 -> 2027-06-01 > 365 d
  CHECK(has(v.risk_flags, "not-rotated"));        // created > 90 d before 2026-11-17
  CHECK(has(v.risk_flags, "broad-scope"));
  CHECK(has(v.risk_flags, "admin-owner"));
  CHECK_FALSE(has(v.risk_flags, "no-expiry"));
  CHECK_FALSE(has(v.risk_flags, "unused-90d"));
  CHECK(v.severity_override == Severity::Critical);
  REQUIRE(rig.http->log.size() == 2);
  for (const auto& r : rig.http->log) {
    CHECK(r.method == "GET");
    CHECK(r.url.find(t) == std::string::npos);
    CHECK(r.url.find('?') == std::string::npos);
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].first == "Authorization");
    CHECK(r.headers[0].second == "Bearer " + t);
  }
}

TEST_CASE("personal access token: old instance (404) and non-PAT (400) fall back to /user") {
  const std::string t = pat();
  for (long first : {404L, 400L}) {
    CAPTURE(first);
    Rig rig;
    rig.http->routes[kSelf] = [&](const HttpRequest&, int) { return FakeHttp::resp(first, "{}"); };
    rig.http->routes[kUser] = [](const HttpRequest&, int) {
      return FakeHttp::resp(403, R"({"error":"insufficient_scope"})");
    };
    auto v = rig.make().verify(query(t));
    CHECK(v.status == "active");
    CHECK(v.reason.find("insufficient_scope") != std::string::npos);
    CHECK(rig.http->count() == 2);
    CHECK(v.severity_override == Severity::Critical);  // live, scopes unknown: rule severity kept
  }
  Rig rig;  // no API at all
  auto v = rig.make().verify(query(t));
  CHECK(v.status == "unknown");
  CHECK(v.reason.find("404") != std::string::npos);
}

TEST_CASE("429: Retry-After honoured with bounded retries; never invalid") {
  const std::string t = pat();
  SUBCASE("then success") {
    Rig rig;
    rig.http->routes[kSelf] = [](const HttpRequest&, int attempt) {
      if (attempt < 2) {
        HttpResponse r = FakeHttp::resp(429, "Retry later");
        r.retry_after = "2";
        return Result<HttpResponse>(r);
      }
      return Result<HttpResponse>(
          FakeHttp::resp(200, R"({"scopes":["read_api"],"active":true,"expires_at":"2027-01-01"})"));
    };
    rig.http->routes[kUser] = [](const HttpRequest&, int) { return FakeHttp::resp(500, ""); };
    auto v = rig.make().verify(query(t));
    CHECK(v.status == "active");
    CHECK(rig.sleeps == std::vector<std::chrono::milliseconds>{2000ms, 2000ms});
    CHECK(rig.http->hits[kSelf] == 3);
  }
  SUBCASE("forever, no header: exponential backoff, then unknown") {
    Rig rig;
    rig.http->routes[kSelf] = [](const HttpRequest&, int) { return FakeHttp::resp(429, ""); };
    auto v = rig.make().verify(query(t));
    CHECK(v.status == "unknown");
    CHECK(v.reason.find("429") != std::string::npos);
    CHECK(rig.http->count() == 4);
    CHECK(rig.sleeps == std::vector<std::chrono::milliseconds>{1000ms, 2000ms, 4000ms});
  }
  SUBCASE("Retry-After beyond the cap: no waiting") {
    Rig rig;
    rig.http->routes[kSelf] = [](const HttpRequest&, int) {
      HttpResponse r = FakeHttp::resp(429, "");
      r.retry_after = "3600";
      return Result<HttpResponse>(r);
    };
    auto v = rig.make().verify(query(t));
    CHECK(v.status == "unknown");
    CHECK(rig.sleeps.empty());
    CHECK(rig.http->count() == 1);
  }
  SUBCASE("Retry-After as an HTTP date") {
    Rig rig;
    rig.http->routes[kSelf] = [](const HttpRequest&, int attempt) {
      HttpResponse r = FakeHttp::resp(attempt == 0 ? 429 : 401, "{}");
      r.retry_after = "Wed, 18 Nov 2026 11:06:45 GMT";  // wall clock + 5 s
      return Result<HttpResponse>(r);
    };
    auto v = rig.make().verify(query(t));
    CHECK(v.status == "invalid");
    CHECK(rig.sleeps == std::vector<std::chrono::milliseconds>{5000ms});
  }
}

TEST_CASE("I11-14 Retry-After: a far-future date or a huge delta is clamped, never overflows") {
  const auto now = std::chrono::system_clock::from_time_t(1795000000);  // 2026-11
  const auto far = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now);
  REQUIRE(far.has_value());
  CHECK(*far == std::chrono::milliseconds(std::chrono::hours(24)));
  CHECK(parse_retry_after("99999999999999999999999999", now) ==
        std::chrono::milliseconds(std::chrono::hours(24)));
  CHECK(parse_retry_after("120", now) == 120000ms);
  CHECK(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now) == 0ms);
  CHECK_FALSE(parse_retry_after("soon", now).has_value());
  CHECK_FALSE(parse_retry_after("", now).has_value());
  // Through the verifier: the far date is beyond the wait cap, so no sleep and unknown.
  Rig rig;
  rig.http->routes[kSelf] = [](const HttpRequest&, int) {
    HttpResponse r = FakeHttp::resp(429, "");
    r.retry_after = "Fri, 31 Dec 9999 23:59:59 GMT";
    return Result<HttpResponse>(r);
  };
  auto v = rig.make().verify(query(pat()));
  CHECK(v.status == "unknown");
  CHECK(rig.sleeps.empty());
}

TEST_CASE("I11-13 wrong JSON types in an answer make the token unknown, never an exception") {
  const std::string t = pat();
  for (const char* body :
       {R"({"scopes":["api"],"active":"yes"})", R"({"scopes":["api"],"active":false,"revoked":1})",
        R"({"scopes":["api"],"active":false,"expired":"no"})", R"({"scopes":"api","active":[]})"}) {
    CAPTURE(body);
    Rig rig;
    rig.http->routes[kSelf] = [body](const HttpRequest&, int) {
      return Result<HttpResponse>(FakeHttp::resp(200, body));
    };
    Verification v;
    CHECK_NOTHROW(v = rig.make().verify(query(t)));
    CHECK(v.status == "unknown");
    CHECK(v.reason.find("not a boolean") != std::string::npos);
  }
  // Other fields of the wrong type are ignored metadata, the status still stands.
  Rig rig;
  rig.http->routes[kSelf] = [](const HttpRequest&, int) {
    return Result<HttpResponse>(FakeHttp::resp(
        200,
        R"({"scopes":["read_repository",7],"active":true,"name":5,"created_at":[],"user_id":"x","expires_at":"2027-01-01"})"));
  };
  rig.http->routes[kUser] = [](const HttpRequest&, int) {
    return Result<HttpResponse>(FakeHttp::resp(200, R"({"id":"seven","username":9,"is_admin":"yes"})"));
  };
  const auto v = rig.make().verify(query(t));
  CHECK(v.status == "active");
  CHECK(v.scopes == std::vector<std::string>{"read_repository"});
  CHECK_FALSE(v.user_id.has_value());
  CHECK_FALSE(v.is_admin.has_value());
}

TEST_CASE("network errors are unknown and never carry the token") {
  const std::string t = pat();
  Rig rig;
  rig.http->routes[kSelf] = [&](const HttpRequest&, int) -> Result<HttpResponse> {
    return Error{ErrorKind::Network, "proxy said: bad header Bearer " + t + " and %20" + t};
  };
  auto v = rig.make().verify(query(t));
  CHECK(v.status == "unknown");
  CHECK(v.reason.find(t) == std::string::npos);
  CHECK(v.reason.find("[REDACTED]") != std::string::npos);
  CHECK(scrub_secret("a" + t + "b", t) == "a[REDACTED]b");
}

TEST_CASE("total budget: no request once it is spent") {
  Rig rig;
  rig.opts.total_budget = 3000ms;
  rig.http->routes[kSelf] = [&rig](const HttpRequest& r, int) {
    CHECK(r.timeout <= 3000ms);
    rig.mono_now += 2000ms;  // every request takes 2 s
    return FakeHttp::resp(401, "{}");
  };
  Verifier v = rig.make();
  CHECK(v.verify(query(pat())).status == "invalid");
  CHECK(v.verify(query(pat())).status == "invalid");
  auto third = v.verify(query(pat()));
  CHECK(third.status == "unknown");
  CHECK(third.reason.find("budget") != std::string::npos);
  CHECK(rig.http->count() == 2);
  CHECK(v.stats().budget_exhausted);
}

TEST_CASE("cache: one request per unique token, also under concurrency") {
  Rig rig;
  rig.opts.concurrency = 8;
  rig.http->routes[kSelf] = [](const HttpRequest&, int) { return FakeHttp::resp(401, "{}"); };
  std::vector<TokenQuery> qs;
  std::vector<std::string> tokens;
  tokens.reserve(40);
  for (int i = 0; i < 40; ++i) tokens.push_back(pat());
  for (int rep = 0; rep < 5; ++rep)
    for (const auto& t : tokens) qs.push_back(query(t));
  Verifier v = rig.make();
  auto out = v.verify_all(qs);
  REQUIRE(out.size() == qs.size());
  CHECK(rig.http->count() == tokens.size());
  for (const auto& r : out) CHECK(r.status == "invalid");
  CHECK(v.stats().tokens == tokens.size());
  CHECK(v.stats().requests == tokens.size());
  v.verify_all(qs);  // again: all cached
  CHECK(rig.http->count() == tokens.size());
}

TEST_CASE("kinds: unverifiable without a side-effect-free check, runners only on opt-in") {
  Rig rig;
  const std::string runner = make_token(std::string("gl") + "rt-t1_");
  auto v = rig.make().verify(query(runner, "runner"));
  CHECK(v.status == "unverifiable");
  CHECK(v.reason.find("--verify-runners") != std::string::npos);
  CHECK(rig.make().verify(query(pat(), "runner-registration")).status == "unverifiable");
  auto none = rig.make().verify(query(pat(), "none:needs the OAuth client_id"));
  CHECK(none.status == "unverifiable");
  CHECK(none.reason == "needs the OAuth client_id");
  CHECK(none.severity_override == std::nullopt);
  CHECK(rig.http->count() == 0);

  rig.opts.verify_runners = true;
  rig.http->routes["POST /api/v4/runners/verify"] = [](const HttpRequest&, int) {
    return FakeHttp::resp(200, R"({"id":1})");
  };
  CHECK(rig.make().verify(query(runner, "runner")).status == "active");
  REQUIRE(rig.http->count() == 1);
  CHECK(rig.http->log[0].url.find(runner) == std::string::npos);
  CHECK(rig.http->log[0].body.find("token=") == 0);
}

TEST_CASE("job and session tokens use their own headers") {
  Rig rig;
  const std::string job = make_token(std::string("gl") + "cbt-64_");
  const std::string cookie = make_token("", 32);
  rig.http->routes["GET /api/v4/job"] = [](const HttpRequest&, int) {
    return FakeHttp::resp(200, R"({"id":9,"status":"running","user":{"id":2,"username":"ci"}})");
  };
  rig.http->routes[kUser] = [](const HttpRequest&, int) {
    return FakeHttp::resp(401, R"({"message":"401 Unauthorized"})");
  };
  Verifier v = rig.make();
  auto j = v.verify(query(job, "job"));
  CHECK(j.status == "active");
  CHECK(j.username == "ci");
  auto s = v.verify(query(cookie, "session"));
  CHECK(s.status == "invalid");
  REQUIRE(rig.http->log.size() == 2);
  CHECK(rig.http->log[0].headers[0].first == "JOB-TOKEN");
  CHECK(rig.http->log[1].headers[0] == std::make_pair(std::string("Cookie"), "_gitlab_session=" + cookie));
}

TEST_CASE("hosts: JWT issuer and custom prefixes never pick a host, they only rule hosts out") {
  Rig rig;
  rig.opts.hosts = {host("https://gitlab.one.example"), host("https://gitlab.two.example")};
  rig.http->routes["GET /api/v4/job"] = [](const HttpRequest&, int) { return FakeHttp::resp(401, "{}"); };
  TokenQuery q = query(make_token(std::string("gl") + "cbt-", 40), "job");
  q.attributes = {{"jwt.iss", "https://gitlab.evil.example"}};
  auto v = rig.make().verify(q);
  CHECK(v.status == "unknown");
  CHECK(v.reason.find("gitlab.evil.example") != std::string::npos);
  CHECK(rig.http->count() == 0);
  q.attributes = {{"jwt.iss", "https://gitlab.two.example"}};
  q.secret_sha256 += "x";
  CHECK(rig.make().verify(q).status == "invalid");
  REQUIRE(rig.http->count() == 1);
  CHECK(rig.http->log[0].url.rfind("https://gitlab.two.example/", 0) == 0);

  Rig def;
  def.opts.hosts = {*resolve_gitlab_hosts({}, [](const char*) -> const char* { return nullptr; })};
  auto custom = def.make().verify(query(make_token("corp-"), "pat"));
  CHECK(custom.status == "unknown");
  CHECK(def.http->count() == 0);
}

TEST_CASE("several hosts: first definitive answer wins; invalid only when all reject") {
  Rig rig;
  rig.opts.hosts = {host("https://a.example"), host("https://b.example")};
  rig.http->routes[kSelf] = [](const HttpRequest& r, int) {
    if (r.url.rfind("https://b.example", 0) == 0)
      return FakeHttp::resp(200, R"({"scopes":["read_repository"],"active":true,"expires_at":"2027-01-01"})");
    return FakeHttp::resp(401, R"({"message":"401 Unauthorized"})");
  };
  auto v = rig.make().verify(query(pat()));
  CHECK(v.status == "active");
  CHECK(v.host == "https://b.example");
  CHECK(v.severity_override == Severity::High);

  Rig down;
  down.opts.hosts = {host("https://a.example"), host("https://b.example")};
  down.http->routes[kSelf] = [](const HttpRequest& r, int) -> Result<HttpResponse> {
    if (r.url.rfind("https://b.example", 0) == 0) return Error{ErrorKind::Network, "Couldn't connect"};
    return FakeHttp::resp(401, "{}");
  };
  auto u = down.make().verify(query(pat()));
  CHECK(u.status == "unknown");  // b might know it
  CHECK(u.reason.find("rejected by 1 other host") != std::string::npos);
}

TEST_CASE("assess_risk: GitLab's lifetime rules and scope tiers") {
  const auto now = std::chrono::system_clock::from_time_t(1795000000);  // 2026-11-18
  Verification v;
  v.status = "active";
  v.token_name = "t";
  v.scopes = {"read_user"};
  v.created_at = "2026-11-01T00:00:00Z";
  assess_risk(v, Severity::Critical, now);
  CHECK(has(v.risk_flags, "no-expiry"));
  CHECK(has(v.risk_flags, "unused-90d"));  // never used
  CHECK_FALSE(has(v.risk_flags, "not-rotated"));
  CHECK(v.severity_override == Severity::Medium);

  v.scopes = {"sudo"};
  v.expires_at = "2027-01-01";
  v.last_used_at = "2026-11-16T00:00:00+02:00";
  assess_risk(v, Severity::Critical, now);
  CHECK(has(v.risk_flags, "admin-scope"));
  CHECK_FALSE(has(v.risk_flags, "no-expiry"));
  CHECK_FALSE(has(v.risk_flags, "unused-90d"));
  CHECK(v.severity_override == Severity::Critical);

  Verification dead;
  dead.status = "revoked";
  assess_risk(dead, Severity::Critical, now);
  CHECK(dead.severity_override == Severity::Low);
  CHECK(dead.risk_flags.empty());
  Verification unk;
  unk.status = "unknown";
  assess_risk(unk, Severity::Critical, now);
  CHECK_FALSE(unk.severity_override.has_value());
}

TEST_CASE("revoke_personal_token: DELETE self only") {
  FakeHttp http;
  http.routes["DELETE /api/v4/personal_access_tokens/self"] = [](const HttpRequest&, int attempt) {
    return FakeHttp::resp(attempt == 0 ? 204 : 401,
                          attempt == 0 ? "" : R"({"error_description":"Token was revoked."})");
  };
  const std::string t = pat();
  auto r = revoke_personal_token(http, host("https://gitlab.example.com"), t, 5000ms);
  CHECK(r.outcome == "revoked");
  auto again = revoke_personal_token(http, host("https://gitlab.example.com"), t, 5000ms);
  CHECK(again.outcome == "not-active");
  CHECK(again.detail == "already revoked");
  REQUIRE(http.log.size() == 2);
  CHECK(http.log[0].method == "DELETE");
  CHECK(http.log[0].url == "https://gitlab.example.com/api/v4/personal_access_tokens/self");
}
