// glpatrol: finds leaked GitLab tokens in files, standard input and git history.
// main only parses the command line; every command lives in its own cmd_*.cc.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "app/commands.h"
#include "app/scan_driver.h"
#include "reporters/reporter.h"

namespace {

/// Repeatable options (-r, --exclude, --rules, --gitlab-url...) take one value per use, so
/// `glpatrol dir -r json:out.json src/` scans src/ instead of reading it as a second report.
/// (CLI11 lets a vector option swallow every following argument by default.)
void one_value_per_use(CLI::App& app) {
  for (CLI::Option* opt : app.get_options())
    if (!opt->get_positional() && opt->get_items_expected_max() > 1) opt->allow_extra_args(false);
  for (CLI::App* sub : app.get_subcommands({})) one_value_per_use(*sub);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace glpatrol;
  CLI::App app{"glpatrol: finds leaked GitLab tokens in files, standard input and git history.\n"
               "Exit codes: 0 clean, 1 findings (--exit-code), 2 error, 3 incomplete scan."};
  app.set_version_flag("--version", std::string(kToolName) + " " + std::string(kToolVersion));
  app.require_subcommand(1);
  int rc = kExitError;
  add_dir_command(app, rc);
  add_stdin_command(app, rc);
  add_rules_command(app, rc);
  add_version_command(app, rc);
  add_git_command(app, rc);
  add_verify_command(app, rc);
  add_hooks_commands(app, rc);
  add_merge_command(app, rc);
  one_value_per_use(app);
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
