// The html report: escaping of scanned data, grouping by token, the CSP, the refusal to
// carry raw tokens, the caps that keep a huge report bounded, and the timeline layout.
#include <doctest/doctest.h>

#include <chrono>
#include <regex>
#include <sstream>

#include "common/encoding.h"
#include "reporters/html_report.h"
#include "support/tokens.h"

using namespace glpatrol;

namespace {

Finding place(const std::string& secret, const std::string& path, Severity sev,
              const std::string& rule = "gitlab.pat") {
  Finding f;
  f.rule_id = rule;
  f.rule_name = "GitLab personal access token";
  f.severity = sev;
  f.secret = secret;
  f.secret_sha256 = sha256_hex(secret);
  f.redacted = redact_token(secret, test::pat_prefix());
  f.provenance.path = path;
  f.line = 3;
  f.column = 7;
  return f;
}

Finding in_commit(Finding f, const std::string& sha, const std::string& date, bool in_head) {
  f.provenance.kind = SourceKind::GitBlob;
  f.provenance.commit = CommitInfo{sha, "Dev", "dev@example.com", date, "add config", std::nullopt};
  f.provenance.in_head = in_head;
  return f;
}

std::string render(const Report& r, HtmlLimits lim = {}) {
  auto rep = make_html_reporter(ReportOptions{}, lim);
  REQUIRE(rep);
  std::ostringstream out;
  REQUIRE((*rep)->write(r, out));
  return out.str();
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

Report base_report() {
  Report r;
  r.scan.kind = "git";
  r.scan.targets = {"."};
  r.scan.started_at = "2026-01-01T00:00:00Z";
  r.scan.finished_at = "2026-01-01T00:00:05Z";
  return r;
}

}  // namespace

TEST_CASE("html_text: metacharacters, line separators, controls, bidi and invalid UTF-8") {
  CHECK(html_text("<script>alert('x')</script>") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  CHECK(html_text("a\"b&c") == "a&quot;b&amp;c");
  CHECK(html_text("</style>") == "&lt;/style&gt;");
  CHECK(html_text("a\u2028b\u2029c") == "a&#x2028;b&#x2029;c");
  CHECK(html_text("bad\xff\xfe") == "bad\\xff\\xfe");
  CHECK(html_text("x\x1b[2Jy\n") == "x\\x1b[2Jy\\n");
  CHECK(html_text("evil\u202Etxt.exe") == "evil\\u{202e}txt.exe");
  CHECK(html_text("caf\u00e9 \u2192 ok") == "caf\u00e9 \u2192 ok");  // other text unchanged
  CHECK(is_valid_utf8(html_text(std::string("\xc3\x28\xa0\xa1", 4))));
}

TEST_CASE("html: grouped by fingerprint, live first, then severity, suppressed last") {
  const std::string a = test::legacy_pat(1), b = test::legacy_pat(2), c = test::legacy_pat(3);
  std::vector<Finding> fs;
  fs.push_back(place(a, "a1.env", Severity::Medium));
  fs.push_back(place(b, "b.env", Severity::Critical));
  fs.push_back(place(a, "a2.env", Severity::Medium));
  fs.push_back(place(a, "a3.env", Severity::Medium, "gitlab.other"));  // same token, other rule
  Finding live = place(c, "c.env", Severity::Low);
  live.verification = Verification{};
  live.verification->status = "active";
  fs.push_back(live);
  Finding quiet = place(test::legacy_pat(4), "d.env", Severity::Critical);
  quiet.suppressed = Suppression{"baseline", "known"};
  fs.push_back(quiet);

  const auto g = group_tokens(fs);
  REQUIRE(g.size() == 5);
  CHECK(g[0].live);
  CHECK(g[0].fingerprint == "gitlab.pat:" + sha256_hex(c));
  CHECK(g[1].severity == Severity::Critical);
  CHECK(g[2].fingerprint == "gitlab.pat:" + sha256_hex(a));
  CHECK(g[2].places.size() == 2);
  CHECK(g[3].fingerprint == "gitlab.other:" + sha256_hex(a));
  CHECK(g[4].suppressed);

  Report r = base_report();
  r.findings = fs;
  const std::string html = render(r);
  // Cards in triage order, the live one first and flagged.
  const auto live_card = html.find("id=\"t0\"");
  REQUIRE(live_card != std::string::npos);
  CHECK(html.find("c.env", live_card) < html.find("b.env", live_card));
  CHECK(html.find("LIVE", live_card) != std::string::npos);
  CHECK(html.find("1 live token") != std::string::npos);
  // The ignore line in .glpatrolignore form.
  CHECK(html.find("gitlab.pat:" + sha256_hex(a) + " # reason: ") != std::string::npos);
}

TEST_CASE("html: refuses --show-secrets, never contains a raw token") {
  ReportOptions show;
  show.show_secrets = true;
  auto refused = make_reporter("html", show);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("--show-secrets") != std::string::npos);
  CHECK_FALSE(make_html_reporter(show));
  CHECK(make_reporter("html", ReportOptions{}));

  const std::string tok = test::routable(7);
  Report r = base_report();
  Finding f = in_commit(place(tok, "conf/app.env", Severity::Critical), std::string(40, 'a'),
                        "2025-03-01T10:00:00Z", true);
  f.attributes = {{"routing.o", "1"}};
  r.findings = {f};
  const std::string html = render(r);
  CHECK(html.find(tok) == std::string::npos);
  CHECK(html.find(tok.substr(6)) == std::string::npos);  // not even the body
  CHECK(html.find(html_text(f.redacted)) != std::string::npos);
}

TEST_CASE("html: strict CSP with the hashes of the one style and the one script") {
  Report r = base_report();
  r.findings = {place(test::legacy_pat(5), "x.env", Severity::High)};
  const std::string html = render(r);
  auto hash = [](std::string_view s) {
    const std::string hex = sha256_hex(s);
    std::string raw;
    for (std::size_t i = 0; i < hex.size(); i += 2)
      raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return base64_encode(raw);
  };
  const std::string csp =
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-" +
      hash(html_stylesheet()) + "'; script-src 'sha256-" + hash(html_script()) + "';";
  CHECK(html.find(csp) != std::string::npos);
  CHECK(html.find("<style>" + std::string(html_stylesheet()) + "</style>") != std::string::npos);
  CHECK(html.find("<script>" + std::string(html_script()) + "</script>") != std::string::npos);
  CHECK(count(html, "<script") == 1);
  CHECK(count(html, "<style") == 1);
  CHECK(count(html, "style=") == 0);  // inline style attributes would be blocked by the CSP
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find(" src=") == std::string::npos);  // no element loads anything
  CHECK(html.find(" href=\"http") == std::string::npos);
  CHECK(html_script().find("</") == std::string::npos);
  CHECK(html_stylesheet().find("</") == std::string::npos);
}

TEST_CASE("html: hostile paths, subjects, authors and refs stay text") {
  const std::string tok = test::legacy_pat(9);
  Report r = base_report();
  r.scan.targets = {"<b>target</b>"};
  Finding f = in_commit(place(tok, "<img src=x onerror=alert(1)>.txt", Severity::High), std::string(40, 'b'),
                        "2025-01-01T00:00:00Z", false);
  f.provenance.commit->message = "</script><script>alert(1)</script> \u2028 \"q\" 'q'";
  f.provenance.commit->author_name = "\"><svg onload=alert(1)>";
  f.provenance.commit->author_email = "a@b\xff";
  f.provenance.refs = {"refs/heads/</style><style>*{display:none}"};
  f.provenance.decoded = {{"zip", "<iframe>.txt", 0}};
  r.findings = {f};
  r.scan.stats.warnings = {"<marquee>warn</marquee>"};
  const std::string html = render(r);
  for (const char* bad :
       {"<img", "<svg onload", "<iframe", "<marquee", "<b>", "</style><style>", "onerror=alert(1)>"})
    CHECK_MESSAGE(html.find(bad) == std::string::npos, bad);
  CHECK(html.find("&lt;img src=x onerror=alert(1)&gt;.txt") != std::string::npos);
  CHECK(
      html.find("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &#x2028; &quot;q&quot; &#39;q&#39;") !=
      std::string::npos);
  CHECK(html.find("a@b\\xff") != std::string::npos);
  CHECK(html.find("<title>glpatrol report: &lt;b&gt;target&lt;/b&gt;</title>") != std::string::npos);
  CHECK(count(html, "<script") == 1);
  CHECK(count(html, "</style>") == 1);
  CHECK(is_valid_utf8(html));
}

TEST_CASE("html: places capped per card with a count; cards capped, the rest as rows") {
  Report r = base_report();
  const std::string tok = test::legacy_pat(11);
  for (int i = 0; i < 30; ++i)
    r.findings.push_back(
        place(tok, std::string("p").append(std::to_string(i)).append(".env"), Severity::High));
  for (int i = 0; i < 5; ++i) r.findings.push_back(place(test::legacy_pat(100 + i), "o.env", Severity::Low));
  HtmlLimits lim;
  lim.places_per_card = 10;
  lim.cards = 2;
  lim.table_rows = 2;
  const std::string html = render(r, lim);
  CHECK(html.find("and 20 more places") != std::string::npos);
  CHECK(count(html, "<article") == 2);
  CHECK(html.find("4 more tokens") != std::string::npos);
  CHECK(html.find("and 2 more tokens (see the JSON report)") != std::string::npos);
}

TEST_CASE("html: history next steps and the timeline") {
  Report r = base_report();
  const std::string a = test::legacy_pat(21), b = test::legacy_pat(22);
  r.findings.push_back(
      in_commit(place(a, "a.env", Severity::Critical), std::string(40, 'c'), "2024-05-01T00:00:00Z", true));
  r.findings.push_back(
      in_commit(place(a, "a.env", Severity::Critical), std::string(40, 'd'), "2024-09-01T00:00:00Z", true));
  Finding gone =
      in_commit(place(b, "old.env", Severity::High), std::string(40, 'e'), "2023-01-01T00:00:00Z", false);
  gone.verification = Verification{};
  gone.verification->status = "revoked";
  gone.verification->expires_at = "2025-06-01";
  r.findings.push_back(gone);
  r.scan.rules = {Rule{}};
  r.scan.rules[0].id = "gitlab.pat";
  r.scan.rules[0].revoke = "User settings > Access tokens ({base}/-/user_settings)";
  const std::string html = render(r);
  CHECK(html.find("<svg class=\"tl\"") != std::string::npos);
  CHECK(html.find("still in HEAD") != std::string::npos);
  CHECK(html.find("not in HEAD (left after 2023-01-01)") != std::string::npos);
  CHECK(html.find("User settings &gt; Access tokens (&lt;your GitLab URL&gt;/-/user_settings)") !=
        std::string::npos);
  CHECK(html.find("git filter-repo") != std::string::npos);
  CHECK(html.find("GitLab says it is revoked") != std::string::npos);
}

TEST_CASE("html timeline: bands never overlap, for 1 and for 500 tokens") {
  for (std::size_t n : {std::size_t{1}, std::size_t{500}}) {
    std::vector<TimelineRow> rows(n);
    for (std::size_t i = 0; i < n; ++i) {
      rows[i].label = std::string("t").append(std::to_string(i));
      rows[i].commits = {1600000000 + static_cast<std::int64_t>(i) * 3600, 1700000000};
      rows[i].expires = 1900000000;  // far future: clamped to a year after the report
    }
    const std::int64_t now = 1710000000;
    const TimelineLayout l = layout_timeline(rows, now);
    REQUIRE(l.rows.size() == n);
    CHECK(l.to - now <= 366 * 86400 + (l.to - l.from) / 10);
    for (std::size_t i = 0; i < n; ++i) {
      CHECK(l.rows[i].h > 12);
      CHECK(l.rows[i].y + l.rows[i].h <= l.height);
      if (i) CHECK(l.rows[i].y >= l.rows[i - 1].y + l.rows[i - 1].h);
    }
    const std::string svg = timeline_svg(rows, now);
    CHECK(count(svg, "<g>") == n);
    CHECK(count(svg, "class=\"exp\"") == n);
    CHECK(svg.find("style=") == std::string::npos);
  }
}

TEST_CASE("html: 10,000 findings stay bounded in size and time") {
  Report r = base_report();
  r.findings.reserve(10000);
  for (int i = 0; i < 10000; ++i) {
    Finding f =
        in_commit(place(test::legacy_pat(1000 + i % 2500),
                        std::string("dir/sub/file").append(std::to_string(i)).append(".env"), Severity::High),
                  sha256_hex(std::to_string(i)).substr(0, 40), "2024-01-01T00:00:00Z", i % 2 == 0);
    r.findings.push_back(std::move(f));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::string html = render(r);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("10,000 findings / 2,500 tokens: " << html.size() << " bytes in " << secs << " s");
  CHECK(html.size() < 8u * 1024 * 1024);
  CHECK(secs < 10.0);
}

TEST_CASE("html: links to GitLab only from a known https web address") {
  Report r = base_report();
  const std::string sha(40, 'f');
  r.findings = {in_commit(place(test::legacy_pat(31), "dir/a b#.env", Severity::High), sha,
                          "2025-01-01T00:00:00Z", true)};
  CHECK(render(r).find("open in GitLab") == std::string::npos);  // no web address: no link
  r.scan.git = GitInfo{};
  r.scan.git->web_url = "https://gitlab.example.com/g/p";
  const std::string html = render(r);
  CHECK(html.find("<a href=\"https://gitlab.example.com/g/p/-/blob/" + sha +
                  "/dir/a%20b%23.env#L3\" rel=\"noopener noreferrer\">open in GitLab</a>") !=
        std::string::npos);
  r.scan.git->web_url = "javascript:alert(1)//";  // e.g. from a hand-edited report given to merge
  CHECK(render(r).find("open in GitLab") == std::string::npos);
  r.scan.git->web_url = "https://x/\"onmouseover=alert(1)";
  CHECK(render(r).find("open in GitLab") == std::string::npos);

  // Several repositories: each place links into its own repository, path without the label.
  Report m = base_report();
  m.scan.git.reset();
  m.scan.repositories = {RepositoryInfo{"repos/a/", GitInfo{}, std::nullopt},
                         RepositoryInfo{"repos/b", GitInfo{}, std::nullopt}};
  m.scan.repositories[0].git->web_url = "https://gitlab.example.com/g/a";
  Finding fa = in_commit(place(test::legacy_pat(32), "repos/a/x.env", Severity::High), sha,
                         "2025-01-01T00:00:00Z", true);
  fa.provenance.repository = "repos/a/";
  Finding fb = in_commit(place(test::legacy_pat(33), "repos/b/y.env", Severity::High), sha,
                         "2025-01-01T00:00:00Z", true);
  fb.provenance.repository = "repos/b";
  m.findings = {fa, fb};
  const std::string multi = render(m);
  CHECK(multi.find("href=\"https://gitlab.example.com/g/a/-/blob/" + sha + "/x.env#L3\"") !=
        std::string::npos);
  CHECK(count(multi, "open in GitLab") == 1);  // repos/b has no known web address
}
