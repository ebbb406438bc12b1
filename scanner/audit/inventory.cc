#include "audit/inventory.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "common/encoding.h"
#include "verifier/json_fields.h"

namespace glpatrol::audit {

namespace {

using Json = nlohmann::json;

using json_fields::opt_bool;
using json_fields::opt_string;

std::string s_at(const Json& j, const char* k) { return json_fields::string_or_empty(j, k); }
std::int64_t id_at(const Json& j, const char* k) { return json_fields::opt_int(j, k).value_or(0); }

std::vector<std::string> scopes_at(const Json& j) {
  std::vector<std::string> out;
  if (auto it = j.find("scopes"); it != j.end() && it->is_array())
    for (const auto& s : *it)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

/// A token entry of any of the lists (personal/resource access tokens, deploy tokens).
TokenRecord record(const Json& j, const std::string& type) {
  TokenRecord t;
  t.subject.type = type;
  t.subject.id = id_at(j, "id");
  t.subject.name = s_at(j, "name");
  t.subject.scopes = scopes_at(j);
  t.subject.created_at = opt_string(j, "created_at");
  t.subject.expires_at = opt_string(j, "expires_at");
  t.subject.last_used_at = opt_string(j, "last_used_at");
  t.revoked = opt_bool(j, "revoked").value_or(false);
  t.active = opt_bool(j, "active");
  if (auto expired = opt_bool(j, "expired"); expired && *expired) t.active = false;  // deploy tokens
  return t;
}

struct Place {
  std::int64_t id;
  std::string path;
};

class Reader {
 public:
  Reader(gitlab::Api& api, Inventory& inv) : api_(api), inv_(inv) {}

  /// A list, or a note saying why not. False when the token may not list it.
  bool list(const std::string& path, const std::function<void(const Json&)>& each, std::uint64_t& refused) {
    auto r = api_.list(path, [&](const Json& j) {
      if (j.is_object()) each(j);
      return true;
    });
    if (!r) {
      network_error_ = r.error().message;
      return false;
    }
    if (r->status == 200) return true;
    ++refused;
    last_refusal_ = r->status;
    return false;
  }

  void places(const std::string& path, std::vector<Place>& out, const char* path_key) {
    std::uint64_t refused = 0;
    list(
        path,
        [&](const Json& j) {
          out.push_back({id_at(j, "id"), s_at(j, path_key)});
        },
        refused);
    if (refused != 0) inv_.notes.push_back(fmt::format("could not list {} (HTTP {})", path, last_refusal_));
  }

  std::string network_error_;
  long last_refusal_ = 0;

 private:
  gitlab::Api& api_;
  Inventory& inv_;
};

}  // namespace

Result<Inventory> read_inventory(gitlab::Api& api, const InventoryOptions& o) {
  Inventory inv;
  auto me = api.get_json("/user");
  if (!me) return me.error().with_context("GET /user");
  if (me->status != 200 || !me->body.is_object())
    return Error::usage(
        fmt::format("the API token was not accepted by {} (GET /user: HTTP {})", api.base(), me->status));
  inv.username = s_at(me->body, "username");
  inv.admin = opt_bool(me->body, "is_admin").value_or(false);
  const std::string base = api.base();
  Reader rd(api, inv);
  std::map<std::int64_t, TokenRecord> by_id;  // access tokens share one id space
  std::vector<TokenRecord> deploy;

  // 1. Personal access tokens (every user's for an administrator).
  std::uint64_t refused = 0;
  rd.list(
      "/personal_access_tokens?state=active&per_page=100",
      [&](const Json& j) {
        TokenRecord t =
            record(j, opt_bool(j, "impersonation").value_or(false) ? "impersonation" : "personal");
        if (auto u = j.find("user_id"); u != j.end() && u->is_number_integer())
          t.subject.owner = std::to_string(u->get<std::int64_t>());  // a user id until resolved below
        by_id[t.subject.id] = std::move(t);
      },
      refused);
  if (refused != 0)
    inv.notes.push_back(fmt::format(
        "personal access tokens not listed (GET /personal_access_tokens: HTTP {})", rd.last_refusal_));
  else if (!inv.admin)
    inv.notes.push_back(
        "not an administrator: only the personal access tokens of '" + inv.username +
        "' are listed; the project, group and deploy tokens of groups and projects where the token's user "
        "is at least a maintainer");

  // 2. Groups and projects in scope.
  std::vector<Place> groups, projects;
  const std::string mine = inv.admin ? "" : "&min_access_level=40";
  for (const auto& g : o.groups) {
    auto a = api.get_json("/groups/" + percent_encode(g));
    if (!a) return a.error().with_context("GET /groups/" + g);
    if (a->status != 200 || !a->body.is_object()) {
      inv.notes.push_back(fmt::format("group '{}' not visible to the token (HTTP {})", g, a->status));
      continue;
    }
    const std::int64_t gid = id_at(a->body, "id");
    groups.push_back({gid, s_at(a->body, "full_path")});
    rd.places(fmt::format("/groups/{}/descendant_groups?per_page=100", gid), groups, "full_path");
    rd.places(fmt::format("/groups/{}/projects?include_subgroups=true&per_page=100", gid), projects,
              "path_with_namespace");
  }
  if (o.all) {
    rd.places("/groups?all_available=true&per_page=100" + mine, groups, "full_path");
    rd.places("/projects?per_page=100&simple=true" + mine, projects, "path_with_namespace");
  }
  if (!rd.network_error_.empty()) return Error{ErrorKind::Network, rd.network_error_};
  std::set<std::int64_t> seen_g, seen_p;
  std::uint64_t refused_g = 0, refused_p = 0;

  // 3. Resource access tokens and deploy tokens of each.
  auto resource = [&](const Place& pl, bool is_group) {
    const std::string kind = is_group ? "groups" : "projects";
    const std::string type = is_group ? "group" : "project";
    const std::string settings =
        is_group ? base + "/groups/" + pl.path + "/-/settings" : base + "/" + pl.path + "/-/settings";
    std::uint64_t& refused_here = is_group ? refused_g : refused_p;
    rd.list(
        fmt::format("/{}/{}/access_tokens?state=active&per_page=100", kind, pl.id),
        [&](const Json& j) {
          TokenRecord t = record(j, type + "_access");
          t.bot = true;
          t.subject.resource = pl.path;
          t.subject.web_url = settings + "/access_tokens";
          if (auto u = j.find("user_id"); u != j.end() && u->is_number_integer())
            t.subject.owner = std::to_string(u->get<std::int64_t>());
          by_id[t.subject.id] = std::move(t);
        },
        refused_here);
    rd.list(
        fmt::format("/{}/{}/deploy_tokens?active=true&per_page=100", kind, pl.id),
        [&](const Json& j) {
          TokenRecord t = record(j, type + "_deploy");
          t.bot = true;
          t.last_used_known = false;  // the deploy token API has no last use
          t.subject.resource = pl.path;
          t.subject.owner = pl.path;
          t.subject.web_url = settings + "/repository";
          deploy.push_back(std::move(t));
        },
        refused_here);
  };
  for (const auto& g : groups)
    if (seen_g.insert(g.id).second) resource(g, true);
  for (const auto& p : projects)
    if (seen_p.insert(p.id).second) resource(p, false);
  if (!rd.network_error_.empty()) return Error{ErrorKind::Network, rd.network_error_};
  inv.groups = seen_g.size();
  inv.projects = seen_p.size();
  if (refused_g != 0)
    inv.notes.push_back(
        fmt::format("{} list(s) of group tokens refused (access tokens need the Owner role, deploy "
                    "tokens Maintainer)",
                    refused_g));
  if (refused_p != 0)
    inv.notes.push_back(
        fmt::format("{} list(s) of project tokens refused (Maintainer role needed)", refused_p));

  // 4. Owners: state and bot-ness from GET /users/:id (once per user).
  std::map<std::string, Json> users;
  for (auto& [id, t] : by_id) {
    const std::string uid = t.subject.owner;
    if (uid.empty()) continue;
    if (!users.count(uid)) {
      auto u = api.get_json("/users/" + uid);
      if (!u) return u.error().with_context("GET /users/" + uid);
      users[uid] = u->status == 200 && u->body.is_object() ? u->body : Json::object();
    }
    const Json& u = users[uid];
    t.subject.owner = u.contains("username") ? s_at(u, "username") : "user " + uid;
    t.owner_state = s_at(u, "state");
    const bool bot = opt_bool(u, "bot").value_or(false);
    t.bot = t.bot || bot;
    const std::string utype = s_at(u, "user_type");
    if (t.subject.type == "personal" && utype == "project_bot") t.subject.type = "project_access";
    if (t.subject.type == "personal" && utype == "group_bot") t.subject.type = "group_access";
    if (t.subject.web_url.empty())
      t.subject.web_url = inv.admin && t.subject.owner != inv.username
                              ? base + "/admin/users/" + percent_encode(t.subject.owner)
                              : base + "/-/user_settings/personal_access_tokens";
  }
  for (auto& [id, t] : by_id) inv.tokens.push_back(std::move(t));
  for (auto& t : deploy) inv.tokens.push_back(std::move(t));
  return inv;
}

}  // namespace glpatrol::audit
