// glpatrol install-hook [REPO] [--pre-push] [--force]: writes a native git hook that runs
// glpatrol (pre-commit: the staged changes; pre-push: the commits being pushed).
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/hooks.h"
#include "sources/git/git_repo.h"

namespace glpatrol {

std::string hook_script(const std::string& kind, const std::string& binary) {
  std::string quoted = "'";
  for (char c : binary) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  std::string s = "#!/bin/sh\n";
  s += "# glpatrol-hook 1: written by `glpatrol install-hook" +
       std::string(kind == "pre-commit" ? "" : " --" + kind) + "`. Delete this file to uninstall.\n";
  s += kind == "pre-push"     ? "# Blocks a push whose new commits contain a GitLab token.\n"
       : kind == "commit-msg" ? "# Blocks a commit whose message contains a GitLab token.\n"
                              : "# Blocks a commit whose staged changes contain a GitLab token.\n";
  s += "if [ -z \"${GLPATROL:-}\" ]; then GLPATROL=" + quoted + "; fi\n";
  s += "if ! command -v \"$GLPATROL\" >/dev/null 2>&1; then\n";
  s += "  echo \"glpatrol hook: '$GLPATROL' not found: install glpatrol, set GLPATROL, or delete "
       "$0\" >&2\n";
  s += "  exit 1\n";
  s += "fi\n";
  if (kind == "pre-push")
    s += "exec \"$GLPATROL\" pre-push \"$@\"\n";
  else if (kind == "commit-msg")
    s += "exec \"$GLPATROL\" commit-msg \"$1\"\n";
  else
    s += "exec \"$GLPATROL\" git --staged --hook\n";
  return s;
}

namespace {

std::string self_exe() {
  char buf[PATH_MAX + 1];
  const ssize_t n = ::readlink("/proc/self/exe", buf, PATH_MAX);
  if (n <= 0) return "glpatrol";
  return std::string(buf, static_cast<std::size_t>(n));
}

struct InstallOptions {
  std::string repo = ".";
  bool pre_push = false;
  bool commit_msg = false;
  bool force = false;
  std::string binary;
  bool trust_repo_owner = false;
};

int install_hook(const InstallOptions& io) {
  git::LibGit2 lib;
  git::configure_libgit2(io.trust_repo_owner);
  auto repo = git::open_repository(io.repo);
  if (!repo) {
    std::cerr << "glpatrol: " << repo.error().message << "\n";
    return kExitError;
  }
  // core.hooksPath (relative paths are relative to the work tree, as git runs hooks there).
  std::string dir = repo->common_dir + "hooks";
  {
    git_config* cfg = nullptr;
    if (git_repository_config_snapshot(&cfg, repo->repo.get()) == 0) {
      const char* v = nullptr;
      if (git_config_get_string(&v, cfg, "core.hooksPath") == 0 && v != nullptr && v[0] != '\0') {
        std::string hp = v;
        if (hp.rfind("~/", 0) == 0) {
          const char* home = std::getenv("HOME");
          hp = std::string(home != nullptr ? home : "") + hp.substr(1);
        } else if (hp.front() != '/') {
          hp = (repo->workdir.empty() ? repo->git_dir : repo->workdir) + hp;
        }
        dir = hp;
      }
      git_config_free(cfg);
    }
  }
  const std::string kind = io.pre_push ? "pre-push" : io.commit_msg ? "commit-msg" : "pre-commit";
  const std::string path = dir + (dir.back() == '/' ? "" : "/") + kind;
  ::mkdir(dir.c_str(), 0755);
  std::string backup;
  {
    std::ifstream existing(path, std::ios::binary);
    if (existing) {
      std::ostringstream ss;
      ss << existing.rdbuf();
      const bool ours = ss.str().find("# glpatrol-hook ") != std::string::npos;
      if (!ours) {
        if (!io.force) {
          std::cerr << "glpatrol: " << path << " already exists and was not written by glpatrol; "
                    << "not overwriting it. Merge it by hand (call `glpatrol "
                    << (io.pre_push     ? "pre-push \"$@\""
                        : io.commit_msg ? "commit-msg \"$1\""
                                        : "git --staged --hook")
                    << "` from it), or pass --force to move it to " << kind
                    << ".pre-glpatrol and install glpatrol's\n";
          return kExitError;
        }
        backup = path + ".pre-glpatrol";
        if (::rename(path.c_str(), backup.c_str()) != 0) {
          std::cerr << "glpatrol: cannot move " << path << " aside: " << std::strerror(errno) << "\n";
          return kExitError;
        }
      }
    }
  }
  const std::string binary = io.binary.empty() ? self_exe() : io.binary;
  const std::string script = hook_script(kind, binary);
  const std::string tmp = path + ".glpatrol-tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
  if (fd < 0) {
    std::cerr << "glpatrol: cannot write " << tmp << ": " << std::strerror(errno) << "\n";
    return kExitError;
  }
  const bool ok = ::write(fd, script.data(), script.size()) == static_cast<ssize_t>(script.size()) &&
                  ::fchmod(fd, 0755) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    std::cerr << "glpatrol: cannot install " << path << ": " << std::strerror(errno) << "\n";
    return kExitError;
  }
  std::cout << "glpatrol: installed " << kind << " hook " << path << " (runs " << binary << ")\n";
  if (!backup.empty()) std::cout << "glpatrol: the previous hook was moved to " << backup << "\n";
  return kExitClean;
}

}  // namespace

void add_install_hook_command(CLI::App& root, int& rc) {
  {
    auto io = std::make_shared<InstallOptions>();
    CLI::App* cmd =
        root.add_subcommand("install-hook",
                            "Install a git hook in a repository: pre-commit (staged changes), or with "
                            "--pre-push the pre-push hook (the commits being pushed), or with "
                            "--commit-msg the commit-msg hook (the message being committed)");
    cmd->add_option("repo", io->repo, "repository (default .)");
    auto* pp = cmd->add_flag("--pre-push", io->pre_push, "install a pre-push hook instead of pre-commit");
    cmd->add_flag("--commit-msg", io->commit_msg,
                  "install a commit-msg hook instead of pre-commit (a pre-commit hook cannot see "
                  "the message; install both)")
        ->excludes(pp);
    cmd->add_flag("--force", io->force,
                  "replace an existing hook that glpatrol did not write (it is kept as "
                  "<hook>.pre-glpatrol)");
    cmd->add_option("--binary", io->binary,
                    "glpatrol binary the hook runs (default: this one, by absolute path; "
                    "GLPATROL in the environment overrides it at run time)");
    cmd->add_flag("--trust-repo-owner", io->trust_repo_owner, "open a repository owned by another user");
    cmd->callback([io, &rc] { rc = install_hook(*io); });
  }
}

}  // namespace glpatrol
