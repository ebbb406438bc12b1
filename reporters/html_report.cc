// html: one self-contained triage page (contracts in reporters/html_report.h). Layout, top to
// bottom: the verdict (live tokens first), what was scanned and whether it is complete, totals,
// the timeline, then one card per token (most urgent first) with its places and next steps.
#include "reporters/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "common/encoding.h"
#include "common/time.h"
#include "reporters/hook_message.h"
#include "reporters/report_paths.h"
#include "reporters/units.h"

namespace glpatrol {

namespace {

/// The HTML part of html_text(), for text that is already terminal-safe (clip() output).
std::string html_entities(std::string_view safe) {
  std::string out;
  out.reserve(safe.size() + safe.size() / 8);
  for (std::size_t i = 0; i < safe.size(); ++i) {
    const char c = safe[i];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\xE2':
        // U+2028 / U+2029 (E2 80 A8 / E2 80 A9): harmless in HTML, but never let them reach
        // anything that might one day be treated as script text.
        if (i + 2 < safe.size() && safe[i + 1] == '\x80' &&
            (safe[i + 2] == '\xA8' || safe[i + 2] == '\xA9')) {
          out += safe[i + 2] == '\xA8' ? "&#x2028;" : "&#x2029;";
          i += 2;
          break;
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string html_text(std::string_view raw) {
  return html_entities(escape_for_terminal(raw));  // valid UTF-8, no controls, no bidi first
}

std::vector<TokenGroup> group_tokens(const std::vector<Finding>& findings) {
  std::map<std::string, std::size_t> index;
  std::vector<TokenGroup> groups;
  std::vector<std::size_t> first_seen;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    const std::string fp = fingerprint(f);
    auto [it, added] = index.emplace(fp, groups.size());
    if (added) {
      groups.push_back({fp, {}, false, true, false, Severity::Info});
      first_seen.push_back(i);
    }
    TokenGroup& g = groups[it->second];
    g.places.push_back(&f);
    g.live |= f.verification && f.verification->status == "active";
    g.suppressed &= f.suppressed.has_value();
    g.in_head |= f.provenance.in_head.value_or(!f.provenance.commit.has_value());
    if (!f.suppressed || g.places.size() == 1) g.severity = std::max(g.severity, f.effective_severity());
  }
  std::vector<std::size_t> order(groups.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const TokenGroup &x = groups[a], &y = groups[b];
    return std::make_tuple(x.suppressed, !x.live, -static_cast<int>(x.severity), first_seen[a]) <
           std::make_tuple(y.suppressed, !y.live, -static_cast<int>(y.severity), first_seen[b]);
  });
  std::vector<TokenGroup> out;
  out.reserve(groups.size());
  for (auto i : order) out.push_back(std::move(groups[i]));
  return out;
}

namespace {

/// "sha256-<base64 of the digest>" for a CSP source expression.
std::string csp_hash(std::string_view content) {
  const std::string hex = sha256_hex(content);
  std::string raw;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return "'sha256-" + base64_encode(raw) + "'";
}

/// At most `n` code points of `raw` made terminal-safe (for labels), "…" when cut; pass the
/// result through html_entities(), not html_text() (that would escape the escapes again).
std::string clip(std::string_view raw, std::size_t n) {
  const std::string s = escape_for_terminal(raw);
  std::size_t cps = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && cps++ == n) break;
  }
  return i < s.size() ? s.substr(0, i) + "\u2026" : s;
}

std::string sev_badge(Severity s) {
  return fmt::format("<span class=\"sev s{}\">{}</span>", static_cast<int>(s), to_string(s));
}

/// Where to revoke, with the instance URL when verification named one.
std::string base_url(const TokenGroup& g) {
  for (const Finding* f : g.places)
    if (f->verification &&
        (f->verification->host.rfind("https://", 0) == 0 || f->verification->host.rfind("http://", 0) == 0))
      return f->verification->host;
  return "<your GitLab URL>";
}

/// A web address from a report when it is a plain https URL (checked again here: a merged
/// report's JSON is read back from a file).
std::optional<std::string> checked_web(const std::optional<GitInfo>& g) {
  if (!g || !g->web_url) return std::nullopt;
  const std::string& w = *g->web_url;
  if (w.rfind("https://", 0) != 0 || w.size() > 2048 ||
      w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/._~-") !=
          std::string::npos)
    return std::nullopt;
  return w;
}

/// A GitLab link to the place (blob at its commit and line, or the commit), or nullopt: the
/// scan's repository, or in a multi-repository scan the one the place names (its path is
/// then prefixed with that repository as given).
std::optional<std::string> gitlab_link(const ScanInfo& s, const Finding& f) {
  const Provenance& p = f.provenance;
  if (!p.commit || !is_hex_object_id(p.commit->sha)) return std::nullopt;
  std::optional<std::string> web;
  std::string_view path = p.path;
  if (p.repository.empty()) {
    web = checked_web(s.git);
  } else {
    for (const auto& rep : s.repositories)
      if (rep.repository == p.repository) web = checked_web(rep.git);
    std::string label = p.repository;
    while (label.size() > 1 && label.back() == '/') label.pop_back();
    label += '/';
    if (path.substr(0, label.size()) != label) return std::nullopt;
    path.remove_prefix(label.size());
  }
  if (!web) return std::nullopt;
  switch (p.kind) {
    case SourceKind::GitBlob:
      if (path.empty()) return std::nullopt;
      return fmt::format("{}/-/blob/{}/{}#L{}", *web, p.commit->sha, path_to_uri(path), f.line);
    case SourceKind::CommitMessage:
    case SourceKind::CommitHeader:
      return *web + "/-/commit/" + p.commit->sha;
    default:
      return std::nullopt;
  }
}

class HtmlReporter final : public Reporter {
 public:
  explicit HtmlReporter(HtmlLimits l) : lim_(l) {}
  Status write(const Report& r, std::ostream& out) override;

 private:
  void head(const Report& r, std::string& o) const;
  void summary(const Report& r, const std::vector<TokenGroup>& groups, std::string& o) const;
  void timeline(const Report& r, const std::vector<TokenGroup>& groups, std::string& o) const;
  void card(const Report& r, const TokenGroup& g, std::size_t i, std::string& o) const;
  void place(const ScanInfo& s, const Finding& f, std::string& o) const;
  void compact_rows(const std::vector<TokenGroup>& groups, std::string& o) const;
  HtmlLimits lim_;
};

void HtmlReporter::head(const Report& r, std::string& o) const {
  // The CSP allows exactly the two inline blocks below (by hash) and nothing else: no
  // network (default-src 'none' covers connect/img/font/media/frame), no base/form targets.
  const std::string csp = "default-src 'none'; style-src " + csp_hash(html_stylesheet()) + "; script-src " +
                          csp_hash(html_script()) + "; img-src 'none'; base-uri 'none'; form-action 'none'";
  std::string title = "glpatrol report";
  if (!r.scan.targets.empty()) title += ": " + clip(r.scan.targets.front(), 80);
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  o += "<meta http-equiv=\"Content-Security-Policy\" content=\"" + csp + "\">\n";
  o += "<meta name=\"referrer\" content=\"no-referrer\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<meta name=\"generator\" content=\"" + std::string(kToolName) + " " + html_text(kToolVersion) +
       "\">\n";
  o += "<title>" + html_entities(title) + "</title>\n<style>";
  o += html_stylesheet();
  o += "</style>\n</head>\n<body>\n";
}

void HtmlReporter::summary(const Report& r, const std::vector<TokenGroup>& groups, std::string& o) const {
  const ScanInfo& s = r.scan;
  std::size_t live = 0, open = 0, open_findings = 0, supp_findings = 0;
  std::map<Severity, std::pair<std::size_t, std::size_t>> by_sev;  // tokens, findings
  std::map<std::string, std::size_t> by_status, by_kind;
  for (const auto& g : groups) {
    std::size_t n = 0;
    for (const Finding* f : g.places) f->suppressed ? ++supp_findings : ++n;
    if (g.suppressed) continue;
    ++open;
    open_findings += n;
    live += g.live;
    auto& sv = by_sev[g.severity];
    ++sv.first;
    sv.second += n;
    const Finding& f = *g.places.front();
    ++by_status[g.live           ? std::string("active")
                : f.verification ? f.verification->status
                                 : std::string("not verified")];
    ++by_kind[f.rule_id];
  }
  o += "<header>\n<h1>glpatrol secret scan report</h1>\n<p class=\"meta\">";
  o += html_text(s.kind) + " scan of ";
  for (std::size_t i = 0; i < s.targets.size() && i < 20; ++i)
    o += (i ? ", " : "") + ("<code>" + html_text(s.targets[i]) + "</code>");
  if (s.targets.size() > 20) o += fmt::format(" and {} more", s.targets.size() - 20);
  o += fmt::format(" &middot; finished {} &middot; {:.2f} s &middot; {} {}</p>\n", html_text(s.finished_at),
                   s.duration_seconds, kToolName, html_text(kToolVersion));
  // The verdict first: what to do now.
  if (live != 0)
    o += fmt::format(
        "<p class=\"status bad\" role=\"status\"><strong>{} live token{}</strong>: revoke first "
        "(cards marked LIVE, listed first). {} token{} found in total.</p>\n",
        live, live == 1 ? "" : "s", open, open == 1 ? "" : "s");
  else if (open != 0)
    o += fmt::format(
        "<p class=\"status bad\" role=\"status\"><strong>{} token{} found</strong> in {} place{}.{}</p>\n",
        open, open == 1 ? "" : "s", open_findings, open_findings == 1 ? "" : "s",
        s.verification ? "" : " Not verified: run with <code>--verify</code> to learn which are live.");
  else
    o += "<p class=\"status good\" role=\"status\"><strong>No tokens found.</strong></p>\n";
  if (!s.complete) {
    o += "<p class=\"status bad\"><strong>Incomplete scan</strong>: part of the target was not read, so "
         "\"nothing found\" there means nothing.<br>";
    for (const auto& why : s.incomplete_reasons) o += html_text(why) + "<br>";
    o += "</p>\n";
  } else {
    o += "<p class=\"status good\">Complete: every input the scan was asked to read was read.</p>\n";
  }
  o += "</header>\n<main>\n<section aria-labelledby=\"h-sum\">\n<h2 id=\"h-sum\">Summary</h2>\n<div "
       "class=\"grid\">\n";

  // What was scanned.
  o += "<table><caption class=\"meta\">What was scanned</caption>\n";
  auto row = [&o](std::string_view k, const std::string& v) {
    o += "<tr><th scope=\"row\">" + std::string(k) + "</th><td>" + v + "</td></tr>\n";
  };
  row("scan", html_text(s.kind));
  row("files", std::to_string(s.stats.files));
  if (s.stats.blobs) row("blobs", std::to_string(s.stats.blobs));
  if (s.stats.commits) row("commits", std::to_string(s.stats.commits));
  row("bytes", human_bytes(s.stats.bytes));
  if (s.git) {
    row("git mode", html_text(s.git->mode));
    if (auto web = checked_web(s.git))
      row("web",
          "<a href=\"" + html_text(*web) + "\" rel=\"noopener noreferrer\">" + html_text(*web) + "</a>");
    if (s.git->head) row("HEAD", "<code>" + html_text(s.git->head->substr(0, 12)) + "</code>");
    if (s.git->refs) row("refs", std::to_string(*s.git->refs));
    if (s.git->range) row("range", "<code>" + html_text(s.git->range->spec) + "</code>");
    if (s.git->shallow && *s.git->shallow) row("shallow", "yes: history before the boundary was not scanned");
  }
  if (!s.repositories.empty()) {
    std::size_t failed = 0;
    for (const auto& rep : s.repositories) failed += rep.error.has_value();
    row("repositories", fmt::format("{} ({} could not be scanned)", s.repositories.size(), failed));
  }
  if (s.shard)
    row("shard", fmt::format("{} of {} (by {})", s.shard->index, s.shard->total, html_text(s.shard->by)));
  if (s.merge)
    row("merged",
        fmt::format("{} report(s), {} duplicate(s) removed", s.merge->reports, s.merge->duplicates_removed));
  if (s.ci) row("CI", html_text(s.ci->provider + " " + s.ci->event));
  row("skipped",
      fmt::format("{} ({} error{})", s.stats.skipped, s.stats.errors, s.stats.errors == 1 ? "" : "s"));
  o += "</table>\n";

  // Totals.
  o += "<table><caption class=\"meta\">Open tokens by severity</caption>\n<tr><th scope=\"col\">severity</th>"
       "<th scope=\"col\">tokens</th><th scope=\"col\">places</th></tr>\n";
  for (auto it = by_sev.rbegin(); it != by_sev.rend(); ++it)
    o += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", sev_badge(it->first), it->second.first,
                     it->second.second);
  if (by_sev.empty()) o += "<tr><td colspan=\"3\">none</td></tr>\n";
  if (supp_findings) o += fmt::format("<tr><td>suppressed</td><td></td><td>{}</td></tr>\n", supp_findings);
  o += "</table>\n";
  o += "<table><caption class=\"meta\">Verification (open tokens)</caption>\n";
  if (s.verification) {
    std::string hosts;
    for (const auto& h : s.verification->hosts) hosts += (hosts.empty() ? "" : ", ") + html_text(h);
    row("asked", hosts.empty() ? "-" : hosts);
    if (s.verification->budget_exhausted)
      row("budget", "<span class=\"badge warn\">exhausted: some tokens not checked</span>");
  }
  for (const auto& [k, n] : by_status)
    row(k == "active" ? "<span class=\"badge live\">active</span>" : html_text(k), std::to_string(n));
  if (by_status.empty()) row("-", "nothing to verify");
  o += "</table>\n";
  o += "<table><caption class=\"meta\">Open tokens by kind</caption>\n";
  for (const auto& [k, n] : by_kind) row("<code>" + html_text(k) + "</code>", std::to_string(n));
  if (by_kind.empty()) row("-", "none");
  o += "</table>\n</div>\n";

  // Live tokens, by name, with links: the list to act on today.
  if (live != 0) {
    o += "<h3>Live tokens</h3>\n<ul>\n";
    for (std::size_t i = 0; i < groups.size(); ++i)
      if (groups[i].live && !groups[i].suppressed && i < lim_.cards)
        o += fmt::format("<li><a href=\"#t{}\">{} <code>{}</code></a></li>\n", i,
                         html_text(groups[i].places.front()->rule_name),
                         html_text(groups[i].places.front()->redacted));
    o += "</ul>\n";
  }
  // What was not covered, errors first (bounded).
  if (!s.stats.skips.empty()) {
    std::map<std::string, std::size_t> reasons;
    for (const auto& k : s.stats.skips) ++reasons[k.reason + (k.is_error ? " (error)" : "")];
    o += "<details><summary>Skipped inputs: " + std::to_string(s.stats.skipped) + "</summary>\n<ul>\n";
    for (const auto& [k, n] : reasons) o += "<li>" + html_text(k) + ": " + std::to_string(n) + "</li>\n";
    std::size_t listed = 0;
    for (const auto& k : s.stats.skips) {
      if (!k.is_error || ++listed > 20) continue;
      o += "<li><code>" + html_text(k.path) + "</code>: " + html_text(k.reason) + " (" + html_text(k.detail) +
           ")</li>\n";
    }
    o += "</ul>\n</details>\n";
  }
  if (!s.stats.warnings.empty()) {
    o += "<details><summary>Warnings: " + std::to_string(s.stats.warnings.size()) + "</summary>\n<ul>\n";
    for (std::size_t i = 0; i < s.stats.warnings.size() && i < 50; ++i)
      o += "<li>" + html_text(s.stats.warnings[i]) + "</li>\n";
    o += "</ul>\n</details>\n";
  }
  o += "</section>\n";
}

void HtmlReporter::timeline(const Report& r, const std::vector<TokenGroup>& groups, std::string& o) const {
  const std::int64_t now =
      parse_iso8601(r.scan.finished_at).value_or(parse_iso8601(r.scan.started_at).value_or(0));
  std::vector<TimelineRow> rows;
  std::size_t dated = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const TokenGroup& g = groups[i];
    if (g.suppressed) continue;
    TimelineRow row;
    std::set<std::int64_t> commits;
    for (const Finding* f : g.places) {
      if (f->provenance.commit)
        if (auto t = parse_iso8601(f->provenance.commit->date)) commits.insert(*t);
      if (f->verification && f->verification->expires_at && !row.expires)
        row.expires = parse_iso8601(*f->verification->expires_at);
    }
    if (commits.empty()) continue;
    if (++dated > lim_.timeline_rows) continue;
    row.commits.assign(commits.begin(), commits.end());
    row.label = html_entities(clip(g.places.front()->redacted, 34));
    row.anchor = i < lim_.cards ? "t" + std::to_string(i) : "";
    row.severity = g.severity;
    row.live = g.live;
    row.in_head = g.in_head;
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return;
  o += "<section aria-labelledby=\"h-tl\">\n<h2 id=\"h-tl\">Timeline</h2>\n";
  o += "<p class=\"legend\">One line per token: the bar starts at the first commit that carried it; circles "
       "are commits "
       "carrying it; a solid bar runs on to the report date while the token is still in HEAD, a faded bar "
       "ends at "
       "the last commit that carried it (it left HEAD after that); a diamond is the token's expiry.";
  if (dated > rows.size())
    o += fmt::format(" The {} most urgent of {} tokens are drawn.", rows.size(), dated);
  o += "</p>\n" + timeline_svg(rows, now) + "\n</section>\n";
}

void HtmlReporter::place(const ScanInfo& s, const Finding& f, std::string& o) const {
  const Provenance& p = f.provenance;
  o += "<li><code>" + html_text(place_label(f)) + "</code>";
  if (auto link = gitlab_link(s, f))
    o += " <a href=\"" + html_text(*link) + "\" rel=\"noopener noreferrer\">open in GitLab</a>";
  if (!p.repository.empty())
    o += " <span class=\"meta\">in</span> <code>" + html_text(p.repository) + "</code>";
  if (p.kind != SourceKind::File && p.kind != SourceKind::GitBlob)
    o += " <span class=\"badge\">" + html_text(to_string(p.kind)) + "</span>";
  if (p.in_head)
    o += *p.in_head ? " <span class=\"badge warn\">still in HEAD</span>"
                    : " <span class=\"badge\">not in HEAD (history only)</span>";
  if (f.suppressed) o += " <span class=\"badge\">suppressed: " + html_text(f.suppressed->kind) + "</span>";
  if (p.commit) {
    const CommitInfo& c = *p.commit;
    o += "<br><span class=\"meta\">commit <code>" + html_text(c.sha.substr(0, 12)) + "</code> by " +
         html_text(c.author_name);
    if (!c.author_email.empty()) o += " &lt;" + html_text(c.author_email) + "&gt;";
    o += " on " + html_text(c.date);
    if (!c.message.empty()) o += " &ldquo;" + html_text(c.message) + "&rdquo;";
    if (c.merge_sha) o += " (in merge <code>" + html_text(c.merge_sha->substr(0, 12)) + "</code>)";
    o += "</span>";
  }
  if (!p.refs.empty()) {
    o += "<br><span class=\"meta\">reachable from ";
    for (std::size_t i = 0; i < p.refs.size() && i < 5; ++i)
      o += (i ? ", " : "") + ("<code>" + html_text(p.refs[i]) + "</code>");
    if (p.refs.size() > 5) o += fmt::format(" and {} more", p.refs.size() - 5);
    o += "</span>";
  }
  if (!p.decoded.empty()) {
    o += "<br><span class=\"meta\">reached through ";
    for (std::size_t i = 0; i < p.decoded.size(); ++i) {
      o += (i ? " &#x25B8; " : "") + html_text(p.decoded[i].kind);
      if (!p.decoded[i].member.empty()) o += " <code>" + html_text(p.decoded[i].member) + "</code>";
    }
    o += "</span>";
  }
  o += "</li>\n";
}

void HtmlReporter::card(const Report& r, const TokenGroup& g, std::size_t i, std::string& o) const {
  const Finding& f = *g.places.front();
  std::string paths, first_date;
  std::size_t in_head = 0, history = 0, open = 0;
  for (const Finding* p : g.places) {
    in_head += p->provenance.in_head.value_or(false);
    history += p->provenance.commit.has_value();
    open += !p->suppressed;
    if (p->provenance.commit && (first_date.empty() || p->provenance.commit->date < first_date))
      first_date = p->provenance.commit->date;
  }
  for (std::size_t k = 0; k < g.places.size() && k < lim_.places_per_card; ++k)
    paths += (k ? "\n" : "") + g.places[k]->provenance.path;
  const int sev = static_cast<int>(g.severity);
  o += fmt::format(
      "<article class=\"card c{}{}\" id=\"t{}\" aria-labelledby=\"h-t{}\" data-i=\"{}\" data-sev=\"{}\" "
      "data-kind=\"{}\" data-live=\"{}\" data-supp=\"{}\" data-first=\"{}\" data-date=\"{}\" "
      "data-paths=\"{}\">\n",
      sev, g.suppressed ? " supp" : "", i, i, i, sev, html_text(f.rule_id), g.live ? 1 : 0,
      g.suppressed ? 1 : 0, html_text(f.provenance.path), html_text(first_date), html_text(paths));
  o += fmt::format("<h3 id=\"h-t{}\">{}", i, sev_badge(g.severity));
  if (g.live) o += " <span class=\"badge live\">LIVE</span>";
  if (g.suppressed) o += " <span class=\"badge\">suppressed</span>";
  o += " " + html_text(f.rule_name) + " <code>" + html_text(f.redacted) + "</code></h3>\n<dl>\n";
  o += "<dt>Kind</dt><dd><code>" + html_text(f.rule_id) + "</code>";
  if (f.checksum != Checksum::None) o += " &middot; checksum " + html_text(to_string(f.checksum));
  o += "</dd>\n";
  // The ignore line, ready for .glpatrolignore (the reason is mandatory there).
  o += fmt::format(
      "<dt>Fingerprint</dt><dd class=\"ign\"><code id=\"ign{}\">{} # reason: </code>"
      "<button type=\"button\" data-copy=\"ign{}\" hidden>Copy ignore line</button></dd>\n",
      i, html_text(g.fingerprint), i);
  std::vector<std::string> attrs;
  for (const auto& [k, v] : f.attributes) attrs.push_back(html_text(k) + "=" + html_text(v));
  if (!attrs.empty()) {
    o += "<dt>Payload</dt><dd>";
    for (std::size_t k = 0; k < attrs.size(); ++k) o += (k ? ", " : "") + ("<code>" + attrs[k] + "</code>");
    o += "</dd>\n";
  }
  const Verification* v = nullptr;
  for (const Finding* p : g.places)
    if (p->verification && (!v || p->verification->status == "active")) v = &*p->verification;
  o += "<dt>Verification</dt><dd>";
  if (!v) {
    o += "not verified";
  } else {
    o += v->status == "active" ? "<span class=\"badge live\">active</span>"
                               : "<strong>" + html_text(v->status) + "</strong>";
    if (!v->reason.empty()) o += " (" + html_text(v->reason) + ")";
    if (!v->host.empty()) o += " at " + html_text(v->host);
    if (!v->checked_at.empty()) o += ", checked " + html_text(v->checked_at);
    if (v->token_name) o += "<br>name <code>" + html_text(*v->token_name) + "</code>";
    if (v->username)
      o += "<br>owner <code>" + html_text(*v->username) + "</code>" +
           (v->is_admin.value_or(false) ? " <span class=\"badge warn\">administrator</span>" : "");
    if (!v->scopes.empty()) {
      o += "<br>scopes ";
      for (std::size_t k = 0; k < v->scopes.size(); ++k)
        o += (k ? ", " : "") + ("<code>" + html_text(v->scopes[k]) + "</code>");
    }
    if (v->created_at) o += "<br>created " + html_text(*v->created_at);
    // "never" only when GitLab described the token; an unverifiable one's expiry is unknown.
    if (v->expires_at)
      o += "<br>expires " + html_text(*v->expires_at);
    else if (v->status == "active")
      o += "<br>expires never";
    if (v->last_used_at) o += " &middot; last used " + html_text(*v->last_used_at);
    if (!v->risk_flags.empty()) {
      o += "<br>risks ";
      for (const auto& rf : v->risk_flags) o += " <span class=\"badge warn\">" + html_text(rf) + "</span>";
    }
  }
  o += "</dd>\n";
  if (g.suppressed && f.suppressed)
    o += "<dt>Suppressed</dt><dd>" + html_text(f.suppressed->kind) + ": " + html_text(f.suppressed->reason) +
         "</dd>\n";
  o += fmt::format("<dt>Places</dt><dd>{} place{}", g.places.size(), g.places.size() == 1 ? "" : "s");
  if (history) o += fmt::format(", {} in history, {} still in HEAD", history, in_head);
  o += "<ul class=\"places\">\n";
  for (std::size_t k = 0; k < g.places.size() && k < lim_.places_per_card; ++k)
    place(r.scan, *g.places[k], o);
  o += "</ul>";
  if (g.places.size() > lim_.places_per_card)
    o += fmt::format("<p class=\"meta\">and {} more place{} (the JSON report lists every one)</p>",
                     g.places.size() - lim_.places_per_card,
                     g.places.size() - lim_.places_per_card == 1 ? "" : "s");
  o += "</dd>\n</dl>\n";

  // Next steps: revoke (unless GitLab says it is already dead), then clean up where it sits.
  o += "<div class=\"next\"><strong>Next step</strong><ol>\n";
  const std::string advice = html_text(revoke_advice(r.scan.rules, f.rule_id, base_url(g)));
  if (g.suppressed) {
    o += "<li>Suppressed: nothing to do unless the suppression is wrong.</li>\n";
  } else {
    const std::string status = v ? v->status : "";
    if (status == "active")
      o += "<li><strong>Revoke it now</strong> (GitLab accepted it): " + advice +
           ". Then give its users a new token through a secret store or CI/CD variable.</li>\n";
    else if (status == "revoked" || status == "expired")
      o += "<li>GitLab says it is " + html_text(status) +
           ": no revocation needed. Make sure its replacement is not committed too.</li>\n";
    else
      o += "<li>Revoke or rotate it: " + advice +
           (v ? "." : " (not verified: <code>--verify</code> tells whether it still works).") + "</li>\n";
    if (in_head != 0 || (history == 0 && f.provenance.kind == SourceKind::File))
      o += "<li>Remove it from the current files and read it from a secret store or a masked CI/CD variable "
           "instead.</li>\n";
    if (history != 0)
      o += "<li>It stays in the history of every clone: if the repository is or will be shared, rewrite the "
           "history "
           "(<code>git filter-repo --replace-text</code>) and have clones re-fetched. Revocation, not the "
           "rewrite, is "
           "what makes the leak harmless.</li>\n";
    o += "<li>A false positive or an accepted risk: add the fingerprint line above, with a reason, to "
         "<code>.glpatrolignore</code>.</li>\n";
  }
  o += "</ol></div>\n</article>\n";
  (void)open;
}

void HtmlReporter::compact_rows(const std::vector<TokenGroup>& groups, std::string& o) const {
  if (groups.size() <= lim_.cards) return;
  const std::size_t rest = groups.size() - lim_.cards;
  o += fmt::format(
      "<section id=\"more\" aria-labelledby=\"h-more\">\n<h2 id=\"h-more\">{} more token{}</h2>\n"
      "<p class=\"meta\">Past {} cards, one row per token (same order). The JSON report has every "
      "detail.</p>\n"
      "<table>\n<tr><th scope=\"col\">severity</th><th scope=\"col\">kind</th><th scope=\"col\">token</th>"
      "<th scope=\"col\">places</th><th scope=\"col\">first place</th><th "
      "scope=\"col\">fingerprint</th></tr>\n",
      rest, rest == 1 ? "" : "s", lim_.cards);
  std::size_t shown = 0;
  for (std::size_t i = lim_.cards; i < groups.size() && shown < lim_.table_rows; ++i, ++shown) {
    const TokenGroup& g = groups[i];
    const Finding& f = *g.places.front();
    o += "<tr><td>" + sev_badge(g.severity) + (g.live ? " <span class=\"badge live\">LIVE</span>" : "") +
         "</td><td><code>" + html_text(f.rule_id) + "</code></td><td><code>" + html_text(f.redacted) +
         "</code></td><td>" + std::to_string(g.places.size()) + "</td><td><code>" +
         html_text(place_label(f)) + "</code></td><td><code>" + html_text(g.fingerprint) +
         "</code></td></tr>\n";
  }
  o += "</table>\n";
  if (rest > shown)
    o += fmt::format("<p class=\"meta\">and {} more tokens (see the JSON report)</p>\n", rest - shown);
  o += "</section>\n";
}

Status HtmlReporter::write(const Report& r, std::ostream& out) {
  const std::vector<TokenGroup> groups = group_tokens(r.findings);
  std::string o;
  o.reserve(4096 + r.findings.size() * 600);
  head(r, o);
  summary(r, groups, o);
  timeline(r, groups, o);

  o += fmt::format("<section aria-labelledby=\"h-tok\">\n<h2 id=\"h-tok\">Tokens ({})</h2>\n", groups.size());
  if (!groups.empty()) {
    // Controls start hidden: without JS the page shows every card, in triage order.
    std::set<std::string> kinds;
    for (std::size_t i = 0; i < groups.size() && i < lim_.cards; ++i)
      kinds.insert(groups[i].places.front()->rule_id);
    o += "<form id=\"controls\" role=\"search\" aria-label=\"Filter and sort tokens\" hidden>\n"
         "<label>minimum severity<select id=\"f-sev\"><option value=\"0\">all</option><option "
         "value=\"1\">low</option>"
         "<option value=\"2\">medium</option><option value=\"3\">high</option><option "
         "value=\"4\">critical</option></select></label>\n"
         "<label>kind<select id=\"f-kind\"><option value=\"\">all</option>";
    for (const auto& k : kinds) o += "<option value=\"" + html_text(k) + "\">" + html_text(k) + "</option>";
    o += "</select></label>\n<label>path contains<input id=\"f-path\" type=\"search\" "
         "autocomplete=\"off\"></label>\n"
         "<label class=\"chk\"><input id=\"f-live\" type=\"checkbox\"> live only</label>\n"
         "<label class=\"chk\"><input id=\"f-supp\" type=\"checkbox\" checked> show suppressed</label>\n"
         "<label>sort<select id=\"f-sort\"><option value=\"triage\">triage order</option><option "
         "value=\"severity\">severity</option>"
         "<option value=\"kind\">kind</option><option value=\"path\">path</option><option "
         "value=\"date\">first commit</option></select></label>\n"
         "<output id=\"f-count\" aria-live=\"polite\"></output>\n</form>\n";
  } else {
    o += "<p>None.</p>\n";
  }
  o += "<div id=\"cards\">\n";
  for (std::size_t i = 0; i < groups.size() && i < lim_.cards; ++i) card(r, groups[i], i, o);
  o += "</div>\n</section>\n";
  compact_rows(groups, o);
  o += "</main>\n<footer class=\"meta\"><p>Tokens are redacted: this page never contains a raw token. "
       "Generated by " +
       std::string(kToolName) + " " + html_text(kToolVersion) + ".</p></footer>\n<script>";
  o += html_script();
  o += "</script>\n</body>\n</html>\n";
  out << o;
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Reporter>> make_html_reporter(const ReportOptions& opts, HtmlLimits limits) {
  if (opts.show_secrets)
    return Error::usage(
        "the html report never contains raw tokens (a page gets forwarded): drop --show-secrets, or write "
        "the "
        "raw tokens to a json report in a separate run");
  return std::unique_ptr<Reporter>(std::make_unique<HtmlReporter>(limits));
}

}  // namespace glpatrol
