#pragma once
// What a push publishes (pre-receive on the server, pre-push on the client): every object the
// pushed refs make reachable that the repository did not already reach. Commits are scanned
// through the history engine's range mode (what they introduced); a ref that names a tree or a
// blob directly, and every annotated tag on the way (a tag of a tag...), is scanned too — a
// push is never accepted because its ref does not peel to a commit.
#include <string>
#include <utility>
#include <vector>

#include "scan/context.h"
#include "sources/git/git_source.h"
#include "sources/git/ref_updates.h"

namespace glpatrol {

struct PushTarget {
  bool server = false;  ///< pre-receive: every existing ref is known history
  std::string remote;   ///< pre-push: the remote's name (refs/remotes/<name>/* are known)
};

/// The objects a push adds.
struct PushPlan {
  std::vector<std::string> tips, stops;  ///< new commits to walk from / known commits to stop at
  std::size_t new_commits = 0;
  std::vector<std::pair<std::string, std::string>> tags;   ///< annotated tags: id, ref
  std::vector<std::pair<std::string, std::string>> trees;  ///< refs naming trees: id, ref
  std::vector<std::pair<std::string, std::string>> blobs;  ///< refs naming blobs: id, ref
  bool empty() const { return tips.empty() && tags.empty() && trees.empty() && blobs.empty(); }
};

/// Plans the scan of `updates` in the repository at `repo` (with `extra_object_dirs`, a
/// pre-receive quarantine). A pushed id that cannot be read is an error (the hook rejects).
Result<PushPlan> plan_push(const std::string& repo, const std::vector<std::string>& extra_object_dirs,
                           bool trust_repo_owner, const std::vector<RefUpdate>& updates,
                           const PushTarget& target);

/// Quarantine object directories of a running pre-receive hook (git >= 2.11 and Gitaly keep
/// pushed objects there until the hook accepts them): GIT_QUARANTINE_PATH,
/// GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES as git sets them for the hook,
/// resolved against `repo_dir`; the repository's own object directory is left out.
std::vector<std::string> quarantine_dirs(const std::string& repo_dir);

/// Scans a planned push: tag messages, trees and blobs named by refs, and the new commits.
class PushSource final : public Source {
 public:
  PushSource(GitScanOptions git, PushPlan plan, std::vector<RefUpdate> updates)
      : git_(std::move(git)), plan_(std::move(plan)), updates_(std::move(updates)) {}
  Status scan(ScanContext& ctx) override;

 private:
  GitScanOptions git_;
  PushPlan plan_;
  std::vector<RefUpdate> updates_;
};

}  // namespace glpatrol
