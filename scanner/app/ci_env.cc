// CI detection, sharding and the multi-repository git command (docs/integrations.md).
#include "app/ci_env.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "app/scan_driver.h"
#include "sources/git/git_scan.h"

namespace glpatrol {

PostStage make_hook_message_stage(const std::string& context);  // cmd_hooks.cc

EnvFn process_env() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {

std::string env_or(const EnvFn& env, const char* name) {
  auto v = env(name);
  return v ? *v : std::string();
}

bool parse_uint(std::string_view s, unsigned& out) {
  if (s.empty() || s.size() > 6) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

/// A full object id (SHA-1 or SHA-256 hex). CI values become revisions: only plain ids pass,
/// never revision syntax from an event file.
bool is_object_id(std::string_view s) {
  if (s.size() != 40 && s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_zero_id(std::string_view s) {
  return !s.empty() && s.find_first_not_of('0') == std::string_view::npos;
}

std::string short_id(const std::string& s) { return s.substr(0, 12); }

bool truthy(const std::string& v) { return v == "true" || v == "1" || v == "yes"; }

}  // namespace

// ---------------------------------------------------------------------------------------

Result<ShardSpec> parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  ShardSpec s;
  if (slash == std::string_view::npos || !parse_uint(text.substr(0, slash), s.index) ||
      !parse_uint(text.substr(slash + 1), s.total))
    return Error::usage("--shard expects I/N (e.g. 2/4), got '" + std::string(text) + "'");
  if (s.total == 0 || s.total > 10000 || s.index == 0 || s.index > s.total)
    return Error::usage("--shard " + std::string(text) + ": need 1 <= I <= N <= 10000");
  s.origin = "--shard";
  return s;
}

Result<ShardSpec> resolve_shard(const std::string& flag, const EnvFn& env) {
  if (flag == "none") return ShardSpec{};
  if (!flag.empty()) return parse_shard(flag);
  const auto idx = env("CI_NODE_INDEX");
  const auto total = env("CI_NODE_TOTAL");
  if (!idx || !total || idx->empty() || total->empty()) return ShardSpec{};
  auto s = parse_shard(*idx + "/" + *total);
  if (!s)
    return Error::usage("CI_NODE_INDEX=" + *idx + " / CI_NODE_TOTAL=" + *total +
                        " do not describe a shard (pass --shard I/N or --shard none)");
  s->origin = "CI_NODE_INDEX/CI_NODE_TOTAL";
  return s;
}

unsigned shard_of(std::string_view key, unsigned total) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return total == 0 ? 1 : static_cast<unsigned>(h % total) + 1;
}

bool ScanContext::in_shard(std::string_view key) const {
  const ScanOptions& o = options();
  if (o.shard_total <= 1) return true;
  return shard_of(key, o.shard_total) == o.shard_index;
}

// ---------------------------------------------------------------------------------------

namespace {

Result<CiPlan> detect_gitlab(const EnvFn& env) {
  CiPlan p;
  p.provider = "gitlab";
  p.shallow_fix =
      "the clone is shallow: set the job variable GIT_DEPTH: 0 (full clone) so the range's base "
      "commit and the history are present";
  const std::string head_env = env_or(env, "CI_COMMIT_SHA");
  const std::string head = is_object_id(head_env) ? head_env : "HEAD";
  if (truthy(env_or(env, "SECRET_DETECTION_HISTORIC_SCAN"))) {
    p.event = "history";
    p.description = "GitLab CI, SECRET_DETECTION_HISTORIC_SCAN=true: full history";
    return p;
  }
  const std::string base = env_or(env, "CI_MERGE_REQUEST_DIFF_BASE_SHA");
  if (!base.empty()) {
    if (!is_object_id(base))
      return Error::usage("--ci: CI_MERGE_REQUEST_DIFF_BASE_SHA is not a commit id");
    std::string mr_head = env_or(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA");
    if (!is_object_id(mr_head)) mr_head = head;
    p.event = "merge_request";
    p.range = base + ".." + mr_head;
    const std::string iid = env_or(env, "CI_MERGE_REQUEST_IID");
    p.description = fmt::format(
        "GitLab CI merge request{}: commits of the merge request, range {}..{} "
        "(CI_MERGE_REQUEST_DIFF_BASE_SHA..{})",
        iid.empty() ? "" : " !" + iid, short_id(base), short_id(mr_head),
        mr_head == head ? "CI_COMMIT_SHA" : "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA");
    return p;
  }
  const std::string before = env_or(env, "CI_COMMIT_BEFORE_SHA");
  if (!before.empty() && !is_zero_id(before)) {
    if (!is_object_id(before)) return Error::usage("--ci: CI_COMMIT_BEFORE_SHA is not a commit id");
    if (before == head) {
      p.event = "history";
      p.description = "GitLab CI: CI_COMMIT_BEFORE_SHA equals CI_COMMIT_SHA (re-run or "
                      "manual pipeline): full history";
      return p;
    }
    p.event = "push";
    p.range = before + ".." + head;
    p.description = fmt::format("GitLab CI push: the pushed commits, range {}..{} "
                                "(CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA)",
                                short_id(before), short_id(head));
    return p;
  }
  p.event = before.empty() ? "history" : "new-branch";
  p.description = before.empty()
                      ? "GitLab CI without a push or merge request range (tag, schedule, web "
                        "or API pipeline): full history"
                      : "GitLab CI, first pipeline of a new branch (CI_COMMIT_BEFORE_SHA is "
                        "000...0): full history";
  return p;
}

Result<CiPlan> detect_github(const EnvFn& env) {
  CiPlan p;
  p.provider = "github";
  p.shallow_fix =
      "the checkout is shallow: use actions/checkout with fetch-depth: 0 so the range's base "
      "commit and the history are present";
  const std::string event = env_or(env, "GITHUB_EVENT_NAME");
  const std::string path = env_or(env, "GITHUB_EVENT_PATH");
  p.event = event.empty() ? "unknown" : event;
  const bool pr = event == "pull_request" || event == "pull_request_target";
  if (!pr && event != "push") {
    p.event = "history";
    p.description = "GitHub Actions event '" + event + "': full history";
    return p;
  }
  if (path.empty()) return Error::usage("--ci: GITHUB_EVENT_PATH is not set");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::usage("--ci: cannot read GITHUB_EVENT_PATH '" + path + "'");
  std::string text;
  {
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  if (text.size() > (64u << 20)) return Error::usage("--ci: GITHUB_EVENT_PATH is larger than 64 MiB");
  nlohmann::json ev;
  try {
    ev = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Error::usage(std::string("--ci: GITHUB_EVENT_PATH is not valid JSON: ") + e.what());
  }
  auto str_at = [&](const char* ptr) -> std::string {
    try {
      const auto& v = ev.at(nlohmann::json::json_pointer(ptr));
      return v.is_string() ? v.get<std::string>() : std::string();
    } catch (const nlohmann::json::exception&) {
      return {};
    }
  };
  if (pr) {
    const std::string base = str_at("/pull_request/base/sha");
    const std::string head = str_at("/pull_request/head/sha");
    if (!is_object_id(base) || !is_object_id(head))
      return Error::usage("--ci: the pull request event has no valid base.sha / head.sha");
    p.range = base + ".." + head;
    std::string number;
    try {
      const auto& n = ev.at(nlohmann::json::json_pointer("/pull_request/number"));
      if (n.is_number_integer()) number = std::to_string(n.get<long long>());
    } catch (const nlohmann::json::exception&) {
    }
    p.description = fmt::format("GitHub Actions pull request{}: range {}..{} "
                                "(pull_request.base.sha..pull_request.head.sha)",
                                number.empty() ? "" : " #" + number, short_id(base), short_id(head));
    return p;
  }
  const std::string before = str_at("/before");
  const std::string after = str_at("/after");
  if (is_object_id(before) && !is_zero_id(before) && is_object_id(after) && !is_zero_id(after)) {
    p.range = before + ".." + after;
    p.description = fmt::format("GitHub Actions push: the pushed commits, range {}..{} "
                                "(before..after)", short_id(before), short_id(after));
    return p;
  }
  p.event = "new-branch";
  p.description = "GitHub Actions push of a new branch (before is 000...0): full history";
  return p;
}

}  // namespace

Result<CiPlan> detect_ci(const EnvFn& env) {
  if (truthy(env_or(env, "GITLAB_CI"))) return detect_gitlab(env);
  if (truthy(env_or(env, "GITHUB_ACTIONS"))) return detect_github(env);
  return Error::usage("--ci: no supported CI environment detected (GITLAB_CI or GITHUB_ACTIONS "
                      "is not set); pass --range A..B or scan the full history instead");
}

bool repo_is_shallow(const std::string& repo) {
  struct stat st{};
  const std::string base = repo.empty() ? std::string(".") : repo;
  return ::stat((base + "/.git/shallow").c_str(), &st) == 0 ||
         ::stat((base + "/shallow").c_str(), &st) == 0;
}

Result<std::vector<std::string>> read_repo_list(std::string_view text, const std::string& origin) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto st = for_each_line(text, [&](std::string_view line, std::size_t line_no) -> Status {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') return Status::ok();
    if (line.find('\0') != std::string_view::npos)
      return Error::usage(fmt::format("{}:{}: NUL byte in a repository path", origin, line_no));
    std::string s(line);
    if (seen.insert(s).second) out.push_back(std::move(s));
    return Status::ok();
  });
  if (!st) return st.error();
  return out;
}

// ---------------------------------------------------------------------------------------

void add_git_integration_options(CLI::App& cmd, GitIntegration& gi) {
  cmd.add_option("repo", gi.repos,
                 "repositories (work tree, .git directory or bare repository; default .). Several "
                 "repositories give one report; paths are prefixed with the repository");
  cmd.add_option("--repos-from", gi.repos_from,
                 "read more repositories from FILE, one per line ('#' comments; '-' = stdin)");
  cmd.add_flag("--ci", gi.ci,
               "pick the range from the CI environment (GitLab CI: merge request or pushed "
               "commits; GitHub Actions: pull request or push) and say which one was used");
  cmd.add_option("--shard", gi.shard,
                 "scan only shard I of N (1-based): for one repository its paths (every version "
                 "of a file in one shard) and commit/tag messages, for several the "
                 "repositories. Default under GitLab parallel: CI_NODE_INDEX/"
                 "CI_NODE_TOTAL; 'none' disables that. Combine shard reports with glpatrol merge");
  cmd.add_flag("--hook", gi.hook,
               "running as a git hook: print what was found and what to do on stderr (the "
               "report on stdout is left out unless -f is given)");
}

namespace {

Result<std::vector<std::string>> collect_repos(const GitIntegration& gi) {
  std::vector<std::string> repos = gi.repos;
  if (!gi.repos_from.empty()) {
    std::string text;
    if (gi.repos_from == "-") {
      std::ostringstream ss;
      ss << std::cin.rdbuf();
      text = ss.str();
    } else {
      std::ifstream in(gi.repos_from, std::ios::binary);
      if (!in) return Error::usage("--repos-from: cannot read '" + gi.repos_from + "'");
      std::ostringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    auto more = read_repo_list(text, gi.repos_from);
    if (!more) return more.error();
    if (more->empty() && repos.empty())
      return Error::usage("--repos-from '" + gi.repos_from + "' lists no repository");
    repos.insert(repos.end(), more->begin(), more->end());
  }
  // De-duplicate, keeping the first occurrence (shard assignment uses the name only).
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (auto& r : repos)
    if (seen.insert(r).second) out.push_back(r);
  if (out.empty()) out.push_back(".");
  return out;
}

std::string join_path(const std::string& repo, const std::string& path) {
  if (path.empty()) return path;
  std::string r = repo;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r + "/" + path;
}

}  // namespace

int run_git_command(GitIntegration& gi, GitScanOptions& git, ScanOptions& opts) {
  const EnvFn env = process_env();
  auto repos_r = collect_repos(gi);
  if (!repos_r) {
    std::cerr << "glpatrol: " << repos_r.error().message << "\n";
    return kExitError;
  }
  const std::vector<std::string> repos = *repos_r;
  const bool multi = repos.size() > 1;
  if (multi && git.staged) {
    std::cerr << "glpatrol: --staged scans one repository\n";
    return kExitError;
  }

  std::optional<CiPlan> plan;
  if (gi.ci) {
    if (git.staged || !git.range.empty() || !git.since.empty() || git.all_objects) {
      std::cerr << "glpatrol: --ci chooses the range itself; it cannot be combined with "
                   "--staged, --range, --since or --all-objects\n";
      return kExitError;
    }
    if (multi) {
      std::cerr << "glpatrol: --ci scans the one repository the pipeline runs for\n";
      return kExitError;
    }
    auto p = detect_ci(env);
    if (!p) {
      std::cerr << "glpatrol: " << p.error().message << "\n";
      return kExitError;
    }
    plan = *p;
    git.range = plan->range;
    std::cerr << "glpatrol: " << plan->description << "\n";
    if (repo_is_shallow(repos.front()))
      std::cerr << "glpatrol: warning: " << plan->shallow_fix << "\n";
  }

  auto shard = resolve_shard(gi.shard, env);
  if (!shard) {
    std::cerr << "glpatrol: " << shard.error().message << "\n";
    return kExitError;
  }
  const bool unshardable = git.staged || (!multi && (!git.range.empty() || !git.since.empty()));
  if (shard->active() && unshardable) {
    // Staged changes and ranges are small and scanned whole. An explicit --shard is a
    // mistake; GitLab's parallel: variables (a pre-commit or MR job inside a parallel job)
    // are not, and are ignored with a note.
    if (shard->origin == "--shard") {
      std::cerr << "glpatrol: --shard splits a full history or a list of repositories; "
                << (git.staged ? "staged changes" : "a range") << " are scanned whole\n";
      return kExitError;
    }
    std::cerr << "glpatrol: note: " << shard->origin << " ignored: "
              << (git.staged ? "staged changes" : "a range") << " are scanned whole\n";
    *shard = ShardSpec{};
  }
  if (shard->active()) {
    opts.shard_index = shard->index;
    opts.shard_total = shard->total;
  }

  std::vector<PostStage> stages;
  if (gi.hook) {
    stages.push_back(make_hook_message_stage(git.staged ? "commit" : "push"));
    if (opts.format == "human") opts.quiet = true;
  }

  const ShardSpec sh = *shard;
  const std::string kind = git_scan_kind(git);
  auto source = [&](ScanContext& ctx) -> Status {
    if (plan) {
      ctx.info.extra["ci"] = {{"provider", plan->provider}, {"event", plan->event},
                              {"range", plan->range.empty() ? nlohmann::ordered_json(nullptr)
                                                            : nlohmann::ordered_json(plan->range)},
                              {"description", plan->description}};
    }
    if (sh.active())
      ctx.info.extra["shard"] = {{"index", sh.index}, {"total", sh.total},
                                 {"by", multi ? "repository" : "path"}, {"origin", sh.origin}};
    GitScanOptions base = git;
    if (!opts.max_file_size.empty()) base.max_blob_size = opts.fs.max_file_size;
    if (!multi) {
      if (sh.active()) base.in_shard = [&ctx](std::string_view key) { return ctx.in_shard(key); };
      base.repo = repos.front();
      GitScanIo io{ctx.db(),
                   ctx.jobs(),
                   ctx.stats,
                   [&ctx](Finding f) { ctx.add_finding(std::move(f)); },
                   [&ctx](std::string reason, bool fault) { ctx.mark_incomplete(std::move(reason), fault); },
                   ctx.info.extra};
      Status st = scan_git(base, io);
      if (!st && plan && repo_is_shallow(base.repo))
        return Error::usage(st.error().message + "\nglpatrol: " + plan->shallow_fix);
      return st;
    }
    // Several repositories: one report; a repository that cannot be scanned is recorded
    // (skipped, error) and makes the scan incomplete, the others are still scanned.
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    std::uint64_t failed = 0, other_shards = 0;
    for (const auto& repo : repos) {
      if (!ctx.in_shard(repo)) {
        ++other_shards;
        continue;
      }
      GitScanOptions g = base;
      g.repo = repo;
      nlohmann::ordered_json extra = nlohmann::ordered_json::object();
      GitScanIo io{ctx.db(),
                   ctx.jobs(),
                   ctx.stats,
                   [&ctx, &repo](Finding f) {
                     f.path = join_path(repo, f.path);
                     f.attributes.emplace_back("repository", repo);
                     ctx.add_finding(std::move(f));
                   },
                   [&ctx, &repo](std::string reason, bool fault) {
                     ctx.mark_incomplete(repo + ": " + reason, fault);
                   },
                   extra};
      Status st = scan_git(g, io);
      nlohmann::ordered_json entry = {{"repository", repo}};
      if (!st) {
        ++failed;
        ctx.stats.skip({repo, "repository-error", st.error().message, true});
        entry["error"] = st.error().message;
      } else if (extra.contains("git")) {
        entry["git"] = extra["git"];
      }
      list.push_back(std::move(entry));
    }
    ctx.info.extra["repositories"] = std::move(list);
    if (sh.active()) ctx.info.extra["shard"]["repositories_in_other_shards"] = other_shards;
    if (failed != 0)
      ctx.mark_incomplete(fmt::format("{} of {} repositories could not be scanned (see skipped)",
                                      failed, repos.size() - other_shards),
                          true);
    return Status::ok();
  };
  const int rc = run_scan(kind, repos, opts, source, stages);
  if (gi.hook && (rc == kExitError || rc == kExitIncomplete))
    std::cerr << "glpatrol: " << (git.staged ? "commit" : "push") << " stopped: the "
              << (rc == kExitError ? "scan failed (see above)" : "changes could not be read completely")
              << ", so they could not be checked for GitLab tokens. Run `glpatrol git "
              << (git.staged ? "--staged" : "") << "` to see why; `git "
              << (git.staged ? "commit" : "push") << " --no-verify` skips the hook once.\n";
  return rc;
}

}  // namespace glpatrol
