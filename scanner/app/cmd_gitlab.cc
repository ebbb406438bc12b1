// glpatrol gitlab: scan a GitLab group or instance through REST API v4 — every project's
// history (mirrored into the state directory), CI job logs, snippets, issues and merge
// requests with their notes, wikis and releases (docs/gitlab-instance.md). The source lives
// in scanner/sources/gitlab; this file maps options, resolves the token and the state
// directory, and runs the plan like every other scan.
#include <CLI/CLI.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>

#include "app/ci_env.h"
#include "app/commands.h"
#include "app/run.h"
#include "app/secret_input.h"
#include "app/verification.h"
#include "sources/gitlab/gitlab_source.h"
#include "state/state_db.h"

namespace glpatrol {

namespace {

struct GitLabCommand {
  ScanOptions scan;
  std::vector<std::string> groups, projects;
  bool all_projects = false;
  bool skip_archived = false;
  std::string surfaces;  ///< comma list; "" = all
  unsigned max_jobs = 0;
  std::string token_file;
  std::string state_dir;
  std::string shard;
  double max_rps = 0;
};

int fail(const std::string& message) {
  std::cerr << "glpatrol: " << message << "\n";
  return kExitError;
}

/// The API token: GITLAB_TOKEN or --token-file (app/secret_input.h).
Result<std::string> read_token(const std::string& file) {
  auto token = read_secret(file, "GITLAB_TOKEN", "--token-file");
  if (token && token->empty())
    return Error::usage("no API token: set GITLAB_TOKEN or pass --token-file FILE");
  return token;
}

/// --state-dir, or $XDG_CACHE_HOME/glpatrol, or ~/.cache/glpatrol: created mode 0700; an
/// existing one must be a directory of this user (not a symlink) that only this user can
/// write (state/state_db.h prepare_state_dir).
Result<std::string> state_dir(std::string dir) {
  if (dir.empty()) {
    auto def = state::default_cache_dir();
    if (!def)
      return Error::usage(
          "no state directory: pass --state-dir DIR (neither XDG_CACHE_HOME nor HOME is set)");
    dir = std::move(*def);
  }
  return state::prepare_state_dir(std::move(dir));
}

Result<std::set<std::string>> parse_surfaces(const std::string& text) {
  std::set<std::string> out;
  if (text.empty() || text == "all") {
    out.insert(gitlab_surfaces().begin(), gitlab_surfaces().end());
    return out;
  }
  std::stringstream ss(text);
  std::string s;
  while (std::getline(ss, s, ',')) {
    if (s.empty()) continue;
    bool known = false;
    for (const auto& k : gitlab_surfaces()) known |= k == s;
    if (!known) {
      std::string list;
      for (const auto& k : gitlab_surfaces()) list += (list.empty() ? "" : ",") + k;
      return Error::usage("--surfaces: unknown surface '" + s + "' (one of " + list + ")");
    }
    out.insert(s);
  }
  if (out.empty()) return Error::usage("--surfaces names no surface");
  return out;
}

int run_gitlab(GitLabCommand c) {
  if (c.groups.empty() && c.projects.empty() && !c.all_projects)
    return fail("name what to scan: --group PATH, --project PATH or --all-projects");
  auto surfaces = parse_surfaces(c.surfaces);
  if (!surfaces) return fail(surfaces.error().message);
  auto hosts = hosts_for(c.scan);
  if (!hosts) return fail(hosts.error().message);
  const GitLabHost& host = hosts->front();
  auto token = read_token(c.token_file);
  if (!token) return fail(token.error().message);
  auto dir = state_dir(c.state_dir);
  if (!dir) return fail(dir.error().message);
  auto shard = resolve_shard(c.shard, process_env());
  if (!shard) return fail(shard.error().message);

  std::vector<std::string> targets;
  for (const auto& g : c.groups) targets.push_back(host.base + "/" + g);
  for (const auto& p : c.projects) targets.push_back(host.base + "/" + p);
  if (c.all_projects) targets.push_back(host.base);
  auto plan = make_plan(c.scan, {"gitlab", targets, TreeTrust::Untrusted, /*read_tree_config=*/false});
  if (!plan) return fail(plan.error().message);
  ScanInfo seed;
  if (shard->active()) {
    plan->shard = Shard{shard->index, shard->total};
    seed.shard = ShardInfo{shard->index, shard->total, "project", shard->origin, std::nullopt};
  }

  GitLabScanOptions o;
  o.api.base = host.base;
  o.api.token = *token;
  o.api.max_rps = c.max_rps;
  o.http.ca_bundle = c.scan.ca_bundle;
  o.groups = c.groups;
  o.projects = c.projects;
  o.all_projects = c.all_projects;
  o.skip_archived = c.skip_archived;
  o.surfaces = *surfaces;
  o.max_jobs = c.max_jobs;
  o.state_dir = *dir;
  o.git.max_blob_size = plan->max_blob_size();
  o.git.exclude_globs = plan->fs.exclude_globs;
  GitLabSource source(std::move(o));
  return run_scan(*plan, source, std::move(seed));
}

}  // namespace

void add_gitlab_command(CLI::App& root, int& rc) {
  auto c = std::make_shared<GitLabCommand>();
  CLI::App* cmd = root.add_subcommand(
      "gitlab",
      "Scan a GitLab group or instance through its API: history, CI job logs, snippets, issues, "
      "merge requests, wikis, releases (token from GITLAB_TOKEN or --token-file)");
  const char* g = "GitLab instance";
  cmd->add_option("--group", c->groups, "a group by full path, subgroups included (repeatable)")->group(g);
  cmd->add_option("--project", c->projects, "a project by path with namespace (repeatable)")->group(g);
  cmd->add_flag("--all-projects", c->all_projects,
                "every project the token can see (an administrator's token: the whole instance), and "
                "the personal snippets it can list")
      ->group(g);
  cmd->add_flag("--skip-archived", c->skip_archived, "leave archived projects out")->group(g);
  cmd->add_option("--surfaces", c->surfaces,
                  "comma list of git,job_logs,snippets,issues,merge_requests,wiki,releases (default: all)")
      ->group(g);
  cmd->add_option("--max-jobs", c->max_jobs, "job logs per project, newest first (default: all)")->group(g);
  cmd->add_option("--token-file", c->token_file,
                  "read the API token from FILE (default: the GITLAB_TOKEN environment variable); never "
                  "pass a token on the command line")
      ->group(g);
  cmd->add_option("--state-dir", c->state_dir,
                  "mirrors and state of earlier runs (default: $XDG_CACHE_HOME/glpatrol; mode 0700)")
      ->group(g);
  cmd->add_option(
         "--shard", c->shard,
         "scan only shard I of N of the projects (stable hash of the project path). Default under "
         "GitLab parallel: CI_NODE_INDEX/CI_NODE_TOTAL; 'none' disables that. Combine with glpatrol merge")
      ->group(g);
  cmd->add_option("--max-rps", c->max_rps, "API requests per second at most (default: unlimited)")
      ->check(CLI::Range(0.0, 10000.0))
      ->group(g);
  add_scan_options(*cmd, c->scan,
                   kOutputOptions | kRuleOptions | kContentOptions | kPathOptions | kConfigOptions |
                       kSuppressOptions | kVerifyOptions);
  cmd->callback([c, &rc] { rc = run_gitlab(*c); });
}

}  // namespace glpatrol
