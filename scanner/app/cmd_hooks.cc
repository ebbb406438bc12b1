// Git hooks (docs/integrations.md):
//   glpatrol install-hook [REPO] [--pre-push] [--force]   writes a native git hook
//   glpatrol pre-push [REMOTE [URL]]                       what a push would publish (stdin
//                                                          as git gives it to pre-push)
//   glpatrol pre-receive [REPO]                            server side (git / GitLab hooks):
//                                                          what the pushed commits introduce
// plus the message a blocked developer sees (hook_message), used by `git --hook` too.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <climits>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "app/ci_env.h"
#include "app/commands.h"
#include "app/scan_driver.h"
#include "common/encoding.h"
#include "matcher/matcher.h"
#include "matcher/to_finding.h"
#include "sources/git/git_repo.h"
#include "sources/git/git_scan.h"
#include "sources/git/git_walk.h"
#include "sources/git/ref_updates.h"

namespace glpatrol {

// ---------------------------------------------------------------------------------------
// The blocked-developer message

namespace {

/// Where a token of each kind is revoked in GitLab's UI (menu path; {base} = instance URL).
/// The first entry whose prefix starts the rule id wins.
struct RevokeAdvice {
  const char* rule_prefix;
  const char* text;
};
constexpr RevokeAdvice kRevokeAdvice[] = {
    {"gitlab.pat", "personal access token: User settings > Access tokens > Revoke "
                   "({base}/-/user_settings/personal_access_tokens); a project or group access "
                   "token (same prefix): the project's or group's Settings > Access tokens > Revoke"},
    {"gitlab.routable", "routable token: if it is a personal, project or group access token, "
                        "revoke it under User settings (or the project's/group's Settings) > "
                        "Access tokens ({base}/-/user_settings/personal_access_tokens)"},
    {"gitlab.runner_registration", "runner registration token: the project's/group's Settings > CI/CD > "
                                   "Runners > Reset registration token (Admin area > CI/CD > Runners for "
                                   "instance runners)"},
    {"gitlab.runner_auth", "runner authentication token: Settings > CI/CD > Runners, open the runner "
                           "and reset its authentication token (or delete the runner), then "
                           "re-register it"},
    {"gitlab.oauth_app_secret", "OAuth application secret: User settings / Group settings / Admin area > "
                                "Applications, open the application > Renew secret"},
    {"gitlab.deploy_token", "deploy token: the project's or group's Settings > Repository > Deploy "
                            "tokens > Revoke"},
    {"gitlab.job_token", "CI/CD job token: valid only while its job runs; cancel the job if it is "
                         "still running and check the project's audit events"},
    {"gitlab.pipeline_trigger", "pipeline trigger token: the project's Settings > CI/CD > Pipeline "
                                "trigger tokens > Revoke"},
    {"gitlab.feed_token", "feed token: User settings > Access tokens > Feed token > Reset "
                          "({base}/-/user_settings/personal_access_tokens)"},
    {"gitlab.incoming_mail", "incoming email token: User settings > Access tokens > Incoming email "
                             "token > Reset"},
    {"gitlab.agent_token", "Kubernetes agent token: Operate > Kubernetes clusters, open the agent > "
                           "Access tokens > Revoke"},
    {"gitlab.scim_token", "SCIM token: the group's Settings > SAML SSO > SCIM token > Reset"},
    {"gitlab.feature_flags_client", "feature flags client token: Deploy > Feature flags > Configure > "
                                    "Reset the token"},
    {"gitlab.workspace_token", "workspace token: stop and terminate the workspace (Remote development > "
                               "Workspaces)"},
    {"gitlab.session_cookie", "session cookie: User settings > Active sessions > Revoke (or sign out "
                              "everywhere)"},
};

std::string revoke_advice(const std::string& rule_id, const std::string& base) {
  for (const auto& a : kRevokeAdvice) {
    if (rule_id.rfind(a.rule_prefix, 0) != 0) continue;
    std::string t = a.text;
    for (auto at = t.find("{base}"); at != std::string::npos; at = t.find("{base}"))
      t.replace(at, 6, base);
    return t;
  }
  return "revoke or rotate it where it was created";
}

}  // namespace

std::string hook_message(const std::vector<Finding>& findings, const HookMessageOptions& o) {
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
  const bool push = o.context != "commit";

  std::string m;
  m += fmt::format("glpatrol: {} rejected: {} GitLab token{} found ({} place{}) in {}.\n",
                   push ? "push" : "commit", tokens.size(), tokens.size() == 1 ? "" : "s",
                   live.size(), live.size() == 1 ? "" : "s",
                   push ? "the commits being pushed" : "the staged changes");
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
    m += fmt::format("  {} {} ({})\n", to_string(f->effective_severity()),
                     escape_for_terminal(f->rule_name), f->rule_id);
    m += "    token        " + escape_for_terminal(f->redacted) + "\n";
    std::string where = f->path.empty() ? "<" + f->location_kind + ">" : escape_for_terminal(f->path);
    where += fmt::format(":{}:{}", f->line, f->column);
    if (f->location_kind == "commit-message" || f->location_kind == "tag-message")
      where += " (" + f->location_kind + ")";
    m += "    where        " + where + "\n";
    // The commit's sha only: its message may itself hold a token (never printed raw).
    if (f->commit && !f->commit->sha.empty())
      m += "    " + std::string(f->location_kind == "tag-message" ? "tag          " : "commit       ") +
           f->commit->sha.substr(0, 12) + "\n";
    if (f->verification)
      m += "    verified     " + f->verification->status + "\n";
    m += "    fingerprint  " + fingerprint(*f) + "\n";
  }
  m += "\nWhat to do:\n";
  m += "  1. Revoke the token in GitLab now. Once a token has been written into a file or a\n"
       "     commit, assume it is compromised: removing it from the code does not disable it.\n";
  for (const auto& [rule, _] : kinds) m += "     - " + revoke_advice(rule, base) + "\n";
  if (push) {
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
  if (!o.server)
    m += "     or append the comment `glpatrol:allow` on the token's line.\n";
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

PostStage make_hook_message_stage(const std::string& context);
PostStage make_hook_message_stage(const std::string& context) {
  return [context](std::vector<Finding>& findings, ScanContext& ctx) -> Status {
    HookMessageOptions o;
    o.context = context;
    o.server = context == "pre-receive";
    if (o.server) o.context = "push";
    if (!ctx.options().gitlab_urls.empty()) o.gitlab_url = ctx.options().gitlab_urls.front();
    while (!o.gitlab_url.empty() && o.gitlab_url.back() == '/') o.gitlab_url.pop_back();
    const std::string msg = hook_message(findings, o);
    if (!msg.empty()) std::cerr << msg << std::flush;
    return Status::ok();
  };
}

// ---------------------------------------------------------------------------------------
// install-hook

std::string hook_script(const std::string& kind, const std::string& binary) {
  std::string quoted = "'";
  for (char c : binary) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  std::string s = "#!/bin/sh\n";
  s += "# glpatrol-hook 1: written by `glpatrol install-hook" +
       std::string(kind == "pre-push" ? " --pre-push" : "") +
       "`. Delete this file to uninstall.\n";
  s += kind == "pre-push"
           ? "# Blocks a push whose new commits contain a GitLab token.\n"
           : "# Blocks a commit whose staged changes contain a GitLab token.\n";
  s += "if [ -z \"${GLPATROL:-}\" ]; then GLPATROL=" + quoted + "; fi\n";
  s += "if ! command -v \"$GLPATROL\" >/dev/null 2>&1; then\n";
  s += "  echo \"glpatrol hook: '$GLPATROL' not found: install glpatrol, set GLPATROL, or delete "
       "$0\" >&2\n";
  s += "  exit 1\n";
  s += "fi\n";
  if (kind == "pre-push")
    s += "exec \"$GLPATROL\" pre-push \"$@\"\n";
  else
    s += "exec \"$GLPATROL\" git --staged --hook\n";
  return s;
}

namespace {

std::string self_exe() {
  char buf[PATH_MAX + 1];
  const ssize_t n = ::readlink("/proc/self/exe", buf, PATH_MAX);
  if (n <= 0) return "glpatrol";
  return std::string(buf, static_cast<std::size_t>(n));
}

struct InstallOptions {
  std::string repo = ".";
  bool pre_push = false;
  bool force = false;
  std::string binary;
  bool trust_repo_owner = false;
};

int install_hook(const InstallOptions& io) {
  git::LibGit2 lib;
  git::configure_libgit2(io.trust_repo_owner);
  auto repo = git::open_repository(io.repo);
  if (!repo) {
    std::cerr << "glpatrol: " << repo.error().message << "\n";
    return kExitError;
  }
  // core.hooksPath (relative paths are relative to the work tree, as git runs hooks there).
  std::string dir = repo->common_dir + "hooks";
  {
    git_config* cfg = nullptr;
    if (git_repository_config_snapshot(&cfg, repo->repo.get()) == 0) {
      const char* v = nullptr;
      if (git_config_get_string(&v, cfg, "core.hooksPath") == 0 && v != nullptr && v[0] != '\0') {
        std::string hp = v;
        if (hp.rfind("~/", 0) == 0) {
          const char* home = std::getenv("HOME");
          hp = std::string(home != nullptr ? home : "") + hp.substr(1);
        } else if (hp.front() != '/') {
          hp = (repo->workdir.empty() ? repo->git_dir : repo->workdir) + hp;
        }
        dir = hp;
      }
      git_config_free(cfg);
    }
  }
  const std::string kind = io.pre_push ? "pre-push" : "pre-commit";
  const std::string path = dir + (dir.back() == '/' ? "" : "/") + kind;
  ::mkdir(dir.c_str(), 0755);
  std::string backup;
  {
    std::ifstream existing(path, std::ios::binary);
    if (existing) {
      std::ostringstream ss;
      ss << existing.rdbuf();
      const bool ours = ss.str().find("# glpatrol-hook ") != std::string::npos;
      if (!ours) {
        if (!io.force) {
          std::cerr << "glpatrol: " << path << " already exists and was not written by glpatrol; "
                    << "not overwriting it. Merge it by hand (call `glpatrol "
                    << (io.pre_push ? "pre-push \"$@\"" : "git --staged --hook")
                    << "` from it), or pass --force to move it to " << kind
                    << ".pre-glpatrol and install glpatrol's\n";
          return kExitError;
        }
        backup = path + ".pre-glpatrol";
        if (::rename(path.c_str(), backup.c_str()) != 0) {
          std::cerr << "glpatrol: cannot move " << path << " aside: " << std::strerror(errno) << "\n";
          return kExitError;
        }
      }
    }
  }
  const std::string binary = io.binary.empty() ? self_exe() : io.binary;
  const std::string script = hook_script(kind, binary);
  const std::string tmp = path + ".glpatrol-tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
  if (fd < 0) {
    std::cerr << "glpatrol: cannot write " << tmp << ": " << std::strerror(errno) << "\n";
    return kExitError;
  }
  const bool ok = ::write(fd, script.data(), script.size()) == static_cast<ssize_t>(script.size()) &&
                  ::fchmod(fd, 0755) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    std::cerr << "glpatrol: cannot install " << path << ": " << std::strerror(errno) << "\n";
    return kExitError;
  }
  std::cout << "glpatrol: installed " << kind << " hook " << path << " (runs " << binary << ")\n";
  if (!backup.empty()) std::cout << "glpatrol: the previous hook was moved to " << backup << "\n";
  return kExitClean;
}

// ---------------------------------------------------------------------------------------
// pre-push / pre-receive: the pushed commits

struct PushOptions {
  std::string repo = ".";
  std::string remote;        ///< pre-push: the remote's name (its refs/remotes/<name>/* are old)
  std::string url;           ///< pre-push: the remote's URL (unused)
  bool server = false;       ///< pre-receive
  bool fail_open = false;    ///< accept the push when glpatrol fails (exit 2/3)
  bool trust_repo_owner = false;
};

std::string read_stdin_bounded(std::size_t cap, bool* too_big) {
  std::string s;
  char buf[65536];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    s.append(buf, static_cast<std::size_t>(std::cin.gcount()));
    if (s.size() > cap) {
      *too_big = true;
      break;
    }
  }
  return s;
}

/// Quarantine object directories of a running pre-receive hook (git >= 2.11 and Gitaly keep
/// pushed objects there until the hook accepts them). Only read by `pre-receive`.
std::vector<std::string> quarantine_dirs(const std::string& repo_dir) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto real = [](const std::string& p) {
    char buf[PATH_MAX + 1];
    return ::realpath(p.c_str(), buf) != nullptr ? std::string(buf) : std::string();
  };
  // The repository's own object directory is read anyway (and through the safe backend).
  seen.insert(real(repo_dir + "/objects"));
  seen.insert(real(repo_dir + "/.git/objects"));
  auto add = [&](std::string d) {
    if (d.empty()) return;
    if (d.front() != '/') d = repo_dir + "/" + d;
    struct stat st{};
    if (::stat(d.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
    const std::string r = real(d);
    if (!r.empty() && seen.insert(r).second) out.push_back(r);
  };
  if (const char* q = std::getenv("GIT_QUARANTINE_PATH")) add(q);
  if (const char* q = std::getenv("GIT_OBJECT_DIRECTORY")) add(q);
  if (const char* a = std::getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES")) {
    std::string_view v(a);
    std::size_t pos = 0;
    while (pos <= v.size()) {
      std::size_t c = v.find(':', pos);
      if (c == std::string_view::npos) c = v.size();
      add(std::string(v.substr(pos, c - pos)));
      pos = c + 1;
    }
  }
  return out;
}

struct PushPlan {
  std::vector<std::string> tips, stops;
  std::size_t new_commits = 0;
  std::vector<std::pair<std::string, std::string>> tags;  ///< pushed annotated tags: id, ref
};

/// The commits the push adds to the repository: reachable from the new ids, not from any
/// ref that already exists (pre-receive: every ref before the update; pre-push: the remote's
/// old ids and its remote-tracking refs). Force pushes and new branches need no special case.
Result<PushPlan> plan_push(git_repository* repo, const std::vector<RefUpdate>& updates,
                           const PushOptions& po) {
  std::vector<git_oid> pushed, known;
  PushPlan plan;
  for (const auto& u : updates) {
    if (u.is_deletion()) continue;
    git_oid id;
    git_oid_fromstr(&id, u.new_id.c_str());
    git_object* obj = nullptr;
    if (git_object_lookup(&obj, repo, &id, GIT_OBJECT_ANY) != 0)
      return Error::git("pushed object " + u.new_id + " (" + u.ref + ") is not in the repository: " +
                        git::last_git_error_text());
    git::ObjectPtr o(obj);
    if (git_object_type(obj) == GIT_OBJECT_TAG) plan.tags.emplace_back(u.new_id, u.ref);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) != 0) continue;  // tag of a tree/blob
    git::ObjectPtr p(peeled);
    pushed.push_back(*git_object_id(peeled));
  }
  if (pushed.empty()) return plan;
  auto hide = [&](const git_oid& id) {
    git_object* obj = nullptr;
    if (git_object_lookup(&obj, repo, &id, GIT_OBJECT_ANY) != 0) return;  // unknown here
    git::ObjectPtr o(obj);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) != 0) return;
    git::ObjectPtr p(peeled);
    known.push_back(*git_object_id(peeled));
  };
  // Hides the target of every ref matching `glob` ("" = all refs).
  auto hide_refs = [&](const std::string& glob) -> Status {
    git_reference_iterator* it_raw = nullptr;
    const int rc = glob.empty() ? git_reference_iterator_new(&it_raw, repo)
                                : git_reference_iterator_glob_new(&it_raw, repo, glob.c_str());
    if (rc != 0) return git::git_error("refs", rc);
    git::RefIterPtr it(it_raw);
    git_reference* ref = nullptr;
    while (git_reference_next(&ref, it.get()) == 0) {
      git::RefPtr r(ref);
      git_reference* resolved = nullptr;
      if (git_reference_resolve(&resolved, ref) != 0) continue;
      git::RefPtr rr(resolved);
      if (const git_oid* t = git_reference_target(resolved)) hide(*t);
    }
    return Status::ok();
  };
  if (po.server) {
    if (auto s = hide_refs(""); !s) return s.error();
  } else {
    for (const auto& u : updates) {
      if (u.is_creation()) continue;
      git_oid id;
      git_oid_fromstr(&id, u.old_id.c_str());
      hide(id);
    }
    if (!po.remote.empty() && po.remote.find('/') == std::string::npos)
      (void)hide_refs("refs/remotes/" + po.remote + "/*");  // none: a URL remote
  }
  auto fresh = git::new_commits(repo, pushed, known);
  if (!fresh) return fresh.error().with_context("walking the pushed commits");
  plan.new_commits = fresh->commits.size();
  std::set<std::string> stops, tips;
  for (const auto& p : fresh->boundary) stops.insert(git::oid_hex(p));
  for (const auto& c : pushed)
    if (fresh->commits.count(c) != 0) tips.insert(git::oid_hex(c));
  plan.tips.assign(tips.begin(), tips.end());
  plan.stops.assign(stops.begin(), stops.end());
  return plan;
}

/// The messages of pushed annotated tags (the engine's range mode scans commits only).
Status scan_tag_messages(git_repository* repo, const std::vector<std::pair<std::string, std::string>>& tags,
                         ScanContext& ctx) {
  if (tags.empty()) return Status::ok();
  auto m = Matcher::create(ctx.db());
  if (!m) return m.error();
  for (const auto& [hex, ref] : tags) {
    git_oid id;
    git_oid_fromstr(&id, hex.c_str());
    git_tag* raw = nullptr;
    if (git_tag_lookup(&raw, repo, &id) != 0) continue;
    git::TagPtr tag(raw);
    const char* msg = git_tag_message(raw);
    if (msg == nullptr) continue;
    std::vector<LocatedMatch> out;
    if (auto s = m->scan(msg, out); !s) return s;
    for (const auto& lm : out) {
      Finding f = make_finding(ctx.db(), lm);
      f.location_kind = "tag-message";
      f.path = ref;
      CommitInfo ci;
      ci.sha = hex;
      if (const git_signature* sig = git_tag_tagger(raw)) {
        ci.author_name = sig->name != nullptr ? sig->name : "";
        ci.author_email = sig->email != nullptr ? sig->email : "";
      }
      std::string_view first(msg);
      first = first.substr(0, std::min<std::size_t>(first.find('\n'), 200));
      ci.message = std::string(first);
      f.commit = std::move(ci);
      ctx.add_finding(std::move(f));
    }
  }
  return Status::ok();
}

int run_push_scan(const PushOptions& po, ScanOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  bool too_big = false;
  const std::string input = read_stdin_bounded(16u << 20, &too_big);
  const std::string who = po.server ? "pre-receive" : "pre-push";
  auto fail = [&](const std::string& msg) {
    std::cerr << (po.server ? "GL-HOOK-ERR: " : "") << "glpatrol " << who << ": " << msg << "\n";
    if (po.fail_open) {
      std::cerr << (po.server ? "GL-HOOK-ERR: " : "")
                << "glpatrol: --fail-open: accepting the push without a secret scan\n";
      return kExitClean;
    }
    return kExitError;
  };
  if (too_big) return fail("hook input larger than 16 MiB");
  std::vector<RefUpdate> updates;
  std::string remote = po.remote;
  const char* pc_to = std::getenv("PRE_COMMIT_TO_REF");
  if (!po.server && input.find_first_not_of(" \t\r\n") == std::string::npos && pc_to != nullptr) {
    // Run by the pre-commit framework's pre-push stage: the refs come in the environment.
    const char* from = std::getenv("PRE_COMMIT_FROM_REF");
    RefUpdate u;
    u.new_id = pc_to;
    u.old_id = from != nullptr && is_hex_object_id(from) ? from : std::string(40, '0');
    u.ref = "pre-commit";
    if (!is_hex_object_id(u.new_id)) return fail("PRE_COMMIT_TO_REF is not an object id");
    if (const char* rn = std::getenv("PRE_COMMIT_REMOTE_NAME"); rn != nullptr && remote.empty())
      remote = rn;
    updates.push_back(u);
  } else {
    auto parsed = parse_ref_updates(input, !po.server);
    if (!parsed) return fail(parsed.error().message);
    updates = std::move(*parsed);
  }

  git::LibGit2 lib;
  git::configure_libgit2(po.trust_repo_owner);
  std::vector<std::string> extra;
  if (po.server) {
    char cwd[PATH_MAX + 1];
    const std::string here = ::getcwd(cwd, PATH_MAX) != nullptr ? std::string(cwd) : std::string(".");
    extra = quarantine_dirs(po.repo.front() == '/' ? po.repo : here + "/" + po.repo);
  }
  auto repo = git::open_repository(po.repo, extra);
  if (!repo) return fail(repo.error().message);
  PushOptions effective = po;
  effective.remote = remote;
  auto plan = plan_push(repo->repo.get(), updates, effective);
  if (!plan) return fail(plan.error().message);
  if (plan->tips.empty() && plan->tags.empty()) return kExitClean;  // deletions, or nothing new

  GitScanOptions g;
  g.repo = po.repo;
  g.range_tips = plan->tips;
  g.range_stops = plan->stops;
  g.extra_object_dirs = extra;
  g.trust_repo_owner = po.trust_repo_owner;
  if (opts.format == "human") opts.quiet = true;  // the hook message says it on stderr
  const std::size_t new_commits = plan->new_commits;
  const auto tags = plan->tags;
  const std::vector<RefUpdate> ups = updates;
  int rc = run_scan(who, {po.repo}, opts,
                    [&](ScanContext& ctx) -> Status {
                      GitScanOptions gg = g;
                      if (!opts.max_file_size.empty()) gg.max_blob_size = opts.fs.max_file_size;
                      nlohmann::ordered_json refs = nlohmann::ordered_json::array();
                      for (const auto& u : ups)
                        refs.push_back({{"ref", json_text(u.ref)}, {"old", u.old_id}, {"new", u.new_id}});
                      ctx.info.extra["push"] = {{"updates", refs}, {"new_commits", new_commits}};
                      if (auto s = scan_tag_messages(repo->repo.get(), tags, ctx); !s) return s;
                      if (g.range_tips.empty()) return Status::ok();  // only tags of known commits
                      GitScanIo io{ctx.db(),
                                   ctx.jobs(),
                                   ctx.stats,
                                   [&ctx](Finding f) { ctx.add_finding(std::move(f)); },
                                   [&ctx](std::string reason, bool fault) {
                                     ctx.mark_incomplete(std::move(reason), fault);
                                   },
                                   ctx.info.extra};
                      return scan_git(gg, io);
                    },
                    {make_hook_message_stage(po.server ? "pre-receive" : "push")});
  if (std::getenv("GLPATROL_HOOK_TIMING") != nullptr)
    std::cerr << fmt::format("glpatrol {}: {} new commit(s) scanned in {:.3f} s\n", who, new_commits,
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if ((rc == kExitError || rc == kExitIncomplete) && po.fail_open)
    return fail(rc == kExitError ? "the scan failed" : "the scan was incomplete");
  if (rc == kExitIncomplete)
    std::cerr << (po.server ? "GL-HOOK-ERR: " : "")
              << "glpatrol: push rejected: some pushed objects could not be read, so the push "
                 "could not be checked completely\n";
  return rc;
}

}  // namespace

void add_hooks_commands(CLI::App& root, int& rc) {
  {
    auto io = std::make_shared<InstallOptions>();
    CLI::App* cmd = root.add_subcommand(
        "install-hook", "Install a git hook in a repository: pre-commit (staged changes) or, with "
                        "--pre-push, pre-push (the commits being pushed)");
    cmd->add_option("repo", io->repo, "repository (default .)");
    cmd->add_flag("--pre-push", io->pre_push, "install a pre-push hook instead of pre-commit");
    cmd->add_flag("--force", io->force,
                  "replace an existing hook that glpatrol did not write (it is kept as "
                  "<hook>.pre-glpatrol)");
    cmd->add_option("--binary", io->binary,
                    "glpatrol binary the hook runs (default: this one, by absolute path; "
                    "GLPATROL in the environment overrides it at run time)");
    cmd->add_flag("--trust-repo-owner", io->trust_repo_owner, "open a repository owned by another user");
    cmd->callback([io, &rc] { rc = install_hook(*io); });
  }
  for (const bool server : {false, true}) {
    auto po = std::make_shared<PushOptions>();
    auto opts = std::make_shared<ScanOptions>();
    po->server = server;
    CLI::App* cmd = root.add_subcommand(
        server ? "pre-receive" : "pre-push",
        server ? "Server-side hook (git or GitLab custom server hook): reads '<old> <new> <ref>' "
                 "lines on stdin, scans what the pushed commits introduce and rejects the push "
                 "(exit 1, GL-HOOK-ERR: lines) when a token is found"
               : "Client-side pre-push hook: reads git's pre-push lines on stdin and scans the "
                 "commits the push would publish");
    if (server) {
      cmd->add_option("repo", po->repo, "repository (default .: the hook's working directory)");
      cmd->add_flag("--fail-open", po->fail_open,
                    "accept the push when glpatrol itself fails (errors, unreadable objects); "
                    "findings still reject it");
    } else {
      cmd->add_option("remote", po->remote, "remote name (git passes it)");
      cmd->add_option("url", po->url, "remote URL (git passes it; unused)");
    }
    cmd->add_flag("--trust-repo-owner", po->trust_repo_owner, "open a repository owned by another user");
    add_scan_options(*cmd, *opts);
    cmd->callback([po, opts, &rc] { rc = run_push_scan(*po, *opts); });
  }
}

}  // namespace glpatrol
