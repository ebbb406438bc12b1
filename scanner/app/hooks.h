#pragma once
// Native git hooks glpatrol installs (app/cmd_install_hook.cc).
#include <string>

namespace glpatrol {

/// The hook script `glpatrol install-hook` writes (kind: "pre-commit" or "pre-push"): runs
/// `binary` (shell-quoted), or $GLPATROL when set, and says how to uninstall.
std::string hook_script(const std::string& kind, const std::string& binary);

}  // namespace glpatrol
