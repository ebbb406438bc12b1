// What a live personal, project or group access token can reach: the groups and projects it
// can act on, with access levels (docs/verification.md "Reach"). Read-only GETs with the token
// in the Authorization header, on the host that just accepted it; every list is bounded.
//   - GitLab 17.4+: GET /personal_access_tokens/self/associations (method "associations");
//   - older instances (404 there): GET /groups and /projects with min_access_level=10, the
//     memberships of the token's user (method "membership"; group access levels unknown).
#include "verifier/json_fields.h"
#include "verifier/verifier.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace glpatrol {

namespace {

using Json = nlohmann::json;

constexpr int kMaxReachPages = 5;  ///< pages of 100 read per list; beyond: truncated
constexpr int kGuest = 10;

std::optional<int> level_at(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int>();
}

std::optional<int> max_level(std::optional<int> a, std::optional<int> b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

std::string string_at(const Json& j, const char* key) { return json_fields::string_or_empty(j, key); }

/// A group's full path: `full_path` when the answer has it (GET /groups), else the part of its
/// web_url after "/groups/" (the associations answer has no full_path).
std::string group_path(const Json& g) {
  std::string p = string_at(g, "full_path");
  if (!p.empty()) return p;
  const std::string url = string_at(g, "web_url");
  const auto at = url.find("/groups/");
  if (at != std::string::npos) return url.substr(at + 8);
  return string_at(g, "name");
}

void add(std::vector<ReachEntry>& list, std::uint64_t& total, ReachEntry e, bool& truncated) {
  ++total;
  if (list.size() < kMaxReachEntries)
    list.push_back(std::move(e));
  else
    truncated = true;
}

bool digits(const std::string& s) {
  return !s.empty() && s.size() < 7 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

void Verifier::fill_reach(const TokenQuery& q, const GitLabHost& h,
                          const std::pair<std::string, std::string>& auth, Verification& v) {
  Reach r;
  r.method = "associations";
  // Pages are requested by number; X-Next-Page only says whether another exists (a server
  // answer never chooses a URL).
  for (int page = 1;; ++page) {
    HttpRequest req;
    req.url = h.base +
              "/api/v4/personal_access_tokens/self/associations?min_access_level=10&per_page=100&page=" +
              std::to_string(page);
    req.headers = {auth};
    Outcome o = send(req, q.secret);
    if (!o.resp) {
      r.note = "reach incomplete: " + o.error;
      r.truncated = true;
      break;
    }
    const HttpResponse& resp = *o.resp;
    if (resp.status == 404 && page == 1) {
      fill_reach_membership(q, h, auth, v);
      return;
    }
    if (resp.status == 403 && page == 1) {
      r.note = "the token may not read its associations (HTTP 403)";
      v.reach = std::move(r);
      return;
    }
    Json j = resp.status == 200 && !resp.truncated ? Json::parse(resp.body, nullptr, false) : Json();
    if (!j.is_object()) {
      r.note = "reach incomplete: unexpected answer (HTTP " + std::to_string(resp.status) + ")";
      r.truncated = true;
      break;
    }
    if (auto g = j.find("groups"); g != j.end() && g->is_array())
      for (const auto& e : *g)
        if (e.is_object())
          add(r.groups, r.groups_total, {group_path(e), level_at(e, "access_levels")}, r.truncated);
    if (auto p = j.find("projects"); p != j.end() && p->is_array())
      for (const auto& e : *p) {
        if (!e.is_object()) continue;
        std::optional<int> lvl;
        if (auto a = e.find("access_levels"); a != e.end() && a->is_object())
          lvl = max_level(level_at(*a, "project_access_level"), level_at(*a, "group_access_level"));
        add(r.projects, r.projects_total, {string_at(e, "path_with_namespace"), lvl}, r.truncated);
      }
    if (!digits(resp.next_page) || resp.next_page != std::to_string(page + 1)) break;
    if (page >= kMaxReachPages) {
      r.truncated = true;
      r.note = "more than " + std::to_string(kMaxReachPages * 100) + " associations; totals are minimums";
      break;
    }
  }
  v.reach = std::move(r);
}

void Verifier::fill_reach_membership(const TokenQuery& q, const GitLabHost& h,
                                     const std::pair<std::string, std::string>& auth, Verification& v) {
  Reach r;
  r.method = "membership";
  const bool may_read = std::any_of(v.scopes.begin(), v.scopes.end(), [](const std::string& s) {
    return s == "api" || s == "read_api" || s == "sudo";
  });
  if (!may_read) {
    r.note =
        "this GitLab has no /personal_access_tokens/self/associations (before 17.4) and the token's "
        "scopes do not allow listing its memberships";
    v.reach = std::move(r);
    return;
  }
  auto list = [&](const char* what, bool groups) {
    for (int page = 1;; ++page) {
      HttpRequest req;
      req.url = h.base + "/api/v4/" + what + "?min_access_level=" + std::to_string(kGuest) +
                "&per_page=100&page=" + std::to_string(page);
      req.headers = {auth};
      Outcome o = send(req, q.secret);
      Json j = o.resp && o.resp->status == 200 && !o.resp->truncated
                   ? Json::parse(o.resp->body, nullptr, false)
                   : Json();
      if (!j.is_array()) {
        r.truncated = true;
        r.note = std::string("reach incomplete: could not list ") + what;
        return;
      }
      for (const auto& e : j) {
        if (!e.is_object()) continue;
        if (groups) {
          // GET /groups does not say the caller's level: unknown.
          add(r.groups, r.groups_total, {group_path(e), std::nullopt}, r.truncated);
          continue;
        }
        std::optional<int> lvl;
        if (auto p = e.find("permissions"); p != e.end() && p->is_object())
          for (const char* k : {"project_access", "group_access"})
            if (auto a = p->find(k); a != p->end() && a->is_object())
              lvl = max_level(lvl, level_at(*a, "access_level"));
        add(r.projects, r.projects_total, {string_at(e, "path_with_namespace"), lvl}, r.truncated);
      }
      if (!digits(o.resp->next_page) || o.resp->next_page != std::to_string(page + 1)) return;
      if (page >= kMaxReachPages) {
        r.truncated = true;
        r.note = std::string("more than ") + std::to_string(kMaxReachPages * 100) + " " + what +
                 "; totals are minimums";
        return;
      }
    }
  };
  list("groups", true);
  list("projects", false);
  v.reach = std::move(r);
}

}  // namespace glpatrol
