#include "reporters/hook_message.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/encoding.h"

namespace glpatrol {

std::string revoke_advice(const std::vector<Rule>& rules, const std::string& rule_id,
                          const std::string& base) {
  for (const auto& r : rules) {
    if (r.id != rule_id || r.revoke.empty()) continue;
    std::string t = r.revoke;
    for (auto at = t.find("{base}"); at != std::string::npos; at = t.find("{base}")) t.replace(at, 6, base);
    return t;
  }
  return "revoke or rotate it where it was created";
}

std::string hook_message(const std::vector<Finding>& findings, const std::vector<Rule>& rules,
                         const HookMessageOptions& o) {
  std::vector<const Finding*> live;
  for (const auto& f : findings)
    if (!f.suppressed) live.push_back(&f);
  if (live.empty()) return {};
  std::stable_sort(live.begin(), live.end(), [](const Finding* a, const Finding* b) {
    const bool va = a->verification && a->verification->status == "active";
    const bool vb = b->verification && b->verification->status == "active";
    if (va != vb) return va;
    return a->effective_severity() > b->effective_severity();
  });
  std::set<std::string> tokens;
  for (const Finding* f : live) tokens.insert(f->secret_sha256);
  const std::string base = o.gitlab_url.empty() ? std::string("https://gitlab.com") : o.gitlab_url;
  const bool message = o.context == "commit-msg";
  const bool push = o.context != "commit" && !message;

  std::string m;
  m += fmt::format("glpatrol: {} rejected: {} GitLab token{} found ({} place{}) in {}.\n",
                   push ? "push" : "commit", tokens.size(), tokens.size() == 1 ? "" : "s", live.size(),
                   live.size() == 1 ? "" : "s",
                   push      ? "the commits being pushed"
                   : message ? "the commit message"
                             : "the staged changes");
  m += "\n";
  std::size_t n = 0;
  std::map<std::string, bool> kinds;
  for (const Finding* f : live) {
    kinds[f->rule_id] = true;
    if (n == o.max_listed) {
      m += fmt::format("  ... and {} more (run `glpatrol git {}` for the full list)\n", live.size() - n,
                       push ? "--range <remote>..HEAD" : "--staged");
      break;
    }
    ++n;
    m += fmt::format("  {} {} ({})\n", to_string(f->effective_severity()), escape_for_terminal(f->rule_name),
                     f->rule_id);
    m += "    token        " + escape_for_terminal(f->redacted) + "\n";
    const Provenance& p = f->provenance;
    const std::string where = place_label(*f);
    m += "    where        " + where + "\n";
    // The commit's sha only: its message may itself hold a token (never printed raw).
    if (p.commit && !p.commit->sha.empty())
      m += "    " + std::string(p.kind == SourceKind::TagMessage ? "tag          " : "commit       ") +
           p.commit->sha.substr(0, 12) + "\n";
    if (f->verification) m += "    verified     " + f->verification->status + "\n";
    m += "    fingerprint  " + fingerprint(*f) + "\n";
  }
  m += "\nWhat to do:\n";
  m += "  1. Revoke the token in GitLab now. Once a token has been written into a file or a\n"
       "     commit, assume it is compromised: removing it from the code does not disable it.\n";
  for (const auto& [rule, _] : kinds) m += "     - " + revoke_advice(rules, rule, base) + "\n";
  if (message) {
    m += "  2. Remove it from the message and commit again. git kept what you wrote: `git commit\n"
         "     -e -F .git/COMMIT_EDITMSG` reopens it. A commit message is published with every\n"
         "     push and stays in the history like a file does.\n";
  } else if (push) {
    m += "  2. Remove it from the commits being pushed: rewrite them (git commit --amend for the\n"
         "     last commit, git rebase -i <base> for older ones), then push again. A new commit\n"
         "     that deletes the line is not enough: the token stays in the history. Keep\n"
         "     tokens in CI/CD variables or a secrets manager instead.\n";
  } else {
    m += "  2. Remove it from the change: delete it from the file (use a CI/CD variable, an\n"
         "     environment variable or a secrets manager instead), then `git add` the file again\n"
         "     (or `git restore --staged <file>`) and commit.\n";
  }
  m += "  3. Not a real token (test data, documentation)? Mark it as a false positive:\n";
  if (o.server) {
    m += "     append the comment `glpatrol:allow` on the token's line, or ask a GitLab\n"
         "     administrator to add its fingerprint to the server hook's ignore file:\n";
  } else {
    m += "     add its fingerprint with a reason to .glpatrolignore at the repository root,\n";
  }
  {
    std::set<std::string> fps;
    for (const Finding* f : live) fps.insert(fingerprint(*f));
    std::size_t k = 0;
    for (const auto& fp : fps) {
      if (++k > 5) {
        m += "       ...\n";
        break;
      }
      m += "       " + fp + "  # why this is not a secret\n";
    }
  }
  if (!o.server) m += "     or append the comment `glpatrol:allow` on the token's line.\n";
  if (!o.server)
    m += push ? "  To push anyway (not recommended): git push --no-verify\n"
              : "  To commit anyway (not recommended): git commit --no-verify\n";
  if (!o.server) return m;
  // GitLab shows a custom server hook's rejection to the pusher only on lines that start
  // with GL-HOOK-ERR: (git clients print every line anyway, after "remote:").
  std::string out;
  std::size_t pos = 0;
  while (pos < m.size()) {
    std::size_t nl = m.find('\n', pos);
    if (nl == std::string::npos) nl = m.size();
    out += "GL-HOOK-ERR: " + m.substr(pos, nl - pos) + "\n";
    pos = nl + 1;
  }
  return out;
}

}  // namespace glpatrol
