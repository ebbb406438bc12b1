#pragma once
// glpatrol gitlab: a GitLab group or instance read through REST API v4 (and git over HTTPS for
// the `git` surface). The source enumerates the projects in scope and, per project, the
// content of each surface, giving every piece a Provenance with a SourceRef (kind, project,
// web_url) and handing it to a ScanStep; it never matches anything itself.
//
// Scope: only projects listed by --project, by --group (subgroups included, projects shared
// into the group excluded) or, with --all-projects, by GET /projects. A project whose
// http_url_to_repo is on another host is refused and reported. A 404 on a surface is a feature
// switched off (not an error); 401/403 and errors that survive the retries are skipped inputs
// that make the scan incomplete.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "scan/context.h"
#include "sources/git/git_source.h"
#include "sources/gitlab/api.h"

namespace glpatrol {

/// The surfaces of a project, in the order they are scanned.
inline const std::vector<std::string>& gitlab_surfaces() {
  static const std::vector<std::string> all = {"git",  "job_logs", "snippets", "issues", "merge_requests",
                                               "wiki", "releases"};
  return all;
}

struct GitLabScanOptions {
  gitlab::ApiOptions api;             ///< base URL, token, pacing, retries
  gitlab::HttpClientOptions http;     ///< CA bundle, timeouts
  std::vector<std::string> groups;    ///< --group (full paths)
  std::vector<std::string> projects;  ///< --project (paths with namespace)
  bool all_projects = false;          ///< every project the token can see (+ personal snippets)
  bool skip_archived = false;
  std::set<std::string> surfaces;  ///< subset of gitlab_surfaces()
  unsigned max_jobs = 0;           ///< job logs per project, newest first; 0 = all
  std::string state_dir;           ///< mirrors (and, later, the state database)
  GitScanOptions git;              ///< the history engine's options for the git surface
};

class GitLabSource final : public Source {
 public:
  explicit GitLabSource(GitLabScanOptions opts) : opts_(std::move(opts)) {}
  Status scan(ScanContext& ctx) override;

 private:
  GitLabScanOptions opts_;
};

}  // namespace glpatrol
