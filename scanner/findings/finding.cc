#include "findings/finding.h"

#include <tuple>

namespace glpatrol {

std::string_view to_string(Checksum c) {
  switch (c) {
    case Checksum::None: return "";
    case Checksum::Absent: return "absent";
    case Checksum::Valid: return "valid";
    case Checksum::Invalid: return "invalid";
  }
  return "";
}

std::string redact_token(std::string_view secret, std::string_view known_prefix) {
  std::string out;
  std::size_t keep = 0;
  if (!known_prefix.empty() && secret.substr(0, known_prefix.size()) == known_prefix) {
    out = std::string(known_prefix);
    secret.remove_prefix(known_prefix.size());
  }
  // Show at most 4 body characters, and none of a short body.
  keep = secret.size() >= 16 ? 4 : 0;
  out += secret.substr(0, keep);
  const std::size_t masked = std::min<std::size_t>(secret.size() - keep, 16);
  out.append(masked, '*');
  if (secret.size() - keep > masked) out += "…";
  return out;
}

bool finding_less(const Finding& a, const Finding& b) {
  const std::string ca = a.commit ? a.commit->sha : std::string();
  const std::string cb = b.commit ? b.commit->sha : std::string();
  return std::tie(a.path, a.line, a.column, a.rule_id, ca, a.location_kind) <
         std::tie(b.path, b.line, b.column, b.rule_id, cb, b.location_kind);
}

}  // namespace glpatrol
