#pragma once
// Opening an untrusted repository safely, shallow-clone boundaries, and revision lookup.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "sources/git/git_handles.h"

namespace glpatrol::git {

/// Process-wide libgit2 settings for scanning untrusted repositories. Call once before
/// opening anything. Ownership validation stays on unless `trust_repo_owner` (an explicit
/// operator opt-in); pack windows are capped so memory stays bounded on huge packs.
void configure_libgit2(bool trust_repo_owner);

using OidSet = std::unordered_set<git_oid, OidHash, OidEq>;

struct Repo {
  RepoPtr repo;
  std::string git_dir;     ///< the repository's .git (or bare) directory, with trailing '/'
  std::string common_dir;  ///< shared directory of linked worktrees (== git_dir otherwise)
  std::string workdir;     ///< empty for bare repositories
  bool bare = false;
  /// Commits listed in <common_dir>/shallow: their parents are absent by design (a shallow
  /// clone), so they are history boundaries, not corruption.
  OidSet shallow;
  std::vector<std::string> shallow_bad_lines;  ///< unparsable lines of the shallow file
  std::vector<std::string> extra_object_dirs;  ///< alternates added on every (re)open
};

/// Opens the repository containing `path` (searching upwards like git). Never applies the
/// environment (GIT_DIR...), never runs anything from the repository. GIT_EOWNER becomes a
/// usage-level error that names --trust-repo-owner.
/// `extra_object_dirs` are added as alternate object directories (a pre-receive quarantine).
Result<Repo> open_repository(const std::string& path, const std::vector<std::string>& extra_object_dirs = {});

/// Opens the same repository again (one handle per worker thread).
Result<RepoPtr> reopen(const Repo& r);

/// Resolves a revision (branch, tag, sha, HEAD~2...) to a commit id, peeling tags.
Result<git_oid> resolve_commit(git_repository* repo, const std::string& rev);

/// The web address of a repository given its remote URL, for links in reports:
/// "https://host[:port]/group/project" from https://[user:pw@]host[:port]/group/project(.git),
/// ssh://[user@]host[:port]/group/project(.git) and user@host:group/project(.git).
/// Credentials are dropped; nullopt for any other scheme (http, file, a local path) and for
/// any byte outside [A-Za-z0-9._~/-] in the path or [A-Za-z0-9.-] in the host (no guessing,
/// nothing that needs escaping in a link).
std::optional<std::string> web_url_from_remote(std::string_view remote);

/// web_url_from_remote() of the "origin" remote; nullopt without one.
std::optional<std::string> origin_web_url(git_repository* repo);

/// Reads a shallow file's text: one hex object id per line; other lines go to `bad`.
OidSet parse_shallow_file(std::string_view text, std::vector<std::string>* bad);

}  // namespace glpatrol::git
