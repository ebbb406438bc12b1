#include "findings/suppress/suppress.h"

#include "findings/report_header.h"

#include <nlohmann/json.hpp>

#include "common/glob.h"
#include "common/read_file.h"

namespace glpatrol {

namespace {

constexpr std::uint64_t kMaxIgnoreFileBytes = 16ull << 20;  // 16 MiB
constexpr std::uint64_t kMaxBaselineBytes = 1024ull << 20;  // 1 GiB

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// An ignore entry's path glob; an entry without one applies to every path.
bool entry_matches(std::string_view path, const std::string& glob) {
  return glob.empty() || path_matches(path, glob);
}

}  // namespace

bool is_fingerprint(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view id = s.substr(0, colon), hex = s.substr(colon + 1);
  if (hex.size() != 64) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

Result<std::vector<IgnoreEntry>> parse_ignore_file(std::string_view text, const std::string& origin) {
  std::vector<IgnoreEntry> out;
  std::size_t lineno = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++lineno;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    const std::string at = origin + ":" + std::to_string(lineno);
    // The reason starts at the first '#' that follows whitespace.
    std::string_view body = line, reason;
    for (std::size_t i = 1; i < line.size(); ++i) {
      if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
        body = trim(line.substr(0, i));
        reason = trim(line.substr(i + 1));
        break;
      }
    }
    std::vector<std::string_view> fields;
    for (std::size_t i = 0; i < body.size();) {
      while (i < body.size() && (body[i] == ' ' || body[i] == '\t')) ++i;
      std::size_t j = i;
      while (j < body.size() && body[j] != ' ' && body[j] != '\t') ++j;
      if (j > i) fields.push_back(body.substr(i, j - i));
      i = j;
    }
    if (fields.empty() || fields.size() > 2)
      return Error::config(at + ": expected '<fingerprint> [path-glob] # reason'");
    if (!is_fingerprint(fields[0]))
      return Error::config(at + ": '" + std::string(fields[0].substr(0, 80)) +
                           "' is not a glpatrol fingerprint (<rule_id>:<sha256 hex>, as printed "
                           "in the JSON report's \"fingerprint\" field)");
    if (reason.empty())
      return Error::config(at +
                           ": missing reason: every entry needs a '# why this is not a "
                           "leak' comment");
    IgnoreEntry e;
    e.fingerprint = std::string(fields[0]);
    if (fields.size() == 2) e.path_glob = std::string(fields[1]);
    e.reason = std::string(reason);
    e.file = origin;
    e.line = lineno;
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<IgnoreEntry>> load_ignore_file(const std::string& path) {
  auto text = read_regular_file(path, kMaxIgnoreFileBytes, "ignore file");
  if (!text) return text.error();
  return parse_ignore_file(*text, path);
}

Result<Baseline> parse_baseline(std::string_view text, const std::string& origin) {
  const std::string what = origin + ": baseline";
  auto doc = parse_report_document(text, what, origin);
  if (!doc) return doc.error();
  Baseline b;
  b.path = origin;
  std::size_t i = 0;
  for (const auto& f : (*doc)["findings"]) {
    // A baseline is untrusted input: a fingerprint that is not a string (null, a number) is an
    // error like a missing one, never an exception (json::value would throw type_error).
    std::string fp;
    if (f.is_object())
      if (const auto it = f.find("fingerprint"); it != f.end() && it->is_string())
        fp = it->get<std::string>();
    if (!is_fingerprint(fp))
      return Error::config(what + ": finding " + std::to_string(i) + " has no valid fingerprint");
    b.fingerprints.insert(fp);
    ++i;
  }
  return b;
}

Result<Baseline> load_baseline(const std::string& path) {
  auto text = read_regular_file(path, kMaxBaselineBytes, "baseline");
  if (!text) return text.error();
  return parse_baseline(*text, path);
}

Suppressor::Suppressor(std::vector<IgnoreEntry> entries, std::optional<Baseline> baseline, bool inline_allow)
    : entries_(std::move(entries)),
      hits_(new std::atomic<std::uint64_t>[entries_.size() + 1]),
      baseline_(std::move(baseline)),
      inline_allow_(inline_allow) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    hits_[i].store(0);
    by_fp_.emplace(entries_[i].fingerprint, i);
  }
}

bool Suppressor::apply(Finding& f) {
  if (f.suppressed) return true;
  const std::string fp = fingerprint(f);
  // 1. Ignore files: the first entry (in file order) whose glob matches wins.
  auto [lo, hi] = by_fp_.equal_range(fp);
  std::size_t best = entries_.size();
  for (auto it = lo; it != hi; ++it)
    if (it->second < best && entry_matches(f.provenance.path, entries_[it->second].path_glob))
      best = it->second;
  if (best != entries_.size()) {
    hits_[best].fetch_add(1, std::memory_order_relaxed);
    n_ignore_.fetch_add(1, std::memory_order_relaxed);
    const IgnoreEntry& e = entries_[best];
    f.suppressed = Suppression{"ignore-file", e.reason + " (" + e.file + ":" + std::to_string(e.line) + ")"};
    return true;
  }
  // 2. Inline allows.
  if (inline_allow_ && f.inline_allow != InlineAllow::None) {
    n_inline_.fetch_add(1, std::memory_order_relaxed);
    f.suppressed =
        Suppression{"inline", f.inline_allow == InlineAllow::Glpatrol ? "glpatrol:allow on the token's line"
                                                                      : "gitleaks:allow on the token's line"};
    return true;
  }
  // 3. Baseline.
  if (baseline_ && baseline_->fingerprints.count(fp) != 0) {
    n_baseline_.fetch_add(1, std::memory_order_relaxed);
    f.suppressed = Suppression{"baseline", "already in baseline " + baseline_->path};
    return true;
  }
  return false;
}

std::vector<UnusedIgnore> Suppressor::unused() const {
  std::vector<UnusedIgnore> out;
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (hits_[i].load() == 0)
      out.push_back({entries_[i].file, entries_[i].line, entries_[i].fingerprint, entries_[i].path_glob});
  return out;
}

std::uint64_t Suppressor::count(std::string_view kind) const {
  if (kind == "ignore-file") return n_ignore_.load();
  if (kind == "inline") return n_inline_.load();
  if (kind == "baseline") return n_baseline_.load();
  return 0;
}

}  // namespace glpatrol
