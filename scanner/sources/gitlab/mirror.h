#pragma once
// The `git` surface of an instance scan: a bare mirror of each project in the state directory
// (cloned over HTTPS with libgit2 the first time, fetched afterwards), scanned by the history
// engine (sources/git) with paths prefixed by the project. The token reaches libgit2 only
// through its credential callback (user oauth2) and only for URLs on the configured host; a
// mirror's remote URL never holds credentials. Refs mirrored: branches, tags and GitLab's
// merge-request heads (refs/merge-requests/*/head, commits from forks no branch has).
#include <cstdint>
#include <string>

#include "scan/context.h"

namespace glpatrol {

struct GitLabScanOptions;
namespace state {
class StateDb;
}

struct GitSurfaceResult {
  std::string reason;   ///< skip reason when the surface was lost (network, git-error, ...)
  std::string error;    ///< "" = scanned
  bool reused = false;  ///< refs unchanged since the last run: its findings came from the state
};

/// Mirrors (clone or fetch) project `id` from `http_url` and scans its history into `ctx`.
/// With a state database: when the mirror's refs are exactly those of the last complete scan,
/// the stored findings are reported instead of walking the history again.
GitSurfaceResult scan_git_surface(const GitLabScanOptions& o, std::int64_t id, const std::string& path,
                                  const std::string& http_url, const std::string& web_url, ScanContext& ctx,
                                  state::StateDb* state);

/// Where project `id`'s mirror lives below the state directory.
std::string mirror_dir(const std::string& state_dir, std::int64_t id);

}  // namespace glpatrol
