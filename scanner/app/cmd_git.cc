// glpatrol git [REPO]: full history (default), --range A..B / --since REV (CI), --staged
// (pre-commit). The engine lives in scanner/sources/git; this file only maps options.
#include <CLI/CLI.hpp>

#include <memory>

#include "app/ci_env.h"
#include "app/commands.h"
#include "app/scan_driver.h"
#include "sources/git/git_scan.h"

namespace glpatrol {

void add_git_command(CLI::App& root, int& rc) {
  auto opts = std::make_shared<ScanOptions>();
  auto git = std::make_shared<GitScanOptions>();
  auto integ = std::make_shared<GitIntegration>();  // repositories, --ci, --shard (ci_env.h)
  CLI::App* cmd = root.add_subcommand(
      "git", "Scan git history: every blob, commit message and tag message reachable from any "
             "ref, HEAD or reflog, each unique blob once (default: the repository at .)");
  add_git_integration_options(*cmd, *integ);
  cmd->add_flag("--all-objects", git->all_objects,
                "also scan every unreachable object in the object database (deleted branches, "
                "dangling commits and blobs)");
  cmd->add_option("--range", git->range,
                  "scan only what the commits in A..B introduced (CI); empty or unresolvable "
                  "ranges are errors");
  cmd->add_option("--since", git->since, "same as --range REV..HEAD");
  cmd->add_flag("--staged", git->staged,
                "scan the index blobs that differ from HEAD (pre-commit); the work tree is not read");
  cmd->add_flag("--trust-repo-owner", git->trust_repo_owner,
                "open a repository owned by another user (disables libgit2's ownership check, "
                "like adding it to git's safe.directory)");
  cmd->add_flag("!--no-messages", git->scan_messages, "do not scan commit and tag messages");
  add_scan_options(*cmd, *opts);
  cmd->callback([opts, git, integ, &rc] { rc = run_git_command(*integ, *git, *opts); });
}

}  // namespace glpatrol
