// glpatrol audit: GitLab's token best practices as lint rules over the instance's token
// inventory (docs/audit.md). The inventory is read with GETs only (scanner/audit/inventory.h),
// each live token is checked against the rule table (scanner/audit/audit_rules.h), and the
// findings go through the ordinary reporters. With --findings REPORT.json, a token that a scan
// found leaked and verified active, and that the inventory lists, is raised to critical and
// named first. The API never returns a token value; none is ever in an audit report.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/run.h"
#include "app/secret_input.h"
#include "app/verification.h"
#include "audit/audit_rules.h"
#include "audit/inventory.h"
#include "common/echo.h"
#include "common/encoding.h"
#include "common/time.h"
#include "reporters/report_file.h"
#include "reporters/report_json.h"
#include "reporters/reporter.h"

namespace glpatrol {

namespace {

struct AuditCommand {
  std::string gitlab_url;
  std::string ca_bundle;
  std::string token_file;
  std::vector<std::string> groups;
  bool all = false;
  int rotate_days = 90;
  int unused_days = 90;
  std::vector<std::string> broad_scopes;      ///< --broad-scope (replaces the default list)
  std::vector<std::string> bot_broad_scopes;  ///< --bot-broad-scope (replaces the default list)
  std::string findings;                       ///< --findings REPORT.json
  std::string format = "human";
  std::string report = "-";
};

int fail(const std::string& message) {
  std::cerr << "glpatrol: " << message << "\n";
  return kExitError;
}

/// A finding's identity is the subject's, never a secret: sha256 of host, type and id, so that
/// the fingerprint (rule_id:sha256) is stable across runs and can be ignored or baselined.
Finding finding_for(const audit::AuditRule& rule, const audit::TokenRecord& t, const std::string& base) {
  Finding f;
  f.rule_id = rule.id;
  f.rule_name = rule.name;
  f.severity = rule.severity;
  f.subject = t.subject;
  // Names come from the instance: a token pasted into a name is redacted like any echo.
  AuditSubject& s = *f.subject;
  s.name = redact_token_shaped(s.name);
  s.owner = redact_token_shaped(s.owner);
  f.secret_sha256 = sha256_hex(fmt::format("glpatrol-audit\n{}\n{}\n{}", base, s.type, s.id));
  f.redacted = fmt::format("{} token '{}' (id {})", s.type, s.name, s.id);
  f.provenance.kind = SourceKind::GitLabItem;
  f.provenance.path =
      fmt::format("{}/{}_tokens/{}", s.resource.empty() ? "users/" + s.owner : s.resource, s.type, s.id);
  return f;
}

/// --findings: ids of the access tokens a scan found leaked and GitLab reported active on this
/// host (verification.token_id, from GET /personal_access_tokens/self).
Result<std::set<std::int64_t>> leaked_active_ids(const std::string& path, const std::string& base) {
  auto report = load_json_report(path);
  if (!report) return report.error().with_context("--findings");
  std::set<std::int64_t> ids;
  for (const auto& f : report->findings)
    if (f.verification && f.verification->status == "active" && f.verification->token_id &&
        f.verification->host == base)
      ids.insert(*f.verification->token_id);
  return ids;
}

int run_audit(const AuditCommand& c) {
  install_signal_cleanup();
  if (c.rotate_days < 1 || c.unused_days < 1)
    return fail("--rotate-days and --unused-days must be at least 1");
  ReportOptions ropts;
  auto reporter = make_reporter(c.format, ropts);
  if (!reporter) return fail(reporter.error().message);
  if (auto s = check_report_path(c.report); !s) return fail(s.error().message);
  auto hosts = resolve_gitlab_hosts(
      c.gitlab_url.empty() ? std::vector<std::string>{} : std::vector<std::string>{c.gitlab_url},
      [](const char* n) { return std::getenv(n); });
  if (!hosts) return fail(hosts.error().message);
  const GitLabHost host = hosts->front();
  auto token = read_secret(c.token_file, "GITLAB_TOKEN", "--token-file");
  if (!token) return fail(token.error().message);
  if (token->empty()) return fail("no API token: set GITLAB_TOKEN or pass --token-file FILE");
  std::set<std::int64_t> leaked;
  if (!c.findings.empty()) {
    auto ids = leaked_active_ids(c.findings, host.base);
    if (!ids) return fail(ids.error().message);
    leaked = std::move(*ids);
  }

  gitlab::ApiOptions ao;
  ao.base = host.base;
  ao.token = *token;
  gitlab::HttpClientOptions ho;
  ho.ca_bundle = c.ca_bundle;
  ho.user_agent = "glpatrol (+token audit)";
  gitlab::Api api(ao, gitlab::make_streaming_http(ho));
  const auto started = std::chrono::system_clock::now();
  const auto t0 = std::chrono::steady_clock::now();
  std::cerr << fmt::format("glpatrol: auditing the token inventory of {}\n", redact_token_shaped(host.base));
  audit::InventoryOptions io;
  io.groups = c.groups;
  io.all = c.all;
  auto inv = audit::read_inventory(api, io);
  if (!inv) return fail(inv.error().message);

  audit::AuditSettings settings;
  settings.rotate_days = c.rotate_days;
  settings.unused_days = c.unused_days;
  if (!c.broad_scopes.empty()) settings.broad_scopes = c.broad_scopes;
  if (!c.bot_broad_scopes.empty()) settings.bot_broad_scopes = c.bot_broad_scopes;
  const auto now = std::chrono::system_clock::now();
  const auto& table = audit::audit_rules();
  auto rule = [&table](const std::string& id) -> const audit::AuditRule& {
    return *std::find_if(table.begin(), table.end(), [&](const audit::AuditRule& r) { return r.id == id; });
  };
  Report report;
  std::uint64_t live = 0;
  for (const auto& t : inv->tokens) {
    if (!audit::is_live(t, now)) continue;
    ++live;
    const bool is_access = t.subject.type.find("deploy") == std::string::npos;
    if (is_access && leaked.count(t.subject.id) != 0)
      report.findings.push_back(finding_for(rule("audit.leaked-active"), t, host.base));
    for (const auto& id : audit::evaluate(t, settings, now))
      report.findings.push_back(finding_for(rule(id), t, host.base));
  }
  // Most severe first (a leaked live token leads), then by place for a stable order.
  std::stable_sort(report.findings.begin(), report.findings.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return finding_less(a, b);
  });

  ScanInfo& info = report.scan;
  info.kind = "audit";
  info.targets.push_back(redact_token_shaped(host.base));
  for (const auto& g : c.groups) info.targets.push_back(redact_token_shaped(host.base + "/" + g));
  info.started_at = iso8601(started);
  info.finished_at = iso8601(std::chrono::system_clock::now());
  info.duration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  info.rules = audit::audit_rules_as_rules();
  for (const auto& n : inv->notes) info.stats.warnings.push_back(redact_token_shaped(n));
  info.stats.warnings.push_back(fmt::format(
      "audited {} live token(s) of {} listed ({} group(s), {} project(s)) as {}{}", live, inv->tokens.size(),
      inv->groups, inv->projects, redact_token_shaped(inv->username), inv->admin ? " (administrator)" : ""));
  if (auto s = write_report(**reporter, report, c.report); !s) return fail(s.error().message);
  return report.findings.empty() ? kExitClean : kExitFindings;
}

}  // namespace

void add_audit_command(CLI::App& root, int& rc) {
  auto c = std::make_shared<AuditCommand>();
  CLI::App* cmd = root.add_subcommand(
      "audit",
      "Lint the GitLab instance's access tokens against GitLab's token best practices (no expiry, not "
      "rotated, unused, broad scope, inactive owner, expiring); token from GITLAB_TOKEN or --token-file.\n"
      "Exit codes: 0 nothing flagged, 1 a token is flagged, 2 error.");
  cmd->add_option("--gitlab-url", c->gitlab_url,
                  "the GitLab instance (https, or http to loopback only). Default: CI_SERVER_URL in GitLab "
                  "CI, else https://gitlab.com");
  cmd->add_option("--ca-bundle", c->ca_bundle, "PEM CA file for a private CA (replaces the system CAs)")
      ->check(CLI::ExistingFile);
  cmd->add_option(
      "--token-file", c->token_file,
      "read the API token from FILE (default: GITLAB_TOKEN); never pass a token on the command line");
  cmd->add_option(
      "--group", c->groups,
      "also audit this group's and its subgroups' and projects' access and deploy tokens (repeatable)");
  cmd->add_flag("--all", c->all, "also audit every group and project the token can see");
  cmd->add_option("--rotate-days", c->rotate_days,
                  "audit.not-rotated: older than this many days (default 90)");
  cmd->add_option("--unused-days", c->unused_days, "audit.unused: no use for this many days (default 90)");
  cmd->add_option("--broad-scope", c->broad_scopes,
                  "audit.broad-scope: a scope that is broad on any token (repeatable; replaces the default "
                  "api, sudo, admin_mode)");
  cmd->add_option(
      "--bot-broad-scope", c->bot_broad_scopes,
      "audit.broad-scope: a scope that is broad on a project/group access token or service account "
      "(repeatable; replaces the default write_repository)");
  cmd->add_option("--findings", c->findings,
                  "a JSON scan report made with --verify: tokens found leaked and active lead, as critical")
      ->check(CLI::ExistingFile);
  cmd->add_option("-f,--format", c->format, "human, json, jsonl, sarif, gitlab")->capture_default_str();
  cmd->add_option("-r,--report", c->report,
                  "write the report to FILE (mode 0600, atomically); default stdout");
  cmd->callback([c, &rc] { rc = run_audit(*c); });
}

}  // namespace glpatrol
