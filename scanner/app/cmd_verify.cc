// Verification in the CLI:
//   - the --verify post stage of every scan (make_verification_stage),
//   - glpatrol verify [TOKEN...]  re-checks known tokens without rescanning,
//   - glpatrol revoke [TOKEN...]  incident response: revokes live personal access tokens with
//     DELETE /personal_access_tokens/self; a dry run unless --yes.
// Nothing here opens a socket unless the operator asked for verification or revocation.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "app/commands.h"
#include "app/scan_driver.h"
#include "common/encoding.h"
#include "matcher/to_finding.h"
#include "reporters/report_file.h"
#include "reporters/reporter.h"
#include "verifier/verifier.h"

namespace glpatrol {

namespace {

constexpr std::size_t kMaxInputTokens = 10000;
constexpr std::size_t kMaxTokenLength = 16 * 1024;

VerifyOptions to_verify_options(const ScanOptions& o, std::vector<GitLabHost> hosts) {
  VerifyOptions v;
  v.hosts = std::move(hosts);
  v.verify_runners = o.verify_runners;
  v.concurrency = o.verify_concurrency == 0 ? 1 : o.verify_concurrency;
  v.request_timeout = std::chrono::milliseconds(static_cast<long long>(o.verify_timeout * 1000.0));
  v.total_budget = std::chrono::milliseconds(static_cast<long long>(o.verify_budget * 1000.0));
  return v;
}

CurlClientOptions curl_options(const ScanOptions& o) {
  CurlClientOptions c;
  c.ca_bundle = o.ca_bundle;
  return c;
}

std::string host_list(const std::vector<GitLabHost>& hosts) {
  std::string s;
  for (const auto& h : hosts) s += (s.empty() ? "" : ", ") + h.base;
  return s;
}

Result<std::vector<GitLabHost>> hosts_for(const ScanOptions& o) {
  return resolve_gitlab_hosts(o.gitlab_urls, [](const char* n) { return std::getenv(n); });
}

/// The rule behind each finding: its verify key and severity.
TokenQuery query_for(const Finding& f, const std::map<std::string, std::string>& verify_kinds) {
  TokenQuery q;
  q.secret = f.secret;
  q.secret_sha256 = f.secret_sha256;
  q.rule_id = f.rule_id;
  q.severity = f.severity;
  q.attributes = f.attributes;
  auto it = verify_kinds.find(f.rule_id);
  q.verify_kind = it == verify_kinds.end() ? "none:no verifier for this rule" : it->second;
  return q;
}

nlohmann::ordered_json stats_json(const std::vector<GitLabHost>& hosts, const VerifyStats& s) {
  nlohmann::ordered_json h = nlohmann::ordered_json::array();
  for (const auto& x : hosts) h.push_back(x.base);
  return {{"hosts", h},
          {"unique_tokens", s.tokens},
          {"requests", s.requests},
          {"budget_exhausted", s.budget_exhausted}};
}

}  // namespace

void add_verify_options(CLI::App& cmd, ScanOptions& o) {
  auto url_check = CLI::Validator(
      [](std::string& v) -> std::string {
        auto h = parse_gitlab_url(v);
        return h ? std::string() : h.error().message;
      },
      "URL");
  cmd.add_option("--gitlab-url", o.gitlab_urls,
                 "GitLab to verify against (repeatable; https, or http to loopback only). "
                 "Default: CI_SERVER_URL in GitLab CI, else https://gitlab.com")
      ->check(url_check)
      ->allow_extra_args(false);
  cmd.add_option("--ca-bundle", o.ca_bundle, "PEM CA file for a private CA (replaces the system CAs)")
      ->check(CLI::ExistingFile);
  cmd.add_flag("--verify-runners", o.verify_runners,
               "also check runner tokens with POST /runners/verify (updates the runner's contact time)");
  cmd.add_option("--verify-timeout", o.verify_timeout, "seconds per verification request (default 10)")
      ->check(CLI::Range(0.1, 600.0));
  cmd.add_option("--verify-budget", o.verify_budget, "seconds for all verification requests (default 120)")
      ->check(CLI::Range(0.1, 86400.0));
  cmd.add_option("--verify-concurrency", o.verify_concurrency, "tokens verified in parallel (default 4)")
      ->check(CLI::Range(1u, 32u));
  // A bad CI_SERVER_URL must fail before an hour-long scan, not after it.
  cmd.parse_complete_callback([&o] {
    if (!o.verify) return;
    if (auto h = hosts_for(o); !h) throw CLI::ValidationError("--verify", h.error().message);
  });
}

PostStage make_verification_stage(const ScanOptions& opts) {
  if (!opts.verify) return [](std::vector<Finding>&, ScanContext&) { return Status::ok(); };
  const ScanOptions o = opts;  // the stage may outlive the caller's copy
  return [o](std::vector<Finding>& findings, ScanContext& ctx) -> Status {
    auto hosts = hosts_for(o);
    if (!hosts) return hosts.error();
    std::map<std::string, std::string> rules;
    for (const auto& r : ctx.db().rules()) rules.emplace(r.id, r.verify);
    // Only unsuppressed findings' tokens are verified (deduplicated by token hash). A token
    // that also appears in suppressed places gets the same result there; a token found only
    // in suppressed places keeps verification = null (docs/verification.md).
    std::vector<TokenQuery> queries;
    std::set<std::string> seen;
    for (const auto& f : findings)
      if (!f.suppressed && seen.insert(f.secret_sha256).second) queries.push_back(query_for(f, rules));
    std::cerr << fmt::format("glpatrol: verifying {} unique token(s) with {}\n", queries.size(),
                             host_list(*hosts));
    if (queries.empty()) {  // nothing to send: libcurl is not even initialised
      ctx.info.extra["verification"] = stats_json(*hosts, VerifyStats{});
      return Status::ok();
    }
    auto http = std::shared_ptr<HttpClient>(make_curl_client(curl_options(o)));
    Verifier verifier(to_verify_options(o, *hosts), http);
    const auto results = verifier.verify_all(queries);
    std::map<std::string, const Verification*> by_hash;
    for (std::size_t i = 0; i < queries.size(); ++i) by_hash[queries[i].secret_sha256] = &results[i];
    for (auto& f : findings)
      if (auto it = by_hash.find(f.secret_sha256); it != by_hash.end()) f.verification = *it->second;
    const VerifyStats st = verifier.stats();
    ctx.info.extra["verification"] = stats_json(*hosts, st);
    if (st.budget_exhausted)
      ctx.stats.warn("verification time budget exhausted: some tokens are 'unknown'");
    return Status::ok();
  };
}

namespace {

/// Tokens from arguments, or one per line from stdin.
Result<std::vector<std::pair<std::string, std::string>>> read_tokens(const std::vector<std::string>& args) {
  std::vector<std::pair<std::string, std::string>> out;  // {token, where}
  auto add = [&out](std::string t, std::string where) -> Status {
    while (!t.empty() && (t.back() == '\r' || t.back() == ' ' || t.back() == '\t')) t.pop_back();
    std::size_t i = 0;
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
    t.erase(0, i);
    if (t.empty() || t[0] == '#') return Status::ok();
    if (t.size() > kMaxTokenLength) return Error::usage(where + ": longer than 16 KiB");
    if (out.size() >= kMaxInputTokens) return Error::usage("more than 10000 tokens");
    out.emplace_back(std::move(t), std::move(where));
    return Status::ok();
  };
  if (!args.empty()) {
    for (std::size_t i = 0; i < args.size(); ++i)
      if (auto s = add(args[i], fmt::format("<argument {}>", i + 1)); !s) return s.error();
  } else {
    std::string line;
    std::size_t n = 0;
    while (std::getline(std::cin, line))
      if (auto s = add(line, fmt::format("<stdin line {}>", ++n)); !s) return s.error();
  }
  if (out.empty()) return Error::usage("no tokens given (pass them as arguments or one per line on stdin)");
  return out;
}

/// Classifies each given token with the scanner's own rules. A token no rule recognises
/// becomes an `unverifiable` finding of rule "unrecognized".
Result<std::vector<Finding>> classify(const ScanOptions& o,
                                      const std::vector<std::pair<std::string, std::string>>& tokens,
                                      const RuleDb& db) {
  auto m = Matcher::create(db);
  if (!m) return m.error();
  std::vector<Finding> out;
  for (const auto& [tok, where] : tokens) {
    std::vector<LocatedMatch> matches;
    if (auto s = m->scan(tok, matches); !s) return s.error();
    if (matches.empty()) {
      // A bare session cookie value: the rule needs its name in front.
      const std::string cookie = "_gitlab_session=" + tok;
      if (auto s = m->scan(cookie, matches); !s) return s.error();
      if (!matches.empty() && matches.front().secret != tok) matches.clear();
    }
    Finding f;
    const LocatedMatch* best = nullptr;
    for (const auto& lm : matches)
      if (!best || lm.secret.size() > best->secret.size()) best = &lm;
    if (best != nullptr) {
      f = make_finding(db, *best);
    } else {
      f.rule_id = "unrecognized";
      f.rule_name = "Not a recognised GitLab token";
      f.severity = Severity::Info;
      f.secret = tok;
      f.secret_sha256 = sha256_hex(tok);
      f.redacted = redact_token(tok, "");
    }
    // Both are command input; the path (<argument N> / <stdin line N>) says which. The report
    // schema's location kinds have no separate "argument".
    f.location_kind = "stdin";
    f.path = where;
    out.push_back(std::move(f));
  }
  (void)o;
  return out;
}

/// What verify and revoke share: the hosts, the given tokens, classified by the rules.
struct TokenInput {
  std::vector<GitLabHost> hosts;
  std::vector<std::string> where;
  std::vector<Rule> rules;
  std::map<std::string, std::string> verify_kinds;  ///< rule id -> Rule::verify
  std::vector<Finding> findings;
};

Result<TokenInput> prepare(const ScanOptions& o, const std::vector<std::string>& args) {
  TokenInput in;
  auto hosts = hosts_for(o);
  if (!hosts) return hosts.error();
  in.hosts = std::move(*hosts);
  auto tokens = read_tokens(args);
  if (!tokens) return tokens.error();
  for (const auto& t : *tokens) in.where.push_back(t.second);
  auto db = load_rule_db(o, nullptr);
  if (!db) return db.error();
  auto findings = classify(o, *tokens, *db);
  if (!findings) return findings.error();
  in.findings = std::move(*findings);
  in.rules = db->rules();
  for (const auto& r : in.rules) in.verify_kinds.emplace(r.id, r.verify);
  return in;
}

int run_verify(ScanOptions& o, const std::vector<std::string>& args) {
  install_signal_cleanup();
  ReportOptions ropts;
  ropts.show_secrets = o.show_secrets;
  auto reporter = make_reporter(o.format, ropts);
  if (!reporter) {
    std::cerr << "glpatrol: " << reporter.error().message << "\n";
    return kExitError;
  }
  auto in = prepare(o, args);
  if (!in) {
    std::cerr << "glpatrol: " << in.error().message << "\n";
    return kExitError;
  }
  const auto& hosts = in->hosts;
  auto* findings = &in->findings;
  std::vector<TokenQuery> queries;
  for (const auto& f : *findings) {
    TokenQuery q = query_for(f, in->verify_kinds);
    if (f.rule_id == "unrecognized") q.verify_kind = "none:not a recognised GitLab token";
    queries.push_back(std::move(q));
  }
  std::cerr << fmt::format("glpatrol: verifying {} token(s) with {}\n", queries.size(), host_list(hosts));
  const auto t0 = std::chrono::steady_clock::now();
  const auto started = std::chrono::system_clock::now();
  Verifier verifier(to_verify_options(o, hosts),
                    std::shared_ptr<HttpClient>(make_curl_client(curl_options(o))));
  const auto results = verifier.verify_all(queries);
  bool any_active = false, any_unknown = false;
  for (std::size_t i = 0; i < findings->size(); ++i) {
    (*findings)[i].verification = results[i];
    any_active |= results[i].status == "active";
    any_unknown |= results[i].status == "unknown";
  }
  Report report;
  report.scan.kind = "verify";
  report.scan.targets = in->where;
  report.scan.started_at = iso8601(started);
  report.scan.finished_at = iso8601(std::chrono::system_clock::now());
  report.scan.duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.scan.rules = in->rules;
  report.scan.extra["verification"] = stats_json(hosts, verifier.stats());
  report.findings = std::move(*findings);
  std::ostringstream buf;
  if (auto s = (*reporter)->write(report, buf); !s) {
    std::cerr << "glpatrol: " << s.error().message << "\n";
    return kExitError;
  }
  std::cout << buf.str() << std::flush;
  if (!std::cout) return kExitError;
  // 1: a token is live (act now); 3: at least one could not be determined; 0: all dead.
  if (any_active) return kExitFindings;
  if (any_unknown) return kExitIncomplete;
  return kExitClean;
}

std::string describe(const Finding& f, bool show_secrets) {
  return escape_for_terminal(show_secrets ? f.secret : f.redacted) + " (sha256:" +
         f.secret_sha256.substr(0, 12) + ")";
}

int run_revoke(ScanOptions& o, const std::vector<std::string>& args, bool yes) {
  install_signal_cleanup();
  auto in = prepare(o, args);
  if (!in) {
    std::cerr << "glpatrol: " << in.error().message << "\n";
    return kExitError;
  }
  const auto& hosts = in->hosts;
  // Deduplicate; only personal/project/group access tokens can revoke themselves.
  std::vector<const Finding*> revocable, other;
  std::set<std::string> seen;
  for (const auto& f : in->findings) {
    if (!seen.insert(f.secret_sha256).second) continue;
    auto it = in->verify_kinds.find(f.rule_id);
    (it != in->verify_kinds.end() && it->second == "pat" ? revocable : other).push_back(&f);
  }
  std::ostream& out = std::cout;
  for (const Finding* f : other)
    out << "skip      " << describe(*f, o.show_secrets) << ": " << escape_for_terminal(f->rule_name)
        << " cannot revoke itself; revoke it in GitLab (see docs/verification.md)\n";
  if (!yes) {
    for (const Finding* f : revocable)
      out << "would revoke " << describe(*f, o.show_secrets) << " on the first of " << host_list(hosts)
          << " where it is active (DELETE /api/v4/personal_access_tokens/self)\n";
    out << "dry run: nothing was sent. Re-run with --yes to revoke.\n";
    return kExitClean;
  }

  auto http = std::shared_ptr<HttpClient>(make_curl_client(curl_options(o)));
  Verifier verifier(to_verify_options(o, hosts), http);
  bool all_done = other.empty();
  for (const Finding* f : revocable) {
    TokenQuery q = query_for(*f, in->verify_kinds);
    const Verification v = verifier.verify(q);
    const std::string who = describe(*f, o.show_secrets);
    if (v.status != "active") {
      const bool dead = v.status == "revoked" || v.status == "expired" || v.status == "invalid";
      all_done &= dead;
      out << (dead ? "inactive  " : "unknown   ") << who << ": " << v.status
          << (v.reason.empty() ? "" : " (" + escape_for_terminal(v.reason) + ")")
          << (v.host.empty() ? "" : " @ " + v.host) << "; nothing revoked\n";
      continue;
    }
    GitLabHost h;
    for (const auto& x : hosts)
      if (x.base == v.host) h = x;
    const RevokeResult r = revoke_personal_token(*http, h, f->secret, to_verify_options(o, hosts).request_timeout);
    std::string what = v.token_name ? " '" + escape_for_terminal(*v.token_name) + "'" : "";
    if (r.outcome == "revoked") {
      out << "revoked   " << who << what << " @ " << r.host << "\n";
    } else {
      all_done &= r.outcome == "not-active";
      out << (r.outcome == "not-active" ? "inactive  " : "FAILED    ") << who << what << " @ " << r.host
          << ": " << escape_for_terminal(r.detail) << "\n";
    }
  }
  return all_done ? kExitClean : kExitFindings;
}

}  // namespace

void add_verify_command(CLI::App& root, int& rc) {
  {
    auto opts = std::make_shared<ScanOptions>();
    auto tokens = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = root.add_subcommand(
        "verify", "Check known tokens against GitLab without rescanning (arguments, or one per line on stdin).\n"
                  "Exit codes: 0 none live, 1 a token is live, 2 error, 3 a token could not be checked.");
    cmd->add_option("tokens", *tokens, "tokens to check (prefer stdin: arguments show in ps)");
    cmd->add_option("-f,--format", opts->format, "output format: human, json, jsonl")->capture_default_str();
    cmd->add_flag("--show-secrets", opts->show_secrets, "include raw tokens in the output");
    cmd->add_option("--pat-prefix", opts->pat_prefixes, "custom personal access token prefix (repeatable)");
    cmd->add_option("--instance-prefix", opts->instance_prefixes, "instance token prefix (repeatable)");
    add_verify_options(*cmd, *opts);
    cmd->callback([opts, tokens, &rc] { rc = run_verify(*opts, *tokens); });
  }
  {
    auto opts = std::make_shared<ScanOptions>();
    auto tokens = std::make_shared<std::vector<std::string>>();
    auto yes = std::make_shared<bool>(false);
    CLI::App* cmd = root.add_subcommand(
        "revoke", "Revoke leaked personal/project/group access tokens (DELETE /personal_access_tokens/self).\n"
                  "A dry run that sends nothing unless --yes is given.");
    cmd->add_option("tokens", *tokens, "tokens to revoke (prefer stdin: arguments show in ps)");
    cmd->add_flag("--yes", *yes, "really revoke (default: dry run, no request is sent)");
    cmd->add_flag("--show-secrets", opts->show_secrets, "print raw tokens");
    cmd->add_option("--pat-prefix", opts->pat_prefixes, "custom personal access token prefix (repeatable)");
    cmd->add_option("--instance-prefix", opts->instance_prefixes, "instance token prefix (repeatable)");
    add_verify_options(*cmd, *opts);
    cmd->callback([opts, tokens, yes, &rc] { rc = run_revoke(*opts, *tokens, *yes); });
  }
}

}  // namespace glpatrol
