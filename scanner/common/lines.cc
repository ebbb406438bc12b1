#include "common/lines.h"

namespace glpatrol {

Status for_each_line(std::string_view text,
                     const std::function<Status(std::string_view line, std::size_t line_no)>& fn) {
  std::size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (auto s = fn(line, ++line_no); !s) return s;
  }
  return Status::ok();
}

}  // namespace glpatrol
