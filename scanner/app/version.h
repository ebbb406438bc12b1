#pragma once
// `glpatrol --version` and `glpatrol version`: the version, the commit it was built from, and
// the versions of the libraries that decide what it finds and how (as `rg --version` shows its
// features).
#include <string>

namespace glpatrol {

std::string version_text();

}  // namespace glpatrol
