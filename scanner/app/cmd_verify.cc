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
#include "app/exit_codes.h"
#include "app/run.h"
#include "app/secret_input.h"
#include "app/verification.h"
#include "common/encoding.h"
#include "common/time.h"
#include "matcher/load_rules.h"
#include "reporters/report_file.h"
#include "reporters/reporter.h"
#include "scan/step.h"

namespace glpatrol {

namespace {

constexpr std::size_t kMaxInputTokens = 10000;
constexpr std::size_t kMaxTokenLength = 16 * 1024;

}  // namespace

namespace {

int fail(const std::string& message) {
  std::cerr << "glpatrol: " << message << "\n";
  return kExitError;
}

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
Result<std::vector<Finding>> classify(const std::vector<std::pair<std::string, std::string>>& tokens,
                                      const RuleDb& db) {
  FindingCollector found;
  auto step = ScanStep::create(db, StepOptions{}, found);
  if (!step) return step.error();
  ScanStats stats;
  std::vector<Finding> out;
  for (const auto& [tok, where] : tokens) {
    // Both are command input; the path (<argument N> / <stdin line N>) says which. The report
    // schema's location kinds have no separate "argument".
    Provenance p;
    p.kind = SourceKind::Stdin;
    p.path = where;
    if (auto s = step->scan(tok, p); !s) return s.error();
    std::vector<Finding> matches = found.take(stats);
    if (matches.empty()) {
      // A bare session cookie value: the rule needs its name in front.
      if (auto s = step->scan("_gitlab_session=" + tok, p); !s) return s.error();
      matches = found.take(stats);
      if (!matches.empty() && matches.front().secret != tok) matches.clear();
    }
    const Finding* best = nullptr;
    for (const auto& f : matches)
      if (!best || f.secret.size() > best->secret.size()) best = &f;
    Finding f;
    if (best != nullptr) {
      f = *best;
    } else {
      f.rule_id = "unrecognized";
      f.rule_name = "Not a recognised GitLab token";
      f.severity = Severity::Info;
      f.secret = tok;
      f.secret_sha256 = sha256_hex(tok);
      f.redacted = redact_token(tok, "");
      f.provenance = p;
    }
    out.push_back(std::move(f));
  }
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
  RuleSources sources;
  sources.prefixes.pat_prefixes = o.pat_prefixes;
  sources.prefixes.instance_prefixes = o.instance_prefixes;
  auto db = load_rule_db(sources, nullptr);
  if (!db) return db.error();
  auto findings = classify(*tokens, *db);
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
  if (!reporter) return fail(reporter.error().message);
  auto in = prepare(o, args);
  if (!in) return fail(in.error().message);
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
  VerifyOptions vo = to_verify_options(o, hosts);
  Status ready = load_admin_token(o, vo);
  if (ready) ready = open_verify_cache(o, vo);
  if (!ready) return fail(ready.error().message);
  Verifier verifier(vo, std::shared_ptr<HttpClient>(make_curl_client(curl_options(o))));
  const auto results = verifier.verify_all(queries);
  save_verify_cache(vo);
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
  report.scan.duration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.scan.rules = in->rules;
  report.scan.verification = verification_info(hosts, verifier.stats());
  report.findings = std::move(*findings);
  if (auto s = write_report(**reporter, report, "-"); !s) return fail(s.error().message);
  // 1: a token is live (act now); 3: at least one could not be determined; 0: all dead.
  if (any_active) return kExitFindings;
  if (any_unknown) return kExitIncomplete;
  return kExitClean;
}

std::string describe(const Finding& f, bool show_secrets) {
  return escape_for_terminal(show_secrets ? f.secret : f.redacted) +
         " (sha256:" + f.secret_sha256.substr(0, 12) + ")";
}

/// The rule's documented manual step, with {base} as the instance URL.
std::string manual_step(const TokenInput& in, const Finding& f, const std::string& base) {
  for (const auto& r : in.rules)
    if (r.id == f.rule_id && !r.revoke.empty()) {
      std::string step = r.revoke;
      for (auto p = step.find("{base}"); p != std::string::npos; p = step.find("{base}", p + base.size()))
        step.replace(p, 6, base);
      return step;
    }
  return "no API can revoke this kind; revoke it where it was created in GitLab";
}

struct RevokeArgs {
  bool yes = false;
  std::string group;             ///< --group: a top-level group the operator owns
  std::string owner_token_file;  ///< --owner-token-file (else GITLAB_TOKEN): that Owner's token
};

/// Revocation, per kind (docs/verification.md "Revocation and rotation"):
///   - personal/project/group access tokens: DELETE /personal_access_tokens/self (the token
///     revokes itself), after a GET that finds the host where it is active;
///   - any other kind, in this order while one is available and has not answered:
///     with an administrator's token, DELETE /admin/token (17.7+, where the instance enables
///     it); with --group and its Owner's token, POST /groups/:id/tokens/revoke (GitLab.com);
///   - otherwise: the exact manual step (UI path) from the rule.
int run_revoke(ScanOptions& o, const std::vector<std::string>& args, const RevokeArgs& ra) {
  install_signal_cleanup();
  auto in = prepare(o, args);
  if (!in) return fail(in.error().message);
  const auto& hosts = in->hosts;
  VerifyOptions vo = to_verify_options(o, hosts);
  if (auto s = load_admin_token(o, vo); !s) return fail(s.error().message);
  const bool admin = !vo.admin_token.empty();
  std::string owner_token;
  if (!ra.group.empty()) {
    auto t = read_secret(ra.owner_token_file, "GITLAB_TOKEN", "--owner-token-file");
    if (!t) return fail(t.error().message);
    if (t->empty())
      return fail("--group needs the group Owner's API token: GITLAB_TOKEN or --owner-token-file FILE");
    owner_token = std::move(*t);
  }
  const bool by_group = !owner_token.empty();
  std::vector<const Finding*> revocable, other;
  std::set<std::string> seen;
  for (const auto& f : in->findings) {
    if (!seen.insert(f.secret_sha256).second) continue;
    auto it = in->verify_kinds.find(f.rule_id);
    (it != in->verify_kinds.end() && it->second == "pat" ? revocable : other).push_back(&f);
  }
  std::ostream& out = std::cout;
  const std::string base = hosts.front().base;
  const std::string group_call =
      "POST /api/v4/groups/" + escape_for_terminal(percent_encode(ra.group)) + "/tokens/revoke on " + base;
  if (!ra.yes) {
    for (const Finding* f : revocable)
      out << "would revoke " << describe(*f, o.show_secrets) << " on the first of " << host_list(hosts)
          << " where it is active (DELETE /api/v4/personal_access_tokens/self)\n";
    for (const Finding* f : other) {
      const bool known = f->rule_id != "unrecognized";
      if (known && (admin || by_group)) {
        out << "would revoke " << describe(*f, o.show_secrets);
        if (admin) out << " with the administrator token (DELETE /api/v4/admin/token on " << base << ")";
        if (admin && by_group) out << ", else";
        if (by_group) out << " as the group's Owner (" << group_call << ")";
        out << "\n";
      } else {
        out << "manual    " << describe(*f, o.show_secrets) << ": " << escape_for_terminal(f->rule_name)
            << " cannot revoke itself; " << escape_for_terminal(manual_step(*in, *f, base)) << "\n";
      }
    }
    out << "dry run: nothing was sent. Re-run with --yes to revoke.\n";
    return kExitClean;
  }

  auto http = std::shared_ptr<HttpClient>(make_curl_client(curl_options(o)));
  bool all_done = true;
  std::vector<std::string> changed;  ///< revoked now: forgotten by the verification cache
  for (const Finding* f : other) {
    const std::string who = describe(*f, o.show_secrets);
    const bool known = f->rule_id != "unrecognized";
    std::string why_not;  ///< what the APIs answered, for the manual line
    if (known && admin) {
      const AdminTokenAnswer a =
          admin_token_call(*http, hosts.front(), vo.admin_token, f->secret, "DELETE", vo.request_timeout);
      if (a.status == 204 || a.status == 200) {
        changed.push_back(f->secret_sha256);
        out << "revoked   " << who << " @ " << base << " (DELETE /api/v4/admin/token)\n";
        continue;
      }
      why_not = "the token information API did not revoke it (" +
                (a.status == 0 ? escape_for_terminal(a.error) : "HTTP " + std::to_string(a.status)) + ")";
    }
    if (known && by_group) {
      const RevokeResult r =
          revoke_via_group(*http, hosts.front(), owner_token, ra.group, f->secret, vo.request_timeout);
      if (r.outcome == "revoked") {
        changed.push_back(f->secret_sha256);
        out << "revoked   " << who << " @ " << base << " (" << group_call << ")\n";
        continue;
      }
      why_not += std::string(why_not.empty() ? "" : "; ") + "the group did not revoke it (" +
                 escape_for_terminal(r.detail) + ")";
    }
    out << "manual    " << who << ": "
        << (why_not.empty() ? escape_for_terminal(f->rule_name) + " cannot revoke itself" : why_not) << "; "
        << escape_for_terminal(manual_step(*in, *f, base)) << "\n";
    all_done = false;
  }
  vo.admin_token.clear();  // PAT-family tokens: their own self endpoint
  Verifier verifier(vo, http);
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
    RevokeResult r = revoke_personal_token(*http, h, f->secret, vo.request_timeout);
    std::string what = v.token_name ? " '" + escape_for_terminal(*v.token_name) + "'" : "";
    // A live token that may not delete itself (403: an instance that restricts it): its
    // group's Owner can still revoke it.
    if (r.outcome == "failed" && by_group && h.base == base) {
      RevokeResult g = revoke_via_group(*http, h, owner_token, ra.group, f->secret, vo.request_timeout);
      if (g.outcome == "revoked")
        r = g;
      else
        r.detail += "; the group did not revoke it (" + g.detail + ")";
    }
    if (r.outcome == "revoked") {
      changed.push_back(f->secret_sha256);
      out << "revoked   " << who << what << " @ " << r.host << "\n";
    } else {
      all_done &= r.outcome == "not-active";
      out << (r.outcome == "not-active" ? "inactive  " : "FAILED    ") << who << what << " @ " << r.host
          << ": " << escape_for_terminal(r.detail) << "\n";
    }
  }
  forget_in_verify_cache(o, hosts, changed);
  return all_done ? kExitClean : kExitFindings;
}

struct RotateArgs {
  bool yes = false;
  bool to_stdout = false;
  std::string output;      ///< --output FILE (0600)
  std::string expires_at;  ///< --expires-at YYYY-MM-DD
};

/// POST /personal_access_tokens/self/rotate for one live PAT-family token. The new token goes
/// only to --output FILE (atomic, 0600) or, with --stdout, to stdout; never into a report or
/// stderr. A token that is not verified active is never rotated: rotating an already revoked
/// token makes GitLab revoke its whole token family (automatic reuse detection).
int run_rotate(ScanOptions& o, const std::vector<std::string>& args, const RotateArgs& ra) {
  install_signal_cleanup();
  if (ra.output.empty() == !ra.to_stdout) {
    std::cerr << "glpatrol: name where the new token goes: --output FILE (mode 0600) or --stdout\n";
    return kExitError;
  }
  if (!ra.expires_at.empty() && !parse_iso8601(ra.expires_at)) {
    std::cerr << "glpatrol: --expires-at must be a date (YYYY-MM-DD)\n";
    return kExitError;
  }
  if (!ra.output.empty())
    if (auto s = check_report_path(ra.output); !s) {
      std::cerr << "glpatrol: --output: " << s.error().message << "\n";
      return kExitError;
    }
  auto in = prepare(o, args);
  if (!in) return fail(in.error().message);
  if (in->findings.size() != 1) {
    std::cerr << "glpatrol: rotate takes exactly one token\n";
    return kExitError;
  }
  const Finding& f = in->findings.front();
  auto kind = in->verify_kinds.find(f.rule_id);
  const std::string who = describe(f, o.show_secrets);
  std::ostream& err = std::cerr;
  if (kind == in->verify_kinds.end() || kind->second != "pat") {
    err << "glpatrol: " << who << " is not a personal, project or group access token; only those can rotate "
        << "themselves. " << escape_for_terminal(manual_step(*in, f, in->hosts.front().base)) << "\n";
    return kExitFindings;
  }
  err << "glpatrol: warning: rotating a token that is already revoked makes GitLab revoke its whole token "
         "family (every token rotated from it); glpatrol only rotates a token it has just verified active\n";
  if (!ra.yes) {
    err << "would rotate " << who << " on the first of " << host_list(in->hosts)
        << " where it is active (POST /api/v4/personal_access_tokens/self/rotate)\n"
        << "dry run: nothing was sent. Re-run with --yes to rotate.\n";
    return kExitClean;
  }
  auto http = std::shared_ptr<HttpClient>(make_curl_client(curl_options(o)));
  VerifyOptions vo = to_verify_options(o, in->hosts);
  Verifier verifier(vo, http);
  const Verification v = verifier.verify(query_for(f, in->verify_kinds));
  if (v.status != "active") {
    err << "glpatrol: " << who << " is " << v.status
        << (v.reason.empty() ? "" : " (" + escape_for_terminal(v.reason) + ")")
        << "; not rotated (rotating a revoked token would revoke its whole family)\n";
    return v.status == "unknown" ? kExitIncomplete : kExitFindings;
  }
  GitLabHost h;
  for (const auto& x : in->hosts)
    if (x.base == v.host) h = x;
  RotateResult r = rotate_personal_token(*http, h, f.secret, ra.expires_at, vo.request_timeout);
  if (r.outcome == "rotated") forget_in_verify_cache(o, in->hosts, {f.secret_sha256});
  if (r.outcome != "rotated") {
    err << "glpatrol: " << who << " @ " << h.base << ": not rotated: " << escape_for_terminal(r.detail)
        << "\n";
    return kExitFindings;
  }
  if (ra.to_stdout) {
    std::cout << r.new_token << "\n" << std::flush;
  } else if (auto s = write_file_atomically(ra.output, r.new_token + "\n"); !s) {
    // The old token is revoked now; the new one exists only in this process. Say so plainly.
    err << "glpatrol: rotated, but the new token could not be written (" << s.error().message
        << "); the old token is revoked: create a new one in GitLab\n";
    return kExitError;
  }
  err << "rotated   " << who << " @ " << h.base << ": the old token is revoked; new token"
      << (r.new_id ? " id " + std::to_string(*r.new_id) : "") << " expires "
      << (r.expires_at ? escape_for_terminal(*r.expires_at) : "never") << ", written to "
      << (ra.to_stdout ? std::string("stdout") : escape_for_terminal(ra.output)) << "\n";
  return kExitClean;
}

/// The options every command that takes tokens shares (verify, revoke, rotate): how raw tokens
/// may be shown, the prefixes that tell a token's kind, and where and how to ask GitLab.
void add_token_options(CLI::App& cmd, ScanOptions& opts, const char* show_secrets_help) {
  cmd.add_flag("--show-secrets", opts.show_secrets, show_secrets_help);
  cmd.add_option("--pat-prefix", opts.pat_prefixes, "custom personal access token prefix (repeatable)");
  cmd.add_option("--instance-prefix", opts.instance_prefixes, "instance token prefix (repeatable)");
  add_verify_options(cmd, opts);
}

}  // namespace

void add_verify_command(CLI::App& root, int& rc) {
  {
    auto opts = std::make_shared<ScanOptions>();
    auto tokens = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = root.add_subcommand(
        "verify",
        "Check known tokens against GitLab without rescanning (arguments, or one per line on stdin).\n"
        "Exit codes: 0 none live, 1 a token is live, 2 error, 3 a token could not be checked.");
    cmd->add_option("tokens", *tokens, "tokens to check (prefer stdin: arguments show in ps)");
    cmd->add_option("-f,--format", opts->format, "output format: human, json, jsonl")->capture_default_str();
    add_token_options(*cmd, *opts, "include raw tokens in the output");
    cmd->callback([opts, tokens, &rc] { rc = run_verify(*opts, *tokens); });
  }
  {
    auto opts = std::make_shared<ScanOptions>();
    auto tokens = std::make_shared<std::vector<std::string>>();
    auto ra = std::make_shared<RevokeArgs>();
    CLI::App* cmd = root.add_subcommand(
        "revoke",
        "Revoke leaked tokens: personal/project/group access tokens revoke themselves (DELETE "
        "/personal_access_tokens/self); other kinds with --admin-token-file (DELETE /admin/token) or, as a "
        "top-level group's Owner, --group (POST /groups/:id/tokens/revoke); else the manual step is "
        "printed.\n"
        "A dry run that sends nothing unless --yes is given.");
    cmd->add_option("tokens", *tokens, "tokens to revoke (prefer stdin: arguments show in ps)");
    cmd->add_flag("--yes", ra->yes, "really revoke (default: dry run, no request is sent)");
    cmd->add_option(
           "--group", ra->group,
           "a top-level group you own: revoke tokens that reach it through POST /groups/:id/tokens/revoke "
           "(GitLab.com)")
        ->group("Verification");
    cmd->add_option("--owner-token-file", ra->owner_token_file,
                    "the group Owner's API token for --group (first line of FILE; default: GITLAB_TOKEN)")
        ->check(CLI::ExistingFile)
        ->group("Verification");
    add_token_options(*cmd, *opts, "print raw tokens");
    cmd->callback([opts, tokens, ra, &rc] { rc = run_revoke(*opts, *tokens, *ra); });
  }
  {
    auto opts = std::make_shared<ScanOptions>();
    auto tokens = std::make_shared<std::vector<std::string>>();
    auto ra = std::make_shared<RotateArgs>();
    CLI::App* cmd = root.add_subcommand(
        "rotate",
        "Rotate one leaked personal/project/group access token (POST /personal_access_tokens/self/rotate, "
        "GitLab 16.10+): the old token is revoked, the new one goes only to --output FILE (mode 0600) or "
        "--stdout. A dry run that sends nothing unless --yes is given.");
    cmd->add_option("tokens", *tokens, "the token (prefer stdin: arguments show in ps)");
    cmd->add_flag("--yes", ra->yes, "really rotate (default: dry run, no request is sent)");
    cmd->add_option("--output", ra->output, "write the new token to FILE (created atomically, mode 0600)");
    cmd->add_flag("--stdout", ra->to_stdout, "print the new token on stdout instead");
    cmd->add_option("--expires-at", ra->expires_at,
                    "expiry of the new token (YYYY-MM-DD; GitLab's default: 7 days)");
    add_token_options(*cmd, *opts, "print the raw old token in messages");
    cmd->callback([opts, tokens, ra, &rc] { rc = run_rotate(*opts, *tokens, *ra); });
  }
}

}  // namespace glpatrol
