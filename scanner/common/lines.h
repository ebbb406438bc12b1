// Line iteration over in-memory text (hook stdin, repository lists, ignore files).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "common/error.h"

namespace glpatrol {

/// Calls `fn` for each line of `text` (1-based number, without "\n" / "\r\n"); stops at the
/// first error, which it returns. A final line without "\n" is still a line.
Status for_each_line(std::string_view text,
                     const std::function<Status(std::string_view line, std::size_t line_no)>& fn);

}  // namespace glpatrol
