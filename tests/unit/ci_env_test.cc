// CI detection (glpatrol git --ci) and sharding, with fake environments: no process
// environment is read or changed.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <unistd.h>

#include "app/ci_env.h"
#include "scan/context.h"

using namespace glpatrol;

namespace {

EnvFn fake(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::string A(40, 'a'), B(40, 'b'), C(40, 'c'), Z(40, '0');

std::string temp_file(const std::string& content) {
  char name[] = "/tmp/glpatrol-ci-env-XXXXXX";
  const int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  close(fd);
  return name;
}

}  // namespace

TEST_CASE("shard specs: I/N, bounds, CI_NODE_* default, 'none'") {
  auto s = parse_shard("2/4");
  REQUIRE(s);
  CHECK(s->index == 2);
  CHECK(s->total == 4);
  CHECK(s->active());
  for (const char* bad : {"0/4", "5/4", "1/0", "", "/", "a/b", "1/2/3", "-1/2", "1/100001"})
    CHECK_FALSE(parse_shard(bad));
  auto from_env = resolve_shard("", fake({{"CI_NODE_INDEX", "3"}, {"CI_NODE_TOTAL", "5"}}));
  REQUIRE(from_env);
  CHECK(from_env->index == 3);
  CHECK(from_env->origin == "CI_NODE_INDEX/CI_NODE_TOTAL");
  auto flag_wins = resolve_shard("1/2", fake({{"CI_NODE_INDEX", "3"}, {"CI_NODE_TOTAL", "5"}}));
  REQUIRE(flag_wins);
  CHECK(flag_wins->total == 2);
  auto none = resolve_shard("none", fake({{"CI_NODE_INDEX", "3"}, {"CI_NODE_TOTAL", "5"}}));
  REQUIRE(none);
  CHECK_FALSE(none->active());
  CHECK_FALSE(resolve_shard("", fake({}))->active());
  CHECK_FALSE(resolve_shard("", fake({{"CI_NODE_INDEX", "9"}, {"CI_NODE_TOTAL", "5"}})));
}

TEST_CASE("shard_of partitions keys deterministically and roughly evenly") {
  std::map<unsigned, int> counts;
  for (int i = 0; i < 4000; ++i) {
    const std::string key = "blob-" + std::to_string(i);
    const unsigned s = shard_of(key, 4);
    REQUIRE(s >= 1);
    REQUIRE(s <= 4);
    CHECK(shard_of(key, 4) == s);
    ++counts[s];
  }
  for (const auto& [s, n] : counts) CHECK(n > 800);
  CHECK(shard_of("anything", 1) == 1);
  // Fixed values: the partition must not change between versions (shards of one scan may be
  // produced by different builds).
  CHECK(shard_of("", 7) == (0xcbf29ce484222325ull % 7) + 1);
}

TEST_CASE("GitLab CI: merge request, push, new branch, historic scan") {
  auto mr = detect_ci(fake({{"GITLAB_CI", "true"},
                            {"CI_COMMIT_SHA", B},
                            {"CI_MERGE_REQUEST_DIFF_BASE_SHA", A},
                            {"CI_MERGE_REQUEST_IID", "12"},
                            {"CI_COMMIT_BEFORE_SHA", C}}));
  REQUIRE(mr);
  CHECK(mr->provider == "gitlab");
  CHECK(mr->event == "merge_request");
  CHECK(mr->range == A + ".." + B);
  CHECK(mr->description.find("!12") != std::string::npos);
  CHECK(mr->shallow_fix.find("GIT_DEPTH: 0") != std::string::npos);

  auto push = detect_ci(fake({{"GITLAB_CI", "true"}, {"CI_COMMIT_SHA", B}, {"CI_COMMIT_BEFORE_SHA", A}}));
  REQUIRE(push);
  CHECK(push->event == "push");
  CHECK(push->range == A + ".." + B);

  auto fresh = detect_ci(fake({{"GITLAB_CI", "true"}, {"CI_COMMIT_SHA", B}, {"CI_COMMIT_BEFORE_SHA", Z}}));
  REQUIRE(fresh);
  CHECK(fresh->event == "new-branch");
  CHECK(fresh->range.empty());  // full history, never a silently narrower scan

  auto hist = detect_ci(fake({{"GITLAB_CI", "true"},
                              {"CI_COMMIT_SHA", B},
                              {"CI_MERGE_REQUEST_DIFF_BASE_SHA", A},
                              {"SECRET_DETECTION_HISTORIC_SCAN", "true"}}));
  REQUIRE(hist);
  CHECK(hist->range.empty());

  auto rerun = detect_ci(fake({{"GITLAB_CI", "true"}, {"CI_COMMIT_SHA", B}, {"CI_COMMIT_BEFORE_SHA", B}}));
  REQUIRE(rerun);
  CHECK(rerun->range.empty());

  // Values become revisions: only object ids pass.
  CHECK_FALSE(detect_ci(fake({{"GITLAB_CI", "true"}, {"CI_MERGE_REQUEST_DIFF_BASE_SHA", "HEAD~1"}})));
  CHECK_FALSE(detect_ci(fake({{"GITLAB_CI", "true"}, {"CI_COMMIT_BEFORE_SHA", "--all"}})));
  // No CI at all.
  CHECK_FALSE(detect_ci(fake({})));
  CHECK_FALSE(detect_ci(fake({{"GITLAB_CI", "false"}})));
}

TEST_CASE("GitHub Actions: pull request and push events from GITHUB_EVENT_PATH") {
  const std::string pr = temp_file("{\"pull_request\":{\"number\":7,\"base\":{\"sha\":\"" + A +
                                   "\"},\"head\":{\"sha\":\"" + B + "\"}}}");
  auto p = detect_ci(
      fake({{"GITHUB_ACTIONS", "true"}, {"GITHUB_EVENT_NAME", "pull_request"}, {"GITHUB_EVENT_PATH", pr}}));
  REQUIRE(p);
  CHECK(p->provider == "github");
  CHECK(p->range == A + ".." + B);
  CHECK(p->description.find("#7") != std::string::npos);
  CHECK(p->shallow_fix.find("fetch-depth: 0") != std::string::npos);

  const std::string push = temp_file("{\"before\":\"" + A + "\",\"after\":\"" + C + "\"}");
  auto q = detect_ci(
      fake({{"GITHUB_ACTIONS", "true"}, {"GITHUB_EVENT_NAME", "push"}, {"GITHUB_EVENT_PATH", push}}));
  REQUIRE(q);
  CHECK(q->range == A + ".." + C);

  const std::string fresh = temp_file("{\"before\":\"" + Z + "\",\"after\":\"" + C + "\"}");
  auto r = detect_ci(
      fake({{"GITHUB_ACTIONS", "true"}, {"GITHUB_EVENT_NAME", "push"}, {"GITHUB_EVENT_PATH", fresh}}));
  REQUIRE(r);
  CHECK(r->range.empty());

  auto sched = detect_ci(fake({{"GITHUB_ACTIONS", "true"}, {"GITHUB_EVENT_NAME", "schedule"}}));
  REQUIRE(sched);
  CHECK(sched->range.empty());

  const std::string evil =
      temp_file("{\"pull_request\":{\"base\":{\"sha\":\"$(id)\"},\"head\":{\"sha\":\"" + B + "\"}}}");
  CHECK_FALSE(detect_ci(fake(
      {{"GITHUB_ACTIONS", "true"}, {"GITHUB_EVENT_NAME", "pull_request"}, {"GITHUB_EVENT_PATH", evil}})));
  const std::string broken = temp_file("{not json");
  CHECK_FALSE(detect_ci(fake(
      {{"GITHUB_ACTIONS", "true"}, {"GITHUB_EVENT_NAME", "pull_request"}, {"GITHUB_EVENT_PATH", broken}})));
  CHECK_FALSE(detect_ci(fake({{"GITHUB_ACTIONS", "true"}, {"GITHUB_EVENT_NAME", "pull_request"}})));
  for (const auto& f : {pr, push, fresh, evil, broken}) std::remove(f.c_str());
}

TEST_CASE("repository lists: comments, blanks, duplicates") {
  auto r = read_repo_list("# org\n a \n\nb\r\na\n  # x\nc", "list");
  REQUIRE(r);
  CHECK(*r == std::vector<std::string>{"a", "b", "c"});
  CHECK_FALSE(read_repo_list(std::string("a\0b\n", 4), "list"));
}
