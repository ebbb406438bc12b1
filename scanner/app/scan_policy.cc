#include "app/scan_policy.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>

#include "config/config.h"

namespace glpatrol {

namespace {

bool is_dir(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string& p) {
  struct stat st{};
  return ::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string in_root(const std::string& root, std::string_view name) {
  if (root.empty() || root == ".") return std::string(name);
  return root + (root.back() == '/' ? "" : "/") + std::string(name);
}

}  // namespace

Status apply_configuration(ScanOptions& opts, const std::vector<std::string>& targets,
                           std::vector<std::string>& loaded, std::vector<std::string>& notices) {
  Config cfg;
  for (const auto& path : opts.config_files)
    if (auto s = load_config_file(path, /*trusted=*/true, cfg); !s) return s;
  if (!opts.no_repo_config) {
    for (const auto& t : targets) {
      if (!is_dir(t)) continue;
      const std::string path = in_root(t, kRepoConfigName);
      // A symlinked or special .glpatrol.toml is not followed: the repository could point it
      // at any file on the machine.
      if (!is_file(path)) continue;
      if (std::find(opts.config_files.begin(), opts.config_files.end(), path) != opts.config_files.end())
        continue;
      if (auto s = load_config_file(path, /*trusted=*/false, cfg); !s) return s;
    }
  }
  loaded.insert(loaded.end(), cfg.files.begin(), cfg.files.end());
  notices.insert(notices.end(), cfg.notices.begin(), cfg.notices.end());

  opts.pat_prefixes.insert(opts.pat_prefixes.end(), cfg.pat_prefixes.begin(), cfg.pat_prefixes.end());
  opts.instance_prefixes.insert(opts.instance_prefixes.end(), cfg.instance_prefixes.begin(),
                                cfg.instance_prefixes.end());
  opts.fs.exclude_globs.insert(opts.fs.exclude_globs.end(), cfg.excludes.begin(), cfg.excludes.end());
  if (opts.max_file_size.empty() && cfg.max_file_size) opts.max_file_size = *cfg.max_file_size;
  for (auto& r : cfg.rules) opts.config_rules.push_back(std::move(r));
  for (const auto& id : cfg.disable_rules) {
    opts.disable_rules.push_back(id);
    notices.push_back("rule '" + id + "' disabled by the --config file: findings of this kind are not reported");
  }
  if (!cfg.verify_hosts.empty() && opts.gitlab_urls.empty()) opts.gitlab_urls = cfg.verify_hosts;
  return Status::ok();
}

Result<std::shared_ptr<Suppressor>> prepare_suppression(const ScanOptions& opts,
                                                        const std::vector<std::string>& targets,
                                                        std::vector<std::string>& loaded) {
  std::vector<IgnoreEntry> entries;
  std::vector<std::string> files = opts.ignore_files;
  if (files.empty()) {
    for (const auto& t : targets) {
      if (!is_dir(t)) continue;
      const std::string path = in_root(t, ".glpatrolignore");
      if (is_file(path)) files.push_back(path);
    }
  }
  for (const auto& f : files) {
    auto e = load_ignore_file(f);
    if (!e) return e.error();
    for (auto& x : *e) entries.push_back(std::move(x));
    loaded.push_back(f);
  }
  std::optional<Baseline> baseline;
  if (!opts.baseline.empty()) {
    auto b = load_baseline(opts.baseline);
    if (!b) return b.error();
    baseline = std::move(*b);
  }
  return std::make_shared<Suppressor>(std::move(entries), std::move(baseline), !opts.no_inline_allow);
}

void record_suppression(const Suppressor& s, ScanContext& ctx) {
  nlohmann::ordered_json j;
  j["inline_allow"] = s.inline_allow();
  j["ignore_entries"] = s.entries();
  j["baseline"] = s.baseline() ? nlohmann::ordered_json(json_text(s.baseline()->path))
                               : nlohmann::ordered_json(nullptr);
  j["baseline_fingerprints"] = s.baseline() ? s.baseline()->fingerprints.size() : 0;
  j["counts"] = {{"ignore-file", s.count("ignore-file")},
                 {"inline", s.count("inline")},
                 {"baseline", s.count("baseline")}};
  nlohmann::ordered_json unused = nlohmann::ordered_json::array();
  for (const auto& u : s.unused()) {
    unused.push_back({{"file", json_text(u.file)},
                      {"line", u.line},
                      {"fingerprint", u.fingerprint},
                      {"path_glob", u.path_glob.empty() ? nlohmann::ordered_json(nullptr)
                                                        : nlohmann::ordered_json(json_text(u.path_glob))}});
    ctx.stats.warn(fmt::format("{}:{}: ignore entry {}{} matched no finding; remove it if the "
                               "token is gone",
                               u.file, u.line, u.fingerprint,
                               u.path_glob.empty() ? "" : " " + u.path_glob));
  }
  j["unused_ignore_entries"] = unused;
  ctx.info.extra["suppression"] = j;
}

PostStage make_suppression_stage(const ScanOptions& opts) {
  const ScanOptions* o = &opts;
  return [o](std::vector<Finding>& findings, ScanContext& ctx) -> Status {
    std::shared_ptr<Suppressor> sup = o->suppressor;
    if (!sup) {
      std::vector<std::string> loaded;
      auto prepared = prepare_suppression(*o, ctx.info.targets, loaded);
      if (!prepared) return prepared.error();
      sup = *prepared;
    }
    for (auto& f : findings) sup->apply(f);
    record_suppression(*sup, ctx);
    return Status::ok();
  };
}

}  // namespace glpatrol
