#pragma once
// Suppression that does not rot (docs/suppression.md). Everything is keyed by the content
// fingerprint "<rule_id>:<sha256 of the token>" (findings/finding.h), never by positions, so
// entries survive rebases, squashes, line moves and renames, and a *different* token on an
// ignored line is still reported.
//
// Three sources, applied in this order (the first that matches names the suppression):
//   1. ignore files (.glpatrolignore / --ignore-file): "<fingerprint> [path-glob] # reason";
//      the reason is mandatory; entries that matched nothing are reported as unused;
//   2. inline allows (`glpatrol:allow`, `gitleaks:allow` on the token's line), unless
//      disabled (--no-inline-allow, for CI on untrusted contributions);
//   3. a baseline: the fingerprints of a previous glpatrol JSON report.
// Suppressed findings are annotated (Finding::suppressed), never dropped.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/error.h"
#include "findings/finding.h"

namespace glpatrol {

struct IgnoreEntry {
  std::string fingerprint;  ///< "<rule_id>:<64 hex>"
  std::string path_glob;    ///< empty: any path; else fnmatch on the path or a '/'-suffix
  std::string reason;       ///< mandatory, from the '#' comment
  std::string file;         ///< the ignore file it came from
  std::size_t line = 0;     ///< 1-based
};

/// Parses an ignore file. Blank lines and lines starting with '#' are comments. Errors
/// (exit 2) name file and line: a malformed fingerprint, a missing reason, extra fields.
Result<std::vector<IgnoreEntry>> parse_ignore_file(std::string_view text, const std::string& origin);
Result<std::vector<IgnoreEntry>> load_ignore_file(const std::string& path);

/// True for "<rule_id>:<64 lowercase hex>" (rule ids: letters, digits, '.', '_', '-').
bool is_fingerprint(std::string_view s);

/// Fingerprints of a previous glpatrol JSON report (`glpatrol ... -f json`). A file that is
/// not such a report (malformed JSON, another tool's or another schema major's report, a
/// finding without a fingerprint) is an error, never "an empty baseline".
struct Baseline {
  std::string path;
  std::unordered_set<std::string> fingerprints;
};
Result<Baseline> parse_baseline(std::string_view text, const std::string& origin);
Result<Baseline> load_baseline(const std::string& path);

/// An ignore entry that matched no finding in this scan.
struct UnusedIgnore {
  std::string file;
  std::size_t line = 0;
  std::string fingerprint;
  std::string path_glob;
};

/// Applies the three sources to findings. Thread-safe: apply() may be called from scanner
/// threads when findings are streamed (jsonl).
class Suppressor {
 public:
  Suppressor(std::vector<IgnoreEntry> entries, std::optional<Baseline> baseline, bool inline_allow);
  Suppressor(const Suppressor&) = delete;
  Suppressor& operator=(const Suppressor&) = delete;

  /// Sets f.suppressed when a source matches (keeps an existing suppression). Returns
  /// whether the finding is suppressed.
  bool apply(Finding& f);

  std::vector<UnusedIgnore> unused() const;
  std::uint64_t count(std::string_view kind) const;  ///< ignore-file | inline | baseline
  bool inline_allow() const { return inline_allow_; }
  std::size_t entries() const { return entries_.size(); }
  const std::optional<Baseline>& baseline() const { return baseline_; }

 private:
  std::vector<IgnoreEntry> entries_;
  std::unordered_multimap<std::string, std::size_t> by_fp_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> hits_;
  std::optional<Baseline> baseline_;
  bool inline_allow_;
  std::atomic<std::uint64_t> n_ignore_{0}, n_inline_{0}, n_baseline_{0};
};

}  // namespace glpatrol
