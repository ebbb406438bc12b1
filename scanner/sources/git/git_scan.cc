// History and range modes: start points -> commit graph -> introduced blobs -> parallel
// blob scan -> findings with provenance.
#include "common/time.h"
#include "sources/git/git_scan.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <optional>
#include <thread>
#include <unordered_set>

#include "matcher/to_finding.h"
#include "sources/git/blob_scanner.h"
#include "sources/git/git_walk.h"
#include "sources/git/pack_reader.h"

namespace glpatrol {

Status scan_git_staged(const GitScanOptions& opts, GitScanIo& io);  // git_staged.cc

namespace {
bool is_range(const GitScanOptions& o) {
  return !o.range.empty() || !o.since.empty() || !o.range_tips.empty();
}
}  // namespace

std::string git_scan_kind(const GitScanOptions& opts) {
  if (opts.staged) return "staged";
  if (is_range(opts)) return "range";
  return "git";
}

namespace git {

void report_object_fault(GitScanIo& io, const git_oid& id, const std::string& reason,
                         const std::string& detail) {
  io.stats.skip({git_oid_is_zero(&id) ? std::string("<refs>") : oid_hex(id), reason, detail, true});
  io.mark_incomplete("objects of the repository are missing or corrupt (see skipped)", true);
}

Status BlobScanner::start(unsigned jobs) {
  if (jobs == 0) jobs = 1;
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < jobs; ++i) {
    auto repo = reopen(repo_);
    if (!repo) return repo.error();
    git_odb* odb = nullptr;
    if (int rc = git_repository_odb(&odb, repo->get()); rc != 0)
      return git_error("cannot open object database", rc);
    auto m = Matcher::create(io_.db);
    if (!m) return m.error();
    workers.push_back(std::make_unique<Worker>(
        Worker{std::move(*repo), OdbPtr(odb), std::move(*m), {}}));
  }
  std::size_t next = 0;
  pool_ = std::make_unique<WorkPool<Worker>>(
      jobs, [&] { return std::move(workers[next++]); }, 256);
  return Status::ok();
}

void BlobScanner::push(const git_oid& id) {
  pool_->push([this, id](Worker& w) { scan_one(w, id); });
}

void BlobScanner::finish() {
  if (pool_) pool_->finish();
}

void BlobScanner::record(const git_oid& id, std::vector<LocatedMatch>&& matches) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = results_[id];
  slot = std::move(matches);
}

void BlobScanner::scan_one(Worker& w, const git_oid& id) {
  std::size_t len = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  int rc = git_odb_read_header(&len, &type, w.odb.get(), &id);
  if (rc != 0) {
    report_object_fault(io_, id, rc == GIT_ENOTFOUND ? "missing-object" : "corrupt-object",
                        "blob: " + last_git_error_text());
    return;
  }
  if (len > cap_) {
    io_.stats.skip({oid_hex(id), "size", fmt::format("{} bytes (limit {})", len, cap_), false});
    return;
  }
  git_odb_object* raw = nullptr;
  rc = git_odb_read(&raw, w.odb.get(), &id);
  if (rc != 0) {
    report_object_fault(io_, id, rc == GIT_ENOTFOUND ? "missing-object" : "corrupt-object",
                        "blob: " + last_git_error_text());
    return;
  }
  OdbObjectPtr obj(raw);
  const std::string_view data(static_cast<const char*>(git_odb_object_data(raw)),
                              git_odb_object_size(raw));
  io_.stats.blobs.fetch_add(1, std::memory_order_relaxed);
  io_.stats.files.fetch_add(1, std::memory_order_relaxed);
  io_.stats.bytes.fetch_add(data.size(), std::memory_order_relaxed);
  w.out.clear();
  if (auto s = w.matcher.scan(data, w.out); !s) {
    report_object_fault(io_, id, "scan-error", s.error().message);
    return;
  }
  if (!w.out.empty()) record(id, std::move(w.out));
}

namespace {

constexpr std::uint32_t kNone = 0xffffffffu;

std::string first_line(const char* msg) {
  if (msg == nullptr) return {};
  std::string_view m(msg);
  while (!m.empty() && (m.front() == '\n' || m.front() == '\r')) m.remove_prefix(1);
  m = m.substr(0, m.find('\n'));
  if (!m.empty() && m.back() == '\r') m.remove_suffix(1);
  if (m.size() > 200) m = m.substr(0, 200);
  return std::string(m);
}

CommitInfo signature_info(const git_oid& id, const git_signature* sig, const char* message) {
  CommitInfo ci;
  ci.sha = oid_hex(id);
  if (sig != nullptr) {
    ci.author_name = sig->name != nullptr ? sig->name : "";
    ci.author_email = sig->email != nullptr ? sig->email : "";
    ci.date = iso8601_utc(static_cast<std::int64_t>(sig->when.time));
  }
  ci.message = first_line(message);
  return ci;
}

struct Place {
  std::uint32_t path = kNone;    // index into paths_
  std::uint32_t commit = kNone;  // index into the graph
};

/// One run of history or range mode.
class HistoryScan {
 public:
  HistoryScan(const GitScanOptions& o, GitScanIo& io, Repo& r)
      : opts_(o), io_(io), r_(r), repo_(r.repo.get()),
        fault_([this](const git_oid& id, const std::string& reason, const std::string& detail) {
          report_object_fault(io_, id, reason, detail);
        }),
        differ_(repo_, fault_) {}

  Status run() {
    auto m = Matcher::create(io_.db);
    if (!m) return m.error();
    matcher_.emplace(std::move(*m));
    const bool range_mode = is_range(opts_);
    nlohmann::ordered_json& gx = io_.extra["git"];
    gx["mode"] = range_mode ? "range" : (opts_.all_objects ? "all-objects" : "history");
    gx["repository"] = json_safe(r_.git_dir);
    gx["bare"] = r_.bare;
    head_ = head_commit();
    gx["head"] = head_ ? nlohmann::ordered_json(oid_hex(*head_)) : nlohmann::ordered_json(nullptr);

    StartPoints sp;
    std::vector<git_oid> odb_blobs;
    if (range_mode) {
      if (auto s = setup_range(gx); !s) return s;
    } else {
      sp = collect_start_points(repo_, fault_);
      if (opts_.all_objects) odb_blobs = add_all_objects(repo_, sp, fault_);
      graph_ = collect_commits(repo_, sp.commits, nullptr, r_.shallow, fault_);
      gx["refs"] = sp.refs;
      gx["reflog_entries"] = sp.reflog_entries;
      if (sp.reflog_missing != 0) gx["reflog_entries_pruned"] = sp.reflog_missing;
    }
    note_shallow(gx, range_mode);

    const std::uint64_t cap = opts_.max_blob_size != 0 ? std::min(opts_.max_blob_size, kMaxGitBlobSize)
                                                       : kMaxGitBlobSize;
    scanner_.emplace(r_, io_, cap);
    if (auto s = scanner_->start(io_.jobs); !s) return s;

    // History mode decodes every packed blob in pack order on all workers while this thread
    // walks commits and trees; blobs the packs did not cover (loose, alternates, corrupt)
    // are then read through libgit2, which also reports every fault by object id.
    // (Sharded scans read only their share of blobs, through libgit2.)
    bulk_ = !range_mode && opts_.pack_reader && !opts_.in_shard;
    std::thread bulk_thread;
    if (bulk_) {
      if (auto s = start_bulk(cap, bulk_thread); !s) return s;
    }
    walk_graph();
    if (!range_mode) {
      std::unordered_set<std::string> tag_seen;
      for (const auto& t : sp.tags)
        if (tag_seen.insert(oid_hex(t.tag)).second) scan_tag(t);
      for (const auto& tree : sp.trees)
        differ_.all_blobs(tree, [&](const std::string& path, const git_oid& blob, git_filemode_t) {
          add_place(blob, intern_path(path), kNone);
        });
      for (const auto& blob : sp.blobs) add_place(blob, kNone, kNone);
      std::uint64_t unreachable = 0;
      for (const auto& blob : odb_blobs)
        if (blob_index_.count(blob) == 0) {
          ++unreachable;
          add_place(blob, kNone, kNone);
        }
      if (opts_.all_objects) gx["unreachable_blobs"] = unreachable;
    }
    if (bulk_) {
      bulk_thread.join();
      finish_bulk(gx);
    }
    scanner_->finish();

    gx["commits"] = graph_.nodes.size();
    gx["blobs"] = blobs_.size();
    gx["blob_places"] = place_count_;
    if (differ_.gitlinks() != 0) gx["submodule_entries_not_scanned"] = differ_.gitlinks();
    if (opts_.scan_messages) gx["messages_scanned"] = messages_;
    if (range_mode) {
      gx["range"]["commits"] = graph_.nodes.size();
      gx["range"]["blobs"] = blobs_.size();
    }
    emit_findings();
    return Status::ok();
  }

 private:
  static std::string json_safe(const std::string& s) { return s; }

  std::optional<git_oid> head_commit() {
    auto id = git::resolve_commit(repo_, "HEAD");
    if (!id) return std::nullopt;
    return *id;
  }

  Status setup_range(nlohmann::ordered_json& gx) {
    if (!opts_.range_tips.empty()) return setup_tips(gx);
    std::string spec = opts_.range;
    if (spec.empty()) spec = opts_.since + "..HEAD";
    if (spec.find("...") != std::string::npos)
      return Error::usage("--range '" + spec + "': symmetric ranges (A...B) are not supported; use A..B");
    const auto dots = spec.find("..");
    if (dots == std::string::npos)
      return Error::usage("--range '" + spec + "': expected A..B");
    const std::string a = spec.substr(0, dots);
    std::string b = spec.substr(dots + 2);
    if (a.empty()) return Error::usage("--range '" + spec + "': the lower end is missing");
    if (b.empty()) b = "HEAD";
    auto from = resolve_commit(repo_, a);
    if (!from) return from.error().with_context("--range '" + spec + "'");
    auto to = resolve_commit(repo_, b);
    if (!to) return to.error().with_context("--range '" + spec + "'");
    const OidSet hidden = range_stops(*from, *to);
    graph_ = collect_commits(repo_, {*to}, &hidden, r_.shallow, fault_);
    if (graph_.nodes.empty())
      return Error::usage("--range '" + spec + "' contains no commits (" + b +
                          " is already contained in " + a + "); nothing would be scanned");
    gx["range"] = {{"spec", spec}, {"from", oid_hex(*from)}, {"to", oid_hex(*to)}};
    // A lower end that is not an ancestor of the upper end (force push) widens the range to
    // everything reachable from the upper end only: correct, but worth saying.
    if (!is_ancestor(*from, *to))
      io_.stats.warn("range lower end " + a + " is not an ancestor of " + b +
                     ": scanned every commit reachable from " + b + " but not from " + a);
    return Status::ok();
  }

  /// The commits where the walk from `to` must stop for the range from..to: the parents of
  /// the range's commits that are reachable from `from`. libgit2's revision walk (git's
  /// "uninteresting" marking) finds them without visiting all of `from`'s history, which a
  /// merge-request pipeline on a long history would otherwise pay on every run. libgit2 1.5
  /// does not know shallow boundaries, so a shallow clone (short by nature) and any walk
  /// error use the exhaustive set: every ancestor of `from`.
  OidSet range_stops(const git_oid& from, const git_oid& to) {
    if (r_.shallow.empty()) {
      if (auto range = new_commits(repo_, {to}, {from})) {
        OidSet stops = std::move(range->boundary);
        if (range->commits.count(to) == 0) stops.insert(to);  // to is contained in from: empty range
        return stops;
      }
      git_error_clear();
    }
    return ancestors(repo_, {from}, r_.shallow);
  }

  bool is_ancestor(const git_oid& a, const git_oid& b) {
    if (git_oid_equal(&a, &b)) return true;
    if (r_.shallow.empty()) {
      const int rc = git_graph_descendant_of(repo_, &b, &a);
      if (rc >= 0) return rc == 1;
      git_error_clear();
    }
    return ancestors(repo_, {b}, r_.shallow).count(a) != 0;
  }

  /// Pre-receive: commits reachable from the tips, stopping at (not scanning) the stops.
  Status setup_tips(nlohmann::ordered_json& gx) {
    std::vector<git_oid> tips;
    OidSet stops;
    for (const auto& t : opts_.range_tips) {
      auto id = resolve_commit(repo_, t);
      if (!id) return id.error();
      tips.push_back(*id);
    }
    for (const auto& t : opts_.range_stops) {
      git_oid id;
      if (git_oid_fromstrn(&id, t.c_str(), t.size()) != 0 || t.size() != GIT_OID_HEXSZ)
        return Error::usage("invalid stop commit id '" + t + "'");
      stops.insert(id);
    }
    graph_ = collect_commits(repo_, tips, &stops, r_.shallow, fault_);
    gx["range"] = {{"spec", "pushed"}, {"tips", opts_.range_tips}, {"stops", opts_.range_stops.size()}};
    return Status::ok();
  }

  void note_shallow(nlohmann::ordered_json& gx, bool range_mode) {
    for (const auto& bad : r_.shallow_bad_lines)
      io_.stats.warn("ignored unparsable line in .git/shallow: " + bad);
    if (r_.shallow.empty()) {
      gx["shallow"] = false;
      return;
    }
    std::vector<std::string> reached;
    for (const auto& n : graph_.nodes)
      if (n.shallow_boundary) reached.push_back(oid_hex(n.id));
    std::sort(reached.begin(), reached.end());
    gx["shallow"] = true;
    gx["shallow_boundary_commits"] = reached;
    if (!range_mode || !reached.empty())
      io_.mark_incomplete(
          fmt::format("shallow clone: history behind {} boundary commit(s) is not in the "
                      "repository; content at the boundary is attributed to the boundary commit",
                      range_mode ? reached.size() : r_.shallow.size()),
          false);
  }

  std::uint32_t intern_path(const std::string& p) {
    auto [it, inserted] = path_index_.emplace(p, static_cast<std::uint32_t>(paths_.size()));
    if (inserted) paths_.push_back(&it->first);
    return it->second;
  }

  /// Starts decoding every packed blob on io.jobs workers (a background thread drives them).
  Status start_bulk(std::uint64_t cap, std::thread& thread) {
    for (unsigned i = 0; i < std::max(1u, io_.jobs); ++i) {
      auto m = Matcher::create(io_.db);
      if (!m) return m.error();
      bulk_matchers_.push_back(std::make_unique<Matcher>(std::move(*m)));
      bulk_covered_.emplace_back();
    }
    packs_ = PackSet::open(r_.common_dir + "objects");
    thread = std::thread([this, cap] {
      packs_.for_each_blob(
          static_cast<unsigned>(bulk_matchers_.size()), cap,
          [this](unsigned w, const git_oid& id, std::string_view data) {
            std::vector<LocatedMatch> out;
            if (auto s = bulk_matchers_[w]->scan(data, out); !s) return;  // libgit2 re-reads it
            bulk_covered_[w].emplace_back(id, data.size());
            if (!out.empty()) scanner_->record(id, std::move(out));
          },
          [this](const git_oid& id, std::uint64_t size) {
            std::lock_guard<std::mutex> lock(bulk_mu_);
            too_big_.emplace(id, size);
          });
    });
    return Status::ok();
  }

  /// Accounts for the blobs the packs covered and sends every other reachable blob to the
  /// libgit2 readers (loose objects, alternates, undecodable entries, size skips).
  void finish_bulk(nlohmann::ordered_json& gx) {
    std::unordered_map<git_oid, std::uint64_t, OidHash, OidEq> covered;
    std::uint64_t decoded = 0;
    for (auto& v : bulk_covered_) {
      decoded += v.size();
      for (auto& [id, size] : v) covered.emplace(id, size);
      std::vector<std::pair<git_oid, std::uint64_t>>().swap(v);
    }
    std::uint64_t fallback = 0;
    for (const auto& [id, index] : blob_index_) {
      if (auto c = covered.find(id); c != covered.end()) {
        io_.stats.blobs.fetch_add(1, std::memory_order_relaxed);
        io_.stats.files.fetch_add(1, std::memory_order_relaxed);
        io_.stats.bytes.fetch_add(c->second, std::memory_order_relaxed);
        continue;
      }
      if (too_big_.count(id) == 0) ++fallback;
      scanner_->push(id);
    }
    gx["pack_reader"] = {{"packs", packs_.pack_count()},
                         {"inflate", inflate_backend()},
                         {"blobs_decoded", decoded},
                         {"blobs_read_by_libgit2", fallback}};
  }

  void add_place(const git_oid& blob, std::uint32_t path, std::uint32_t commit) {
    auto [it, inserted] = blob_index_.emplace(blob, static_cast<std::uint32_t>(blobs_.size()));
    if (inserted) {
      blobs_.push_back({});
      if (!bulk_ && !opts_.in_shard) scanner_->push(blob);
    }
    // --shard: a blob is scanned by each shard that owns one of its paths (findings fold per
    // token and path, so every version of a path must meet in one shard); emit_findings
    // keeps only this shard's places.
    if (opts_.in_shard && shard_pushed_.count(it->second) == 0 && opts_.in_shard(shard_key(blob, path))) {
      shard_pushed_.insert(it->second);
      scanner_->push(blob);
    }
    const std::uint64_t key = (static_cast<std::uint64_t>(it->second) << 32) | path;
    if (!place_seen_.insert(key).second) return;  // first introduction wins
    blobs_[it->second].push_back({path, commit});
    ++place_count_;
  }

  void walk_graph() {
    std::vector<git_oid> parent_trees;
    for (const std::uint32_t ci : graph_.order) {
      const CommitNode& n = graph_.nodes[ci];
      io_.stats.commits.fetch_add(1, std::memory_order_relaxed);
      if (opts_.scan_messages) scan_commit_message(ci);
      parent_trees.clear();
      for (const auto& p : n.parents) {
        auto it = graph_.index.find(p);
        git_oid t;
        if (it != graph_.index.end()) parent_trees.push_back(graph_.nodes[it->second].tree);
        else if (commit_tree(repo_, p, &t)) parent_trees.push_back(t);
      }
      differ_.introduced(n.tree, parent_trees,
                         [&](const std::string& path, const git_oid& blob, git_filemode_t) {
                           add_place(blob, intern_path(path), ci);
                         });
    }
  }

  const CommitInfo& commit_info(std::uint32_t ci) {
    auto it = commit_infos_.find(ci);
    if (it != commit_infos_.end()) return it->second;
    const CommitNode& n = graph_.nodes[ci];
    CommitInfo info;
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, repo_, &n.id) == 0) {
      CommitPtr c(raw);
      info = signature_info(n.id, git_commit_author(raw), git_commit_message(raw));
      if (git_commit_parentcount(raw) > 1) info.merge_sha = info.sha;
    } else {
      info.sha = oid_hex(n.id);
    }
    return commit_infos_.emplace(ci, std::move(info)).first->second;
  }

  void scan_text(std::string_view text, const std::string& kind, const std::string& path,
                 const std::function<CommitInfo()>& info) {
    ++messages_;
    std::vector<LocatedMatch> out;
    if (auto s = matcher_->scan(text, out); !s) return;
    for (const auto& lm : out) {
      Finding f = make_finding(io_.db, lm);
      f.location_kind = kind;
      f.path = path;
      f.commit = info();
      message_findings_.push_back(std::move(f));
    }
  }

  void scan_commit_message(std::uint32_t ci) {
    const CommitNode& n = graph_.nodes[ci];
    if (opts_.in_shard && !opts_.in_shard(oid_hex(n.id))) return;
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, repo_, &n.id) != 0) return;
    CommitPtr c(raw);
    const char* msg = git_commit_message_raw(raw);
    if (msg == nullptr) return;
    scan_text(msg, "commit-message", "", [&] { return commit_info(ci); });
  }

  void scan_tag(const TagRef& t) {
    if (opts_.in_shard && !opts_.in_shard(oid_hex(t.tag))) return;
    git_tag* raw = nullptr;
    if (git_tag_lookup(&raw, repo_, &t.tag) != 0) return;
    TagPtr tag(raw);
    const char* msg = git_tag_message(raw);
    if (msg == nullptr) return;
    const std::string name = t.ref_name.empty() ? std::string("refs/tags/") + git_tag_name(raw) : t.ref_name;
    scan_text(msg, "tag-message", name, [&] {
      CommitInfo ci = signature_info(t.tag, git_tag_tagger(raw), msg);
      return ci;
    });
  }

  /// Blob ids of HEAD's tree (for in_head).
  void load_head_blobs() {
    if (head_loaded_) return;
    head_loaded_ = true;
    if (!head_) return;
    git_oid tree;
    if (!commit_tree(repo_, *head_, &tree)) return;
    TreeDiffer d(repo_, [](const git_oid&, const std::string&, const std::string&) {});
    d.all_blobs(tree, [&](const std::string& path, const git_oid& blob, git_filemode_t) {
      head_blobs_.insert(blob);
      head_paths_.emplace(path, blob);
    });
  }

  /// True when HEAD's blob at `path` contains `secret` (range mode: HEAD blobs outside the
  /// range were not scanned, so look directly).
  bool head_path_contains(const std::string& path, const std::string& secret) {
    auto it = head_paths_.find(path);
    if (it == head_paths_.end()) return false;
    git_blob* raw = nullptr;
    if (git_blob_lookup(&raw, repo_, &it->second) != 0) return false;
    GitPtr<git_blob, git_blob_free> blob(raw);
    const std::string_view data(static_cast<const char*>(git_blob_rawcontent(raw)),
                                static_cast<std::size_t>(git_blob_rawsize(raw)));
    return data.find(secret) != std::string_view::npos;
  }

  /// One finding per place where a token entered the history: per (token, path), the blob
  /// whose introducing commit comes first. Later versions of the same file that merely keep
  /// the token (every edit makes a new blob) are folded into it and counted.
  void emit_findings() {
    BlobMatches& hits = scanner_->results();
    if (!hits.empty()) load_head_blobs();
    std::vector<std::uint64_t> rank(graph_.nodes.size(), 0);
    for (std::size_t i = 0; i < graph_.order.size(); ++i) rank[graph_.order[i]] = i;
    struct Candidate {
      Finding f;
      std::uint64_t rank;
    };
    std::vector<Candidate> out;
    std::unordered_set<std::string> head_tokens;
    std::unordered_map<std::string, std::uint64_t> first;  // token + path -> best rank
    for (auto& [blob, matches] : hits) {
      auto bi = blob_index_.find(blob);
      if (bi == blob_index_.end()) continue;
      const bool in_head_blob = head_blobs_.count(blob) != 0;
      for (const Place& p : blobs_[bi->second]) {
        const std::uint64_t r = p.commit != kNone ? rank[p.commit] : ~std::uint64_t{0};
        for (const auto& lm : matches) {
          Finding f = make_finding(io_.db, lm);
          f.location_kind = "blob";
          f.blob_id = oid_hex(blob);
          if (p.path != kNone) f.path = *paths_[p.path];
          if (p.commit != kNone) f.commit = commit_info(p.commit);
          if (in_head_blob) head_tokens.insert(f.secret_sha256);
          if (opts_.in_shard && !opts_.in_shard(shard_key(blob, p.path))) continue;  // other shard
          const std::string key = fold_key(f);
          auto [it, inserted] = first.emplace(key, r);
          if (!inserted && r < it->second) it->second = r;
          out.push_back({std::move(f), r});
        }
      }
    }
    const bool range_mode = is_range(opts_);
    std::uint64_t folded = 0;
    for (auto& c : out) {
      if (first[fold_key(c.f)] != c.rank) {
        ++folded;
        continue;
      }
      Finding& f = c.f;
      bool in_head = head_tokens.count(f.secret_sha256) != 0;
      if (!in_head && range_mode && !f.path.empty()) in_head = head_path_contains(f.path, f.secret);
      f.in_head = in_head;
      io_.add_finding(std::move(f));
    }
    io_.extra["git"]["later_versions_folded"] = folded;
    for (auto& f : message_findings_) io_.add_finding(std::move(f));
  }

  /// Findings with the same key are one leak; blobs without a commit are never folded.
  static std::string fold_key(const Finding& f) {
    std::string k = f.secret_sha256 + '\0' + f.path;
    if (!f.commit) k += '\0' + f.blob_id.value_or("");
    return k;
  }

  /// The --shard key of a place: its path (so all versions of a path meet in one shard), or
  /// the blob id for places without a path.
  std::string shard_key(const git_oid& blob, std::uint32_t path) const {
    return path != kNone ? *paths_[path] : oid_hex(blob);
  }

  const GitScanOptions& opts_;
  GitScanIo& io_;
  Repo& r_;
  git_repository* repo_;
  ObjectFaultFn fault_;
  TreeDiffer differ_;
  std::optional<Matcher> matcher_;
  std::optional<BlobScanner> scanner_;
  std::optional<git_oid> head_;
  CommitGraph graph_;
  std::unordered_map<std::string, std::uint32_t> path_index_;
  std::vector<const std::string*> paths_;
  std::unordered_map<git_oid, std::uint32_t, OidHash, OidEq> blob_index_;
  std::vector<std::vector<Place>> blobs_;
  std::unordered_set<std::uint64_t> place_seen_;
  std::unordered_set<std::uint32_t> shard_pushed_;  ///< --shard: blobs already queued
  std::uint64_t place_count_ = 0;
  std::uint64_t messages_ = 0;
  std::unordered_map<std::uint32_t, CommitInfo> commit_infos_;
  std::vector<Finding> message_findings_;
  bool bulk_ = false;
  PackSet packs_;
  std::vector<std::unique_ptr<Matcher>> bulk_matchers_;
  std::vector<std::vector<std::pair<git_oid, std::uint64_t>>> bulk_covered_;
  std::mutex bulk_mu_;
  std::unordered_map<git_oid, std::uint64_t, OidHash, OidEq> too_big_;
  bool head_loaded_ = false;
  OidSet head_blobs_;
  std::unordered_map<std::string, git_oid> head_paths_;
};

}  // namespace

}  // namespace git

Status scan_git(const GitScanOptions& opts, GitScanIo& io) {
  git::LibGit2 lib;
  git::configure_libgit2(opts.trust_repo_owner);
  if (opts.staged && (is_range(opts) || opts.all_objects || opts.in_shard))
    return Error::usage("--staged cannot be combined with --range, --since or --all-objects");
  if (!opts.range.empty() && !opts.since.empty())
    return Error::usage("--range and --since cannot be combined");
  if (opts.all_objects && (!opts.range.empty() || !opts.since.empty()))
    return Error::usage("--all-objects cannot be combined with --range or --since");
  if (opts.staged) return scan_git_staged(opts, io);
  auto repo = git::open_repository(opts.repo, opts.extra_object_dirs);
  if (!repo) return repo.error();
  git::HistoryScan scan(opts, io, *repo);
  return scan.run();
}

}  // namespace glpatrol
