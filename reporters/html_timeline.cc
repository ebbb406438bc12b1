// The html format's timeline: one band per token on a shared time axis, drawn at report
// time as inline SVG (readable without JS, printable). Contracts: bands never overlap (each
// row owns [y, y+h) and everything of the row is drawn inside it); the SVG uses presentation
// attributes and classes only (no style attribute, no script), so the page's CSP holds;
// labels arrive HTML-safe from the caller.
#include <fmt/format.h>

#include <algorithm>

#include "common/time.h"
#include "reporters/html_report.h"

namespace glpatrol {

namespace {

constexpr double kWidth = 960, kLabel = 250, kRight = 24, kTop = 30, kRow = 22, kBottom = 20;
constexpr std::int64_t kDay = 86400;
/// An expiry far in the future would squash the picture: the axis ends at most this long
/// after the report date; later expiries sit on the right edge (their date is in the title).
constexpr std::int64_t kMaxFuture = 365 * kDay;

std::string day(std::int64_t t) { return iso8601_utc(t).substr(0, 10); }

}  // namespace

TimelineLayout layout_timeline(const std::vector<TimelineRow>& rows, std::int64_t now) {
  TimelineLayout l;
  l.width = kWidth;
  l.height = kTop + kRow * static_cast<double>(rows.size()) + kBottom;
  std::int64_t lo = now, hi = now;
  for (const auto& r : rows) {
    for (auto c : r.commits) lo = std::min(lo, c), hi = std::max(hi, c);
    if (r.expires) hi = std::max(hi, std::min(*r.expires, now + kMaxFuture));
  }
  const std::int64_t pad = std::max<std::int64_t>(kDay, (hi - lo) / 50);
  l.from = lo - pad;
  l.to = hi + pad;
  for (std::size_t i = 0; i < rows.size(); ++i)
    l.rows.push_back({0, kTop + kRow * static_cast<double>(i), kWidth, kRow});
  return l;
}

std::string timeline_svg(const std::vector<TimelineRow>& rows, std::int64_t now) {
  if (rows.empty()) return {};
  const TimelineLayout l = layout_timeline(rows, now);
  const double x0 = kLabel, x1 = kWidth - kRight;
  auto x = [&](std::int64_t t) {
    t = std::clamp(t, l.from, l.to);
    return x0 + (x1 - x0) * static_cast<double>(t - l.from) / static_cast<double>(l.to - l.from);
  };
  std::string s = fmt::format(
      "<svg class=\"tl\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "width=\"{0:.0f}\" height=\"{1:.0f}\" role=\"img\" aria-labelledby=\"tl-t\">"
      "<title id=\"tl-t\">Timeline: when each token was committed, how long it stayed, and its "
      "expiry</title>",
      l.width, l.height);
  // Axis: about six date ticks and the report date.
  for (int i = 0; i <= 6; ++i) {
    const std::int64_t t = l.from + (l.to - l.from) * i / 6;
    const double tx = x(t);
    s += fmt::format(
        "<line class=\"gl\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.0f}\" y2=\"{2:.0f}\"/>"
        "<text class=\"ax\" x=\"{0:.1f}\" y=\"{3:.0f}\" text-anchor=\"{5}\">{4}</text>",
        tx, kTop - 4, l.height - kBottom, kTop - 12, day(t), i == 6 ? "end" : "middle");
  }
  s += fmt::format(
      "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.0f}\" y2=\"{2:.0f}\" stroke=\"#0550ae\" "
      "stroke-dasharray=\"3 3\"/><text class=\"ax\" x=\"{0:.1f}\" y=\"{3:.0f}\" "
      "text-anchor=\"end\">report {4}</text>",
      x(now), kTop - 4, l.height - kBottom, l.height - 6, day(now));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const TimelineRow& r = rows[i];
    const TimelineBox& b = l.rows[i];
    const int sev = static_cast<int>(r.severity);
    const std::int64_t first = r.commits.empty() ? now : r.commits.front();
    const std::int64_t last = r.commits.empty() ? now : r.commits.back();
    const std::int64_t end = r.in_head ? now : last;
    std::string title = fmt::format(
        "{}: first committed {}, {} commit(s) carrying it, {}", r.label, day(first), r.commits.size(),
        r.in_head ? "still in HEAD" : "not in HEAD (left after " + day(last) + ")");
    if (r.expires) title += ", expires " + day(*r.expires);
    if (r.live) title += ", LIVE";
    s += "<g>";
    s += "<title>" + title + "</title>";
    const std::string label = (r.live ? "LIVE " : "") + r.label;
    if (!r.anchor.empty()) s += "<a href=\"#" + r.anchor + "\">";
    s += fmt::format("<text x=\"6\" y=\"{:.0f}\">{}</text>", b.y + 15, label);
    if (!r.anchor.empty()) s += "</a>";
    const double bx = x(first), bw = std::max(2.0, x(end) - bx);
    s += fmt::format(
        "<rect class=\"b{}{}\" x=\"{:.1f}\" y=\"{:.0f}\" width=\"{:.1f}\" height=\"8\" rx=\"2\"/>", sev,
        r.in_head ? "" : " gone", bx, b.y + 7, bw);
    // Commit markers: one per distinct pixel column (hundreds of commits stay bounded).
    double last_x = -10;
    for (auto c : r.commits) {
      const double cx = x(c);
      if (cx - last_x < 3) continue;
      last_x = cx;
      s += fmt::format("<circle class=\"cm\" cx=\"{:.1f}\" cy=\"{:.0f}\" r=\"3\"/>", cx, b.y + 11);
    }
    if (r.expires) {
      const double ex = x(*r.expires), ey = b.y + 11;
      s += fmt::format("<path class=\"exp\" d=\"M{0:.1f} {1:.1f}l5 5l-5 5l-5 -5z\"/>", ex, ey - 5);
    }
    s += "</g>";
  }
  s += "</svg>";
  return s;
}

}  // namespace glpatrol
