// glpatrol: finds leaked GitLab tokens in files, standard input and git history.
// main only parses the command line; every command lives in its own cmd_*.cc.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <utility>
#include <exception>
#include <iostream>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "reporters/reporter.h"
#include "app/version.h"
#include "common/echo.h"

namespace {

/// Repeatable options (-r, --exclude, --rules, --gitlab-url...) take one value per use, so
/// `glpatrol dir -r json:out.json src/` scans src/ instead of reading it as a second report.
/// (CLI11 lets a vector option swallow every following argument by default.)
void one_value_per_use(CLI::App& app) {
  for (CLI::Option* opt : app.get_options())
    if (!opt->get_positional() && opt->get_items_expected_max() > 1) opt->allow_extra_args(false);
  for (CLI::App* sub : app.get_subcommands({})) one_value_per_use(*sub);
}

/// Edit distance, for "did you mean" on a mistyped command.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// One line per command for the list a bare `glpatrol` (or a wrong command) prints.
constexpr std::pair<const char*, const char*> kSummaries[] = {
    {"dir", "scan files and directory trees (archives and encodings included)"},
    {"stdin", "scan standard input"},
    {"git", "scan a repository's whole history, a range (--range, --ci) or staged changes"},
    {"gitlab", "scan a GitLab group or instance: repositories, job logs, issues, snippets, wikis"},
    {"audit", "lint the token inventory of a GitLab instance against GitLab's guidance"},
    {"pre-push", "git pre-push hook: check the commits a push would publish"},
    {"pre-receive", "server-side hook: reject pushes that add a token"},
    {"commit-msg", "git commit-msg hook: check the message being committed"},
    {"install-hook", "install the pre-commit (or pre-push, commit-msg) hook in a repository"},
    {"merge", "combine JSON reports, e.g. the shards of a parallel scan"},
    {"verify", "ask GitLab whether known tokens are live"},
    {"revoke", "revoke leaked personal, project or group access tokens"},
    {"rotate", "rotate a personal access token"},
    {"rules", "list or check the detection rules"},
    {"version", "print the version"},
    {"completion", "print a shell completion script"},
    {"man", "print the manual page"},
};

/// Words people coming from other scanners type, and the command that does it here.
constexpr std::pair<const char*, const char*> kSynonyms[] = {
    {"scan", "dir' or 'git"}, {"detect", "dir' or 'git"},  {"files", "dir"},         {"directory", "dir"},
    {"history", "git"},       {"protect", "git --staged"}, {"hook", "install-hook"}, {"filesystem", "dir"},
    {"repo", "git"},          {"repository", "git"},       {"instance", "gitlab"},   {"help", "--help"},
};

std::string command_list(const CLI::App& app) {
  std::string out = "glpatrol finds leaked GitLab tokens. Commands:\n";
  for (const CLI::App* sub : app.get_subcommands({})) {
    std::string summary = sub->get_description();
    for (const auto& [name, text] : kSummaries)
      if (sub->get_name() == name) summary = text;
    const std::size_t pad = sub->get_name().size() < 14 ? 14 - sub->get_name().size() : 1;
    out += "  " + sub->get_name() + std::string(pad, ' ') + summary + "\n";
  }
  out +=
      "\nExamples:\n"
      "  glpatrol git .                   every commit, blob and message of this repository\n"
      "  glpatrol dir src/ -r out.sarif   scan files, also write a SARIF report\n"
      "  glpatrol install-hook            block commits that add a token\n"
      "\nRun 'glpatrol COMMAND --help' for a command's options; 'man glpatrol' for all of them.\n";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace glpatrol;
  CLI::App app{
      "glpatrol: finds leaked GitLab tokens in files, standard input and git history.\n"
      "Exit codes: 0 clean, 1 findings (--exit-code), 2 error, 3 incomplete scan.",
      "glpatrol"};
  app.set_version_flag("--version", [] { return version_text(); });
  // Parse errors repeat option values ("--jobs: glpat-... is not a number"): a token pasted into
  // the wrong option is redacted there like every other echo (common/echo.h). Set before the
  // subcommands are added: they copy it.
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    return redact_token_shaped(CLI::FailureMessage::simple(a, e));
  });
  int rc = kExitError;
  add_dir_command(app, rc);
  add_stdin_command(app, rc);
  add_commit_msg_command(app, rc);
  add_git_command(app, rc);
  add_gitlab_command(app, rc);
  add_audit_command(app, rc);
  add_push_commands(app, rc);
  add_install_hook_command(app, rc);
  add_merge_command(app, rc);
  add_verify_command(app, rc);
  add_rules_command(app, rc);
  add_version_command(app, rc);
  add_completion_command(app, rc);
  one_value_per_use(app);
  app.footer("Documentation: https://gitlab.com/glpatrol/glpatrol (docs/), man glpatrol");
  // Usage lines say "glpatrol", not the path the binary was started from.
  for (CLI::App* sub : app.get_subcommands({})) sub->get_formatter()->label("Usage", "Usage");
  if (argc < 2) {
    std::cerr << command_list(app);
    return kExitError;
  }
  const std::string first = argv[1];
  if (!first.empty() && first[0] != '-') {
    bool known = false;
    std::string best;
    std::size_t best_d = 99;
    for (const CLI::App* sub : app.get_subcommands({})) {
      for (const auto& name : std::vector<std::string>{sub->get_name()}) {
        known |= name == first;
        const std::size_t d = distance(first, name);
        if (d < best_d) best_d = d, best = name;
      }
      for (const auto& alias : sub->get_aliases()) known |= alias == first;
    }
    if (!known) {
      std::cerr << "glpatrol: '" << first << "' is not a glpatrol command";
      std::string suggestion = best_d <= 2 ? best : std::string();
      for (const auto& [word, command] : kSynonyms)
        if (first == word) suggestion = command;
      if (!suggestion.empty()) std::cerr << ". Did you mean '" << suggestion << "'?";
      std::cerr << "\n\n" << command_list(app);
      return kExitError;
    }
  }
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitError;
  } catch (const std::exception& e) {
    std::cerr << "glpatrol: internal error: " << e.what() << "\n";
    return kExitError;
  }
  return rc;
}
