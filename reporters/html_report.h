#pragma once
// The html format: one self-contained triage page per scan (docs/reports.md, "html").
//
// Contracts:
// - One file, no network: the CSS and JS are inline constants (reporters/html_assets.cc) and
//   a Content-Security-Policy meta tag allows exactly those two blocks (by SHA-256 hash) and
//   nothing else: no other script, style, image, font, frame, form or connection.
// - Never a raw token: the reporter refuses to run with ReportOptions::show_secrets (a page
//   gets forwarded), so even the scan step's provenance redaction stays on.
// - Every string that came from scanned data (paths, commit subjects, authors, refs, reasons)
//   goes through html_text(): controls, bidi overrides and invalid UTF-8 become visible
//   escapes, and the HTML metacharacters become entities, in text and in attribute values.
// - Bounded: at most HtmlLimits::places_per_card places per token card (the rest is counted)
//   and at most HtmlLimits::cards cards (the remaining tokens are one compact table row each).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "findings/finding.h"
#include "reporters/reporter.h"

namespace glpatrol {

struct HtmlLimits {
  std::size_t places_per_card = 20;  ///< places listed per card; the rest is a count
  std::size_t cards = 1000;          ///< full cards; further tokens get one table row each
  std::size_t table_rows = 20000;    ///< compact rows after the cards; the rest is a count
  std::size_t timeline_rows = 200;   ///< tokens drawn in the timeline (live and severe first)
};

/// Text from anywhere (scanned data included) made safe for HTML text and for quoted
/// attribute values: escape_for_terminal() (controls, bidi, invalid UTF-8 made visible), then
/// & < > " ' and U+2028/U+2029 as character references.
std::string html_text(std::string_view raw);

/// One token: every finding sharing a fingerprint ("<rule_id>:<sha256>").
struct TokenGroup {
  std::string fingerprint;
  std::vector<const Finding*> places;  ///< in report order
  bool live = false;                   ///< some place's verification said "active"
  bool suppressed = false;             ///< every place is suppressed
  bool in_head = false;                ///< some place is still in HEAD (or is a file on disk)
  Severity severity = Severity::Info;  ///< the highest effective severity of its places
};

/// Groups findings by fingerprint, ordered for triage: unsuppressed before suppressed, live
/// before not, then by severity (highest first), then by fingerprint (stable output).
std::vector<TokenGroup> group_tokens(const std::vector<Finding>& findings);

/// One timeline row: a token's dates as Unix seconds.
struct TimelineRow {
  std::string label;   ///< already HTML-safe
  std::string anchor;  ///< card id it links to ("" = none)
  Severity severity = Severity::High;
  bool live = false;
  std::vector<std::int64_t> commits;    ///< commits carrying it, oldest first (>= 1)
  bool in_head = false;                 ///< still in HEAD: the bar runs to the report date
  std::optional<std::int64_t> expires;  ///< verification's expires_at
};

struct TimelineBox {
  double x = 0, y = 0, w = 0, h = 0;
};

/// The layout of the timeline picture: one band per row, never overlapping.
struct TimelineLayout {
  double width = 0, height = 0;
  std::int64_t from = 0, to = 0;  ///< time range of the x axis
  std::vector<TimelineBox> rows;  ///< one band per row (bar + markers stay inside)
};

TimelineLayout layout_timeline(const std::vector<TimelineRow>& rows, std::int64_t now);

/// The inline SVG (no script, no style attribute: CSP-safe); "" for no rows.
std::string timeline_svg(const std::vector<TimelineRow>& rows, std::int64_t now);

/// The stylesheet and the script embedded in every page (hashed into the CSP).
std::string_view html_stylesheet();
std::string_view html_script();

/// The page. Errors when opts.show_secrets is set.
Result<std::unique_ptr<Reporter>> make_html_reporter(const ReportOptions& opts, HtmlLimits limits = {});

}  // namespace glpatrol
