// The state-changing calls and the administrator's token information API (docs/verification.md,
// "Revocation and rotation", "Administrator token"). Each is one request to the operator-named
// host; callers must have the operator's explicit consent (--yes) for the state-changing ones.
// Neither the leaked token nor a new one ever appears in a detail text.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>

#include "common/encoding.h"
#include "common/time.h"
#include "verifier/json_fields.h"
#include "verifier/verifier.h"

namespace glpatrol {

namespace {

using Json = nlohmann::json;

using json_fields::opt_string;
std::string s_at(const Json& j, const char* k) { return json_fields::string_or_empty(j, k); }

}  // namespace

namespace {

/// One state-changing request the token makes about itself (Authorization header; a form
/// body if any). A network failure comes back scrubbed of the token in `error`.
Result<HttpResponse> self_request(HttpClient& http, const GitLabHost& host, const std::string& secret,
                                  const char* method, const char* path, std::string body,
                                  std::chrono::milliseconds timeout) {
  HttpRequest req;
  req.method = method;
  req.url = host.base + path;
  req.headers = {{"Authorization", "Bearer " + secret}};
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.body = std::move(body);
  req.timeout = timeout;
  auto r = http.send(req);
  if (!r) return Error{r.error().kind, scrub_secret(r.error().message, secret)};
  return r;
}

/// A request about a leaked token made with the operator's own token (administrator, group
/// Owner): the operator's token in the Authorization header, the leaked one in the form body,
/// never in the URL. A network failure comes back scrubbed of both.
Result<HttpResponse> about_token_request(HttpClient& http, const std::string& url, const char* method,
                                         const std::string& operator_secret, const std::string& secret,
                                         std::chrono::milliseconds timeout) {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.headers = {{"Authorization", "Bearer " + operator_secret},
                 {"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "token=" + percent_encode(secret);
  req.timeout = timeout;
  auto r = http.send(req);
  if (!r)
    return Error{r.error().kind, scrub_secret(scrub_secret(r.error().message, secret), operator_secret)};
  return r;
}

bool mentions(const std::string& body, const char* word) {
  std::string l = body;
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l.find(word) != std::string::npos;
}

}  // namespace

RevokeResult revoke_personal_token(HttpClient& http, const GitLabHost& host, const std::string& secret,
                                   std::chrono::milliseconds timeout) {
  RevokeResult out;
  out.host = host.base;
  auto r = self_request(http, host, secret, "DELETE", "/api/v4/personal_access_tokens/self", "", timeout);
  if (!r) {
    out.outcome = "failed";
    out.detail = r.error().message;
  } else if (r->status == 204 || r->status == 200) {
    out.outcome = "revoked";
  } else if (r->status == 401) {
    out.outcome = "not-active";
    out.detail = mentions(r->body, "revoked")   ? "already revoked"
                 : mentions(r->body, "expired") ? "expired"
                                                : "not accepted by this host";
  } else {
    out.outcome = "failed";
    out.detail = "HTTP " + std::to_string(r->status);
  }
  return out;
}

RotateResult rotate_personal_token(HttpClient& http, const GitLabHost& host, const std::string& secret,
                                   const std::string& expires_at, std::chrono::milliseconds timeout) {
  RotateResult out;
  auto r =
      self_request(http, host, secret, "POST", "/api/v4/personal_access_tokens/self/rotate",
                   expires_at.empty() ? std::string() : "expires_at=" + percent_encode(expires_at), timeout);
  if (!r) {
    out.outcome = "failed";
    out.detail = r.error().message;
    return out;
  }
  if (r->status == 200 && !r->truncated) {
    Json j = Json::parse(r->body, nullptr, false);
    const std::string token = j.is_object() ? s_at(j, "token") : std::string();
    if (token.empty()) {
      // GitLab rotated (the old token is now revoked) but the answer holds no new token.
      out.outcome = "failed";
      out.detail =
          "HTTP 200 without a new token: the old token is probably revoked now; create a new one in the UI";
      return out;
    }
    out.outcome = "rotated";
    out.new_token = token;
    if (auto it = j.find("id"); it != j.end() && it->is_number_integer())
      out.new_id = it->get<std::int64_t>();
    out.expires_at = opt_string(j, "expires_at");
    return out;
  }
  out.outcome = r->status == 401 ? "not-active" : "failed";
  out.detail =
      r->status == 401   ? "not accepted (revoked or expired)"
      : r->status == 403 ? "HTTP 403: the token needs the api or self_rotate scope to rotate itself"
      : r->status == 404 || r->status == 405
          ? "HTTP " + std::to_string(r->status) + ": this GitLab cannot rotate a token itself (16.10+)"
          : "HTTP " + std::to_string(r->status);
  return out;
}

AdminTokenAnswer admin_token_call(HttpClient& http, const GitLabHost& host, const std::string& admin_secret,
                                  const std::string& secret, const std::string& method,
                                  std::chrono::milliseconds timeout) {
  AdminTokenAnswer out;
  auto r = about_token_request(http, host.base + "/api/v4/admin/token", method.c_str(), admin_secret, secret,
                               timeout);
  if (!r) {
    out.error = r.error().message;
    return out;
  }
  out.status = r->status;
  if (r->status == 200 && !r->truncated) {
    Json j = Json::parse(r->body, nullptr, false);
    if (j.is_object()) out.body = scrub_secret(scrub_secret(j.dump(), secret), admin_secret);
  }
  return out;
}

RevokeResult revoke_via_group(HttpClient& http, const GitLabHost& host, const std::string& owner_secret,
                              const std::string& group, const std::string& secret,
                              std::chrono::milliseconds timeout) {
  RevokeResult out;
  out.host = host.base;
  // The group is a path or an id: one URL-encoded path segment ("a/b" -> "a%2Fb").
  auto r = about_token_request(http, host.base + "/api/v4/groups/" + percent_encode(group) + "/tokens/revoke",
                               "POST", owner_secret, secret, timeout);
  if (!r) {
    out.outcome = "failed";
    out.detail = r.error().message;
    return out;
  }
  switch (r->status) {
    case 200:
    case 204:
      out.outcome = "revoked";
      break;
    case 404:
      // GitLab answers 404 for a token it does not know *and* for one that cannot reach the
      // group (it does not say which), and for a group the caller cannot see.
      out.outcome = "failed";
      out.detail =
          "HTTP 404: the group is not visible to this token, or the token is unknown or does not "
          "reach the group";
      break;
    case 400:
      out.outcome = "failed";
      out.detail = "HTTP 400: not a top-level group, or the request was refused";
      break;
    case 401:
    case 403:
      out.outcome = "failed";
      out.detail = fmt::format(
          "HTTP {}: the operator token is not the group's Owner, or the API is off on "
          "this instance (GitLab.com, 17.2+ behind a flag)",
          r->status);
      break;
    case 422:
      out.outcome = "failed";
      out.detail = "HTTP 422: this token kind cannot be revoked through the group";
      break;
    default:
      out.outcome = "failed";
      out.detail = "HTTP " + std::to_string(r->status);
  }
  return out;
}

bool apply_admin_token_info(const std::string& body, std::chrono::system_clock::time_point now,
                            Verification& v) {
  Json j = Json::parse(body, nullptr, false);
  if (!j.is_object()) return false;
  auto flag = [&j](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_boolean() && it->get<bool>();
  };
  // Feed, session and incoming mail tokens are answered with their user: its name is not the
  // token's.
  const bool user_answer = j.contains("username") && j.contains("state");
  if (auto n = opt_string(j, "name"); n && !user_answer) v.token_name = n;
  if (auto it = j.find("scopes"); it != j.end() && it->is_array())
    for (const auto& s : *it)
      if (s.is_string()) v.scopes.push_back(s.get<std::string>());
  v.created_at = opt_string(j, "created_at");
  v.expires_at = opt_string(j, "expires_at");
  v.last_used_at = opt_string(j, "last_used_at");
  if (auto it = j.find("user_id"); it != j.end() && it->is_number_integer())
    v.user_id = it->get<std::int64_t>();
  if (auto it = j.find("user"); it != j.end() && it->is_object()) {  // a job
    if (auto u = it->find("id"); u != it->end() && u->is_number_integer()) v.user_id = u->get<std::int64_t>();
    v.username = opt_string(*it, "username");
  }
  if (user_answer) {
    v.username = opt_string(j, "username");
    if (auto id = j.find("id"); id != j.end() && id->is_number_integer()) v.user_id = id->get<std::int64_t>();
  }
  const auto exp = v.expires_at ? parse_iso8601(*v.expires_at) : std::nullopt;
  const std::string state = s_at(j, "state"), job_status = s_at(j, "status");
  if (flag("revoked")) {
    v.status = "revoked";
  } else if (flag("expired") || (exp && std::chrono::system_clock::time_point(std::chrono::seconds(*exp)) +
                                                std::chrono::hours(24) <=
                                            now)) {
    v.status = "expired";
  } else if (!job_status.empty() && job_status != "running") {
    v.status = "invalid";
    v.reason = "its CI/CD job has finished (" + job_status + ")";
  } else if (!state.empty() && state != "active") {
    v.status = "active";
    v.reason = "the owner's account is " + state;
  } else {
    v.status = "active";
  }
  const std::string how = "identified with the token information API (POST /admin/token)";
  v.reason = v.reason.empty() ? how : v.reason + "; " + how;
  return true;
}

}  // namespace glpatrol
