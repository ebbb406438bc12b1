// CI detection, sharding and the multi-repository git command (docs/integrations.md).
#include "app/ci_env.h"

#include "common/encoding.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace glpatrol {

EnvFn process_env() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {

std::string env_or(const EnvFn& env, const char* name) {
  auto v = env(name);
  return v ? *v : std::string();
}

bool parse_uint(std::string_view s, unsigned& out) {
  if (s.empty() || s.size() > 6) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

bool is_zero_id(std::string_view s) {
  return !s.empty() && s.find_first_not_of('0') == std::string_view::npos;
}

std::string short_id(const std::string& s) { return s.substr(0, 12); }

bool truthy(const std::string& v) { return v == "true" || v == "1" || v == "yes"; }

}  // namespace

// ---------------------------------------------------------------------------------------

Result<ShardSpec> parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  ShardSpec s;
  if (slash == std::string_view::npos || !parse_uint(text.substr(0, slash), s.index) ||
      !parse_uint(text.substr(slash + 1), s.total))
    return Error::usage("--shard expects I/N (e.g. 2/4), got '" + std::string(text) + "'");
  if (s.total == 0 || s.total > 10000 || s.index == 0 || s.index > s.total)
    return Error::usage("--shard " + std::string(text) + ": need 1 <= I <= N <= 10000");
  s.origin = "--shard";
  return s;
}

Result<ShardSpec> resolve_shard(const std::string& flag, const EnvFn& env) {
  if (flag == "none") return ShardSpec{};
  if (!flag.empty()) return parse_shard(flag);
  const auto idx = env("CI_NODE_INDEX");
  const auto total = env("CI_NODE_TOTAL");
  if (!idx || !total || idx->empty() || total->empty()) return ShardSpec{};
  auto s = parse_shard(*idx + "/" + *total);
  if (!s)
    return Error::usage("CI_NODE_INDEX=" + *idx + " / CI_NODE_TOTAL=" + *total +
                        " do not describe a shard (pass --shard I/N or --shard none)");
  s->origin = "CI_NODE_INDEX/CI_NODE_TOTAL";
  return s;
}

// ---------------------------------------------------------------------------------------

namespace {

Result<CiPlan> detect_gitlab(const EnvFn& env) {
  CiPlan p;
  p.provider = "gitlab";
  p.shallow_fix =
      "the clone is shallow: set the job variable GIT_DEPTH: 0 (full clone) so the range's base "
      "commit and the history are present";
  const std::string head_env = env_or(env, "CI_COMMIT_SHA");
  const std::string head = is_hex_object_id(head_env) ? head_env : "HEAD";
  if (truthy(env_or(env, "SECRET_DETECTION_HISTORIC_SCAN"))) {
    p.event = "history";
    p.description = "GitLab CI, SECRET_DETECTION_HISTORIC_SCAN=true: full history";
    return p;
  }
  const std::string base = env_or(env, "CI_MERGE_REQUEST_DIFF_BASE_SHA");
  if (!base.empty()) {
    if (!is_hex_object_id(base))
      return Error::usage("--ci: CI_MERGE_REQUEST_DIFF_BASE_SHA is not a commit id");
    std::string mr_head = env_or(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA");
    if (!is_hex_object_id(mr_head)) mr_head = head;
    p.event = "merge_request";
    p.range = base + ".." + mr_head;
    const std::string iid = env_or(env, "CI_MERGE_REQUEST_IID");
    p.description = fmt::format(
        "GitLab CI merge request{}: commits of the merge request, range {}..{} "
        "(CI_MERGE_REQUEST_DIFF_BASE_SHA..{})",
        iid.empty() ? "" : " !" + iid, short_id(base), short_id(mr_head),
        mr_head == head ? "CI_COMMIT_SHA" : "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA");
    return p;
  }
  const std::string before = env_or(env, "CI_COMMIT_BEFORE_SHA");
  if (!before.empty() && !is_zero_id(before)) {
    if (!is_hex_object_id(before)) return Error::usage("--ci: CI_COMMIT_BEFORE_SHA is not a commit id");
    if (before == head) {
      p.event = "history";
      p.description =
          "GitLab CI: CI_COMMIT_BEFORE_SHA equals CI_COMMIT_SHA (re-run or "
          "manual pipeline): full history";
      return p;
    }
    p.event = "push";
    p.range = before + ".." + head;
    p.description = fmt::format(
        "GitLab CI push: the pushed commits, range {}..{} "
        "(CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA)",
        short_id(before), short_id(head));
    return p;
  }
  p.event = before.empty() ? "history" : "new-branch";
  p.description = before.empty() ? "GitLab CI without a push or merge request range (tag, schedule, web "
                                   "or API pipeline): full history"
                                 : "GitLab CI, first pipeline of a new branch (CI_COMMIT_BEFORE_SHA is "
                                   "000...0): full history";
  return p;
}

Result<CiPlan> detect_github(const EnvFn& env) {
  CiPlan p;
  p.provider = "github";
  p.shallow_fix =
      "the checkout is shallow: use actions/checkout with fetch-depth: 0 so the range's base "
      "commit and the history are present";
  const std::string event = env_or(env, "GITHUB_EVENT_NAME");
  const std::string path = env_or(env, "GITHUB_EVENT_PATH");
  p.event = event.empty() ? "unknown" : event;
  const bool pr = event == "pull_request" || event == "pull_request_target";
  if (!pr && event != "push") {
    p.event = "history";
    p.description = "GitHub Actions event '" + event + "': full history";
    return p;
  }
  if (path.empty()) return Error::usage("--ci: GITHUB_EVENT_PATH is not set");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::usage("--ci: cannot read GITHUB_EVENT_PATH '" + path + "'");
  std::string text;
  {
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  if (text.size() > (64u << 20)) return Error::usage("--ci: GITHUB_EVENT_PATH is larger than 64 MiB");
  nlohmann::json ev;
  try {
    ev = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Error::usage(std::string("--ci: GITHUB_EVENT_PATH is not valid JSON: ") + e.what());
  }
  auto str_at = [&](const char* ptr) -> std::string {
    try {
      const auto& v = ev.at(nlohmann::json::json_pointer(ptr));
      return v.is_string() ? v.get<std::string>() : std::string();
    } catch (const nlohmann::json::exception&) {
      return {};
    }
  };
  if (pr) {
    const std::string base = str_at("/pull_request/base/sha");
    const std::string head = str_at("/pull_request/head/sha");
    if (!is_hex_object_id(base) || !is_hex_object_id(head))
      return Error::usage("--ci: the pull request event has no valid base.sha / head.sha");
    p.range = base + ".." + head;
    std::string number;
    try {
      const auto& n = ev.at(nlohmann::json::json_pointer("/pull_request/number"));
      if (n.is_number_integer()) number = std::to_string(n.get<long long>());
    } catch (const nlohmann::json::exception&) {
    }
    p.description = fmt::format(
        "GitHub Actions pull request{}: range {}..{} "
        "(pull_request.base.sha..pull_request.head.sha)",
        number.empty() ? "" : " #" + number, short_id(base), short_id(head));
    return p;
  }
  const std::string before = str_at("/before");
  const std::string after = str_at("/after");
  if (is_hex_object_id(before) && !is_zero_id(before) && is_hex_object_id(after) && !is_zero_id(after)) {
    p.range = before + ".." + after;
    p.description = fmt::format(
        "GitHub Actions push: the pushed commits, range {}..{} "
        "(before..after)",
        short_id(before), short_id(after));
    return p;
  }
  p.event = "new-branch";
  p.description = "GitHub Actions push of a new branch (before is 000...0): full history";
  return p;
}

}  // namespace

Result<CiPlan> detect_ci(const EnvFn& env) {
  if (truthy(env_or(env, "GITLAB_CI"))) return detect_gitlab(env);
  if (truthy(env_or(env, "GITHUB_ACTIONS"))) return detect_github(env);
  return Error::usage(
      "--ci: no supported CI environment detected (GITLAB_CI or GITHUB_ACTIONS "
      "is not set); pass --range A..B or scan the full history instead");
}

bool repo_is_shallow(const std::string& repo) {
  struct stat st {};
  const std::string base = repo.empty() ? std::string(".") : repo;
  return ::stat((base + "/.git/shallow").c_str(), &st) == 0 || ::stat((base + "/shallow").c_str(), &st) == 0;
}

Result<std::vector<std::string>> read_repo_list(std::string_view text, const std::string& origin) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto st = for_each_line(text, [&](std::string_view line, std::size_t line_no) -> Status {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') return Status::ok();
    if (line.find('\0') != std::string_view::npos)
      return Error::usage(fmt::format("{}:{}: NUL byte in a repository path", origin, line_no));
    std::string s(line);
    if (seen.insert(s).second) out.push_back(std::move(s));
    return Status::ok();
  });
  if (!st) return st.error();
  return out;
}

}  // namespace glpatrol
