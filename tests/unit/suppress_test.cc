// Suppression: ignore-file parsing, matching by content (never by position), order of the
// three sources, unused entries, baselines that must be real glpatrol reports.
#include <doctest/doctest.h>

#include <thread>

#include "common/encoding.h"
#include "findings/suppress/suppress.h"

using namespace glpatrol;

namespace {

Finding make(const std::string& secret, const std::string& path = "src/a.env",
             InlineAllow allow = InlineAllow::None) {
  Finding f;
  f.rule_id = "gitlab.pat";
  f.secret = secret;
  f.secret_sha256 = sha256_hex(secret);
  f.provenance.path = path;
  f.inline_allow = allow;
  return f;
}

std::string fp(const std::string& secret) { return "gitlab.pat:" + sha256_hex(secret); }

std::vector<IgnoreEntry> entries(const std::string& text) {
  auto r = parse_ignore_file(text, ".glpatrolignore");
  REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? "" : r.error().message));
  return *r;
}

}  // namespace

TEST_CASE("ignore file: format, mandatory reason, clear errors") {
  const auto e = entries("# comment\n\n" + fp("a") + "   # test fixture\n" + fp("b") +
                         " tests/*.env # generated in tests\r\n");
  REQUIRE(e.size() == 2);
  CHECK(e[0].fingerprint == fp("a"));
  CHECK(e[0].path_glob.empty());
  CHECK(e[0].reason == "test fixture");
  CHECK(e[0].line == 3);
  CHECK(e[1].path_glob == "tests/*.env");
  CHECK(e[1].reason == "generated in tests");

  auto no_reason = parse_ignore_file(fp("a") + "\n", "x");
  REQUIRE(!no_reason.has_value());
  CHECK(no_reason.error().message.find("x:1: missing reason") != std::string::npos);
  auto empty_reason = parse_ignore_file(fp("a") + " #   \n", "x");
  CHECK(!empty_reason.has_value());
  auto bad = parse_ignore_file("\n\ngitlab.pat:abc # short\n", "x");
  REQUIRE(!bad.has_value());
  CHECK(bad.error().message.find("x:3:") != std::string::npos);
  // A gitleaks-style positional entry is not accepted (it would rot).
  CHECK(!parse_ignore_file("abc123:config.env:gitlab-pat:4 # old\n", "x").has_value());
  CHECK(!parse_ignore_file(fp("a") + " a b # too many fields\n", "x").has_value());
  CHECK(is_fingerprint(fp("x")));
  CHECK(!is_fingerprint(":" + sha256_hex("x")));
  CHECK(!is_fingerprint("gitlab.pat:" + std::string(64, 'G')));
}

TEST_CASE("suppression matches content, not places; a different token on an ignored line is reported") {
  Suppressor s(entries(fp("known") + " # fixture\n"), std::nullopt, true);
  Finding moved = make("known", "renamed/elsewhere.env");
  moved.line = 999;
  CHECK(s.apply(moved));
  CHECK(moved.suppressed->kind == "ignore-file");
  CHECK(moved.suppressed->reason.find("fixture") != std::string::npos);
  CHECK(moved.suppressed->reason.find(".glpatrolignore:1") != std::string::npos);
  Finding other = make("a-new-token");  // same file, same line: still reported
  CHECK(!s.apply(other));
  CHECK(!other.suppressed);
  CHECK(s.unused().empty());
}

TEST_CASE("path globs limit an entry; unused entries are reported") {
  Suppressor s(entries(fp("t") + " tests/* # fixture\n" + fp("never") + " # stale\n"), std::nullopt, true);
  Finding in_tests = make("t", "/abs/checkout/tests/x.env");
  Finding in_src = make("t", "/abs/checkout/src/x.env");
  CHECK(s.apply(in_tests));
  CHECK(!s.apply(in_src));
  const auto unused = s.unused();
  REQUIRE(unused.size() == 1);
  CHECK(unused[0].fingerprint == fp("never"));
  CHECK(unused[0].line == 2);
  CHECK(s.count("ignore-file") == 1);
}

TEST_CASE("inline allows: both markers, off with --no-inline-allow; order of sources") {
  Baseline b;
  b.path = "base.json";
  b.fingerprints = {fp("inline-and-baseline"), fp("base-only")};
  Suppressor on(entries(fp("all-three") + " # fixture\n"), b, true);
  Finding g = make("x", "a", InlineAllow::Glpatrol);
  Finding l = make("y", "a", InlineAllow::Gitleaks);
  CHECK(on.apply(g));
  CHECK(g.suppressed->kind == "inline");
  CHECK(g.suppressed->reason.find("glpatrol:allow") != std::string::npos);
  CHECK(on.apply(l));
  CHECK(l.suppressed->reason.find("gitleaks:allow") != std::string::npos);
  Finding all = make("all-three", "a", InlineAllow::Glpatrol);
  CHECK(on.apply(all));
  CHECK(all.suppressed->kind == "ignore-file");
  Finding ib = make("inline-and-baseline", "a", InlineAllow::Glpatrol);
  CHECK(on.apply(ib));
  CHECK(ib.suppressed->kind == "inline");
  Finding base = make("base-only");
  CHECK(on.apply(base));
  CHECK(base.suppressed->kind == "baseline");
  CHECK(base.suppressed->reason.find("base.json") != std::string::npos);

  Suppressor off({}, std::nullopt, false);
  Finding g2 = make("x", "a", InlineAllow::Glpatrol);
  CHECK(!off.apply(g2));
  CHECK(!g2.suppressed);
}

TEST_CASE("baseline: only glpatrol JSON reports, never 'treat as empty'") {
  const std::string ok = R"({"schema_version":"1.0.0","tool":{"name":"glpatrol","version":"0.1.0"},
    "findings":[{"fingerprint":")" +
                         fp("a") + R"("}]})";
  auto b = parse_baseline(ok, "b.json");
  REQUIRE(b.has_value());
  CHECK(b->fingerprints.count(fp("a")) == 1);
  CHECK(!parse_baseline("{not json", "b.json").has_value());
  CHECK(!parse_baseline("[]", "b.json").has_value());
  CHECK(!parse_baseline(R"({"findings":[]})", "b.json").has_value());  // no tool
  CHECK(!parse_baseline(R"({"schema_version":"1.0.0","tool":{"name":"gitleaks"},"findings":[]})", "b")
             .has_value());
  CHECK(!parse_baseline(R"({"schema_version":"2.0.0","tool":{"name":"glpatrol"},"findings":[]})", "b")
             .has_value());
  CHECK(!parse_baseline(R"({"schema_version":"1.0.0","tool":{"name":"glpatrol"},"findings":[{"x":1}]})", "b")
             .has_value());
  // Found by fuzz_suppress: a fingerprint of another JSON type is an error, not an exception.
  for (const char* value : {"null", "42", "[]", "{}", "true"}) {
    const std::string doc =
        std::string(R"({"schema_version":"1.0.0","tool":{"name":"glpatrol"},"findings":[)") +
        R"({"fingerprint":")" + fp("a") + R"("},{"fingerprint":)" + value + "}]}";
    auto bad = parse_baseline(doc, "b.json");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.find("finding 1 has no valid fingerprint") != std::string::npos);
  }
  auto e = parse_baseline(R"({"schema_version":"1.0.0","tool":{"name":"glpatrol"},"findings":[]})", "b");
  REQUIRE(e.has_value());
  CHECK(e->fingerprints.empty());
  CHECK(!load_baseline("/nonexistent/baseline.json").has_value());
}

TEST_CASE("suppressor is thread-safe (streamed jsonl applies it from scanner threads)") {
  Suppressor s(entries(fp("k") + " # fixture\n"), std::nullopt, true);
  std::vector<std::thread> ts;
  ts.reserve(4);
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        Finding f = make(i % 2 ? "k" : "other");
        s.apply(f);
      }
    });
  for (auto& t : ts) t.join();
  CHECK(s.count("ignore-file") == 2000);
}
