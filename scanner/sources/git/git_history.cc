// History and range modes: start points -> commit graph -> introduced blobs -> parallel blob
// scan (pack pass + libgit2 reader) -> findings with provenance (git_emit.cc).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "common/glob.h"
#include "common/time.h"
#include "sources/git/history.h"
#include "sources/git/messages.h"
#include "sources/git/pack_reader.h"
#include "state/content_cache.h"

namespace glpatrol::git {

std::uint32_t PlaceIndex::intern_path(const std::string& p) {
  auto [it, inserted] = path_index_.emplace(p, static_cast<std::uint32_t>(paths_.size()));
  if (inserted) paths_.push_back(&it->first);
  return it->second;
}

namespace {

/// Mixes the id's first 8 bytes (ids are uniform, but a crafted history can choose prefixes;
/// the multiply spreads them over the table).
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

std::uint64_t oid_word(const git_oid& id) {
  std::uint64_t w;
  std::memcpy(&w, id.id, sizeof w);
  return w;
}

}  // namespace

std::size_t OidIndex::slot_of(const git_oid& id) const {
  const std::size_t mask = slots_.size() - 1;
  std::size_t at = static_cast<std::size_t>(mix(oid_word(id))) & mask;
  while (slots_[at] != kNone && !git_oid_equal(&ids_[slots_[at]], &id)) at = (at + 1) & mask;
  return at;
}

std::pair<std::uint32_t, bool> OidIndex::insert(const git_oid& id) {
  if ((ids_.size() + 1) * 2 > slots_.size()) {  // at most half full: short probe sequences
    std::vector<std::uint32_t> grown(std::max<std::size_t>(64, slots_.size() * 2), kNone);
    slots_.swap(grown);
    const std::size_t mask = slots_.size() - 1;
    for (std::uint32_t i = 0; i < ids_.size(); ++i) {
      std::size_t at = static_cast<std::size_t>(mix(oid_word(ids_[i]))) & mask;
      while (slots_[at] != kNone) at = (at + 1) & mask;
      slots_[at] = i;
    }
  }
  const std::size_t at = slot_of(id);
  if (slots_[at] != kNone) return {slots_[at], false};
  const auto n = static_cast<std::uint32_t>(ids_.size());
  slots_[at] = n;
  ids_.push_back(id);
  return {n, true};
}

OidIndex::const_iterator OidIndex::find(const git_oid& id) const {
  if (slots_.empty()) return end();
  const std::size_t at = slot_of(id);
  return slots_[at] == kNone ? end() : const_iterator(this, slots_[at]);
}

std::pair<std::uint32_t, bool> PlaceIndex::add_blob(const git_oid& blob) {
  const auto [n, inserted] = index_.insert(blob);
  if (inserted) {
    first_.push_back(kNone);
    last_.push_back(kNone);
  }
  return {n, inserted};
}

bool PlaceIndex::insert_seen(std::uint64_t key) {
  constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  if ((seen_count_ + 1) * 2 > seen_.size()) {
    std::vector<std::uint64_t> old(std::max<std::size_t>(64, seen_.size() * 2), kEmpty);
    old.swap(seen_);
    const std::size_t mask = seen_.size() - 1;
    for (const std::uint64_t k : old) {
      if (k == kEmpty) continue;
      std::size_t at = static_cast<std::size_t>(mix(k)) & mask;
      while (seen_[at] != kEmpty) at = (at + 1) & mask;
      seen_[at] = k;
    }
  }
  const std::size_t mask = seen_.size() - 1;
  std::size_t at = static_cast<std::size_t>(mix(key)) & mask;
  while (seen_[at] != kEmpty) {
    if (seen_[at] == key) return false;
    at = (at + 1) & mask;
  }
  seen_[at] = key;
  ++seen_count_;
  return true;
}

bool PlaceIndex::add_place(std::uint32_t blob, Place place) {
  // (blob, kNone) is ~0 only for blob 0xffffffff, which no index reaches (numbers < 2^32 - 1).
  const std::uint64_t key = (static_cast<std::uint64_t>(blob) << 32) | place.path;
  if (!insert_seen(key)) return false;  // first introduction wins
  const auto at = static_cast<std::uint32_t>(links_.size());
  links_.push_back({place, kNone});
  if (last_[blob] == kNone)
    first_[blob] = at;
  else
    links_[last_[blob]].next = at;
  last_[blob] = at;
  ++place_count_;
  return true;
}

namespace {

/// The largest commit or tree read from the packs (a larger one, if any, is read through
/// libgit2).
constexpr std::uint64_t kMaxPackedObject = 256u << 20;

/// One run of history or range mode over one repository.
class HistoryScan {
 public:
  HistoryScan(const GitScanOptions& o, Repo& r, ScanContext& ctx, GitInfo& info, HistoryResume* resume)
      : opts_(o),
        r_(r),
        repo_(r.repo.get()),
        ctx_(ctx),
        info_(info),
        fault_([this](const git_oid& id, const std::string& reason, const std::string& detail) {
          report_object_fault(ctx_, opts_, id, reason, detail);
        }),
        differ_(repo_, fault_),
        reader_(r, ctx, o),
        resume_(resume) {}

  Status run() {
    auto step = history_step(ctx_, opts_);  // --state-dir records what it sends
    if (!step) return step.error();
    step_.emplace(std::move(*step));
    // --since DATE walks the whole graph but scans only the commits made since then.
    const bool dated = opts_.since_time.has_value();
    const bool range_mode =
        !opts_.range.empty() || !opts_.since.empty() || !opts_.range_tips.empty() || dated;
    info_.mode = range_mode ? "range" : (opts_.all_objects ? "all-objects" : "history");
    info_.repository = r_.git_dir;
    info_.bare = r_.bare;
    if (auto h = resolve_commit(repo_, "HEAD")) head_ = *h;
    info_.head = head_ ? std::optional<std::string>(oid_hex(*head_)) : std::nullopt;
    info_.web_url = origin_web_url(repo_);

    StartPoints sp;
    std::vector<git_oid> odb_blobs;
    if (range_mode && !dated) {
      auto g = range_graph(opts_, r_, fault_, ctx_, info_);
      if (!g) return g.error();
      graph_ = std::move(*g);
    } else {
      ctx_.progress.set_phase("refs");
      sp = collect_start_points(repo_, fault_, opts_.reflogs);
      if (opts_.all_objects) odb_blobs = add_all_objects(repo_, sp, fault_);
      ctx_.progress.set_phase("commits");
      resumed_ = resume_ != nullptr && resume_->base != nullptr && !range_mode && resume(sp);
      if (!resumed_) {
        // Commits and trees are read from the packs (packed_objects.h) rather than through
        // libgit2 one object at a time; libgit2 stays the reader of everything the packs do
        // not give. (A resumed walk reads a few objects: not worth parsing every pack index.)
        if (opts_.pack_reader) {
          packed_ = PackedObjects::open(r_.common_dir + "objects", kMaxPackedObject);
          differ_.use_packs(packed_.get());
        }
        graph_ = collect_commits(repo_, sp.commits, nullptr, r_.shallow, fault_, packed_.get());
        only_via_ = reachable_only_via(graph_, sp);
      }
      info_.refs = sp.refs;
      info_.reflog_entries = sp.reflog_entries;
      if (sp.reflog_missing != 0) info_.reflog_entries_pruned = sp.reflog_missing;
      if (dated) {
        GitRangeInfo range;
        range.spec = "since " + iso8601_utc(*opts_.since_time);
        info_.range = std::move(range);
      }
    }
    note_shallow(range_mode);
    if (resume_ != nullptr && !range_mode) record_shape(sp);

    if (auto s = reader_.start(ctx_.jobs()); !s) return s;
    sharded_ = opts_.shard_by_path && ctx_.shard().active();
    // History mode decodes every packed blob in pack order on all workers while this thread
    // walks commits and trees; blobs the packs did not cover go to the libgit2 reader.
    // (Sharded scans read only their share of blobs, through libgit2. With blobs stored by
    // --state-dir, decoding every packed blob would cost what the state saves: each blob the
    // walk reaches is looked up, and only new ones are read.)
    std::optional<PackPass> pack;
    const bool stored_blobs = opts_.contents != nullptr && opts_.contents->stored() != 0;
    if (!range_mode && opts_.pack_reader && !sharded_ && !stored_blobs) {
      pack.emplace(r_, ctx_, opts_, reader_);
      if (auto s = pack->start(packed_ ? &packed_->packs() : nullptr); !s) return s;
    }
    bulk_ = pack.has_value();
    MessageScanner messages(repo_, *step_, opts_);
    messages.use_packs(packed_.get());
    names_.emplace(*step_, opts_, ctx_);
    ctx_.progress.begin_phase("walk", "commits", graph_.order.size());
    walk_graph(messages);
    if (!range_mode) {
      // Resumed: the stored tags' messages and the refs naming trees or blobs (the same as
      // before, or the walk would not have resumed) are in the stored findings.
      std::unordered_set<std::string> tag_seen;
      if (resumed_)
        for (const auto& [id, name] : resume_->base->tags) tag_seen.insert(oid_hex(id));
      for (const auto& t : sp.tags)
        if (opts_.scan_messages && tag_seen.insert(oid_hex(t.tag)).second &&
            (!sharded_ || ctx_.in_shard(oid_hex(t.tag))))
          messages.tag(t.tag, t.ref_name);
      if (resumed_) {
        sp.trees.clear();
        sp.blobs.clear();
      }
      for (const auto& tree : sp.trees)
        differ_.all_blobs(tree, [&](const std::string& path, const git_oid& blob, git_filemode_t) {
          add_place(blob, places_.intern_path(path), kNone);
          names_->add(path, kNone);
        });
      for (const auto& blob : sp.blobs) add_place(blob, kNone, kNone);
      std::uint64_t unreachable = 0;
      for (const auto& blob : odb_blobs)
        if (!places_.contains(blob)) {
          ++unreachable;
          add_place(blob, kNone, kNone);
        }
      if (opts_.all_objects) info_.unreachable_blobs = unreachable;
    }
    ctx_.progress.begin_phase("blobs", "blobs", places_.blobs().size());
    if (pack) pack->finish(places_, info_);
    reader_.finish();
    if (auto s = expand_non_blobs(); !s) return s;
    ctx_.progress.set_phase("findings");

    info_.commits = walked_;
    info_.blobs = places_.blobs().size();
    info_.blob_places = places_.place_count();
    if (differ_.gitlinks() != 0) info_.submodule_entries_not_scanned = differ_.gitlinks();
    if (opts_.scan_messages) info_.messages_scanned = messages.scanned();
    if (packed_) {
      if (!info_.pack_reader) {  // no bulk blob pass (sharded, or blobs stored by --state-dir)
        info_.pack_reader.emplace();
        info_.pack_reader->packs = packed_->pack_count();
        info_.pack_reader->inflate = inflate_backend();
      }
      info_.pack_reader->walk_objects_decoded = packed_->hits();
      info_.pack_reader->walk_objects_read_by_libgit2 = packed_->misses();
    }
    if (info_.range) {
      info_.range->commits = walked_;
      info_.range->blobs = places_.blobs().size();
    }
    // Resumed: a name, or a token at a path, that the stored scan reported is not new.
    std::unordered_set<std::string> stored_names, stored_keys, head_tokens;
    if (resumed_)
      for (const Finding& f : *resume_->findings) {
        if (f.provenance.kind == SourceKind::Path)
          stored_names.insert(f.provenance.path + '\0' + f.secret_sha256);
        if (f.provenance.kind == SourceKind::GitBlob) stored_keys.insert(fold_key(f));
      }
    names_->emit(
        [&](std::uint32_t ci) -> std::optional<CommitInfo> {
          if (ci == kNone) return std::nullopt;
          return commit_info(repo_, graph_.nodes[ci].id);
        },
        [&](const Finding& f) {
          return stored_names.count(f.provenance.path + '\0' + f.secret_sha256) != 0;
        });
    EmitInput in{opts_, ctx_, repo_, graph_, places_, reader_.results(), head_, range_mode, &only_via_};
    if (resumed_) {
      in.prior_keys = &stored_keys;
      in.stored = opts_.contents;
      in.head_tokens = &head_tokens;
    }
    emit_history_findings(in, *step_, info_);
    if (resumed_) add_stored(head_tokens);
    return Status::ok();
  }

 private:
  void note_shallow(bool range_mode) {
    for (const auto& bad : r_.shallow_bad_lines)
      ctx_.stats.warn("ignored unparsable line in .git/shallow: " + bad);
    if (r_.shallow.empty()) {
      info_.shallow = false;
      return;
    }
    std::vector<std::string> reached;
    for (const auto& n : graph_.nodes)
      if (n.shallow_boundary) reached.push_back(oid_hex(n.id));
    std::sort(reached.begin(), reached.end());
    info_.shallow = true;
    info_.shallow_boundary_commits = reached;
    if (!range_mode || !reached.empty())
      mark_incomplete(ctx_, opts_,
                      fmt::format("shallow clone: history behind {} boundary commit(s) is not in the "
                                  "repository; content at the boundary is attributed to the boundary commit",
                                  range_mode ? reached.size() : r_.shallow.size()),
                      false);
  }

  /// Builds the graph of the commits made since the stored scan (resume_->base) and returns
  /// true when walking only them gives a full walk's findings and provenance; otherwise
  /// records why in resume_->full_walk_reason and returns false (the caller walks everything).
  /// It does when:
  ///  - every stored start point still reaches what it reached, with the same label: each
  ///    stored primary tip is still named by a branch, tag or HEAD or is the parent of a new
  ///    commit those reach; each stored secondary start point is still there with its kind;
  ///  - no stored commit is now reached by a start point it was not reached by before with a
  ///    better label (a new branch on a commit only the reflog kept): labels of stored
  ///    commits change only where new commits or start points touch them;
  ///  - every new commit is dated after the newest stored one, or in the same second and
  ///    descending from every stored commit of that second, so a full walk would visit every
  ///    stored commit first (parents first, then oldest first; ties among the new commits
  ///    break as in the full walk because the walk below discovers them in the same order),
  ///    and "first introduced" stays with the stored findings;
  ///  - the stored annotated tags (with their ref names) and refs naming trees or blobs are
  ///    unchanged, and the repository is not shallow.
  bool resume(const StartPoints& sp) {
    const HistoryShape& base = *resume_->base;
    auto full = [&](std::string why) {
      resume_->full_walk_reason = std::move(why);
      graph_ = {};
      only_via_.clear();
      covered_stored_.clear();
      return false;
    };
    if (opts_.contents == nullptr || resume_->findings == nullptr || resume_->info == nullptr)
      return full("no stored findings");
    if (!r_.shallow.empty()) return full("shallow clone");
    if (ctx_.shard().active()) return full("--shard");
    if (!same_ids(sorted(sp.trees), base.trees) || !same_ids(sorted(sp.blobs), base.blobs))
      return full("a ref names another tree or blob than before");
    std::unordered_map<git_oid, std::string, OidHash, OidEq> tag_names;
    for (const auto& t : sp.tags) tag_names.emplace(t.tag, t.ref_name);
    for (const auto& [id, name] : base.tags)
      if (auto it = tag_names.find(id); it == tag_names.end() || it->second != name)
        return full("an annotated tag was removed or renamed");
    std::unordered_set<std::string> secondary;
    for (const auto& [id, kind] : sp.secondary) secondary.insert(oid_hex(id) + ' ' + kind);
    for (const auto& [id, kind] : base.secondary)
      if (secondary.count(oid_hex(id) + ' ' + kind) == 0)
        return full("a reflog entry, stash or refs/original ref was removed");

    std::vector<git_oid> hidden = base.primary_tips;
    for (const auto& [id, kind] : base.secondary) hidden.push_back(id);
    auto fresh = new_commits(repo_, sp.commits, hidden);
    if (!fresh) {
      git_error_clear();
      return full("the stored history cannot be read: " + fresh.error().message);
    }
    OidSet stops = std::move(fresh->boundary);
    for (const auto& c : sp.commits)
      if (fresh->commits.count(c) == 0) stops.insert(c);
    graph_ = collect_commits(repo_, sp.commits, &stops, r_.shallow, fault_);
    for (const auto& n : graph_.nodes) {
      if (n.time < base.max_time) return full("a new commit is dated before the newest stored one");
      // Dated in the same second as the newest stored commits (scripted commits, a rebase):
      // a full walk still visits those first if they are its ancestors.
      if (n.time == base.max_time)
        for (const auto& c : base.newest)
          if (git_graph_descendant_of(repo_, &n.id, &c) != 1) {
            git_error_clear();
            return full("a new commit is dated in the same second as the newest stored one, not after it");
          }
    }
    only_via_ = reachable_only_via(graph_, sp);

    // The best label with which a new commit or a start point reaches each stored commit it
    // touches (0 = a branch, tag or HEAD; larger = a weaker secondary kind).
    std::unordered_map<git_oid, int, OidHash, OidEq> touched;
    auto touch = [&](const git_oid& id, int rank) {
      auto [it, inserted] = touched.emplace(id, rank);
      if (!inserted) it->second = std::min(it->second, rank);
    };
    for (std::uint32_t i = 0; i < graph_.nodes.size(); ++i)
      for (const auto& p : graph_.nodes[i].parents)
        if (graph_.index.count(p) == 0) {
          touch(p, reach_rank(only_via_[i]));
          if (only_via_[i].empty()) covered_stored_.insert(p);
        }
    for (const auto& c : sp.primary)
      if (graph_.index.count(c) == 0) touch(c, 0);
    for (const auto& [id, kind] : sp.secondary)
      if (graph_.index.count(id) == 0) touch(id, reach_rank(kind));
    for (const auto& [id, rank] : touched) {
      auto it = base.labels.find(id);
      if (rank < (it == base.labels.end() ? 0 : reach_rank(it->second)))
        return full("a commit that only " + it->second + " reached is now reached by a ref");
    }
    for (const auto& m : base.primary_tips)
      if (auto it = touched.find(m); it == touched.end() || it->second != 0)
        return full("a branch or tag no longer reaches what it reached (deleted, reset or rewritten)");
    return true;
  }

  static std::vector<git_oid> sorted(std::vector<git_oid> ids) {
    std::sort(ids.begin(), ids.end(),
              [](const git_oid& a, const git_oid& b) { return git_oid_cmp(&a, &b) < 0; });
    ids.erase(std::unique(ids.begin(), ids.end(),
                          [](const git_oid& a, const git_oid& b) { return git_oid_equal(&a, &b); }),
              ids.end());
    return ids;
  }

  static bool same_ids(const std::vector<git_oid>& a, const std::vector<git_oid>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const git_oid& x, const git_oid& y) { return git_oid_equal(&x, &y); });
  }

  /// The shape the state keeps for the next scan (HistoryShape): this walk's, joined with the
  /// stored one when resumed.
  void record_shape(const StartPoints& sp) {
    HistoryShape& shape = resume_->shape;
    std::vector<char> covered(graph_.nodes.size(), 0);  // a parent of a primary-reachable commit
    for (std::uint32_t i = 0; i < graph_.nodes.size(); ++i)
      if (only_via_.empty() || only_via_[i].empty())
        for (const std::uint32_t p : graph_.nodes[i].in_graph_parents) covered[p] = 1;
    OidSet tips;
    for (const auto& c : sp.primary)
      if (auto it = graph_.index.find(c); it != graph_.index.end() && !covered[it->second]) tips.insert(c);
    if (resumed_) {
      const HistoryShape& base = *resume_->base;
      for (const auto& m : base.primary_tips)
        if (covered_stored_.count(m) == 0) tips.insert(m);
      shape.labels = base.labels;
      shape.max_time = base.max_time;
    }
    shape.primary_tips = sorted({tips.begin(), tips.end()});
    for (std::uint32_t i = 0; i < graph_.nodes.size(); ++i) {
      if (!only_via_.empty() && !only_via_[i].empty()) shape.labels[graph_.nodes[i].id] = only_via_[i];
      shape.max_time = std::max(shape.max_time, graph_.nodes[i].time);
    }
    if (resumed_ && resume_->base->max_time == shape.max_time) shape.newest = resume_->base->newest;
    for (const auto& n : graph_.nodes)
      if (n.time == shape.max_time) shape.newest.push_back(n.id);
    shape.secondary = sp.secondary;
    std::unordered_set<std::string> tag_seen;
    for (const auto& t : sp.tags)
      if (tag_seen.insert(oid_hex(t.tag)).second) shape.tags.emplace_back(t.tag, t.ref_name);
    shape.trees = sorted(sp.trees);
    shape.blobs = sorted(sp.blobs);
    resume_->resumed = resumed_;
  }

  /// Resumed: the stored scan's findings again (in_head as of today's HEAD) and its counts
  /// added to this walk's.
  void add_stored(const std::unordered_set<std::string>& head_tokens) {
    for (Finding f : *resume_->findings) {
      if (f.provenance.in_head) f.provenance.in_head = head_tokens.count(f.secret_sha256) != 0;
      step_->sink().add(std::move(f));
    }
    const GitInfo& stored = *resume_->info;
    for (auto member :
         {&GitInfo::commits, &GitInfo::blobs, &GitInfo::blob_places, &GitInfo::submodule_entries_not_scanned,
          &GitInfo::messages_scanned, &GitInfo::later_versions_folded})
      if (stored.*member) info_.*member = (info_.*member).value_or(0) + *(stored.*member);
    ctx_.stats.commits.fetch_add(stored.commits.value_or(0), std::memory_order_relaxed);
  }

  void add_place(const git_oid& blob, std::uint32_t path, std::uint32_t commit) {
    const auto [index, inserted] = places_.add_blob(blob);
    if (inserted && !bulk_ && !sharded_) reader_.push(blob);
    // --shard: a blob is read by each shard that owns one of its paths (findings fold per
    // token and path, so every version of a path must meet in one shard); the emit step keeps
    // only this shard's places.
    if (sharded_ && shard_pushed_.count(index) == 0 &&
        ctx_.in_shard(path != kNone ? places_.path(path) : oid_hex(blob))) {
      shard_pushed_.insert(index);
      reader_.push(blob);
    }
    places_.add_place(index, {path, commit});
  }

  /// Ids that tree entries gave as files but that name trees or commits (found by the blob
  /// reader, which scanned their bytes): the files below them are content too, at the entry's
  /// path and commit. Walked after the main read, in rounds (what they hold may be mistyped
  /// again), each id once.
  Status expand_non_blobs() {
    std::vector<git_oid> pending = reader_.take_non_blobs();
    OidSet expanded;
    while (!pending.empty()) {
      BlobReader extra(r_, ctx_, opts_);
      if (auto s = extra.start(ctx_.jobs()); !s) return s;
      for (const git_oid& id : pending) {
        if (!expanded.insert(id).second) continue;
        git_oid tree = id;
        git_object* raw = nullptr;
        if (git_object_lookup(&raw, repo_, &id, GIT_OBJECT_ANY) != 0) continue;  // reported by the reader
        ObjectPtr obj(raw);
        if (git_object_type(raw) == GIT_OBJECT_COMMIT)
          tree = *git_commit_tree_id(reinterpret_cast<git_commit*>(raw));
        std::vector<Place> at;
        if (auto bi = places_.blobs().find(id); bi != places_.blobs().end())
          for (const Place& p : places_.places(bi->second)) at.push_back(p);
        if (at.empty()) at.push_back({kNone, kNone});
        for (const Place& p : at) {
          const std::string base = p.path != kNone ? places_.path(p.path) + "/" : std::string();
          differ_.all_blobs(tree, [&](const std::string& sub, const git_oid& blob, git_filemode_t) {
            const std::string path = base + sub;
            names_->add(path, p.commit);
            if (!opts_.exclude_globs.empty() && path_excluded(path, opts_.exclude_globs)) return;
            const auto [index, inserted] = places_.add_blob(blob);
            if (inserted) extra.push(blob);
            places_.add_place(index, {places_.intern_path(path), p.commit});
          });
        }
      }
      extra.finish();
      for (auto& [id, m] : extra.results()) reader_.record(id, m);
      pending = extra.take_non_blobs();
    }
    return Status::ok();
  }

  void walk_graph(MessageScanner& messages) {
    std::vector<git_oid> parent_trees;
    std::uint64_t in_range = 0;
    for (const std::uint32_t ci : graph_.order) {
      const CommitNode& n = graph_.nodes[ci];
      if (opts_.since_time && n.time < *opts_.since_time) continue;  // before --since DATE
      ++in_range;
      ctx_.stats.commits.fetch_add(1, std::memory_order_relaxed);
      ctx_.progress.advance("commits");
      if (opts_.scan_messages && (!sharded_ || ctx_.in_shard(oid_hex(n.id)))) messages.commit(n.id);
      parent_trees.clear();
      for (const auto& p : n.parents) {
        auto it = graph_.index.find(p);
        git_oid t;
        if (it != graph_.index.end())
          parent_trees.push_back(graph_.nodes[it->second].tree);
        else if (commit_tree(repo_, p, &t))
          parent_trees.push_back(t);
      }
      differ_.introduced(n.tree, parent_trees,
                         [&](const std::string& path, const git_oid& blob, git_filemode_t) {
                           names_->add(path, ci);
                           if (!opts_.exclude_globs.empty() && path_excluded(path, opts_.exclude_globs))
                             return;  // --exclude
                           add_place(blob, places_.intern_path(path), ci);
                         });
    }
    walked_ = in_range;
  }

  const GitScanOptions& opts_;
  Repo& r_;
  git_repository* repo_;
  ScanContext& ctx_;
  GitInfo& info_;
  ObjectFaultFn fault_;
  std::unique_ptr<PackedObjects> packed_;  ///< declared before its users below
  TreeDiffer differ_;
  BlobReader reader_;
  std::optional<ScanStep> step_;
  std::optional<PathNames> names_;
  std::optional<git_oid> head_;
  CommitGraph graph_;
  std::vector<std::string> only_via_;  ///< per graph node, see reachable_only_via
  PlaceIndex places_;
  std::unordered_set<std::uint32_t> shard_pushed_;
  bool bulk_ = false, sharded_ = false;
  std::uint64_t walked_ = 0;  ///< commits scanned (all of the graph but for --since DATE)
  HistoryResume* resume_;
  bool resumed_ = false;   ///< only the commits made since resume_->base were walked
  OidSet covered_stored_;  ///< resumed: stored commits that a new primary-reachable commit has as parent
};

}  // namespace

Status scan_history(const GitScanOptions& opts, Repo& repo, ScanContext& ctx, GitInfo& info,
                    HistoryResume* resume) {
  HistoryScan scan(opts, repo, ctx, info, resume);
  return scan.run();
}

}  // namespace glpatrol::git
