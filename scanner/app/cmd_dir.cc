// glpatrol dir [PATH...], glpatrol stdin and glpatrol commit-msg FILE (the commit-msg hook).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/run.h"

namespace glpatrol {

namespace {

int run_dir(const ScanOptions& opts, std::vector<std::string> paths, TreeTrust tree) {
  if (paths.empty()) paths.push_back(".");
  auto plan = make_plan(opts, {"dir", paths, tree});
  if (!plan) {
    std::cerr << "glpatrol: " << terminal_message(plan.error().message) << "\n";
    return kExitError;
  }
  FsSource source(paths, plan->fs);
  return run_scan(*plan, source);
}

int run_stdin(const ScanOptions& opts) {
  auto plan = make_plan(opts, {"stdin", {"<stdin>"}, TreeTrust::Own, /*read_tree_config=*/false});
  if (!plan) {
    std::cerr << "glpatrol: " << terminal_message(plan.error().message) << "\n";
    return kExitError;
  }
  StdinSource source;
  return run_scan(*plan, source);
}

/// The commit-msg hook: the message file git passes; the blocked-developer message on stderr.
int run_commit_msg(ScanOptions opts, const std::string& file) {
  if (opts.format == "human") opts.quiet = true;  // the hook message says it on stderr
  auto plan = make_plan(opts, {"commit-msg", {"."}, TreeTrust::Own});
  if (!plan) {
    std::cerr << "glpatrol: " << plan.error().message << "\n";
    return kExitError;
  }
  enable_hook_message(*plan, "commit-msg", false);
  MessageFileSource source(file);
  const int rc = run_scan(*plan, source);
  if (rc == kExitError || rc == kExitIncomplete)
    std::cerr << "glpatrol: commit stopped: the message could not be checked for GitLab tokens "
                 "(see above); `git commit --no-verify` skips the hook once.\n";
  return rc;
}

}  // namespace

void add_commit_msg_command(CLI::App& root, int& rc) {
  auto opts = std::make_shared<ScanOptions>();
  auto file = std::make_shared<std::string>();
  CLI::App* cmd =
      root.add_subcommand("commit-msg",
                          "git commit-msg hook: check the message being committed (the file git passes; "
                          "install with `glpatrol install-hook --commit-msg`)");
  cmd->add_option("file", *file, "the commit message file (git passes .git/COMMIT_EDITMSG)")->required();
  add_scan_options(*cmd, *opts, kOutputOptions | kRuleOptions | kConfigOptions | kSuppressOptions);
  cmd->callback([opts, file, &rc] { rc = run_commit_msg(*opts, *file); });
}

void add_dir_command(CLI::App& root, int& rc) {
  auto opts = std::make_shared<ScanOptions>();
  auto paths = std::make_shared<std::vector<std::string>>();
  auto untrusted = std::make_shared<bool>(false);
  CLI::App* cmd = root.add_subcommand("dir", "Scan files and directory trees (default: .)");
  cmd->alias("files");
  cmd->add_option("paths", *paths, "files or directories to scan");
  add_scan_options(*cmd, *opts, kAllScanOptions);
  add_untrusted_tree_flag(*cmd, *untrusted);
  cmd->add_option("--state-dir", opts->fs.state_dir,
                  "incremental scans: keep what each file gave in DIR (SQLite, mode 0700) so a rescan "
                  "reads only files whose size, inode, mtime or ctime changed and reports the stored "
                  "findings of the rest. A state that cannot be trusted is reported and not used");
  cmd->callback([opts, paths, untrusted, &rc] {
    rc = run_dir(*opts, *paths, *untrusted ? TreeTrust::Untrusted : TreeTrust::Own);
  });
}

void add_stdin_command(CLI::App& root, int& rc) {
  auto opts = std::make_shared<ScanOptions>();
  CLI::App* cmd = root.add_subcommand("stdin", "Scan standard input (streamed, any size)");
  add_scan_options(
      *cmd, *opts,
      kOutputOptions | kRuleOptions | kContentOptions | kConfigOptions | kSuppressOptions | kVerifyOptions);
  cmd->callback([opts, &rc] { rc = run_stdin(*opts); });
}

}  // namespace glpatrol
