// Hook plumbing: the blocked-developer message
// (redacted, where, what to do, GL-HOOK-ERR prefix) and the installed hook script.
#include <doctest/doctest.h>

#include "app/hooks.h"
#include "reporters/hook_message.h"
#include "common/encoding.h"
#include "findings/finding.h"

using namespace glpatrol;

namespace {
Finding finding(const std::string& secret, const std::string& rule, const std::string& path) {
  Finding f;
  f.rule_id = rule;
  f.rule_name = "GitLab token";
  f.secret = secret;
  f.secret_sha256 = sha256_hex(secret);
  f.redacted = secret.substr(0, 4) + "****";
  f.provenance.path = path;
  f.line = 3;
  f.column = 7;
  return f;
}
}  // namespace

TEST_CASE("the blocked-developer message: redacted, where, revoke path, false positive") {
  const std::string secret = std::string("gl") + "pat-" + "Zx9kQ2mW7pLr4tYb8cVn";
  std::vector<Finding> fs{finding(secret, "gitlab.pat", "config/app.env"),
                          finding(secret + "x", "gitlab.deploy_token", "deploy.sh")};
  fs[1].suppressed = Suppression{"inline", "allowed"};
  // A commit message may hold the token itself: only the sha is printed.
  fs[0].provenance.commit =
      CommitInfo{std::string(40, 'c'), "A", "a@example.com", "", "deploy " + secret, std::nullopt};
  HookMessageOptions o;
  o.context = "commit";
  const std::string m = hook_message(fs, builtin_rules(), o);
  CHECK(m.find(secret) == std::string::npos);
  CHECK(m.find("commit rejected: 1 GitLab token") != std::string::npos);
  CHECK(m.find("config/app.env:3:7") != std::string::npos);
  CHECK(m.find("deploy.sh") == std::string::npos);  // suppressed: not listed
  CHECK(m.find("User settings > Access tokens") != std::string::npos);
  CHECK(m.find("https://gitlab.com/-/user_settings/personal_access_tokens") != std::string::npos);
  CHECK(m.find(".glpatrolignore") != std::string::npos);
  CHECK(m.find("gitlab.pat:" + sha256_hex(secret)) != std::string::npos);
  CHECK(m.find("git commit --no-verify") != std::string::npos);
  CHECK(m.find("GL-HOOK-ERR") == std::string::npos);

  o.context = "push";
  o.server = true;
  o.gitlab_url = "https://gitlab.example.com";
  const std::string s = hook_message(fs, builtin_rules(), o);
  std::size_t pos = 0;
  while (pos < s.size()) {  // every line is shown by GitLab
    CHECK(s.compare(pos, 13, "GL-HOOK-ERR: ") == 0);
    pos = s.find('\n', pos) + 1;
  }
  CHECK(s.find("push rejected") != std::string::npos);
  CHECK(s.find("https://gitlab.example.com/-/user_settings/personal_access_tokens") != std::string::npos);
  CHECK(s.find("--no-verify") == std::string::npos);
  CHECK(s.find("administrator") != std::string::npos);

  fs[0].suppressed = Suppression{"baseline", "old"};
  CHECK(hook_message(fs, builtin_rules(), o).empty());
}

TEST_CASE("hostile names are escaped in the message") {
  const std::string secret = std::string("gl") + "pat-" + "Zx9kQ2mW7pLr4tYb8cVn";
  std::vector<Finding> fs{finding(secret, "gitlab.pat", "a\x1b[2Jb\nGL-HOOK-ERR: fake")};
  HookMessageOptions o;
  o.context = "push";
  o.server = true;
  const std::string m = hook_message(fs, builtin_rules(), o);
  CHECK(m.find('\x1b') == std::string::npos);
  CHECK(m.find("\nGL-HOOK-ERR: fake") == std::string::npos);
}

TEST_CASE("the hook script quotes the binary path and execs the right command") {
  const std::string s = hook_script("pre-commit", "/opt/it's here/glpatrol");
  CHECK(s.rfind("#!/bin/sh\n", 0) == 0);
  CHECK(s.find("# glpatrol-hook ") != std::string::npos);
  CHECK(s.find("'/opt/it'\\''s here/glpatrol'") != std::string::npos);
  CHECK(s.find("git --staged --hook") != std::string::npos);
  const std::string p = hook_script("pre-push", "/usr/bin/glpatrol");
  CHECK(p.find("pre-push \"$@\"") != std::string::npos);
}
