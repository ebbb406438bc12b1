#include "app/plan.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <thread>

#include "config/config.h"
#include "matcher/load_rules.h"
#include "reporters/report_file.h"

namespace glpatrol {

namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string in_root(const std::string& root, std::string_view name) {
  if (root.empty() || root == ".") return std::string(name);
  return root + (root.back() == '/' ? "" : "/") + std::string(name);
}

/// --config files (the operator's) and .glpatrol.toml in each directory target (the tree's,
/// trusted as `in.tree` says; a symlinked or special one is never followed: the repository
/// could point it at any file on the machine).
Result<Config> load_configuration(const ScanOptions& o, const PlanInputs& in) {
  Config cfg;
  for (const auto& path : o.config_files)
    if (auto s = load_config_file(path, ConfigTrust::Operator, cfg); !s) return s.error();
  if (o.no_repo_config || !in.read_tree_config) return cfg;
  const ConfigTrust tree = in.tree == TreeTrust::Own ? ConfigTrust::Tree : ConfigTrust::UntrustedTree;
  for (const auto& t : in.targets) {
    if (!is_dir(t)) continue;
    const std::string path = in_root(t, kRepoConfigName);
    if (!is_file(path)) continue;
    if (std::find(o.config_files.begin(), o.config_files.end(), path) != o.config_files.end()) continue;
    if (auto s = load_config_file(path, tree, cfg); !s) return s.error();
  }
  return cfg;
}

/// Ignore files (--ignore-file, else .glpatrolignore in each directory target of a tree the
/// operator owns) and the --baseline report.
Result<std::shared_ptr<Suppressor>> load_suppression(const ScanOptions& o, const PlanInputs& in,
                                                     std::vector<std::string>& loaded,
                                                     std::vector<std::string>& notices) {
  std::vector<IgnoreEntry> entries;
  std::vector<std::string> files = o.ignore_files;
  if (files.empty() && in.read_tree_config) {
    for (const auto& t : in.targets) {
      if (!is_dir(t)) continue;
      const std::string path = in_root(t, ".glpatrolignore");
      if (!is_file(path)) continue;
      if (in.tree == TreeTrust::Untrusted) {
        notices.push_back(path +
                          ": not applied: in CI and server hooks the scanned change cannot "
                          "suppress its own findings (pass a reviewed ignore file with --ignore-file, "
                          "e.g. the target branch's)");
        continue;
      }
      files.push_back(path);
    }
  }
  for (const auto& f : files) {
    auto e = load_ignore_file(f);
    if (!e) return e.error();
    for (auto& x : *e) entries.push_back(std::move(x));
    loaded.push_back(f);
  }
  std::optional<Baseline> baseline;
  if (!o.baseline.empty()) {
    auto b = load_baseline(o.baseline);
    if (!b) return b.error();
    baseline = std::move(*b);
  }
  return std::make_shared<Suppressor>(std::move(entries), std::move(baseline), !o.no_inline_allow);
}

}  // namespace

unsigned worker_count(unsigned requested) {
  if (requested != 0) return requested;
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 2 : hc;
}

Result<std::uint64_t> parse_size(const std::string& text) {
  if (text.empty()) return Error::usage("empty size");
  std::size_t i = 0;
  std::uint64_t v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (v > (~std::uint64_t{0} - 9) / 10) return Error::usage("size '" + text + "' is too large");
    v = v * 10 + static_cast<std::uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == 0) return Error::usage("invalid size '" + text + "'");
  std::string unit = text.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int shift = -1;
  if (unit.empty() || unit == "B")
    shift = 0;
  else if (unit == "K" || unit == "KB" || unit == "KIB")
    shift = 10;
  else if (unit == "M" || unit == "MB" || unit == "MIB")
    shift = 20;
  else if (unit == "G" || unit == "GB" || unit == "GIB")
    shift = 30;
  if (shift < 0) return Error::usage("invalid size unit in '" + text + "' (use K, M or G)");
  if (shift != 0 && v > (~std::uint64_t{0} >> shift)) return Error::usage("size '" + text + "' is too large");
  return v << shift;
}

void enable_hook_message(ScanPlan& plan, const std::string& context, bool server) {
  HookMessageOptions h;
  h.context = context;
  h.server = server;
  if (!plan.options.gitlab_urls.empty()) h.gitlab_url = plan.options.gitlab_urls.front();
  while (!h.gitlab_url.empty() && h.gitlab_url.back() == '/') h.gitlab_url.pop_back();
  plan.hook_message = h;
}

Result<ScanPlan> make_plan(const ScanOptions& options, const PlanInputs& in) {
  ScanPlan plan;
  plan.kind = in.kind;
  plan.targets = in.targets;
  plan.options = options;
  ScanOptions& o = plan.options;

  // Configuration first: it may add rules, prefixes, excludes and the file size limit.
  auto cfg = load_configuration(o, in);
  if (!cfg) return cfg.error();
  plan.loaded_files = cfg->files;
  plan.notices = cfg->notices;
  for (const auto& id : cfg->disable_rules)
    plan.notices.push_back("rule '" + id +
                           "' disabled by the --config file: findings of this kind are not reported");
  o.pat_prefixes.insert(o.pat_prefixes.end(), cfg->pat_prefixes.begin(), cfg->pat_prefixes.end());
  o.instance_prefixes.insert(o.instance_prefixes.end(), cfg->instance_prefixes.begin(),
                             cfg->instance_prefixes.end());
  if (o.gitlab_urls.empty()) o.gitlab_urls = cfg->verify_hosts;
  plan.fs = o.fs;
  plan.fs.exclude_globs.insert(plan.fs.exclude_globs.end(), cfg->excludes.begin(), cfg->excludes.end());
  const std::string size = !o.max_file_size.empty() ? o.max_file_size : cfg->max_file_size.value_or("");
  if (!size.empty()) {
    auto sz = parse_size(size);
    if (!sz) return Error::usage("--max-file-size: " + sz.error().message);
    plan.fs.max_file_size = *sz;
  }

  // Every output is checked before the scan: a typo or an unwritable path fails in
  // milliseconds, not after an hour.
  plan.report.show_secrets = o.show_secrets;
  plan.report.raw_extract = o.raw_extract;
  if (!o.quiet) plan.outputs.push_back({o.format, "-"});
  std::set<std::string> paths;
  for (const auto& spec : o.reports) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
      return Error::usage("--report expects FORMAT:PATH, got '" + spec + "'");
    OutputSpec out{spec.substr(0, colon), spec.substr(colon + 1)};
    if (out.path != "-" && !paths.insert(out.path).second)
      return Error::usage("--report: " + out.path + " is given twice (one file holds one report)");
    if (auto s = check_report_path(out.path); !s) return Error::usage("--report: " + s.error().message);
    plan.outputs.push_back(std::move(out));
  }
  for (const auto& out : plan.outputs)
    if (auto r = make_reporter(out.format, plan.report); !r) return r.error();

  RuleSources rules;
  rules.disable_rules = cfg->disable_rules;
  rules.rule_files = o.rule_files;
  rules.config_rules = cfg->rules;
  rules.prefixes.pat_prefixes = o.pat_prefixes;
  rules.prefixes.instance_prefixes = o.instance_prefixes;
  rules.hints.enabled = !o.no_decode;
  auto db = load_rule_db(rules, &plan.loaded_files);
  if (!db) return db.error();
  plan.db = std::make_shared<const RuleDb>(std::move(*db));

  // Suppression files are read before the scan, so a broken ignore file or baseline fails in
  // milliseconds (exit 2), never after an hour, and never as "empty, all clean".
  auto sup = load_suppression(o, in, plan.loaded_files, plan.notices);
  if (!sup) return sup.error();
  plan.suppressor = *sup;

  plan.step.redact = !o.show_secrets;
  plan.step.decode = !o.no_decode;
  plan.step.archives = !o.no_archives;
  plan.step.max_depth = o.max_decode_depth;
  auto decoded = parse_size(o.max_decoded_size);
  if (!decoded) return Error::usage("--max-decoded-size: " + decoded.error().message);
  plan.step.max_decoded = *decoded;
  plan.jobs = worker_count(o.jobs);
  return plan;
}

}  // namespace glpatrol
