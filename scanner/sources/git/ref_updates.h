// Push input: the ref updates a pre-receive or pre-push hook reads on stdin. This text comes
// from git (server side: from whoever pushes), so the parser is strict, bounded and fuzzed
// (fuzz/fuzz_ref_updates.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/encoding.h"  // is_hex_object_id
#include "common/error.h"

namespace glpatrol {

/// One line of a pre-receive hook's stdin ("<old> <new> <ref>"); pre-push lines
/// ("<local ref> <local oid> <remote ref> <remote oid>") are mapped to old = remote oid,
/// new = local oid, ref = remote ref.
struct RefUpdate {
  std::string old_id, new_id, ref;
  bool is_deletion() const;  ///< new id is all zeros
  bool is_creation() const;  ///< old id is all zeros
};

/// At most this many updates per push; more is a usage error, not a silent truncation.
inline constexpr std::size_t kMaxRefUpdates = 100000;

/// Parses hook stdin: blank lines are skipped, fields are separated by spaces or tabs, object
/// ids must be full lowercase hex. Errors name the line (the hook exits 2: never a clean pass).
Result<std::vector<RefUpdate>> parse_ref_updates(std::string_view text, bool pre_push_format);

}  // namespace glpatrol
