#pragma once
// Process exit codes (docs/exit-codes.md). Stable: CI pipelines branch on them.
namespace glpatrol {

enum ExitCode : int {
  kExitClean = 0,
  kExitFindings = 1,    ///< configurable with --exit-code
  kExitError = 2,       ///< usage, configuration or runtime error
  kExitIncomplete = 3,  ///< coverage lost (unreadable input); shallow history only with --strict
};

}  // namespace glpatrol
