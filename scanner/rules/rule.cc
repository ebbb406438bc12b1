#include "rules/rule.h"

#include <algorithm>

#include <toml++/toml.h>

#include "rules/toml_doc.h"

#include <set>
#include <sstream>

extern const unsigned char glpatrol_builtin_rules_toml[];
extern const std::size_t glpatrol_builtin_rules_toml_size;

namespace glpatrol {

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::Info:
      return "info";
    case Severity::Low:
      return "low";
    case Severity::Medium:
      return "medium";
    case Severity::High:
      return "high";
    case Severity::Critical:
      return "critical";
  }
  return "high";
}

std::string_view to_string(Checksum c) {
  switch (c) {
    case Checksum::None:
      return "";
    case Checksum::Absent:
      return "absent";
    case Checksum::Valid:
      return "valid";
    case Checksum::Invalid:
      return "invalid";
  }
  return "";
}

std::string token_kind_prefix(std::string_view secret) {
  static constexpr std::string_view kLiterals[] = {"glpat-",  "glrtr-",  "glrt-", "gloas-",   "gldt-",
                                                   "glcbt-",  "glptt-",  "glft-", "glimt-",   "glagent-",
                                                   "glsoat-", "glffct-", "glwt-", "GR1348941"};
  std::size_t best = std::string_view::npos, best_end = 0;
  for (auto lit : kLiterals) {
    const auto pos = secret.substr(0, 40).find(lit);
    if (pos != std::string_view::npos && pos < best) {
      best = pos;
      best_end = pos + lit.size();
    }
  }
  if (best == std::string_view::npos) {
    // Runner tokens registered with a registration token: t1_...
    if (secret.size() > 3 && secret[0] == 't' && secret[2] == '_') return std::string(secret.substr(0, 3));
    return {};
  }
  // Keep the runner-type partition after glrt-: glrt-t1_.
  if (secret.size() > best_end + 3 && secret[best_end] == 't' && secret[best_end + 2] == '_' &&
      (secret.substr(best, 4) == "glrt"))
    best_end += 3;
  return std::string(secret.substr(0, best_end));
}

Result<Severity> parse_severity(std::string_view s) {
  if (s == "info") return Severity::Info;
  if (s == "low") return Severity::Low;
  if (s == "medium") return Severity::Medium;
  if (s == "high") return Severity::High;
  if (s == "critical") return Severity::Critical;
  return Error::config("unknown severity '" + std::string(s) +
                       "' (expected critical, high, medium, low or info)");
}

namespace {

const std::set<std::string, std::less<>> kKnownKeys = {"id",
                                                       "name",
                                                       "description",
                                                       "severity",
                                                       "pattern",
                                                       "confirm",
                                                       "charset",
                                                       "routable_kind",
                                                       "routable_version",
                                                       "require_left_boundary",
                                                       "require_mixed",
                                                       "reject_identifier",
                                                       "min_entropy",
                                                       "secret_after",
                                                       "verify",
                                                       "revoke",
                                                       "keywords",
                                                       "priority",
                                                       "references",
                                                       "examples",
                                                       "negative_examples",
                                                       "checksum_capable",
                                                       "prefilter"};

Result<std::vector<std::string>> string_list(const toml::table& t, std::string_view key) {
  std::vector<std::string> out;
  const toml::node* n = t.get(key);
  if (n == nullptr) return out;
  const toml::array* arr = n->as_array();
  if (arr == nullptr) return Error::config(std::string(key) + " must be an array of strings");
  for (const auto& item : *arr) {
    const auto* s = item.as_string();
    if (s == nullptr) return Error::config(std::string(key) + " must be an array of strings");
    out.push_back(s->get());
  }
  return out;
}

std::string where(const toml::node& n, const std::string& origin) {
  std::ostringstream os;
  os << origin << ":" << n.source().begin.line;
  return os.str();
}

Result<Rule> parse_rule(const toml::table& t, const std::string& origin) {
  Rule r;
  r.origin = origin;
  const std::string at = where(t, origin);
  for (const auto& [k, v] : t) {
    if (kKnownKeys.find(k.str()) == kKnownKeys.end())
      return Error::config(at + ": unknown rule key '" + std::string(k.str()) + "'");
  }
  auto str = [&](std::string_view key, bool required, std::string& out) -> Status {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) return Error::config(at + ": rule is missing '" + std::string(key) + "'");
      return Status::ok();
    }
    const auto* s = n->as_string();
    if (s == nullptr) return Error::config(at + ": '" + std::string(key) + "' must be a string");
    out = s->get();
    return Status::ok();
  };
  if (auto s = str("id", true, r.id); !s) return s.error();
  if (auto s = str("pattern", true, r.pattern); !s) return s.error();
  if (auto s = str("name", false, r.name); !s) return s.error();
  if (auto s = str("description", false, r.description); !s) return s.error();
  if (auto s = str("secret_after", false, r.secret_after); !s) return s.error();
  if (auto s = str("verify", false, r.verify); !s) return s.error();
  if (auto s = str("revoke", false, r.revoke); !s) return s.error();
  if (auto s = str("prefilter", false, r.prefilter); !s) return s.error();
  if (r.name.empty()) r.name = r.id;
  if (r.verify.empty()) r.verify = "none:no verifier for custom rules";
  // An empty id would make the rule unnameable in reports, ignore lists and `--rule`.
  if (r.id.empty()) return Error::config(at + ": rule id is empty");
  for (char c : r.id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return Error::config(at + ": rule id '" + r.id + "' may only contain [A-Za-z0-9._-]");
  }
  if (r.pattern.empty()) return Error::config(at + ": rule '" + r.id + "' has an empty pattern");

  std::string sev = "high";
  if (auto s = str("severity", false, sev); !s) return s.error();
  auto severity = parse_severity(sev);
  if (!severity) return severity.error().with_context(at);
  r.severity = *severity;

  std::string confirm = "regex";
  if (auto s = str("confirm", false, confirm); !s) return s.error();
  if (confirm == "regex")
    r.confirm = ConfirmKind::Regex;
  else if (confirm == "routable")
    r.confirm = ConfirmKind::Routable;
  else if (confirm == "jwt")
    r.confirm = ConfirmKind::Jwt;
  else
    return Error::config(at + ": unknown confirm '" + confirm + "' (regex, routable, jwt)");

  std::string charset = "b64url";
  if (auto s = str("charset", false, charset); !s) return s.error();
  if (charset == "b64url")
    r.charset = TokenCharset::B64url;
  else if (charset == "digits")
    r.charset = TokenCharset::Digits;
  else if (charset == "alnum_lower")
    r.charset = TokenCharset::AlnumLower;
  else if (charset == "any")
    r.charset = TokenCharset::Any;
  else
    return Error::config(at + ": unknown charset '" + charset + "'");

  std::string rk = "any", rv = "any";
  if (auto s = str("routable_kind", false, rk); !s) return s.error();
  if (auto s = str("routable_version", false, rv); !s) return s.error();
  if (rk == "pat")
    r.routable_kind = RoutableKind::Pat;
  else if (rk == "runner")
    r.routable_kind = RoutableKind::Runner;
  else if (rk == "any")
    r.routable_kind = RoutableKind::Any;
  else
    return Error::config(at + ": unknown routable_kind '" + rk + "'");
  if (rv == "versioned")
    r.routable_version = RoutableVersion::Versioned;
  else if (rv == "unversioned")
    r.routable_version = RoutableVersion::Unversioned;
  else if (rv == "any")
    r.routable_version = RoutableVersion::Any;
  else
    return Error::config(at + ": unknown routable_version '" + rv + "'");

  auto boolean = [&](std::string_view key, bool& out) -> Status {
    const toml::node* n = t.get(key);
    if (n == nullptr) return Status::ok();
    const auto* b = n->as_boolean();
    if (b == nullptr) return Error::config(at + ": '" + std::string(key) + "' must be a boolean");
    out = b->get();
    return Status::ok();
  };
  if (auto s = boolean("require_left_boundary", r.require_left_boundary); !s) return s.error();
  if (auto s = boolean("require_mixed", r.require_mixed); !s) return s.error();
  if (auto s = boolean("reject_identifier", r.reject_identifier); !s) return s.error();
  if (auto s = boolean("checksum_capable", r.checksum_capable); !s) return s.error();
  if (const toml::node* n = t.get("min_entropy")) {
    if (auto d = n->value<double>())
      r.min_entropy = *d;
    else
      return Error::config(at + ": 'min_entropy' must be a number");
  }
  if (const toml::node* n = t.get("priority")) {
    if (auto i = n->value<std::int64_t>())
      r.priority = static_cast<int>(*i);
    else
      return Error::config(at + ": 'priority' must be an integer");
  }
  auto keywords = string_list(t, "keywords");
  if (!keywords) return keywords.error();
  r.keywords = std::move(*keywords);
  auto refs = string_list(t, "references");
  if (!refs) return refs.error().with_context(at);
  r.references = std::move(*refs);
  auto ex = string_list(t, "examples");
  if (!ex) return ex.error().with_context(at);
  r.examples = std::move(*ex);
  auto nex = string_list(t, "negative_examples");
  if (!nex) return nex.error().with_context(at);
  r.negative_examples = std::move(*nex);
  return r;
}

}  // namespace

Result<std::vector<Rule>> parse_rules_toml(std::string_view text, const std::string& origin) {
  auto parsed = parse_toml_document(text, origin);
  if (!parsed) return parsed.error();
  const toml::table& doc = *parsed;
  for (const auto& [k, v] : doc) {
    if (k.str() != "rules")
      return Error::config(origin + ": unknown top-level key '" + std::string(k.str()) +
                           "' (a rule file holds [[rules]] tables)");
  }
  std::vector<Rule> out;
  const toml::array* arr = doc["rules"].as_array();
  if (arr == nullptr) return Error::config(origin + ": no [[rules]] tables");
  std::set<std::string> ids;
  for (const auto& node : *arr) {
    const toml::table* t = node.as_table();
    if (t == nullptr) return Error::config(origin + ": 'rules' must be an array of tables");
    auto r = parse_rule(*t, origin);
    if (!r) return r.error();
    if (!ids.insert(r->id).second) return Error::config(origin + ": duplicate rule id '" + r->id + "'");
    out.push_back(std::move(*r));
  }
  return out;
}

const std::vector<Rule>& builtin_rules() {
  static const std::vector<Rule> rules = [] {
    const std::string_view text(reinterpret_cast<const char*>(glpatrol_builtin_rules_toml),
                                glpatrol_builtin_rules_toml_size);
    auto parsed = parse_rules_toml(text, "builtin:rules/gitlab.toml");
    // The embedded file is checked by the test suite; a parse failure is a build defect.
    if (!parsed) std::abort();
    for (auto& r : *parsed) {
      r.builtin = true;
      r.origin = "builtin";
    }
    return std::move(*parsed);
  }();
  return rules;
}

namespace {
std::string regex_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}/-").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}
void replace_all(std::string& s, std::string_view from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
}
}  // namespace

std::string expand_pattern(const Rule& rule, const PrefixSettings& prefixes) {
  return expand_template(rule.pattern, prefixes);
}

std::string expand_prefilter(const Rule& rule, const PrefixSettings& prefixes) {
  return expand_template(rule.prefilter.empty() ? rule.pattern : rule.prefilter, prefixes);
}

std::string expand_template(const std::string& pattern_template, const PrefixSettings& prefixes) {
  std::string pat = pattern_template;
  // PAT prefixes: glpat-, custom prefixes, and each instance prefix in front of glpat-.
  std::vector<std::string> pats = {"glpat-"};
  for (const auto& p : prefixes.pat_prefixes) pats.push_back(p);
  for (const auto& i : prefixes.instance_prefixes) {
    pats.push_back(i + "-glpat-");
    for (const auto& p : prefixes.pat_prefixes) pats.push_back(i + "-" + p);
  }
  std::string alt = "(?:";
  for (std::size_t k = 0; k < pats.size(); ++k) {
    if (k) alt += '|';
    alt += regex_escape(pats[k]);
  }
  alt += ')';
  replace_all(pat, "{PAT_PREFIX}", alt);
  std::string inst;
  if (!prefixes.instance_prefixes.empty()) {
    inst = "(?:(?:";
    for (std::size_t k = 0; k < prefixes.instance_prefixes.size(); ++k) {
      if (k) inst += '|';
      inst += regex_escape(prefixes.instance_prefixes[k]);
    }
    inst += ")-)?";
  }
  replace_all(pat, "{I}", inst);
  return pat;
}

Status validate_prefixes(const PrefixSettings& prefixes) {
  auto check = [](const std::string& p, const char* what) -> Status {
    if (p.empty() || p.size() > 20)
      return Error::config(std::string(what) + " '" + p + "' must be 1 to 20 characters");
    for (char c : p) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view("_+=/@:.-").find(c) != std::string_view::npos;
      if (!ok)
        return Error::config(std::string(what) + " '" + p +
                             "' may only contain letters, digits and _+=/@:.- (GitLab's rule)");
    }
    return Status::ok();
  };
  for (const auto& p : prefixes.pat_prefixes)
    if (auto s = check(p, "custom PAT prefix"); !s) return s;
  for (const auto& p : prefixes.instance_prefixes) {
    if (auto s = check(p, "instance prefix"); !s) return s;
    if (p == "gl") return Error::config("instance prefix 'gl' is reserved by GitLab");
  }
  return Status::ok();
}

std::vector<std::string> token_prefixes(const RuleSet& set) {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (!p.empty() && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const auto& r : set.rules)
    for (const auto& k : r.keywords) add(k);
  for (const auto& p : set.prefixes.pat_prefixes) add(p);
  return out;
}

}  // namespace glpatrol
