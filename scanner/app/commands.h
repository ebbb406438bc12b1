#pragma once
// Each subcommand registers itself on the root CLI::App and stores its exit code in `rc`
// when it runs. main.cc calls every add_*_command; a new command is one new file here plus
// one line there.
namespace CLI { class App; }

namespace glpatrol {

void add_dir_command(CLI::App& root, int& rc);
void add_stdin_command(CLI::App& root, int& rc);
void add_rules_command(CLI::App& root, int& rc);
void add_version_command(CLI::App& root, int& rc);
void add_git_command(CLI::App& root, int& rc);
void add_verify_command(CLI::App& root, int& rc);  // verify + revoke (cmd_verify.cc)
void add_hooks_commands(CLI::App& root, int& rc);  // install-hook, pre-push, pre-receive (cmd_hooks.cc)
void add_merge_command(CLI::App& root, int& rc);   // merge shard reports (cmd_merge.cc)

}  // namespace glpatrol
