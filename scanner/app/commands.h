#pragma once
// Each subcommand registers itself on the root CLI::App and stores its exit code in `rc`
// when it runs. main.cc calls every add_*_command; a new command is one new file here plus
// one line there.
namespace CLI {
class App;
}

namespace glpatrol {

void add_dir_command(CLI::App& root, int& rc);           // dir (cmd_dir.cc)
void add_stdin_command(CLI::App& root, int& rc);         // stdin (cmd_dir.cc)
void add_commit_msg_command(CLI::App& root, int& rc);    // commit-msg hook (cmd_dir.cc)
void add_git_command(CLI::App& root, int& rc);           // git (cmd_git.cc)
void add_push_commands(CLI::App& root, int& rc);         // pre-push, pre-receive (cmd_push.cc)
void add_install_hook_command(CLI::App& root, int& rc);  // install-hook (cmd_install_hook.cc)
void add_merge_command(CLI::App& root, int& rc);         // merge shard reports (cmd_merge.cc)
void add_verify_command(CLI::App& root, int& rc);        // verify + revoke (cmd_verify.cc)
void add_rules_command(CLI::App& root, int& rc);         // rules list/check (cmd_rules.cc)
void add_version_command(CLI::App& root, int& rc);       // version (cmd_rules.cc)
void add_completion_command(CLI::App& root, int& rc);    // completion, man (cmd_completion.cc)
void add_gitlab_command(CLI::App& root, int& rc);        // gitlab instance scan (cmd_gitlab.cc)
void add_audit_command(CLI::App& root, int& rc);         // audit the token inventory (cmd_audit.cc)

/// --untrusted-tree: the scanned content is a change under review (implied by git --ci and
/// pre-receive). See TreeTrust in app/plan.h.
void add_untrusted_tree_flag(CLI::App& cmd, bool& flag);

}  // namespace glpatrol
