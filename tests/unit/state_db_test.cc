// The state database of incremental scans (state/state_db.h): items and their findings per
// scope, cursors, contents, the single-writer lock, the schema version check and migration,
// and what is refused as untrusted.
#include <doctest/doctest.h>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "state/content_cache.h"
#include "support/temp_dir.h"
#include "state/state_db.h"

using namespace glpatrol;
using namespace glpatrol::state;

namespace {

using test::TempDir;

Finding sample(const std::string& secret) {
  Finding f;
  f.rule_id = "gitlab.pat";
  f.rule_name = "GitLab personal access token";
  f.severity = Severity::Critical;
  f.secret = secret;
  f.secret_sha256 = std::string(64, 'a');
  f.redacted = "x****";
  f.checksum = Checksum::Valid;
  f.attributes = {{"routing.o", "1"}};
  f.line = 3;
  f.column = 7;
  f.end_line = 3;
  f.end_column = 30;
  f.offset = 42;
  f.provenance.kind = SourceKind::GitLabItem;
  f.provenance.path = "acme/api/-/issues/7#note_99";
  f.provenance.source = SourceRef{"issue", "acme/api", "https://g/acme/api/-/issues/7#note_99", 99, false};
  f.provenance.commit =
      CommitInfo{"abc", "A", "a@example.com", "2026-01-01T00:00:00Z", "subject", std::nullopt};
  f.provenance.decoded.push_back({"base64", "", 5});
  return f;
}

}  // namespace

TEST_CASE("state db: findings survive the round trip") {
  const auto back = findings_from_text(findings_to_text({sample("value-1"), sample("value-2")}));
  REQUIRE(back.size() == 2);
  const Finding& f = back[0];
  CHECK(f.rule_id == "gitlab.pat");
  CHECK(f.severity == Severity::Critical);
  CHECK(f.secret == "value-1");
  CHECK(f.checksum == Checksum::Valid);
  CHECK(f.attributes.size() == 1);
  CHECK(f.line == 3);
  CHECK(f.end_column == 30);
  CHECK(f.offset == 42);
  CHECK(f.provenance.kind == SourceKind::GitLabItem);
  REQUIRE(f.provenance.source);
  CHECK(f.provenance.source->note_id == 99);
  CHECK(f.provenance.source->web_url == "https://g/acme/api/-/issues/7#note_99");
  REQUIRE(f.provenance.commit);
  CHECK(f.provenance.commit->sha == "abc");
  REQUIRE(f.provenance.decoded.size() == 1);
  CHECK(f.provenance.decoded[0].kind == "base64");
  CHECK(findings_from_text("not json").empty());
}

TEST_CASE("state db: items, versions, scopes and cursors") {
  TempDir dir;
  {
    auto db = StateDb::open(dir.path, "scope-a");
    REQUIRE(db);
    StateDb& s = **db;
    CHECK_FALSE(s.version(1, "issues", "7"));
    REQUIRE(s.put(1, "issues", "7", "2026-01-01T00:00:00.000Z", {sample("v")}));
    REQUIRE(s.put(1, "issues", "8", "2026-01-02T00:00:00.000Z", {}));
    REQUIRE(s.put(2, "issues", "7", "x", {}));
    CHECK(s.version(1, "issues", "7") == "2026-01-01T00:00:00.000Z");
    CHECK(s.items(1, "issues").size() == 2);
    CHECK(s.findings(1, "issues", "7").size() == 1);
    REQUIRE(s.put(1, "issues", "7", "2026-01-03T00:00:00.000Z", {}));  // replaced
    CHECK(s.findings(1, "issues", "7").empty());
    CHECK_FALSE(s.cursor(1, "issues"));
    REQUIRE(s.set_cursor(1, "issues", "2026-01-03T00:00:00.000Z"));
    CHECK(s.cursor(1, "issues") == "2026-01-03T00:00:00.000Z");
    // one writer at a time
    auto second = StateDb::open(dir.path, "scope-a");
    REQUIRE_FALSE(second);
    CHECK(second.error().message.find("in use by another glpatrol run") != std::string::npos);
  }
  struct stat st {};
  REQUIRE(::stat((dir.path + "/state.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  {
    auto db = StateDb::open(dir.path, "scope-b");  // another rule set: nothing known
    REQUIRE(db);
    CHECK_FALSE((*db)->version(1, "issues", "7"));
    CHECK((*db)->items(1, "issues").empty());
  }
  {
    auto db = StateDb::open(dir.path, "scope-a");  // the lock was released; data kept
    REQUIRE(db);
    CHECK((*db)->items(1, "issues").size() == 2);
  }
}

TEST_CASE("state db: a newer schema is refused") {
  TempDir dir;
  { REQUIRE(StateDb::open(dir.path, "s")); }
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open((dir.path + "/state.db").c_str(), &raw) == SQLITE_OK);
  CHECK(sqlite3_exec(raw, "UPDATE meta SET value='99' WHERE key='schema_version'", nullptr, nullptr,
                     nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  auto db = StateDb::open(dir.path, "s");
  REQUIRE_FALSE(db);
  CHECK(db.error().message.find("newer") != std::string::npos);
}

TEST_CASE("state db: contents by id, per scope, with their matches") {
  TempDir dir;
  ContentMatches m;
  ContentMatch c;
  c.located.match.rule = 3;
  c.located.match.start = 10;
  c.located.match.end = 40;
  c.located.match.secret_start = 12;
  c.located.match.checksum = Checksum::Invalid;
  c.located.match.attributes = {{"routing.o", "7"}};
  c.located.secret = std::string("se\xff\x00cret", 7);  // raw bytes survive (hex in the row)
  c.located.line = 2;
  c.located.column = 5;
  c.located.end_line = 2;
  c.located.end_column = 35;
  c.located.inline_allow = InlineAllow::Gitleaks;
  c.chain.push_back({"zip", std::string("dir/\xfe.txt"), 99});
  m.matches.push_back(c);
  const std::string id1(20, '\x01'), id2(20, '\x02');
  {
    auto db = StateDb::open(dir.path, "scope-a");
    REQUIRE(db);
    ContentCache cache((*db)->contents());
    CHECK(cache.stored() == 0);
    CHECK_FALSE(cache.find(id1));
    cache.add(id1, std::make_shared<const ContentMatches>(m));
    cache.add(id2, nullptr);
    CHECK(cache.added() == 2);
    REQUIRE(cache.save(**db));
  }
  auto db = StateDb::open(dir.path, "scope-a");
  REQUIRE(db);
  ContentCache cache((*db)->contents());
  CHECK(cache.stored() == 2);
  auto none = cache.find(id2);
  REQUIRE(none);
  CHECK(*none == nullptr);
  auto some = cache.find(id1);
  REQUIRE(some);
  REQUIRE(*some);
  REQUIRE((*some)->matches.size() == 1);
  const ContentMatch& r = (*some)->matches[0];
  CHECK(r.located.match.rule == 3);
  CHECK(r.located.match.secret_start == 12);
  CHECK(r.located.match.checksum == Checksum::Invalid);
  CHECK(r.located.match.attributes == c.located.match.attributes);
  CHECK(r.located.secret == c.located.secret);
  CHECK(r.located.end_column == 35);
  CHECK(r.located.inline_allow == InlineAllow::Gitleaks);
  REQUIRE(r.chain.size() == 1);
  CHECK(r.chain[0].member == c.chain[0].member);
  CHECK(r.chain[0].offset == 99);
  CHECK(cache.hits() == 2);
  // Another scope (other rules) knows nothing.
  db->reset();
  auto other = StateDb::open(dir.path, "scope-b");
  REQUIRE(other);
  CHECK((*other)->contents().empty());
}

TEST_CASE("state db: a damaged contents row is scanned again, never trusted") {
  CHECK_FALSE(matches_from_text("not json"));
  CHECK_FALSE(matches_from_text("[{\"rule\": 1}]"));
  CHECK_FALSE(matches_from_text("[]"));
  ContentCache cache({{std::string(20, 'x'), "[{\"rule\":\"x\"}]"}});
  CHECK_FALSE(cache.find(std::string(20, 'x')));
  CHECK(cache.hits() == 0);
}

TEST_CASE("state db: garbage, foreign and untrusted databases are refused") {
  TempDir dir;
  {
    std::FILE* f = std::fopen((dir.path + "/state.db").c_str(), "wb");
    REQUIRE(f != nullptr);
    for (int i = 0; i < 200; ++i) std::fputs("this is not a database\n", f);
    std::fclose(f);
  }
  auto garbage = StateDb::open(dir.path, "s");
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().message.find("not a database") != std::string::npos);

  TempDir foreign;
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open((foreign.path + "/state.db").c_str(), &raw) == SQLITE_OK);
  CHECK(sqlite3_exec(raw, "CREATE TABLE t(x)", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  auto f = StateDb::open(foreign.path, "s");
  REQUIRE_FALSE(f);
  CHECK(f.error().message.find("not written by glpatrol") != std::string::npos);

  TempDir open_dir;
  ::chmod(open_dir.path.c_str(), 0777);
  auto shared = prepare_state_dir(open_dir.path);
  REQUIRE_FALSE(shared);
  CHECK(shared.error().message.find("writable by group or others") != std::string::npos);
  ::chmod(open_dir.path.c_str(), 0755);
  auto narrowed = prepare_state_dir(open_dir.path + "/");
  REQUIRE(narrowed);
  CHECK(*narrowed == open_dir.path);
  struct stat st {};
  REQUIRE(::stat(open_dir.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  const std::string link = open_dir.path + "-link";
  REQUIRE(::symlink(open_dir.path.c_str(), link.c_str()) == 0);
  auto linked = prepare_state_dir(link);
  ::unlink(link.c_str());
  REQUIRE_FALSE(linked);
  CHECK(linked.error().message.find("symlinks are refused") != std::string::npos);
}

TEST_CASE("files: a signature vouches for a file; racily clean files and vanished ones are not kept") {
  TempDir dir;
  constexpr std::int64_t kSec = 1'000'000'000;
  const std::int64_t start = 1'800'000'000 * kSec;  // the run's wall clock
  struct stat old_file {};
  old_file.st_mode = S_IFREG | 0644;
  old_file.st_dev = 7;
  old_file.st_ino = 42;
  old_file.st_size = 100;
  old_file.st_mtim = {static_cast<time_t>(start / kSec - 3600), 5};
  old_file.st_ctim = {static_cast<time_t>(start / kSec - 3600), 9};
  struct stat racy = old_file;
  racy.st_ino = 43;
  racy.st_ctim = {static_cast<time_t>(start / kSec - 1), 0};  // changed a second before the run
  ContentMatches m;
  ContentMatch c;
  c.located.match.rule = 1;
  c.located.secret = "s";
  m.matches.push_back(c);
  {
    auto db = StateDb::open(dir.path, "files-scope");
    REQUIRE(db);
    FileCache files((*db)->files(), start);
    CHECK_FALSE(files.find("/t/a", FileCache::signature(old_file)));
    files.add("/t/a", old_file, std::make_shared<const ContentMatches>(m));
    files.add("/t/b", racy, nullptr);
    files.add("/u/c", old_file, nullptr);
    CHECK(files.added() == 2);  // /t/b is racily clean
    REQUIRE(files.save(**db, {"/t"}));
  }
  auto db = StateDb::open(dir.path, "files-scope");
  REQUIRE(db);
  {
    FileCache files((*db)->files(), start + 60 * kSec);
    auto hit = files.find("/t/a", FileCache::signature(old_file));
    REQUIRE(hit);
    REQUIRE(*hit);
    CHECK((*hit)->matches.at(0).located.secret == "s");
    CHECK_FALSE(files.find("/t/b", FileCache::signature(racy)));
    // Any part of the signature changed: read again. The ctime cannot be set back by a writer.
    for (auto change :
         {+[](struct stat& s) { s.st_ctim.tv_nsec += 1; }, +[](struct stat& s) { s.st_size += 1; },
          +[](struct stat& s) { s.st_ino += 1; }, +[](struct stat& s) { s.st_dev += 1; },
          +[](struct stat& s) { s.st_mtim.tv_sec -= 1; }}) {
      struct stat changed = old_file;
      change(changed);
      CHECK_FALSE(files.find("/t/a", FileCache::signature(changed)));
    }
    CHECK(files.hits() == 1);
    // /t/a was seen (looked up); /u/c is outside the roots of this run: both stay.
    REQUIRE(files.save(**db, {"/t"}));
  }
  CHECK((*db)->files().count("/t/a") == 1);
  CHECK((*db)->files().count("/u/c") == 1);
  {
    FileCache files((*db)->files(), start + 120 * kSec);
    REQUIRE(files.save(**db, {"/t"}));  // a run below /t that did not find /t/a: it is forgotten
  }
  CHECK((*db)->files().count("/t/a") == 0);
  CHECK((*db)->files().count("/u/c") == 1);
  // A damaged row is not trusted: read again.
  REQUIRE((*db)->put_files({{"/t/d", {FileCache::signature(old_file), "{not json"}}}, {}));
  FileCache files((*db)->files(), start);
  CHECK_FALSE(files.find("/t/d", FileCache::signature(old_file)));
}
