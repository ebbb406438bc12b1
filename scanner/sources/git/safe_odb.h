#pragma once
// The object database glpatrol reads through: libgit2's pack backend plus an own loose-object
// backend. libgit2 1.5.1's loose reader never returns on some corrupt zlib streams (a loose
// object whose tail is overwritten spins forever in git_odb_read), so loose objects are
// inflated here with explicit bounds: a corrupt or truncated object is an error naming it,
// never a hang. The backend is read-only (no write/freshen), so a scan cannot modify the
// repository.
#include "sources/git/git_handles.h"

namespace glpatrol::git {

/// Replaces `repo`'s object database with packs + safe loose objects of `objects_dir`, and
/// the same for each directory listed in objects/info/alternates (one level).
Status install_safe_odb(git_repository* repo, const std::string& objects_dir);

/// Inflates a loose object file's bytes (exposed for tests). `header_only` stops after the
/// "<type> <size>\0" header. Returns an error text on corruption, "" on success.
std::string inflate_loose(std::string_view file, bool header_only, git_object_t* type, std::size_t* size,
                          std::string* body, std::size_t max_size);

}  // namespace glpatrol::git
