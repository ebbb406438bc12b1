// Human output for big scans: findings grouped by token (one token may sit in many places),
// live and most severe tokens first; each group starts with what matters most (severity,
// kind, verification status, risk flags), then the token, then its places (at most 20);
// totals (by severity, verification, suppression) and the summary line come last, so they
// are what stays on screen. Everything that came from scanned data is escaped.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <optional>

#include "common/encoding.h"
#include "reporters/hook_message.h"
#include "reporters/reporter.h"
#include "reporters/units.h"

namespace glpatrol {

namespace {

struct Style {
  bool on;
  std::string operator()(std::string_view code, std::string_view text) const {
    if (!on) return std::string(text);
    return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
  }
};

std::string_view severity_color(Severity s) {
  switch (s) {
    case Severity::Critical:
      return "1;31";
    case Severity::High:
      return "31";
    case Severity::Medium:
      return "33";
    case Severity::Low:
      return "36";
    case Severity::Info:
      return "37";
  }
  return "0";
}

/// Reading order of two places: path, line, column, then the introducing commit's date
/// (ISO 8601 strings compare chronologically), so the earliest leak of a line comes first.
bool place_before(const Finding* a, const Finding* b) {
  const std::string_view da = a->provenance.commit ? std::string_view(a->provenance.commit->date) : "";
  const std::string_view db = b->provenance.commit ? std::string_view(b->provenance.commit->date) : "";
  return std::tie(a->provenance.path, a->line, a->column, da) <
         std::tie(b->provenance.path, b->line, b->column, db);
}

/// GitLab's guidance for a leaked token, in the order it is done: revoke (the kind's own UI
/// path from the rule's `revoke` field), check what the token did, then clean history. Printed
/// once per scan with findings; `--verify` is offered when it was not used.
void print_next_steps(std::ostream& out, const Style& st, const Report& r,
                      const std::vector<std::string>& rule_ids, bool any_in_history) {
  const std::string base = r.scan.verification && !r.scan.verification->hosts.empty()
                               ? r.scan.verification->hosts.front()
                               : std::string("https://gitlab.com");
  out << st("1", "Next steps") << " (GitLab's guidance for a leaked token, in this order):\n";
  out << "  1. Revoke or rotate each token in GitLab now; removing it from the code does not un-leak it.\n";
  for (const auto& id : rule_ids)
    out << "     " << st("2", id + ":") << " " << revoke_advice(r.scan.rules, id, base) << "\n";
  out << "     Personal, project and group access tokens: `glpatrol revoke` (dry run unless --yes).\n";
  out << "  2. Check what the token did while exposed: its last use (User settings > Access tokens)\n"
         "     and the audit events of the projects it could reach.\n";
  out << "  3. "
      << (any_in_history
              ? "Then clean the history (git filter-repo, then housekeeping on the GitLab\n"
                "     project) if the repository is or will be shared; rotate first."
              : "Remove it from the files and load the new token from a CI/CD variable or a secret store.")
      << "\n";
  if (!r.scan.verification)
    out << "  " << st("2", "Not verified: rerun with --verify to ask GitLab which tokens are still live.")
        << "\n";
  out << "  "
      << st("2",
            "A false positive or an accepted risk? Put its `ignore` line in .glpatrolignore with the reason.")
      << "\n";
}

class HumanReporter final : public Reporter {
 public:
  explicit HumanReporter(ReportOptions o) : opts_(o) {}

  Status write(const Report& r, std::ostream& out) override {
    const Style st{opts_.color};
    // Group by token: a token's places share secret_sha256.
    std::map<std::string, std::vector<const Finding*>> groups;
    for (const auto& f : r.findings) groups[f.secret_sha256].push_back(&f);
    std::vector<std::vector<const Finding*>> ordered;
    ordered.reserve(groups.size());
    for (auto& [k, v] : groups) ordered.push_back(std::move(v));
    auto rank = [](const std::vector<const Finding*>& g) {
      int live = 0;
      Severity sev = Severity::Info;
      bool all_suppressed = true;
      for (const Finding* f : g) {
        if (f->verification && f->verification->status == "active") live = 1;
        sev = std::max(sev, f->effective_severity());
        all_suppressed &= f->suppressed.has_value();
      }
      return std::make_tuple(!all_suppressed, live, static_cast<int>(sev));
    };
    // Within a token, places in reading order (path, line, then the introducing commit's date);
    // tokens by rank, then by their first place, so equal-severity tokens read top-down.
    for (auto& g : ordered) std::stable_sort(g.begin(), g.end(), place_before);
    std::stable_sort(ordered.begin(), ordered.end(), [&](const auto& a, const auto& b) {
      const auto ra = rank(a), rb = rank(b);
      if (ra != rb) return ra > rb;
      return place_before(a.front(), b.front());
    });
    // Instance scans (glpatrol gitlab): tokens grouped by the project of their first place,
    // projects in name order, each with a header line.
    auto project_of = [](const std::vector<const Finding*>& g) {
      const auto& src = g.front()->provenance.source;
      return src ? std::optional<std::string>(src->project) : std::nullopt;
    };
    const bool by_project =
        std::any_of(ordered.begin(), ordered.end(), [&](const auto& g) { return project_of(g).has_value(); });
    if (by_project)
      std::stable_sort(ordered.begin(), ordered.end(), [&](const auto& a, const auto& b) {
        return project_of(a).value_or("") < project_of(b).value_or("");
      });
    std::optional<std::string> current_project;

    std::size_t shown = 0, suppressed = 0;
    for (const auto& g : ordered) {
      const Finding& f = *g.front();
      const bool all_suppressed =
          std::all_of(g.begin(), g.end(), [](const Finding* x) { return x->suppressed.has_value(); });
      if (all_suppressed) {
        suppressed += g.size();
        continue;
      }
      ++shown;
      if (by_project && project_of(g) != current_project) {
        current_project = project_of(g);
        const std::string name =
            current_project->empty() ? std::string("(personal snippets)") : *current_project;
        out << st("1", "project " + escape_for_terminal(name)) << "\n\n";
      }
      const Severity sev = f.effective_severity();
      out << st(severity_color(sev), fmt::format("{:<8}", to_string(sev))) << " "
          << st("1", escape_for_terminal(f.rule_name)) << "  " << st("2", "(" + f.rule_id + ")");
      // Verification status and risk flags on the first line: they decide what to do first.
      if (f.verification) {
        const Verification& v = *f.verification;
        const bool live = v.status == "active";
        std::string badge = live ? std::string(" LIVE ") : fmt::format("[{}]", v.status);
        out << "  " << st(live ? "1;41;97" : "2", badge);
        if (!v.risk_flags.empty()) {
          std::string flags = "risk:";
          for (std::size_t i = 0; i < v.risk_flags.size(); ++i) {
            if (i != 0) flags.push_back(',');
            flags.append(escape_for_terminal(v.risk_flags[i]));
          }
          out << " " << st("33", flags);
        }
      }
      out << "\n";
      out << "  token     " << escape_for_terminal(opts_.show_secrets ? f.secret : f.redacted) << "\n";
      // The exact line .glpatrolignore accepts (docs/suppression.md), reason left to the user.
      out << "  ignore    " << st("2", fingerprint(f) + "  # <why this is safe to ignore>") << "\n";
      if (f.verification) {
        const Verification& v = *f.verification;
        std::string line = v.status;
        if (!v.reason.empty()) line += " (" + escape_for_terminal(v.reason) + ")";
        if (!v.host.empty()) line += " @ " + escape_for_terminal(v.host);
        out << "  verified  " << st(v.status == "active" ? "1;31" : "0", line) << "\n";
        if (!v.scopes.empty()) {
          std::string scopes;
          for (const auto& s : v.scopes) scopes += (scopes.empty() ? "" : ", ") + escape_for_terminal(s);
          out << "  scopes    " << scopes << "\n";
        }
        if (!v.granular_scopes.empty()) {
          std::string perms;
          for (const auto& s : v.granular_scopes)
            perms += (perms.empty() ? "" : ", ") + escape_for_terminal(s);
          out << "  granular  " << perms << "\n";
        }
        if (v.reach) {
          out << "  reach     " << escape_for_terminal(reach_summary(*v.reach));
          if (!v.reach->note.empty()) out << " (" << escape_for_terminal(v.reach->note) << ")";
          out << "\n";
        }
        if (v.token_name || v.expires_at || v.username) {
          out << "  details   ";
          if (v.token_name) out << "name=" << escape_for_terminal(*v.token_name) << " ";
          if (v.username) out << "owner=" << escape_for_terminal(*v.username) << " ";
          out << "expires=" << (v.expires_at ? escape_for_terminal(*v.expires_at) : "never") << "\n";
        }
        if (!v.risk_flags.empty()) {
          std::string flags;
          for (const auto& s : v.risk_flags) flags += (flags.empty() ? "" : ", ") + s;
          out << "  risks     " << st("33", flags) << "\n";
        }
      }
      std::vector<std::string> attrs;
      for (const auto& [k, v] : f.attributes)
        if (k.rfind("routing.", 0) == 0 || k.rfind("jwt.iss", 0) == 0)
          attrs.push_back(k + "=" + escape_for_terminal(v));
      if (!attrs.empty()) {
        std::string a;
        for (const auto& s : attrs) a += (a.empty() ? "" : " ") + s;
        out << "  payload   " << a << "\n";
      }
      const std::size_t places = g.size();
      std::size_t listed = 0;
      for (const Finding* p : g) {
        if (p->suppressed) {
          ++suppressed;
          continue;
        }
        if (listed == 20) {
          out << "  ...       " << (places - listed) << " more places (see the JSON report)\n";
          break;
        }
        ++listed;
        out << "  at        " << st("4", place_label(*p));
        if (p->provenance.commit) {
          out << "\n            commit " << p->provenance.commit->sha.substr(0, 12) << " by "
              << escape_for_terminal(p->provenance.commit->author_name) << " <"
              << escape_for_terminal(p->provenance.commit->author_email) << "> " << p->provenance.commit->date
              << " \"" << escape_for_terminal(p->provenance.commit->message) << "\"";
          if (p->provenance.commit->merge_sha)
            out << " (merge " << p->provenance.commit->merge_sha->substr(0, 12) << ")";
          if (p->provenance.in_head)
            out << (*p->provenance.in_head ? " [still in HEAD]"
                                           : " [not in HEAD: deleted, but still leaked]");
          if (!p->provenance.reachable_only_via.empty())
            out << st("33", " [reachable only via " + p->provenance.reachable_only_via + "]");
        }
        if (p->provenance.source && !p->provenance.source->web_url.empty())
          out << "\n            " << p->provenance.source->kind << " "
              << escape_for_terminal(p->provenance.source->web_url);
        out << "\n";
      }
      if (places > 1) out << st("2", fmt::format("  1 token, {} places", places)) << "\n";
      out << "\n";
    }
    const auto& s = r.scan.stats;
    std::size_t unsuppressed = r.findings.size() - suppressed;
    // Totals: by severity and verification status (unsuppressed), suppressed by kind.
    std::map<Severity, std::size_t> by_sev;
    std::map<std::string, std::size_t> by_status, by_kind;
    for (const auto& f : r.findings) {
      if (f.suppressed) {
        ++by_kind[f.suppressed->kind];
        continue;
      }
      ++by_sev[f.effective_severity()];
      if (f.verification) ++by_status[f.verification->status];
    }
    if (!r.findings.empty()) {
      std::string line;
      for (auto it = by_sev.rbegin(); it != by_sev.rend(); ++it)
        line += fmt::format("{}{} {}", line.empty() ? "" : ", ", it->second, to_string(it->first));
      if (!line.empty()) out << st("2", "  severity    ") << line << "\n";
      line.clear();
      for (const auto& [k, n] : by_status) line += fmt::format("{}{} {}", line.empty() ? "" : ", ", n, k);
      if (!line.empty()) out << st("2", "  verified    ") << line << "\n";
      line.clear();
      for (const auto& [k, n] : by_kind) line += fmt::format("{}{} {}", line.empty() ? "" : ", ", n, k);
      if (!line.empty()) out << st("2", "  suppressed  ") << line << " (listed in the JSON/SARIF reports)\n";
    }
    if (shown != 0) {
      std::vector<std::string> rule_ids;
      bool any_in_history = false;
      for (const auto& f : r.findings) {
        if (f.suppressed) continue;
        if (std::find(rule_ids.begin(), rule_ids.end(), f.rule_id) == rule_ids.end())
          rule_ids.push_back(f.rule_id);
        any_in_history |= f.provenance.commit.has_value();
      }
      out << "\n";
      print_next_steps(out, st, r, rule_ids, any_in_history);
      out << "\n";
    }
    // Skipped inputs, by reason, with the first few places: a skip is coverage the reader
    // must know about, whether or not it made the scan incomplete.
    if (!s.skips.empty()) {
      std::map<std::string, std::pair<std::size_t, std::vector<const SkipRecord*>>> by_reason;
      for (const auto& k : s.skips) {
        auto& [n, first] = by_reason[k.reason];
        ++n;
        if (first.size() < 3) first.push_back(&k);
      }
      out << st("2", "  skipped") << "\n";
      for (const auto& [reason, v] : by_reason) {
        out << fmt::format("    {:>6}  {}", v.first, escape_for_terminal(reason)) << ":";
        for (const SkipRecord* k : v.second) out << " " << escape_for_terminal(k->path);
        if (v.first > v.second.size()) out << " …";
        out << "\n";
      }
      if (s.skipped > s.skips.size())
        out << st("2", fmt::format("    ({} more skips not itemised)", s.skipped - s.skips.size())) << "\n";
    }
    const bool nothing_scanned = s.files == 0 && s.blobs == 0 && s.commits == 0 && s.bytes == 0;
    std::string summary =
        fmt::format("{} finding{} ({} token{}) in {} file{}{}, {} scanned, {} skipped, {:.2f} s",
                    unsuppressed, unsuppressed == 1 ? "" : "s", shown, shown == 1 ? "" : "s", s.files,
                    s.files == 1 ? "" : "s", s.commits ? fmt::format(" / {} commits", s.commits) : "",
                    human_bytes(s.bytes), s.skipped, r.scan.duration_seconds);
    if (s.reused)
      summary +=
          fmt::format(" ({} unchanged file{} not read: --state-dir)", s.reused, s.reused == 1 ? "" : "s");
    if (suppressed) summary += fmt::format(", {} suppressed", suppressed);
    // A green tick means "looked and found nothing": never when nothing was looked at.
    if (unsuppressed)
      out << st("1;31", "✗ ") << summary << "\n";
    else if (nothing_scanned)
      out << st("1;33", "! nothing scanned: ") << summary << "\n";
    else
      out << st("1;32", "✓ ") << summary << "\n";
    if (!r.scan.complete) {
      out << st("33", "! scan incomplete:");
      for (const auto& reason : r.scan.incomplete_reasons) out << " " << escape_for_terminal(reason) << ";";
      out << "\n";
      std::size_t n = 0;
      for (const auto& k : s.skips) {
        if (!k.is_error) continue;
        if (++n > 10) break;
        out << "  " << escape_for_terminal(k.path) << ": " << escape_for_terminal(k.reason) << " ("
            << escape_for_terminal(k.detail) << ")\n";
      }
    }
    for (const auto& w : s.warnings) out << st("33", "warning: ") << escape_for_terminal(w) << "\n";
    return Status::ok();
  }

 private:
  ReportOptions opts_;
};

}  // namespace

std::unique_ptr<Reporter> make_human_reporter(const ReportOptions& o) {
  return std::make_unique<HumanReporter>(o);
}

}  // namespace glpatrol
