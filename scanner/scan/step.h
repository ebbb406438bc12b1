#pragma once
// The scan step: the one path from content to finding, the same for every source (files,
// stdin, git blobs, commit and tag messages, staged and pushed content, the GitLab instance
// surfaces):
//
//     content + Provenance --> decoding stage --> Matcher --> make_finding --> FindingSink
//
// The decoding stage (scanner/decode, docs/decoding.md) looks behind encodings and into
// containers, recursively up to StepOptions::max_depth: whole-content UTF-16; base64, percent
// and JSON-escaped runs where the matcher saw an encoded token prefix (a hint);
// zip/jar/tar/gzip/bzip2/xz/zstd/7z containers; Git LFS pointers whose object is in the local
// store. A token found that way keeps its chain in Provenance::decoded, and its line/column
// point at the outermost place a person can open: the encoded run in its file, or, inside an
// archive, the run in the innermost member.
//
// A ScanStep is per-thread state (it owns a Matcher with its Hyperscan scratch); sources get
// one per worker from ScanContext::make_step(). The rule database and the options it reads
// are shared and immutable. Text that came from scanned data and ends up in a finding's
// provenance (paths, commit subjects, authors, ref names) is redacted here, before anything
// truncates or prints it, unless the operator asked for --show-secrets.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/stream.h"
#include "decode/archive.h"
#include "decode/types.h"
#include "findings/collector.h"
#include "findings/finding.h"
#include "findings/stats.h"
#include "matcher/matcher.h"

namespace glpatrol {

/// What the step does beyond matching; fixed for a scan (part of the scan plan).
struct StepOptions {
  bool redact = true;      ///< redact tokens in provenance text (false only with --show-secrets)
  bool decode = true;      ///< the decoding stage (--no-decode turns all of it off)
  bool archives = true;    ///< containers (--no-archives)
  unsigned max_depth = 4;  ///< --max-decode-depth: layers of decoding
  std::uint64_t max_decoded = 256u << 20;  ///< --max-decoded-size: decoded bytes per content
};

/// One match of a content, where a person finds it, and how it was reached.
struct ContentMatch {
  LocatedMatch located;            ///< line/column/offset at the outermost openable place
  std::vector<DecodeLayer> chain;  ///< decoding layers, outside in (empty: plain content)
};

/// Matches found in one content before its places were known (git history decodes blobs in
/// pack order while the tree walk is still finding their paths).
struct ContentMatches {
  std::vector<ContentMatch> matches;
  bool empty() const { return matches.empty(); }
};

class ScanStep {
 public:
  /// Fails when Hyperscan cannot allocate scratch. `stats` receives what the decoding stage
  /// could not open or refused (encrypted members, limits hit); may be null.
  static Result<ScanStep> create(const RuleDb& db, const StepOptions& opts, FindingSink& sink,
                                 ScanStats* stats = nullptr);

  /// Content whose place is known: every finding goes to the sink. Errors only when the
  /// matcher fails (the caller records the content as not scanned).
  Status scan(std::string_view content, const Provenance& where);

  /// scan(), also returning the matches (nullptr when none) for a state that replays them
  /// later (dir --state-dir).
  Result<std::shared_ptr<const ContentMatches>> scan_kept(std::string_view content, const Provenance& where);

  /// Decoding faults (skip records) this step has reported so far: a content whose scan added
  /// one lost coverage and must not be remembered as scanned.
  std::uint64_t faults() const { return faults_; }

  /// A stream (stdin, files too large to hold): bounded memory, chunked with an overlap so a
  /// token across a chunk boundary is found. A stream that starts as a container or as UTF-16
  /// is opened or narrowed as it is read; text encodings inside a stream are not decoded.
  /// Returns the bytes read, or the read error (the findings of what was read are kept).
  Result<std::uint64_t> scan_stream(const ReadFn& read, const Provenance& where);

  /// Content whose places come later: its matches, or nullptr when nothing matched. `label`
  /// names the content in skip records of the decoding stage (a blob id).
  Result<std::shared_ptr<const ContentMatches>> match(std::string_view content, std::string_view label = {});

  /// The findings of earlier matches at one place, appended to `out` (not sent to the sink:
  /// the git source folds the places of one leak first).
  void findings(const ContentMatches& m, const Provenance& where, std::vector<Finding>& out);

  /// `text` from scanned data with every token the rules match replaced by its redacted form
  /// (unchanged with --show-secrets). Cached: commit subjects repeat across findings.
  std::string redact(std::string_view text);

  /// The Git LFS store (a repository's common directory) that pointer files are resolved
  /// against; "" = none (pointers are scanned as text).
  void set_lfs_store(std::string common_dir) { lfs_common_dir_ = std::move(common_dir); }

  const RuleDb& db() const { return matcher_.db(); }
  FindingSink& sink() { return *sink_; }

 private:
  ScanStep(Matcher m, const StepOptions& opts, FindingSink& sink, ScanStats* stats)
      : matcher_(std::move(m)), opts_(opts), sink_(&sink), stats_(stats) {}
  /// Matches of `content` and of everything decoded from it, in `content`'s coordinates.
  Status match_into(std::string_view content, std::string_view name, unsigned depth,
                    decode::DecodeBudget& budget, std::vector<ContentMatch>& out);
  void decode_text(std::string_view content, unsigned depth, std::vector<decode::HintHit> hits,
                   decode::DecodeBudget& budget, std::vector<ContentMatch>& out);
  void open_container(std::string_view content, std::string_view name, unsigned depth,
                      decode::DecodeBudget& budget, std::vector<ContentMatch>& out);
  /// One archive member (`kind` is the container's kind, `outer` the container's place name):
  /// decoded and matched at `depth` when it fits in memory, else streamed through the matcher;
  /// its matches get the member as their outermost decode layer.
  void scan_member(const decode::Member& member, const decode::ReadFn& read, const std::string& kind,
                   const std::string& outer, unsigned depth, decode::DecodeBudget& budget,
                   std::vector<ContentMatch>& out);
  void resolve_lfs(std::string_view content, decode::DecodeBudget& budget, std::vector<ContentMatch>& out);
  Result<std::uint64_t> scan_container_stream(const ReadFn& read, std::string_view head,
                                              const Provenance& where);
  void fault(const decode::Fault& f);
  void emit(const std::vector<ContentMatch>& matches, const Provenance& where);
  Finding make_finding(const ContentMatch& m, const Provenance& where);
  Provenance safe_provenance(const Provenance& where);

  Matcher matcher_;
  StepOptions opts_;
  FindingSink* sink_;
  ScanStats* stats_;
  std::string lfs_common_dir_;
  std::string place_;  ///< what the content being decoded is called in skip records
  std::uint64_t faults_ = 0;
  std::vector<ContentMatch> scratch_;
  std::map<std::string, std::string, std::less<>> redacted_;
};

}  // namespace glpatrol
