// scan/step: the one path from content to finding — provenance carried through, text from the
// repository redacted before it is shortened, UTF-16 decoded for every source, matches kept
// for places found later.
#include <doctest/doctest.h>

#include <set>

#include "scan/context.h"
#include "scan/step.h"
#include "support/builtin_db.h"
#include "support/tokens.h"

using namespace glpatrol;

namespace {

std::vector<Finding> run(const std::string& content, const Provenance& where, StepOptions opts = {}) {
  FindingCollector sink;
  auto step = ScanStep::create(test::builtin_db(), opts, sink);
  REQUIRE(step.has_value());
  REQUIRE(step->scan(content, where).has_value());
  ScanStats stats;
  return sink.take(stats);
}

std::string utf16le(const std::string& ascii, bool bom) {
  std::string out = bom ? std::string("\xff\xfe", 2) : std::string();
  for (char c : ascii) {
    out += c;
    out += '\0';
  }
  return out;
}

}  // namespace

TEST_CASE("provenance is carried to the finding unchanged") {
  const std::string tok = test::legacy_pat(41);
  Provenance p;
  p.kind = SourceKind::GitBlob;
  p.path = "cfg/app.env";
  p.blob_id = std::string(40, 'a');
  auto fs = run("x\nkey=" + tok + "\n", p);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].provenance.kind == SourceKind::GitBlob);
  CHECK(fs[0].provenance.path == "cfg/app.env");
  CHECK(fs[0].provenance.blob_id == std::string(40, 'a'));
  CHECK(fs[0].line == 2);
  CHECK(fs[0].column == 5);
  CHECK(fs[0].secret == tok);
  CHECK(fs[0].redacted.find(tok.substr(10)) == std::string::npos);
}

TEST_CASE("a commit subject is redacted before it is cut at 200 bytes (issue 11 #3)") {
  const std::string tok = test::legacy_pat(42);
  Provenance p;
  p.kind = SourceKind::CommitMessage;
  CommitInfo c;
  c.sha = std::string(40, 'c');
  // The token straddles byte 200 of the subject: cutting first would print 19 of its 20
  // secret characters.
  c.message = std::string(200 - 15, 'm') + tok + " tail";
  c.author_name = "Dev " + tok;
  c.author_email = tok + "@example.com";
  p.commit = c;
  auto fs = run("body " + tok, p);
  REQUIRE(fs.size() == 1);
  const CommitInfo& got = *fs[0].provenance.commit;
  const std::string body = tok.substr(6);
  for (const std::string* field : {&got.message, &got.author_name, &got.author_email}) {
    for (std::size_t n = 5; n <= body.size(); ++n)
      for (std::size_t at = 0; at + n <= body.size(); ++at)
        CHECK_MESSAGE(field->find(body.substr(at, n)) == std::string::npos, *field);
  }
  CHECK(got.message.size() <= 200);
  // --show-secrets keeps the text as it is.
  auto raw = run("body " + tok, p, StepOptions{false});
  REQUIRE(raw.size() == 1);
  CHECK(raw[0].provenance.commit->author_name == "Dev " + tok);
}

TEST_CASE("a token in a path is redacted in every finding's provenance") {
  const std::string in_name = test::legacy_pat(43), tok = test::legacy_pat(44);
  Provenance p;
  p.path = "dir/" + in_name + ".txt";
  auto fs = run(tok, p);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].provenance.path.find(in_name) == std::string::npos);
  CHECK(fs[0].provenance.path.rfind("dir/", 0) == 0);
}

TEST_CASE("UTF-16 content is found by the step, for any source (issue 11 #4)") {
  const std::string tok = test::legacy_pat(45);
  for (bool bom : {true, false}) {
    const std::string text = "line one\r\ntoken = " + tok + "\r\n" + std::string(80, ' ');
    Provenance p;
    p.kind = SourceKind::GitBlob;
    p.path = "w.ps1";
    auto fs = run(utf16le(text, bom), p);
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].secret == tok);
    CHECK(fs[0].line == 2);
    const std::string enc = fs[0].attributes.back().second;
    CHECK(enc == "utf-16le");
    CHECK(fs[0].offset == (bom ? 2u : 0u) + 2u * text.find(tok));
  }
}

TEST_CASE("match now, find places later: the same findings either way") {
  const std::string tok = test::legacy_pat(46);
  FindingCollector sink;
  auto step = ScanStep::create(test::builtin_db(), StepOptions{}, sink);
  REQUIRE(step.has_value());
  auto none = step->match("nothing here");
  REQUIRE(none.has_value());
  CHECK(*none == nullptr);
  auto m = step->match("a=" + tok);
  REQUIRE(m.has_value());
  REQUIRE(*m != nullptr);
  Provenance p;
  p.path = "later.txt";
  std::vector<Finding> out;
  step->findings(**m, p, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].provenance.path == "later.txt");
  CHECK(out[0].column == 3);
  ScanStats stats;
  CHECK(sink.take(stats).empty());  // findings() hands them to the caller, not the sink
}

TEST_CASE("collector: per-place cap counted, named in a warning, and never clean") {
  FindingCollector c;
  Finding f;
  f.provenance.path = "dump.txt";
  for (std::uint64_t i = 0; i < FindingCollector::kMaxPerPlace + 3; ++i) c.add(f);
  ScanStats stats;
  auto kept = c.take(stats);
  CHECK(kept.size() == FindingCollector::kMaxPerPlace);
  CHECK(c.capped());
  const auto snap = stats.snapshot();
  REQUIRE(snap.warnings.size() == 1);
  CHECK(snap.warnings[0].find("3 more findings in dump.txt") != std::string::npos);
}

TEST_CASE("collector: streaming stores nothing") {
  FindingCollector c;
  std::size_t streamed = 0;
  c.stream([&](Finding&&) { ++streamed; });
  for (int i = 0; i < 5; ++i) c.add(Finding{});
  ScanStats stats;
  CHECK(c.take(stats).empty());
  CHECK(streamed == 5);
  CHECK_FALSE(c.capped());
}

TEST_CASE("shard_of is stable and spreads keys") {
  CHECK(shard_of("src/a.txt", 4) == shard_of("src/a.txt", 4));
  std::set<unsigned> seen;
  for (int i = 0; i < 64; ++i) seen.insert(shard_of("file" + std::to_string(i), 4));
  CHECK(seen.size() == 4);
  CHECK(shard_of("x", 1) == 1);
}
