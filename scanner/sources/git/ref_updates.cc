#include "sources/git/ref_updates.h"

#include "common/encoding.h"

#include <fmt/format.h>

#include "common/lines.h"

namespace glpatrol {

namespace {

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

std::vector<std::string_view> split_ws(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

bool RefUpdate::is_deletion() const { return all_zero(new_id); }
bool RefUpdate::is_creation() const { return all_zero(old_id); }

Result<std::vector<RefUpdate>> parse_ref_updates(std::string_view text, bool pre_push_format) {
  std::vector<RefUpdate> out;
  auto st = for_each_line(text, [&](std::string_view line, std::size_t line_no) -> Status {
    const auto f = split_ws(line);
    if (f.empty()) return Status::ok();
    if (out.size() >= kMaxRefUpdates)
      return Error::usage(fmt::format("hook input: more than {} ref updates", kMaxRefUpdates));
    const std::size_t want = pre_push_format ? 4 : 3;
    if (f.size() != want)
      return Error::usage(fmt::format(
          "hook input line {}: expected {} fields ({}), got {}", line_no, want,
          pre_push_format ? "<local ref> <local oid> <remote ref> <remote oid>" : "<old> <new> <ref>",
          f.size()));
    // pre-push: <local ref> <local oid> <remote ref> <remote oid>; pre-receive: <old> <new> <ref>
    RefUpdate u;
    u.old_id = std::string(pre_push_format ? f[3] : f[0]);
    u.new_id = std::string(f[1]);
    u.ref = std::string(f[2]);
    if (!is_hex_object_id(u.old_id) || !is_hex_object_id(u.new_id))
      return Error::usage(fmt::format("hook input line {}: object ids must be full lowercase hex", line_no));
    if (u.old_id.size() != u.new_id.size())
      return Error::usage(fmt::format("hook input line {}: object ids of different lengths", line_no));
    out.push_back(std::move(u));
    return Status::ok();
  });
  if (!st) return st.error();
  return out;
}

}  // namespace glpatrol
