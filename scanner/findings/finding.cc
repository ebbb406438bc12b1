#include "findings/finding.h"

#include <fmt/format.h>

#include "common/encoding.h"

#include <tuple>

namespace glpatrol {

std::string_view to_string(SourceKind k) {
  switch (k) {
    case SourceKind::File:
      return "file";
    case SourceKind::Stdin:
      return "stdin";
    case SourceKind::GitBlob:
      return "blob";
    case SourceKind::CommitMessage:
      return "commit-message";
    case SourceKind::TagMessage:
      return "tag-message";
    case SourceKind::Path:
      return "path";
    case SourceKind::CommitHeader:
      return "commit-header";
    case SourceKind::GitLabItem:
      return "gitlab";
  }
  return "file";
}

std::optional<SourceKind> parse_source_kind(std::string_view s) {
  for (SourceKind k :
       {SourceKind::File, SourceKind::Stdin, SourceKind::GitBlob, SourceKind::CommitMessage,
        SourceKind::TagMessage, SourceKind::Path, SourceKind::CommitHeader, SourceKind::GitLabItem})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

std::string redact_token(std::string_view secret, std::string_view known_prefix) {
  std::string out;
  if (!known_prefix.empty() && secret.substr(0, known_prefix.size()) == known_prefix) {
    out = std::string(known_prefix);
    secret.remove_prefix(known_prefix.size());
  }
  // Show at most 4 body characters, and none of a short body.
  const std::size_t keep = secret.size() >= 16 ? 4 : 0;
  out += secret.substr(0, keep);
  const std::size_t masked = std::min<std::size_t>(secret.size() - keep, 16);
  out.append(masked, '*');
  if (secret.size() - keep > masked) out += "…";
  return out;
}

std::string pseudo_path(SourceKind kind, std::string_view object_id) {
  return fmt::format("{}/{}", to_string(kind), object_id.empty() ? std::string_view("unknown") : object_id);
}

std::string place_name(const Provenance& p) {
  if (!p.path.empty()) return p.path;
  return pseudo_path(p.kind, p.commit    ? std::string_view(p.commit->sha)
                             : p.blob_id ? std::string_view(*p.blob_id)
                                         : std::string_view());
}

std::string place_label(const Finding& f) {
  const Provenance& p = f.provenance;
  const std::string kind(to_string(p.kind));
  std::string where = escape_for_terminal(place_name(p));
  // Archive members (and LFS objects) are places a person opens: "a.war ▸ lib/x.jar ▸ f:1".
  std::string encodings;
  for (const auto& layer : p.decoded) {
    if (!layer.member.empty())
      where += " \u25B8 " + escape_for_terminal(layer.member);
    else
      encodings += (encodings.empty() ? "" : " \u25B8 ") + layer.kind;
  }
  where += fmt::format(":{}:{}", f.line, f.column);
  if (!encodings.empty()) where += " (" + encodings + ")";
  // Pseudo-paths already name their kind; a tag message (path = its ref) and a file name
  // say what they are.
  switch (p.kind) {
    case SourceKind::TagMessage:
    case SourceKind::Path:
      where += fmt::format(" ({})", kind);
      break;
    default:
      break;
  }
  return where;
}

bool finding_less(const Finding& a, const Finding& b) {
  const Provenance& pa = a.provenance;
  const Provenance& pb = b.provenance;
  const std::string ca = pa.commit ? pa.commit->sha : std::string();
  const std::string cb = pb.commit ? pb.commit->sha : std::string();
  const std::string_view ka = to_string(pa.kind), kb = to_string(pb.kind);
  return std::tie(pa.path, a.line, a.column, a.rule_id, ca, ka) <
         std::tie(pb.path, b.line, b.column, b.rule_id, cb, kb);
}

std::string reach_summary(const Reach& r) {
  auto plural = [](std::uint64_t n, const char* what) {
    return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
  };
  // "+": that list was cut at its bound (the total may be larger still when pages were left).
  auto more = [&r](const std::vector<ReachEntry>& l, std::uint64_t total) {
    return l.size() < total || (r.truncated && l.size() >= kMaxReachEntries) ? "+" : "";
  };
  std::size_t maintainer = 0;
  bool levels_known = false;
  for (const auto* list : {&r.groups, &r.projects})
    for (const auto& e : *list)
      if (e.access_level) {
        levels_known = true;
        maintainer += *e.access_level >= 40 ? 1 : 0;
      }
  std::string s = "reaches " + plural(r.groups_total, "group") + more(r.groups, r.groups_total) + ", " +
                  plural(r.projects_total, "project") + more(r.projects, r.projects_total);
  if (levels_known)
    s += fmt::format(" (maintainer on {}{})", maintainer, r.truncated ? " of those listed" : "");
  s += " via " + (r.method.empty() ? std::string("unknown") : r.method);
  return s;
}

}  // namespace glpatrol
