// Incremental history scans (--state-dir, docs/git-history.md "Incremental rescans"), three
// levels, all in the state database of state/state_db.h:
//   history  the refs, reflogs, worktree HEADs, shallow and graft files and the options are
//            digested; when a stored complete scan has the same digest, its findings and
//            counts are reported without walking or reading anything (objects are immutable:
//            the same start points reach the same commits, trees and blobs);
//   resume   otherwise, with the stored scan's shape (HistoryShape), only the commits made
//            since are walked when HistoryScan::resume proves that a full walk gives the same,
//            and the stored findings are reported with them;
//   contents otherwise the walk runs whole (it computes every place), and each blob already
//            scanned under the same scope is not read: its stored matches are used.
// Only a scan that lost nothing (complete, no skips) is stored.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/read_file.h"
#include "sources/git/git_types.h"
#include "state/content_cache.h"

namespace glpatrol::git {

namespace {

namespace fs = std::filesystem;

/// Appends "<rel> <sha256 of content>" for `path` and, for a directory, every file below it
/// (symlinks by their target text, not followed). False when something cannot be read: no
/// digest then, the history is walked.
bool digest_files(const std::string& root, const std::string& rel, std::vector<std::string>& lines) {
  const fs::path p = fs::path(root) / rel;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(p, ec);
  if (ec || st.type() == fs::file_type::not_found) return !ec || ec == std::errc::no_such_file_or_directory;
  if (st.type() == fs::file_type::symlink) {
    lines.push_back(rel + " -> " + fs::read_symlink(p, ec).string());
    return !ec;
  }
  if (st.type() == fs::file_type::regular) {
    auto text = read_regular_file(p.string(), std::uint64_t{1} << 30, "ref file");
    if (!text) return false;
    lines.push_back(rel + " " + sha256_hex(*text));
    return true;
  }
  if (st.type() != fs::file_type::directory) return false;
  for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec))
    if (!digest_files(root, rel + "/" + it->path().filename().string(), lines)) return false;
  return !ec;
}

/// The options that change what a history scan reports, as text.
std::string options_text(const GitScanOptions& o, const ScanContext& ctx) {
  std::string all = fmt::format("reflogs={} messages={} max={} shard={}/{} by_path={} label={}\n", o.reflogs,
                                o.scan_messages, o.max_blob_size, ctx.shard().index, ctx.shard().total,
                                o.shard_by_path, o.repository_label);
  for (const auto& g : o.exclude_globs) all += "exclude " + g + "\n";
  if (o.source) all += "source " + o.source->kind + " " + o.source->project + " " + o.source->web_url + "\n";
  return all;
}

/// What a resumed walk (HistoryScan::resume) must find as it was: the options and the files
/// that change commits' parents (grafts, shallow); "" when they cannot be read (no resume).
std::string resume_key(const GitScanOptions& o, const Repo& r, const ScanContext& ctx) {
  std::vector<std::string> lines;
  for (const std::string& dir : {r.common_dir, r.git_dir})
    for (const char* f : {"shallow", "info/grafts"})
      if (!digest_files(dir, f, lines)) return {};
  std::sort(lines.begin(), lines.end());
  std::string all = options_text(o, ctx);
  for (const auto& l : lines) all += l + "\n";
  return sha256_hex(all);
}

/// What decides a history scan's start points and what it reports, as a digest; "" when it
/// cannot be computed. Files rather than libgit2's view: every ref, packed or loose, HEAD,
/// reflog and worktree HEAD is in them.
std::string history_digest(const GitScanOptions& o, const Repo& r, const ScanContext& ctx) {
  std::vector<std::string> lines;
  for (const std::string& dir : {r.common_dir, r.git_dir}) {
    for (const char* f : {"HEAD", "packed-refs", "refs", "logs", "shallow", "info/grafts"})
      if (!digest_files(dir, f, lines)) return {};
    std::error_code ec;
    for (fs::directory_iterator it(dir + "worktrees", ec), end; !ec && it != end; it.increment(ec)) {
      const std::string w = "worktrees/" + it->path().filename().string();
      for (const char* f : {"/HEAD", "/logs"})
        if (!digest_files(dir, w + f, lines)) return {};
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string all = options_text(o, ctx);
  for (const auto& l : lines) all += l + "\n";
  return sha256_hex(all);
}

/// The counts of GitInfo a reused history reports again (the rest is read live).
constexpr std::pair<const char*, std::optional<std::uint64_t> GitInfo::*> kCounts[] = {
    {"refs", &GitInfo::refs},
    {"reflog_entries", &GitInfo::reflog_entries},
    {"reflog_entries_pruned", &GitInfo::reflog_entries_pruned},
    {"commits", &GitInfo::commits},
    {"blobs", &GitInfo::blobs},
    {"blob_places", &GitInfo::blob_places},
    {"submodule_entries_not_scanned", &GitInfo::submodule_entries_not_scanned},
    {"messages_scanned", &GitInfo::messages_scanned},
    {"later_versions_folded", &GitInfo::later_versions_folded},
};

std::string info_to_text(const GitInfo& g) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, member] : kCounts)
    if (g.*member) j[name] = *(g.*member);
  if (g.shallow) j["shallow"] = *g.shallow;
  j["shallow_boundary_commits"] = g.shallow_boundary_commits;
  return j.dump();
}

bool info_from_text(const std::string& text, GitInfo& g) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return false;
  try {
    for (const auto& [name, member] : kCounts)
      if (auto it = j.find(name); it != j.end()) g.*member = it->get<std::uint64_t>();
    if (auto it = j.find("shallow"); it != j.end()) g.shallow = it->get<bool>();
    g.shallow_boundary_commits = j.at("shallow_boundary_commits").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return true;
}

nlohmann::json oid_list(const std::vector<git_oid>& ids) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& id : ids) a.push_back(oid_hex(id));
  return a;
}

nlohmann::json oid_pairs(const std::vector<std::pair<git_oid, std::string>>& pairs) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& [id, text] : pairs) a.push_back({oid_hex(id), text});
  return a;
}

bool parse_oid(const nlohmann::json& j, git_oid& id) {
  if (!j.is_string()) return false;
  const auto& hex = j.get_ref<const std::string&>();
  return hex.size() == GIT_OID_HEXSZ && hex.find_first_not_of("0123456789abcdef") == std::string::npos &&
         git_oid_fromstrn(&id, hex.c_str(), hex.size()) == 0;
}

/// The stored shape of a history scan (HistoryShape) with the digest of the refs and options
/// it was taken at (it belongs to the findings stored with that digest) and its counts.
std::string shape_to_text(const HistoryShape& s, const std::string& digest, const std::string& options,
                          const GitInfo& info) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [id, label] : s.labels) labels[oid_hex(id)] = label;
  nlohmann::json j = {{"digest", digest},
                      {"options", options},
                      {"info", info_to_text(info)},
                      {"primary_tips", oid_list(s.primary_tips)},
                      {"secondary", oid_pairs(s.secondary)},
                      {"labels", std::move(labels)},
                      {"max_time", s.max_time},
                      {"newest", oid_list(s.newest)},
                      {"tags", oid_pairs(s.tags)},
                      {"trees", oid_list(s.trees)},
                      {"blobs", oid_list(s.blobs)}};
  return j.dump();
}

/// Reads what shape_to_text wrote; false for anything damaged (the history is walked whole).
bool shape_from_text(const std::string& text, HistoryShape& s, std::string& digest, std::string& options,
                     GitInfo& info) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return false;
  try {
    digest = j.at("digest").get<std::string>();
    options = j.at("options").get<std::string>();
    if (!info_from_text(j.at("info").get<std::string>(), info)) return false;
    s.max_time = j.at("max_time").get<std::int64_t>();
    auto ids = [](const nlohmann::json& a, std::vector<git_oid>& out) {
      for (const auto& e : a) {
        git_oid id;
        if (!parse_oid(e, id)) return false;
        out.push_back(id);
      }
      return a.is_array();
    };
    auto pairs = [](const nlohmann::json& a, std::vector<std::pair<git_oid, std::string>>& out) {
      for (const auto& e : a) {
        git_oid id;
        if (!e.is_array() || e.size() != 2 || !parse_oid(e[0], id) || !e[1].is_string()) return false;
        out.emplace_back(id, e[1].get<std::string>());
      }
      return a.is_array();
    };
    if (!ids(j.at("primary_tips"), s.primary_tips) || !ids(j.at("newest"), s.newest) ||
        !pairs(j.at("secondary"), s.secondary) || !pairs(j.at("tags"), s.tags) ||
        !ids(j.at("trees"), s.trees) || !ids(j.at("blobs"), s.blobs))
      return false;
    const auto& labels = j.at("labels");
    if (!labels.is_object()) return false;
    for (const auto& [hex, label] : labels.items()) {
      git_oid id;
      if (!parse_oid(hex, id) || !label.is_string()) return false;
      s.labels.emplace(id, label.get<std::string>());
    }
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return true;
}

/// The fields of GitInfo that cost nothing to read again.
void live_info(const GitScanOptions& o, Repo& r, GitInfo& info) {
  info.mode = o.all_objects ? "all-objects" : "history";
  info.repository = r.git_dir;
  info.bare = r.bare;
  if (auto h = resolve_commit(r.repo.get(), "HEAD")) info.head = oid_hex(*h);
  info.web_url = origin_web_url(r.repo.get());
}

struct Losses {
  bool complete = true;
  std::uint64_t skipped = 0, reasons = 0;
};
Losses losses(ScanContext& ctx) {
  return {ctx.info().complete, ctx.stats.snapshot().skipped, ctx.info().incomplete_reasons.size()};
}

}  // namespace

Result<ScanStep> history_step(ScanContext& ctx, const GitScanOptions& opts) {
  if (opts.findings_sink == nullptr) return ctx.make_step();
  return ScanStep::create(ctx.db(), ctx.step_options(), *opts.findings_sink, &ctx.stats);
}

Status scan_history_with_state(const GitScanOptions& opts, Repo& repo, ScanContext& ctx, GitInfo& info) {
  GitStateInfo si;
  si.dir = opts.state_dir;
  std::unique_ptr<state::StateDb> db;
  {
    auto dir = state::prepare_state_dir(opts.state_dir);
    auto opened = dir ? state::StateDb::open(*dir, sha256_hex("contents\n" + state::content_scope_key(ctx)))
                      : Result<std::unique_ptr<state::StateDb>>(dir.error());
    if (!opened) {
      // Never trusted, never fatal: the scan runs whole and says why.
      si.ignored = opened.error().message;
      ctx.stats.warn("--state-dir not used: " + opened.error().message);
      Status st = scan_history(opts, repo, ctx, info);
      info.state = std::move(si);
      return st;
    }
    db = std::move(*opened);
  }
  const bool range =
      !opts.range.empty() || !opts.since.empty() || opts.since_time || !opts.range_tips.empty();
  const bool whole = !range && !opts.all_objects && opts.extra_object_dirs.empty();
  const std::string key = whole ? repo.common_dir + "\n" + repo.git_dir : std::string();
  const std::string digest = whole ? history_digest(opts, repo, ctx) : std::string();
  if (!digest.empty() && db->version(0, "git-history", key) == digest) {
    GitInfo stored;
    if (auto text = db->cursor(0, "git-history-info\n" + key); text && info_from_text(*text, stored)) {
      live_info(opts, repo, stored);
      for (auto& f : db->findings(0, "git-history", key)) ctx.sink().add(std::move(f));
      ctx.stats.commits.fetch_add(stored.commits.value_or(0), std::memory_order_relaxed);
      si.history_reused = true;
      stored.state = std::move(si);
      info = std::move(stored);
      return Status::ok();
    }
  }

  state::ContentCache contents(db->contents());
  state::RecordingSink recorder(ctx.sink());
  GitScanOptions o = opts;
  o.contents = &contents;
  o.findings_sink = &recorder;
  // Something moved: walk only the commits made since the stored scan when its shape says
  // that gives a full walk's findings (HistoryScan::resume), else everything.
  HistoryResume resume;
  HistoryShape base;
  GitInfo base_info;
  std::vector<Finding> base_findings;
  // The options, and the files that rewrite parents (grafts, shallow): a stored shape is only
  // resumed from under the same ones.
  const std::string options = whole ? resume_key(opts, repo, ctx) : std::string();
  if (!digest.empty() && !options.empty()) {
    std::string base_digest, base_options;
    if (auto text = db->cursor(0, "git-history-shape\n" + key);
        text && shape_from_text(*text, base, base_digest, base_options, base_info) &&
        base_options == options && db->version(0, "git-history", key) == base_digest) {
      base_findings = db->findings(0, "git-history", key);
      resume.base = &base;
      resume.findings = &base_findings;
      resume.info = &base_info;
    }
  }
  const Losses before = losses(ctx);
  Status st = scan_history(o, repo, ctx, info, whole ? &resume : nullptr);
  const Losses after = losses(ctx);
  si.blobs_reused = contents.hits();
  si.blobs_scanned = contents.added();
  const bool lossless =
      st && after.complete && after.skipped == before.skipped && after.reasons == before.reasons;
  if (whole) si.walk = resume.resumed ? "new-commits" : "all";
  if (resume.base != nullptr && !resume.resumed) si.full_walk_reason = resume.full_walk_reason;
  if (lossless) {
    // The counts and the shape before the version: a run stopped between them is not reused
    // (the shape names the digest of the findings it belongs to).
    Status saved = contents.save(*db);
    if (saved && !digest.empty()) saved = db->set_cursor(0, "git-history-info\n" + key, info_to_text(info));
    if (saved && !digest.empty())
      saved =
          db->set_cursor(0, "git-history-shape\n" + key, shape_to_text(resume.shape, digest, options, info));
    if (saved && !digest.empty()) saved = db->put(0, "git-history", key, digest, recorder.take());
    if (!saved) ctx.stats.warn("--state-dir: " + saved.error().message);
  }
  info.state = std::move(si);
  return st;
}

}  // namespace glpatrol::git
