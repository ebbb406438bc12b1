// glpatrol git [REPO...]: full history (default), --range A..B / --since REV (CI), --staged
// (pre-commit), --ci (the range a CI pipeline needs), several repositories in one report, and
// --shard for parallel CI jobs. The engine lives in scanner/sources/git.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "app/ci_env.h"
#include "app/commands.h"
#include "app/run.h"
#include "common/time.h"
#include "sources/git/git_source.h"

namespace glpatrol {

namespace {

struct GitCommand {
  ScanOptions scan;
  GitScanOptions git;
  std::vector<std::string> repos;  ///< positional repositories (0..n)
  std::string repos_from;          ///< --repos-from FILE ('-' = stdin)
  bool ci = false;                 ///< --ci
  std::string shard;               ///< --shard I/N | none
  bool hook = false;               ///< --hook: blocked-developer message on stderr
  bool untrusted_tree = false;     ///< --untrusted-tree
};

Result<std::vector<std::string>> collect_repos(const GitCommand& c) {
  std::vector<std::string> repos = c.repos;
  if (!c.repos_from.empty()) {
    std::string text;
    if (c.repos_from == "-") {
      std::ostringstream ss;
      ss << std::cin.rdbuf();
      text = ss.str();
    } else {
      std::ifstream in(c.repos_from, std::ios::binary);
      if (!in) return Error::usage("--repos-from: cannot read '" + c.repos_from + "'");
      std::ostringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    auto more = read_repo_list(text, c.repos_from);
    if (!more) return more.error();
    if (more->empty() && repos.empty())
      return Error::usage("--repos-from '" + c.repos_from + "' lists no repository");
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

int fail(const std::string& message) {
  std::cerr << "glpatrol: " << terminal_message(message) << "\n";
  return kExitError;
}

int run_git(GitCommand c) {
  const EnvFn env = process_env();
  auto repos_r = collect_repos(c);
  if (!repos_r) return fail(repos_r.error().message);
  const std::vector<std::string> repos = *repos_r;
  const bool multi = repos.size() > 1;
  GitScanOptions& git = c.git;
  if (multi && git.staged) return fail("--staged scans one repository");
  if (git.staged && !git.state_dir.empty())
    return fail("--state-dir is for history and range scans, not --staged");
  // --since takes a revision or a date, as git log --since does.
  if (!git.since.empty())
    if (auto t = parse_iso8601(git.since)) {
      git.since_time = *t;
      git.since.clear();
    }
  if (auto s = validate_git_options(git); !s) return fail(s.error().message);

  ScanInfo seed;
  std::optional<CiPlan> ci;
  if (c.ci) {
    if (git.staged || !git.range.empty() || !git.since.empty() || git.all_objects)
      return fail(
          "--ci chooses the range itself; it cannot be combined with --staged, --range, --since or "
          "--all-objects");
    if (multi) return fail("--ci scans the one repository the pipeline runs for");
    auto p = detect_ci(env);
    if (!p) return fail(p.error().message);
    ci = *p;
    git.range = ci->range;
    std::cerr << "glpatrol: " << ci->description << "\n";
    if (repo_is_shallow(repos.front())) std::cerr << "glpatrol: warning: " << ci->shallow_fix << "\n";
    seed.ci = CiInfo{ci->provider, ci->event, ci->description,
                     ci->range.empty() ? std::nullopt : std::optional<std::string>(ci->range)};
  }

  auto shard = resolve_shard(c.shard, env);
  if (!shard) return fail(shard.error().message);
  const bool unshardable =
      git.staged || (!multi && (!git.range.empty() || !git.since.empty() || git.since_time));
  if (shard->active() && unshardable) {
    // Staged changes and ranges are small and scanned whole. An explicit --shard is a
    // mistake; GitLab's parallel: variables (a pre-commit or MR job inside a parallel job)
    // are not, and are ignored with a note.
    const char* what = git.staged ? "staged changes" : "a range";
    if (shard->origin == "--shard")
      return fail(std::string("--shard splits a full history or a list of repositories; ") + what +
                  " are scanned whole");
    std::cerr << "glpatrol: note: " << shard->origin << " ignored: " << what << " are scanned whole\n";
    *shard = ShardSpec{};
  }
  if (shard->active())
    seed.shard =
        ShardInfo{shard->index, shard->total, multi ? "repository" : "path", shard->origin, std::nullopt};

  if (c.hook && c.scan.format == "human") c.scan.quiet = true;  // the hook message says it on stderr
  const TreeTrust tree = c.ci || c.untrusted_tree ? TreeTrust::Untrusted : TreeTrust::Own;
  auto plan = make_plan(c.scan, {git_scan_kind(git), repos, tree});
  if (!plan) return fail(plan.error().message);
  if (shard->active()) plan->shard = Shard{shard->index, shard->total};
  if (c.hook) enable_hook_message(*plan, git.staged ? "commit" : "push", false);
  git.max_blob_size = plan->max_blob_size();
  git.exclude_globs = plan->fs.exclude_globs;

  int rc;
  if (multi) {
    MultiRepoGitSource source(repos, git);
    rc = run_scan(*plan, source, std::move(seed));
  } else {
    git.repo = repos.front();
    GitSource source(git);
    rc = run_scan(*plan, source, std::move(seed));
    if (rc == kExitError && ci && repo_is_shallow(git.repo))
      std::cerr << "glpatrol: " << ci->shallow_fix << "\n";
  }
  if (c.hook && (rc == kExitError || rc == kExitIncomplete))
    std::cerr << "glpatrol: " << (git.staged ? "commit" : "push") << " stopped: the "
              << (rc == kExitError ? "scan failed (see above)" : "changes could not be read completely")
              << ", so they could not be checked for GitLab tokens. Run `glpatrol git "
              << (git.staged ? "--staged" : "") << "` to see why; `git " << (git.staged ? "commit" : "push")
              << " --no-verify` skips the hook once.\n";
  return rc;
}

}  // namespace

void add_git_command(CLI::App& root, int& rc) {
  auto c = std::make_shared<GitCommand>();
  CLI::App* cmd =
      root.add_subcommand("git",
                          "Scan git history: every blob, commit message and tag message reachable from any "
                          "ref, HEAD or reflog, each unique blob once (default: the repository at .)");
  const char* g = "Git";
  cmd->add_option("repo", c->repos,
                  "repositories (work tree, .git directory or bare repository; default .). Several "
                  "repositories give one report; paths are prefixed with the repository");
  cmd->add_option("--repos-from", c->repos_from,
                  "read more repositories from FILE, one per line ('#' comments; '-' = stdin)")
      ->group(g);
  cmd->add_option(
         "--range", c->git.range,
         "scan only what the commits in A..B introduced (CI); empty or unresolvable ranges are errors")
      ->group(g);
  cmd->add_option("--since", c->git.since,
                  "a revision (same as --range REV..HEAD) or a date (2024-01-01, 2024-01-01T12:00:00Z): "
                  "only commits made since then")
      ->group(g);
  cmd->add_flag("--staged", c->git.staged,
                "scan the index blobs that differ from HEAD (pre-commit); the work tree is not read")
      ->group(g);
  cmd->add_flag("--all-objects", c->git.all_objects,
                "also scan every unreachable object in the object database (deleted branches, "
                "dangling commits and blobs)")
      ->group(g);
  cmd->add_flag_callback(
         "--no-messages", [c] { c->git.scan_messages = false; },
         "do not scan commit and tag messages and headers")
      ->group(g);
  cmd->add_flag_callback(
         "--no-reflogs", [c] { c->git.reflogs = false; },
         "do not start from reflog entries (history a rewrite or reset left behind); "
         "findings reachable only from a reflog, the stash or refs/original say so "
         "either way")
      ->group(g);
  cmd->add_flag("--ci", c->ci,
                "pick the range from the CI environment (GitLab CI: merge request or pushed "
                "commits; GitHub Actions: pull request or push) and say which one was used; the "
                "scanned tree is untrusted (see --untrusted-tree)")
      ->group(g);
  cmd->add_option("--shard", c->shard,
                  "scan only shard I of N (1-based): for one repository its paths (every version "
                  "of a file in one shard) and commit/tag messages, for several the "
                  "repositories. Default under GitLab parallel: CI_NODE_INDEX/"
                  "CI_NODE_TOTAL; 'none' disables that. Combine shard reports with glpatrol merge")
      ->group(g);
  cmd->add_flag("--hook", c->hook,
                "running as a git hook: print what was found and what to do on stderr (the "
                "report on stdout is left out unless -f is given)")
      ->group(g);
  cmd->add_option("--state-dir", c->git.state_dir,
                  "incremental scans: keep what this scan read in DIR (SQLite, mode 0700) so a "
                  "rescan reads only new blobs, or nothing when no ref moved; findings are those "
                  "of a full scan. A state that cannot be trusted is reported and not used")
      ->group(g);
  cmd->add_flag("--trust-repo-owner", c->git.trust_repo_owner,
                "open a repository owned by another user (disables libgit2's ownership check, "
                "like adding it to git's safe.directory)")
      ->group(g);
  add_scan_options(*cmd, c->scan, kAllScanOptions & ~kTreeOptions);
  add_untrusted_tree_flag(*cmd, c->untrusted_tree);
  cmd->callback([c, &rc] { rc = run_git(*c); });
}

}  // namespace glpatrol
