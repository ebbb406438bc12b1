#pragma once
// Asks GitLab whether leaked tokens still work, and what they can do. Read-only: every request
// here is a GET (or, for runner tokens with explicit opt-in, POST /runners/verify; with an
// administrator's token, POST /admin/token, which only reads). The state-changing calls
// (revoke_personal_token, rotate_personal_token, admin_token_call with DELETE) live apart and
// are only reached from `glpatrol revoke --yes` and `glpatrol rotate --yes`.
//
// Safety contract (docs/verification.md):
//   - hosts come only from the operator (--gitlab-url, CI_SERVER_URL in GitLab CI, default
//     gitlab.com); never from scanned content;
//   - https with certificate verification; plain http only to loopback; no redirects;
//   - the token travels in a header (or a POST body for runner tokens), never in a URL, and
//     never appears in a reason, an error or a log line;
//   - one request per unique token per host (results are cached by token hash), bounded
//     concurrency, a timeout per request and a total budget, bounded 429 retries;
//   - network errors, 429 exhaustion, 5xx and unexpected answers give `unknown`, never `invalid`.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "findings/finding.h"
#include "verifier/cache.h"
#include "verifier/http_client.h"

namespace glpatrol {

/// A GitLab base URL as the operator gave it, checked and normalised.
struct GitLabHost {
  std::string base;           ///< scheme://host[:port][/path], no trailing slash
  std::string host;           ///< host name only (for matching a JWT issuer)
  bool from_default = false;  ///< gitlab.com because nothing was configured
};

/// Checks an operator-supplied URL: http(s) only, no user info, query or fragment; plain
/// http only to loopback addresses. Returns the normalised host.
Result<GitLabHost> parse_gitlab_url(const std::string& url);

/// The hosts to verify against: `urls` if any; else CI_SERVER_URL when GITLAB_CI=true; else
/// https://gitlab.com. `getenv` is injectable for tests.
Result<std::vector<GitLabHost>> resolve_gitlab_hosts(
    const std::vector<std::string>& urls, const std::function<const char*(const char*)>& getenv_fn);

struct VerifyOptions {
  std::vector<GitLabHost> hosts;
  bool verify_runners = false;  ///< POST /runners/verify (touches the runner): opt-in
  bool reach = false;           ///< live PAT-family tokens: list the groups/projects they reach
  /// An administrator's token (--admin-token-file, GITLAB_ADMIN_TOKEN): every token is first
  /// identified with POST /admin/token on the first host; absent API (403/401) -> per-kind checks.
  std::string admin_token;
  /// Results across runs (--verify-cache-dir / --verify-ttl); null: only this run's memory.
  /// Not consulted with `reach` (reach is not cached).
  std::shared_ptr<VerifyCache> disk_cache;
  unsigned concurrency = 4;  ///< parallel tokens
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds total_budget{120000};
  int max_retries = 3;                              ///< extra attempts after a 429
  std::chrono::milliseconds max_retry_wait{30000};  ///< longest Retry-After honoured
};

/// One unique token to check.
struct TokenQuery {
  std::string secret;
  std::string secret_sha256;
  std::string rule_id;
  std::string verify_kind;  ///< Rule::verify: pat, runner, runner-registration, job, session, none:<reason>
  Severity severity = Severity::High;  ///< the rule's severity (the override starts from it)
  std::vector<std::pair<std::string, std::string>> attributes;  ///< jwt.iss, ...
};

/// Counters for the report and the tests.
struct VerifyStats {
  std::uint64_t tokens = 0;
  std::uint64_t requests = 0;
  std::uint64_t cache_hits = 0;
  bool budget_exhausted = false;
};

/// Time and sleeping, injectable so tests run without waiting.
struct VerifyClock {
  std::function<std::chrono::system_clock::time_point()> wall = [] {
    return std::chrono::system_clock::now();
  };
  std::function<std::chrono::steady_clock::time_point()> mono = [] {
    return std::chrono::steady_clock::now();
  };
  std::function<void(std::chrono::milliseconds)> sleep;  ///< default: std::this_thread::sleep_for
};

class Verifier {
 public:
  Verifier(VerifyOptions opts, std::shared_ptr<HttpClient> http, VerifyClock clock = {});

  /// Verifies every query (deduplicated by secret_sha256; repeated calls hit the cache).
  /// Results are returned in query order. Never fails: problems become `unknown`.
  std::vector<Verification> verify_all(const std::vector<TokenQuery>& queries);
  /// One token (cached).
  Verification verify(const TokenQuery& q);

  VerifyStats stats() const;

 private:
  Verification verify_uncached(const TokenQuery& q);
  Verification verify_on_host(const TokenQuery& q, const GitLabHost& h);
  Verification verify_pat(const TokenQuery& q, const GitLabHost& h);
  Verification verify_user_endpoint(const TokenQuery& q, const GitLabHost& h,
                                    const std::pair<std::string, std::string>& auth, const std::string& what);
  Verification verify_job(const TokenQuery& q, const GitLabHost& h);
  /// v.reach of a live PAT-family token (reach.cc): associations, else memberships.
  void fill_reach(const TokenQuery& q, const GitLabHost& h, const std::pair<std::string, std::string>& auth,
                  Verification& v);
  void fill_reach_membership(const TokenQuery& q, const GitLabHost& h,
                             const std::pair<std::string, std::string>& auth, Verification& v);
  Verification verify_runner(const TokenQuery& q, const GitLabHost& h);

  struct Outcome {
    std::optional<HttpResponse> resp;
    std::string error;  ///< set when resp is empty: why `unknown`
  };
  /// One logical request with bounded 429 retries inside the budget.
  Outcome send(HttpRequest req, const std::string& secret);
  /// send(), and on failure `v` becomes unknown with the reason; nullopt then.
  std::optional<HttpResponse> call(const HttpRequest& req, const std::string& secret, Verification& v);
  /// GET base+path with one auth header; `v` starts as this host's blank result.
  std::optional<HttpResponse> get(const GitLabHost& h, const std::string& path,
                                  std::pair<std::string, std::string> auth, const std::string& secret,
                                  Verification& v);
  Verification base(const GitLabHost& h) const;
  std::chrono::milliseconds remaining() const;

  VerifyOptions opts_;
  std::shared_ptr<HttpClient> http_;
  VerifyClock clock_;
  std::chrono::steady_clock::time_point deadline_;
  mutable std::mutex mu_;
  std::map<std::string, Verification> cache_;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> tokens_{0};
  std::atomic<std::uint64_t> cache_hits_{0};
  std::atomic<bool> budget_exhausted_{false};
  std::atomic<bool> admin_api_off_{false};  ///< the token information API refused once: not asked again
  /// The token information API's answer for `q`, or nullopt to fall back (then `note` says why).
  std::optional<Verification> verify_with_admin_api(const TokenQuery& q, std::string& note);
};

/// Risk flags and the severity override for a finished verification (exposed for tests).
/// `rule_severity` is the finding's own severity.
void assess_risk(Verification& v, Severity rule_severity, std::chrono::system_clock::time_point now);

/// Retry-After (delta-seconds or an HTTP-date) as a wait from `now`: never negative, clamped to
/// one day (so a far-future date cannot overflow); nullopt when unparseable. Exposed for tests.
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value,
                                                           std::chrono::system_clock::time_point now);

/// Removes every occurrence of `secret` (and of its URL-encoded form) from `text`.
std::string scrub_secret(std::string text, const std::string& secret);

/// Result of one revocation attempt.
struct RevokeResult {
  std::string host;
  std::string outcome;  ///< revoked | not-active | failed
  std::string detail;
};

/// DELETE /api/v4/personal_access_tokens/self on `host`. State-changing: callers must have the
/// operator's explicit consent (--yes).
RevokeResult revoke_personal_token(HttpClient& http, const GitLabHost& host, const std::string& secret,
                                   std::chrono::milliseconds timeout);

/// POST /api/v4/groups/:group/tokens/revoke (GitLab.com, 17.2+ behind a flag): the Owner of a
/// top-level group (`owner_secret`) revokes a leaked token that can reach the group: personal,
/// project and group access tokens, group deploy tokens and, on newer versions, more kinds.
/// The leaked token goes in the form body. `group` is a full path or a numeric id.
/// State-changing: callers must have the operator's explicit consent (--yes).
RevokeResult revoke_via_group(HttpClient& http, const GitLabHost& host, const std::string& owner_secret,
                              const std::string& group, const std::string& secret,
                              std::chrono::milliseconds timeout);

/// Result of `POST /personal_access_tokens/self/rotate` (GitLab 16.10+). `new_token` is the new
/// secret: the caller writes it only where the operator said (a 0600 file, or stdout when
/// asked), never into a report or a log. Never call this for a token not verified `active`:
/// rotating an already revoked token makes GitLab revoke its whole token family.
struct RotateResult {
  std::string outcome;  ///< rotated | not-active | failed
  std::string detail;
  std::string new_token;
  std::optional<std::int64_t> new_id;
  std::optional<std::string> expires_at;
};
RotateResult rotate_personal_token(HttpClient& http, const GitLabHost& host, const std::string& secret,
                                   const std::string& expires_at, std::chrono::milliseconds timeout);

/// The token information API (`POST /api/v4/admin/token`, self-managed 17.5 behind a flag, GA
/// 17.8; `DELETE` revokes, 17.7+) with an administrator's token; the leaked token goes in the
/// form body. `status` 0 with `error` on a network failure; `body` is the 200 answer.
struct AdminTokenAnswer {
  long status = 0;
  std::string body;
  std::string error;
};
AdminTokenAnswer admin_token_call(HttpClient& http, const GitLabHost& host, const std::string& admin_secret,
                                  const std::string& secret, const std::string& method,
                                  std::chrono::milliseconds timeout);
/// Fills `v` from a token information answer (any kind: access, deploy, runner, job, user
/// tokens); false when it is not a JSON object.
bool apply_admin_token_info(const std::string& body, std::chrono::system_clock::time_point now,
                            Verification& v);

}  // namespace glpatrol
