// Human output for big scans: findings grouped by token (one token may sit in many places),
// live and most severe tokens first; each group starts with what matters most (severity,
// kind, verification status, risk flags), then the token, then its places (at most 20);
// totals (by severity, verification, suppression) and the summary line come last, so they
// are what stays on screen. Everything that came from scanned data is escaped.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/encoding.h"
#include "reporters/reporter.h"

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
    case Severity::Critical: return "1;31";
    case Severity::High: return "31";
    case Severity::Medium: return "33";
    case Severity::Low: return "36";
    case Severity::Info: return "37";
  }
  return "0";
}

std::string human_bytes(std::uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", b) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string place(const Finding& f) {
  std::string where = escape_for_terminal(f.path.empty() ? "<" + f.location_kind + ">" : f.path);
  where += fmt::format(":{}:{}", f.line, f.column);
  if (f.location_kind != "file" && f.location_kind != "blob" && f.location_kind != "stdin")
    where += " (" + f.location_kind + ")";
  return where;
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
    std::stable_sort(ordered.begin(), ordered.end(),
                     [&](const auto& a, const auto& b) { return rank(a) > rank(b); });

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
      out << "  token     "
          << escape_for_terminal(opts_.show_secrets ? f.secret : f.redacted)
          << st("2", "  sha256:" + f.secret_sha256.substr(0, 12)) << "\n";
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
        out << "  at        " << st("4", place(*p));
        if (p->commit) {
          out << "\n            commit " << p->commit->sha.substr(0, 12) << " by "
              << escape_for_terminal(p->commit->author_name) << " <"
              << escape_for_terminal(p->commit->author_email) << "> " << p->commit->date << " \""
              << escape_for_terminal(p->commit->message) << "\"";
          if (p->commit->merge_sha) out << " (merge " << p->commit->merge_sha->substr(0, 12) << ")";
          if (p->in_head) out << (*p->in_head ? " [still in HEAD]" : " [not in HEAD: deleted, but still leaked]");
        }
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
    std::string summary = fmt::format(
        "{} finding{} ({} token{}) in {} file{}{}, {} scanned, {} skipped, {:.2f} s",
        unsuppressed, unsuppressed == 1 ? "" : "s", shown, shown == 1 ? "" : "s", s.files,
        s.files == 1 ? "" : "s", s.commits ? fmt::format(" / {} commits", s.commits) : "",
        human_bytes(s.bytes), s.skipped, r.scan.duration_seconds);
    if (suppressed) summary += fmt::format(", {} suppressed", suppressed);
    out << st(unsuppressed ? "1;31" : "1;32", unsuppressed ? "✗ " : "✓ ") << summary << "\n";
    if (!r.scan.complete) {
      out << st("33", "! scan incomplete:");
      for (const auto& reason : r.scan.incomplete_reasons) out << " " << escape_for_terminal(reason) << ";";
      out << "\n";
      std::size_t n = 0;
      for (const auto& k : s.skips) {
        if (!k.is_error) continue;
        if (++n > 10) break;
        out << "  " << escape_for_terminal(k.path) << ": " << k.reason << " ("
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
