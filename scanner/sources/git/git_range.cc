// The commit graph of a range scan: A..B, REV..HEAD (--since), or the tips and stops of a push.
#include "sources/git/history.h"

namespace glpatrol::git {

namespace {

/// The commits where the walk from `to` must stop for the range from..to: the parents of the
/// range's commits that are reachable from `from`. libgit2's revision walk (git's
/// "uninteresting" marking) finds them without visiting all of `from`'s history, which a
/// merge-request pipeline on a long history would otherwise pay on every run. libgit2 1.5 does
/// not know shallow boundaries, so a shallow clone (short by nature) and any walk error use the
/// exhaustive set: every ancestor of `from`.
OidSet range_stops(Repo& r, const git_oid& from, const git_oid& to) {
  if (r.shallow.empty()) {
    if (auto range = new_commits(r.repo.get(), {to}, {from})) {
      OidSet stops = std::move(range->boundary);
      if (range->commits.count(to) == 0) stops.insert(to);  // to is contained in from: empty range
      return stops;
    }
    git_error_clear();
  }
  return ancestors(r.repo.get(), {from}, r.shallow);
}

bool is_ancestor(Repo& r, const git_oid& a, const git_oid& b) {
  if (git_oid_equal(&a, &b)) return true;
  if (r.shallow.empty()) {
    const int rc = git_graph_descendant_of(r.repo.get(), &b, &a);
    if (rc >= 0) return rc == 1;
    git_error_clear();
  }
  return ancestors(r.repo.get(), {b}, r.shallow).count(a) != 0;
}

/// Pre-receive/pre-push: commits reachable from the tips, stopping at (not scanning) the stops.
Result<CommitGraph> pushed_graph(const GitScanOptions& opts, Repo& r, const ObjectFaultFn& fault,
                                 GitInfo& info) {
  std::vector<git_oid> tips;
  OidSet stops;
  for (const auto& t : opts.range_tips) {
    auto id = resolve_commit(r.repo.get(), t);
    if (!id) return id.error();
    tips.push_back(*id);
  }
  for (const auto& t : opts.range_stops) {
    git_oid id;
    if (t.size() != GIT_OID_HEXSZ || git_oid_fromstrn(&id, t.c_str(), t.size()) != 0)
      return Error::usage("invalid stop commit id '" + t + "'");
    stops.insert(id);
  }
  GitRangeInfo range;
  range.spec = "pushed";
  range.tips = opts.range_tips;
  range.stops = opts.range_stops.size();
  info.range = std::move(range);
  return collect_commits(r.repo.get(), tips, &stops, r.shallow, fault);
}

}  // namespace

Result<CommitGraph> range_graph(const GitScanOptions& opts, Repo& r, const ObjectFaultFn& fault,
                                ScanContext& ctx, GitInfo& info) {
  if (!opts.range_tips.empty()) return pushed_graph(opts, r, fault, info);
  std::string spec = opts.range;
  if (spec.empty()) spec = opts.since + "..HEAD";
  // Errors name the option as the user typed it.
  const std::string option = opts.range.empty() ? "--since '" + opts.since + "'" : "--range '" + spec + "'";
  if (spec.find("...") != std::string::npos)
    return Error::usage(option + ": symmetric ranges (A...B) are not supported; use A..B");
  const auto dots = spec.find("..");
  if (dots == std::string::npos) return Error::usage(option + ": expected A..B");
  const std::string a = spec.substr(0, dots);
  std::string b = spec.substr(dots + 2);
  if (a.empty()) return Error::usage(option + ": the lower end is missing");
  if (b.empty()) b = "HEAD";
  auto from = resolve_commit(r.repo.get(), a);
  if (!from)
    return from.error().with_context(
        option + (opts.range.empty() ? " (a revision, or a date such as 2024-01-01)" : ""));
  auto to = resolve_commit(r.repo.get(), b);
  if (!to) return to.error().with_context(option);
  const OidSet hidden = range_stops(r, *from, *to);
  CommitGraph graph = collect_commits(r.repo.get(), {*to}, &hidden, r.shallow, fault);
  if (graph.nodes.empty())
    return Error::usage(option + " contains no commits (" + b + " is already contained in " + a +
                        "); nothing would be scanned");
  GitRangeInfo range;
  range.spec = spec;
  range.from = oid_hex(*from);
  range.to = oid_hex(*to);
  info.range = std::move(range);
  // A lower end that is not an ancestor of the upper end (force push) widens the range to
  // everything reachable from the upper end only: correct, but worth saying.
  if (!is_ancestor(r, *from, *to))
    ctx.stats.warn("range lower end " + a + " is not an ancestor of " + b +
                   ": scanned every commit reachable from " + b + " but not from " + a);
  return graph;
}

}  // namespace glpatrol::git
