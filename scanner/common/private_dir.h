#pragma once
// A directory only this user controls, for what glpatrol keeps between runs (the state
// database, the verification cache): what is read back from it is trusted only as far as
// nobody else could have written it.
#include <string>
#include <string_view>

#include "common/error.h"

namespace glpatrol {

/// Creates `dir` (mode 0700, missing parents as mkdir -p makes them) and checks that it can be
/// trusted: a directory (a symlink is refused), owned by this user, not writable by group or
/// others (refused: files in it may have been planted). Read bits for others are narrowed to
/// 0700. Errors name the directory by `what` (an option or a purpose). Returns the path
/// without trailing slashes.
Result<std::string> prepare_private_dir(std::string dir, std::string_view what);

}  // namespace glpatrol
