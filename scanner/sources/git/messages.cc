#include "sources/git/messages.h"

namespace glpatrol::git {

CommitInfo commit_info(git_repository* repo, const git_oid& id) {
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo, &id) != 0) {
    CommitInfo info;
    info.sha = oid_hex(id);
    return info;
  }
  CommitPtr c(raw);
  CommitInfo info = signature_info(id, git_commit_author(raw), git_commit_message(raw));
  if (git_commit_parentcount(raw) > 1) info.merge_sha = info.sha;
  return info;
}

void MessageScanner::emit(const ContentMatches& m, const Provenance& where) {
  std::vector<Finding> out;
  step_.findings(m, where, out);
  for (auto& f : out) step_.sink().add(std::move(f));
}

void MessageScanner::signatures(std::initializer_list<const git_signature*> sigs,
                                const std::function<const Provenance&()>& where_of) {
  std::string text;
  for (const git_signature* sig : sigs) {
    if (sig == nullptr) continue;
    const std::string line = std::string(sig->name != nullptr ? sig->name : "") + " <" +
                             (sig->email != nullptr ? sig->email : "") + ">";
    if (text.find(line) == std::string::npos) text += line + "\n";  // committer == author: once
  }
  auto found = step_.match(text);
  if (!found || !*found) return;
  const Provenance& where = where_of();
  Provenance p = where;
  p.kind = SourceKind::CommitHeader;
  p.path = place_path(opts_, pseudo_path(SourceKind::CommitHeader, where.commit ? where.commit->sha : ""));
  emit(**found, p);
}

void MessageScanner::commit(const git_oid& id) {
  if (packed_ != nullptr) {
    if (!packed_commit_) packed_commit_ = std::make_unique<PackedObjects::Commit>();
    if (packed_->read_commit(id, *packed_commit_)) {
      const auto& c = *packed_commit_;
      commit_text(id, c.fields.message_raw, c.author.get(), c.committer.get(), c.fields.parents.size() > 1);
      return;
    }
  }
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo_, &id) != 0) return;  // the walk reported it
  CommitPtr c(raw);
  const char* msg = git_commit_message_raw(raw);
  if (msg == nullptr) return;
  commit_text(id, msg, git_commit_author(raw), git_commit_committer(raw), git_commit_parentcount(raw) > 1);
}

void MessageScanner::commit_text(const git_oid& id, std::string_view message_raw, const git_signature* author,
                                 const git_signature* committer, bool merge) {
  ++scanned_;
  Provenance where;
  where.kind = SourceKind::CommitMessage;
  where.repository = opts_.repository_label;
  auto info = [&] {
    // git_commit_message(): the raw message without its leading newlines.
    std::string_view m = message_raw;
    while (!m.empty() && m.front() == '\n') m.remove_prefix(1);
    where.commit = signature_info(id, author, std::string(m).c_str());
    if (merge) where.commit->merge_sha = where.commit->sha;
  };
  auto found = step_.match(message_raw);
  if (found && *found) {
    info();
    where.path = place_path(opts_, pseudo_path(SourceKind::CommitMessage, where.commit->sha));
    attach_source(opts_, where, {});
    emit(**found, where);
  }
  // The provenance is built only for text that matched (most commits have no finding).
  signatures({author, committer}, [&]() -> const Provenance& {
    if (!where.commit) {
      info();
      attach_source(opts_, where, {});
    }
    return where;
  });
}

void MessageScanner::tag(const git_oid& id, const std::string& ref_name) {
  git_tag* raw = nullptr;
  if (git_tag_lookup(&raw, repo_, &id) != 0) return;
  TagPtr tag(raw);
  const char* msg = git_tag_message(raw);
  if (msg == nullptr) return;
  ++scanned_;
  Provenance where;
  where.kind = SourceKind::TagMessage;
  where.repository = opts_.repository_label;
  where.path = place_path(opts_, ref_name.empty() ? std::string("refs/tags/") + git_tag_name(raw) : ref_name);
  where.commit = signature_info(id, git_tag_tagger(raw), msg);
  attach_source(opts_, where, {});
  auto found = step_.match(msg);
  if (found && *found) emit(**found, where);
  signatures({git_tag_tagger(raw)}, [&]() -> const Provenance& { return where; });
}

void PathNames::add(const std::string& path, std::uint32_t tag) {
  const bool sharded = opts_.shard_by_path && ctx_.shard().active();
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string_view prefix(path.data(), end);
    if (seen_.insert(std::hash<std::string_view>{}(prefix)).second && (!sharded || ctx_.in_shard(prefix))) {
      auto found = step_.match(std::string_view(path).substr(start, end - start));
      if (found && *found) hits_.push_back({std::string(prefix), std::move(*found), tag});
    }
    start = end + 1;
  }
}

void PathNames::emit(const std::function<std::optional<CommitInfo>(std::uint32_t tag)>& commit_of,
                     const std::function<bool(const Finding&)>& reported) {
  std::vector<Finding> out;
  for (const auto& h : hits_) {
    Provenance where;
    where.kind = SourceKind::Path;
    where.path = place_path(opts_, h.path);
    where.repository = opts_.repository_label;
    where.commit = commit_of(h.tag);
    attach_source(opts_, where, {});
    out.clear();
    step_.findings(*h.matches, where, out);
    for (auto& f : out)
      if (!reported || !reported(f)) step_.sink().add(std::move(f));
  }
  hits_.clear();
}

}  // namespace glpatrol::git
