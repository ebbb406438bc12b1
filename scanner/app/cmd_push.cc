// Git push hooks (docs/integrations.md):
//   glpatrol pre-push [REMOTE [URL]]   what a push would publish (stdin as git gives it)
//   glpatrol pre-receive [REPO]        server side (git / GitLab server hooks): every object
//                                      the push makes reachable
// The planning and scanning live in sources/git/push.h; this file reads the hook's input and
// maps options.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <limits.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/run.h"
#include "sources/git/push.h"

namespace glpatrol {

namespace {

struct PushOptions {
  std::string repo = ".";
  std::string remote;      ///< pre-push: the remote's name (its refs/remotes/<name>/* are old)
  std::string url;         ///< pre-push: the remote's URL (unused)
  bool server = false;     ///< pre-receive
  bool fail_open = false;  ///< accept the push when glpatrol fails (exit 2/3)
  bool trust_repo_owner = false;
};

std::string read_stdin_bounded(std::size_t cap, bool* too_big) {
  std::string s;
  char buf[65536];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    s.append(buf, static_cast<std::size_t>(std::cin.gcount()));
    if (s.size() > cap) {
      *too_big = true;
      break;
    }
  }
  return s;
}

int run_push_scan(const PushOptions& po, ScanOptions opts) {
  const auto t0 = std::chrono::steady_clock::now();
  bool too_big = false;
  const std::string input = read_stdin_bounded(16u << 20, &too_big);
  const std::string who = po.server ? "pre-receive" : "pre-push";
  auto fail = [&](const std::string& msg) {
    std::cerr << (po.server ? "GL-HOOK-ERR: " : "") << "glpatrol " << who << ": " << terminal_message(msg)
              << "\n";
    if (po.fail_open) {
      std::cerr << (po.server ? "GL-HOOK-ERR: " : "")
                << "glpatrol: --fail-open: accepting the push without a secret scan\n";
      return kExitClean;
    }
    return kExitError;
  };
  if (too_big) return fail("hook input larger than 16 MiB");
  std::vector<RefUpdate> updates;
  std::string remote = po.remote;
  const char* pc_to = std::getenv("PRE_COMMIT_TO_REF");
  if (!po.server && input.find_first_not_of(" \t\r\n") == std::string::npos && pc_to != nullptr) {
    // Run by the pre-commit framework's pre-push stage: the refs come in the environment.
    const char* from = std::getenv("PRE_COMMIT_FROM_REF");
    RefUpdate u;
    u.new_id = pc_to;
    u.old_id = from != nullptr && is_hex_object_id(from) ? from : std::string(40, '0');
    u.ref = "pre-commit";
    if (!is_hex_object_id(u.new_id)) return fail("PRE_COMMIT_TO_REF is not an object id");
    if (const char* rn = std::getenv("PRE_COMMIT_REMOTE_NAME"); rn != nullptr && remote.empty()) remote = rn;
    updates.push_back(u);
  } else {
    auto parsed = parse_ref_updates(input, !po.server);
    if (!parsed) return fail(parsed.error().message);
    updates = std::move(*parsed);
  }

  std::vector<std::string> extra;
  if (po.server) {
    char cwd[PATH_MAX + 1];
    const std::string here = ::getcwd(cwd, PATH_MAX) != nullptr ? std::string(cwd) : std::string(".");
    extra = quarantine_dirs(po.repo.front() == '/' ? po.repo : here + "/" + po.repo);
  }
  auto plan = plan_push(po.repo, extra, po.trust_repo_owner, updates, PushTarget{po.server, remote});
  if (!plan) return fail(plan.error().message);
  if (plan->empty()) return kExitClean;  // deletions, or nothing new

  if (opts.format == "human") opts.quiet = true;  // the hook message says it on stderr
  // Server side, the pushed content is untrusted: it must not narrow its own scan.
  auto scan_plan = make_plan(opts, {who, {po.repo}, po.server ? TreeTrust::Untrusted : TreeTrust::Own});
  if (!scan_plan) return fail(scan_plan.error().message);
  enable_hook_message(*scan_plan, "push", po.server);
  GitScanOptions g;
  g.repo = po.repo;
  g.extra_object_dirs = extra;
  g.trust_repo_owner = po.trust_repo_owner;
  g.max_blob_size = scan_plan->max_blob_size();
  g.exclude_globs = scan_plan->fs.exclude_globs;
  const std::size_t new_commits = plan->new_commits;
  PushSource source(g, std::move(*plan), updates);
  const int rc = run_scan(*scan_plan, source);
  if (std::getenv("GLPATROL_HOOK_TIMING") != nullptr)
    std::cerr << fmt::format("glpatrol {}: {} new commit(s) scanned in {:.3f} s\n", who, new_commits,
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if ((rc == kExitError || rc == kExitIncomplete) && po.fail_open)
    return fail(rc == kExitError ? "the scan failed" : "the scan was incomplete");
  if (rc == kExitIncomplete)
    std::cerr << (po.server ? "GL-HOOK-ERR: " : "")
              << "glpatrol: push rejected: some pushed objects could not be read, so the push "
                 "could not be checked completely\n";
  return rc;
}

}  // namespace

void add_push_commands(CLI::App& root, int& rc) {
  for (const bool server : {false, true}) {
    auto po = std::make_shared<PushOptions>();
    auto opts = std::make_shared<ScanOptions>();
    po->server = server;
    CLI::App* cmd = root.add_subcommand(
        server ? "pre-receive" : "pre-push",
        server ? "Server-side hook (git or GitLab custom server hook): reads '<old> <new> <ref>' "
                 "lines on stdin, scans what the pushed commits introduce and rejects the push "
                 "(exit 1, GL-HOOK-ERR: lines) when a token is found"
               : "Client-side pre-push hook: reads git's pre-push lines on stdin and scans the "
                 "commits the push would publish");
    if (server) {
      cmd->add_option("repo", po->repo, "repository (default .: the hook's working directory)");
      cmd->add_flag("--fail-open", po->fail_open,
                    "accept the push when glpatrol itself fails (errors, unreadable objects); "
                    "findings still reject it");
    } else {
      cmd->add_option("remote", po->remote, "remote name (git passes it)");
      cmd->add_option("url", po->url, "remote URL (git passes it; unused)");
    }
    cmd->add_flag("--trust-repo-owner", po->trust_repo_owner, "open a repository owned by another user");
    add_scan_options(*cmd, *opts, kAllScanOptions & ~kTreeOptions);
    cmd->callback([po, opts, &rc] { rc = run_push_scan(*po, *opts); });
  }
}

}  // namespace glpatrol
