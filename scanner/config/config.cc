#include "config/config.h"

#include "common/read_file.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "rules/toml_doc.h"

namespace glpatrol {

namespace {

constexpr std::uint64_t kMaxConfigBytes = 1u << 20;  // 1 MiB: a configuration, not a data set

Status string_list(const toml::table& t, std::string_view key, const std::string& at,
                   std::vector<std::string>& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::ok();
  if (const auto* s = n->as_string()) {  // a single string is accepted for convenience
    out.push_back(s->get());
    return Status::ok();
  }
  const toml::array* arr = n->as_array();
  if (arr == nullptr) return Error::config(at + "." + std::string(key) + ": expected a list of strings");
  for (const auto& v : *arr) {
    const auto* s = v.as_string();
    if (s == nullptr) return Error::config(at + "." + std::string(key) + ": expected a list of strings");
    out.push_back(s->get());
  }
  return Status::ok();
}

Status check_keys(const toml::table& t, const std::string& at,
                  std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (auto kk : known) ok |= k.str() == kk;
    if (!ok) {
      std::string list;
      for (auto kk : known) list += (list.empty() ? "" : ", ") + std::string(kk);
      return Error::config(at + ": unknown key '" + std::string(k.str()) + "' (known: " + list + ")");
    }
  }
  return Status::ok();
}

}  // namespace

Status parse_config(std::string_view text, const std::string& origin, ConfigTrust trust, Config& into) {
  const bool trusted = trust == ConfigTrust::Operator;
  auto parsed = parse_toml_document(text, origin);
  if (!parsed) return parsed.error();
  const toml::table& doc = *parsed;
  if (auto s = check_keys(doc, origin, {"gitlab", "scan", "rules"}); !s) return s;
  const std::string who = trusted ? "" : " (found in the scanned tree)";

  if (const toml::node* n = doc.get("gitlab")) {
    const toml::table* g = n->as_table();
    const std::string at = origin + ": [gitlab]";
    if (g == nullptr) return Error::config(at + " must be a table");
    if (auto s = check_keys(*g, at, {"pat_prefixes", "instance_prefixes", "verify_hosts"}); !s) return s;
    if (auto s = string_list(*g, "pat_prefixes", at, into.pat_prefixes); !s) return s;
    if (auto s = string_list(*g, "instance_prefixes", at, into.instance_prefixes); !s) return s;
    std::vector<std::string> hosts;
    if (auto s = string_list(*g, "verify_hosts", at, hosts); !s) return s;
    if (!hosts.empty()) {
      if (trusted) {
        into.verify_hosts.insert(into.verify_hosts.end(), hosts.begin(), hosts.end());
      } else {
        into.notices.push_back(origin + ": refused [gitlab] verify_hosts" + who +
                               ": a scanned repository cannot choose where tokens are sent "
                               "(use --gitlab-url or --config)");
      }
    }
  }

  if (const toml::node* n = doc.get("scan")) {
    const toml::table* sc = n->as_table();
    const std::string at = origin + ": [scan]";
    if (sc == nullptr) return Error::config(at + " must be a table");
    if (auto s = check_keys(*sc, at, {"exclude", "max_file_size", "disable_rules"}); !s) return s;
    // In CI and server hooks the scanned change itself could narrow the scan: excludes and
    // a size limit from the tree are refused there, like disabled rules everywhere.
    const bool may_narrow = trust != ConfigTrust::UntrustedTree;
    std::vector<std::string> excludes;
    if (auto s = string_list(*sc, "exclude", at, excludes); !s) return s;
    if (!excludes.empty() && !may_narrow)
      into.notices.push_back(origin + ": refused [scan] exclude" + who +
                             ": in CI and server hooks the scanned change cannot exclude paths "
                             "(pass --exclude or --config)");
    else
      into.excludes.insert(into.excludes.end(), excludes.begin(), excludes.end());
    if (const toml::node* m = sc->get("max_file_size")) {
      std::string value;
      if (const auto* str = m->as_string())
        value = str->get();
      else if (const auto* i = m->as_integer()) {
        if (i->get() < 0) return Error::config(at + ".max_file_size: must not be negative");
        value = std::to_string(i->get());
      } else
        return Error::config(at + ".max_file_size: expected a size like \"50M\" or a byte count");
      if (!may_narrow) {
        into.notices.push_back(origin + ": refused [scan] max_file_size" + who +
                               ": in CI and server hooks the scanned change cannot skip large files "
                               "(pass --max-file-size or --config)");
      } else if (!into.max_file_size) {
        into.max_file_size = value;
        into.max_file_size_origin = origin;
      }
    }
    std::vector<std::string> disable;
    if (auto s = string_list(*sc, "disable_rules", at, disable); !s) return s;
    if (!disable.empty()) {
      if (trusted) {
        into.disable_rules.insert(into.disable_rules.end(), disable.begin(), disable.end());
      } else {
        std::string ids;
        for (const auto& d : disable) ids += (ids.empty() ? "" : ", ") + d;
        into.notices.push_back(origin + ": refused [scan] disable_rules = [" + ids + "]" + who +
                               ": a scanned repository cannot disable rules; every rule stays "
                               "active (suppress single findings with .glpatrolignore instead)");
      }
    }
  }

  if (const toml::node* n = doc.get("rules")) {
    const toml::array* arr = n->as_array();
    if (arr == nullptr) return Error::config(origin + ": 'rules' must be an array of tables ([[rules]])");
    // The rule parser reads a rule file; hand it exactly the [[rules]] part.
    toml::table only_rules;
    only_rules.insert("rules", *arr);
    std::ostringstream os;
    os << only_rules;
    auto rules = parse_rules_toml(os.str(), origin);
    if (!rules) return rules.error();
    for (auto& r : *rules) {
      r.builtin = false;
      r.origin = origin;
      into.rules.push_back(std::move(r));
    }
  }
  into.files.push_back(origin);
  return Status::ok();
}

Status load_config_file(const std::string& path, ConfigTrust trust, Config& into) {
  auto text = read_regular_file(path, kMaxConfigBytes, "configuration file");
  if (!text) return Error::config(text.error().message);
  return parse_config(*text, path, trust, into);
}

}  // namespace glpatrol
