#pragma once
// API tokens the operator hands glpatrol (GitLab API token, administrator token). Never from
// argv, where every user of the machine can read them: the first line of a file the operator
// names, else an environment variable.
#include <string>
#include <string_view>

#include "common/error.h"

namespace glpatrol {

/// The secret from the first line of `file` when it is given, else from the environment
/// variable `env`; blanks around it removed. "" when neither holds one (the caller decides
/// whether that is an error). Errors: the file cannot be read (named by `file_option`); the
/// value holds characters no token has (controls, spaces, non-ASCII).
Result<std::string> read_secret(const std::string& file, const char* env, std::string_view file_option);

}  // namespace glpatrol
