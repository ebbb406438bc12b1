// glpatrol merge REPORT.json...: combines JSON reports (typically the shards of one scan,
// `glpatrol git --shard I/N -r json:shard-I.json`) into one report in any format, as if one
// machine had scanned everything (docs/integrations.md).
//
// - Findings are de-duplicated (same token, place, blob and commit) and sorted like a scan.
// - Shards of one history (partitioned by path): `in_head` is re-derived across shards (a
//   token is in HEAD when any shard saw it in a HEAD blob), and the commit count is the
//   walk's (every shard walks all commits), so the merged findings equal an unsharded run.
//   (A blob stored under paths of several shards is read by each: blob/byte counts may add
//   up to a little more than one machine's.)
// - A missing shard (2 of 3 reports) or an incomplete input makes the result incomplete:
//   never "clean" with lost coverage.
// - Suppression (--ignore-file, --baseline) is applied again; findings suppressed in a shard
//   stay suppressed.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <functional>
#include <tuple>

#include "app/commands.h"
#include "app/run.h"
#include "reporters/report_json.h"

namespace glpatrol {

namespace {

struct MergeOptions {
  std::vector<std::string> inputs;
};

using FindingKey = std::tuple<std::string, std::string, std::string, std::uint64_t, std::uint64_t,
                              std::uint64_t, std::string, std::string>;

FindingKey key_of(const Finding& f) {
  const Provenance& p = f.provenance;
  return {fingerprint(f),         std::string(to_string(p.kind)),          p.path, f.line, f.column, f.offset,
          p.blob_id.value_or(""), p.commit ? p.commit->sha : std::string()};
}

bool is_recomputed_reason(const std::string& r) {
  return r.find("input(s) could not be read") != std::string::npos;
}

int run_merge(const MergeOptions& mo, const ScanOptions& opts) {
  std::vector<Report> reports;
  for (const auto& path : mo.inputs) {
    auto r = load_json_report(path);
    if (!r) {
      std::cerr << "glpatrol: merge: " << r.error().message << "\n";
      return kExitError;
    }
    reports.push_back(std::move(*r));
  }
  if (reports.empty()) {
    std::cerr << "glpatrol: merge: no report given\n";
    return kExitError;
  }

  // Shards: all or none; the same total and partition; every index present.
  unsigned total = 0;
  std::string by;
  std::set<unsigned> indices;
  std::vector<std::string> problems;
  std::size_t sharded = 0;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto& shard_info = reports[i].scan.shard;
    if (!shard_info) continue;
    ++sharded;
    const unsigned t = shard_info->total, idx = shard_info->index;
    const std::string& b = shard_info->by;
    if (total == 0) {
      total = t;
      by = b;
    } else if (t != total || b != by) {
      std::cerr << "glpatrol: merge: " << mo.inputs[i] << " is shard " << idx << "/" << t << " by " << b
                << ", the first shard report is of " << total << " by " << by
                << ": these reports are not shards of one scan\n";
      return kExitError;
    }
    if (!indices.insert(idx).second)
      problems.push_back(fmt::format("shard {}/{} was given twice", idx, total));
  }
  if (sharded != 0 && sharded != reports.size()) {
    std::cerr << "glpatrol: merge: some reports are shards (--shard) and some are not\n";
    return kExitError;
  }
  std::vector<unsigned> missing;
  for (unsigned i = 1; i <= total; ++i)
    if (indices.count(i) == 0) missing.push_back(i);
  const bool path_shards = sharded != 0 && by == "path";

  std::string kind = reports.front().scan.kind;
  std::vector<std::string> targets;
  for (const auto& r : reports) {
    if (r.scan.kind != kind) kind = "merge";
    for (const auto& t : r.scan.targets)
      if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
  }

  /// The merged inputs as a source: findings come from the reports, not from content.
  class MergeSource final : public Source {
   public:
    explicit MergeSource(std::function<Status(ScanContext&)> fill) : fill_(std::move(fill)) {}
    Status scan(ScanContext& ctx) override { return fill_(ctx); }

   private:
    std::function<Status(ScanContext&)> fill_;
  };
  MergeSource source([&](ScanContext& ctx) -> Status {
    // Findings: union, de-duplicated.
    std::set<FindingKey> seen;
    std::vector<Finding> all;
    std::uint64_t duplicates = 0;
    for (auto& r : reports)
      for (auto& f : r.findings) {
        if (!seen.insert(key_of(f)).second) {
          ++duplicates;
          continue;
        }
        all.push_back(std::move(f));
      }
    if (path_shards) {
      // in_head is "the token is in a HEAD blob"; each shard saw only its own paths.
      std::set<std::string> head_tokens;
      for (const auto& f : all)
        if (f.provenance.in_head && *f.provenance.in_head) head_tokens.insert(f.secret_sha256);
      for (auto& f : all)
        if (f.provenance.in_head) f.provenance.in_head = head_tokens.count(f.secret_sha256) != 0;
    }
    for (auto& f : all) ctx.sink().add(std::move(f));

    // Statistics: blobs are partitioned (by path), so sizes add up; every path shard walks
    // all commits.
    std::uint64_t commits = 0;
    std::set<std::string> warnings;
    for (const auto& r : reports) {
      const StatsSnapshot& s = r.scan.stats;
      ctx.stats.files += s.files;
      ctx.stats.blobs += s.blobs;
      ctx.stats.bytes += s.bytes;
      commits = path_shards ? std::max(commits, s.commits) : commits + s.commits;
      for (const auto& k : s.skips) ctx.stats.skip(k);
      for (const auto& w : s.warnings)
        if (warnings.insert(w).second) ctx.stats.warn(w);
      if (!r.scan.complete)
        for (const auto& reason : r.scan.incomplete_reasons)
          if (!is_recomputed_reason(reason)) ctx.mark_incomplete(reason, false);
      for (const auto& c : r.scan.config_files)
        if (std::find(ctx.info().config_files.begin(), ctx.info().config_files.end(), c) ==
            ctx.info().config_files.end())
          ctx.info().config_files.push_back(c);
    }
    ctx.stats.commits += commits;
    // An input that lost coverage by a fault keeps that meaning (exit 3) in the merge.
    for (const auto& r : reports)
      if (!r.scan.complete)
        for (const auto& reason : r.scan.incomplete_reasons)
          if (reason.find("shallow clone") == std::string::npos && !is_recomputed_reason(reason))
            ctx.mark_incomplete(reason, true);
    if (!missing.empty()) {
      std::string list;
      for (unsigned m : missing) list += (list.empty() ? "" : ", ") + std::to_string(m);
      ctx.mark_incomplete(fmt::format("shard report(s) {} of {} missing: their part of the scan "
                                      "is not in this report",
                                      list, total),
                          true);
    }
    for (const auto& p : problems) ctx.stats.warn(p);
    if (duplicates != 0)
      ctx.stats.warn(fmt::format("{} duplicate finding(s) removed while merging", duplicates));

    // Source metadata: the first report's, without its shard; repositories of several shards
    // are concatenated.
    ScanInfo& info = ctx.info();
    const ScanInfo& first = reports.front().scan;
    info.git = first.git;
    info.ci = first.ci;
    info.push = first.push;
    info.verification = first.verification;
    for (const auto& r : reports)
      info.repositories.insert(info.repositories.end(), r.scan.repositories.begin(),
                               r.scan.repositories.end());
    // Instance scans (glpatrol gitlab --shard): projects are partitioned, so counts add up;
    // with every shard present no project is left in another shard.
    for (const auto& r : reports) {
      if (!r.scan.gitlab) continue;
      const GitLabInfo& g = *r.scan.gitlab;
      if (!info.gitlab) {
        info.gitlab = GitLabInfo{g.url, g.surfaces, 0, 0, 0, 0, 0, {}, {}, {}, g.state_dir};
      }
      GitLabInfo& sum = *info.gitlab;
      sum.projects += g.projects;
      sum.projects_refused += g.projects_refused;
      sum.requests += g.requests;
      sum.retries += g.retries;
      for (const auto& [k, v] : g.items) sum.items[k] += v;
      for (const auto& [k, v] : g.disabled) sum.disabled[k] += v;
      for (const auto& [k, v] : g.reused) sum.reused[k] += v;
      if (sharded == 0 || indices.size() != total) sum.projects_in_other_shards += g.projects_in_other_shards;
    }
    MergeInfo m;
    m.reports = reports.size();
    if (sharded != 0) {
      m.shards_total = total;
      m.shards_by = by;
      m.shards_present = indices.size();
    }
    m.duplicates_removed = duplicates;
    info.merge = m;
    return Status::ok();
  });
  auto plan = make_plan(opts, {kind, targets, TreeTrust::Own, /*read_tree_config=*/false});
  if (!plan) {
    std::cerr << "glpatrol: " << terminal_message(plan.error().message) << "\n";
    return kExitError;
  }
  // jsonl output stays sorted like every other merged format.
  return run_scan(*plan, source, {}, RunOptions{/*allow_streaming=*/false});
}

}  // namespace

void add_merge_command(CLI::App& root, int& rc) {
  auto mo = std::make_shared<MergeOptions>();
  auto opts = std::make_shared<ScanOptions>();
  CLI::App* cmd =
      root.add_subcommand("merge",
                          "Combine glpatrol JSON reports (e.g. the shards of `git --shard I/N`) into one "
                          "report in any format, de-duplicated, as if one machine had scanned everything");
  cmd->add_option("reports", mo->inputs, "JSON reports (-f json / -r json:PATH)")->required();
  add_scan_options(*cmd, *opts, kOutputOptions | kConfigOptions | kSuppressOptions | kVerifyOptions);
  cmd->callback([mo, opts, &rc] { rc = run_merge(*mo, *opts); });
}

}  // namespace glpatrol
