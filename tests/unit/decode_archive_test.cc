// Containers through libarchive (scanner/decode/archive.h). Every archive is built at test
// time, in memory, with libarchive's writer.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "decode/archive.h"
#include "support/tokens.h"

using namespace glpatrol;
using namespace glpatrol::decode;

namespace {

struct Entry {
  Entry(std::string n, std::string d, unsigned t = AE_IFREG, std::string l = {})
      : name(std::move(n)), data(std::move(d)), type(t), link(std::move(l)) {}
  std::string name;
  std::string data;
  unsigned type;
  std::string link;  ///< symlink target / hard link source
};

struct WriterFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};

la_ssize_t append_cb(struct archive*, void* ud, const void* buf, std::size_t n) {
  static_cast<std::string*>(ud)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

/// An archive of `entries` in `format` (archive_write_set_format_*), compressed with
/// `filter` (archive_write_add_filter_*, or nullptr), with writer `options` and an optional
/// passphrase.
std::string make_archive(int (*format)(struct archive*), int (*filter)(struct archive*),
                         const std::vector<Entry>& entries, const char* options = nullptr,
                         const char* passphrase = nullptr) {
  std::unique_ptr<struct archive, WriterFree> a(archive_write_new());
  REQUIRE(format(a.get()) == ARCHIVE_OK);
  if (filter) REQUIRE(filter(a.get()) == ARCHIVE_OK);
  if (options) REQUIRE(archive_write_set_options(a.get(), options) == ARCHIVE_OK);
  if (passphrase) REQUIRE(archive_write_set_passphrase(a.get(), passphrase) == ARCHIVE_OK);
  archive_write_set_bytes_in_last_block(a.get(), 1);
  std::string out;
  REQUIRE(archive_write_open(a.get(), &out, nullptr, append_cb, nullptr) == ARCHIVE_OK);
  for (const Entry& e : entries) {
    std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> en(archive_entry_new(),
                                                                              archive_entry_free);
    archive_entry_set_pathname(en.get(), e.name.c_str());
    archive_entry_set_filetype(en.get(), e.type);
    archive_entry_set_perm(en.get(), 0644);
    archive_entry_set_mtime(en.get(), 1700000000, 0);
    if (e.type == AE_IFLNK) archive_entry_set_symlink(en.get(), e.link.c_str());
    if (e.type == AE_IFREG && !e.link.empty()) archive_entry_set_hardlink(en.get(), e.link.c_str());
    const bool has_data = e.type == AE_IFREG && e.link.empty();
    archive_entry_set_size(en.get(), has_data ? static_cast<la_int64_t>(e.data.size()) : 0);
    REQUIRE(archive_write_header(a.get(), en.get()) >= ARCHIVE_WARN);  // WARN: a non-UTF-8 name
    if (has_data && !e.data.empty())
      REQUIRE(archive_write_data(a.get(), e.data.data(), e.data.size()) ==
              static_cast<la_ssize_t>(e.data.size()));
  }
  REQUIRE(archive_write_close(a.get()) == ARCHIVE_OK);
  return out;
}

std::string zip(const std::vector<Entry>& e) {
  return make_archive(archive_write_set_format_zip, nullptr, e);
}
std::string tar(const std::vector<Entry>& e, int (*filter)(struct archive*) = nullptr) {
  return make_archive(archive_write_set_format_pax_restricted, filter, e);
}
/// A plain compressed stream (one member, no archive format).
std::string compressed(int (*filter)(struct archive*), const std::string& data) {
  return make_archive(archive_write_set_format_raw, filter, {{"data", data}});
}

struct Got {
  std::vector<std::pair<std::string, std::string>> members;  ///< name, bytes
  std::vector<Fault> faults;
};

/// Reads every member fully (in small reads, like a chunked scan).
MemberFn collect_into(Got& got) {
  return [&got](const Member& m, const ReadFn& read) {
    std::string data;
    char buf[7000];
    for (long n; (n = read(buf, sizeof buf)) > 0;) data.append(buf, static_cast<std::size_t>(n));
    got.members.emplace_back(std::string(m.name), std::move(data));
    return true;
  };
}

Got read_all(std::string_view content, std::string_view outer = "outer", const ArchiveLimits& lim = {},
             DecodeBudget* budget_io = nullptr) {
  Got got;
  DecodeBudget local;
  DecodeBudget& budget = budget_io ? *budget_io : local;
  const Status st = for_each_member(content, outer, lim, budget, collect_into(got),
                                    [&](const Fault& f) { got.faults.push_back(f); });
  CHECK(st.has_value());
  return got;
}

/// The same through the stream API, the source delivering `chunk` bytes per read.
Got read_stream(std::string_view content, std::string_view outer = "outer", std::size_t chunk = 4096,
                const ArchiveLimits& lim = {}) {
  Got got;
  DecodeBudget budget;
  std::size_t pos = 0;
  const ReadFn src = [&](char* buf, std::size_t cap) -> long {
    const std::size_t n = std::min({cap, chunk, content.size() - pos});
    std::memcpy(buf, content.data() + pos, n);
    pos += n;
    return static_cast<long>(n);
  };
  const Status st = for_each_member(src, outer, lim, budget, collect_into(got),
                                    [&](const Fault& f) { got.faults.push_back(f); });
  CHECK(st.has_value());
  return got;
}

bool has_fault(const Got& g, const std::string& reason) {
  return std::any_of(g.faults.begin(), g.faults.end(), [&](const Fault& f) { return f.reason == reason; });
}

std::string text_with(const std::string& token, std::size_t size = 3000) {
  std::string s = "# configuration\n";
  while (s.size() < size) s += "option_" + std::to_string(s.size()) + " = value\n";
  return s + "token = " + token + "\n";
}

}  // namespace

TEST_CASE("sniff_container: magic bytes of each kind, nothing for text and images") {
  const std::string t = test::legacy_pat(1);
  CHECK(sniff_container(zip({{"a", t}})) == ContainerKind::Zip);
  CHECK(sniff_container(zip({})) == ContainerKind::Zip);  // empty zip: end record only
  CHECK(sniff_container(tar({{"a", t}})) == ContainerKind::Tar);
  CHECK(sniff_container(make_archive(archive_write_set_format_v7tar, nullptr, {{"a", t}})) ==
        ContainerKind::Tar);
  CHECK(sniff_container(compressed(archive_write_add_filter_gzip, t)) == ContainerKind::Gzip);
  CHECK(sniff_container(compressed(archive_write_add_filter_bzip2, t)) == ContainerKind::Bzip2);
  CHECK(sniff_container(compressed(archive_write_add_filter_xz, t)) == ContainerKind::Xz);
  CHECK(sniff_container(compressed(archive_write_add_filter_zstd, t)) == ContainerKind::Zstd);
  CHECK(sniff_container(compressed(archive_write_add_filter_lz4, t)) == ContainerKind::Other);
  CHECK(sniff_container(make_archive(archive_write_set_format_7zip, nullptr, {{"a", t}})) ==
        ContainerKind::SevenZip);
  CHECK(sniff_container(make_archive(archive_write_set_format_ar_svr4, nullptr, {{"a", t}})) ==
        ContainerKind::Ar);
  CHECK(sniff_container(make_archive(archive_write_set_format_cpio_newc, nullptr, {{"a", t}})) ==
        ContainerKind::Cpio);
  CHECK(sniff_container(std::string("Rar!\x1a\x07\x01\x00rest", 12)) == ContainerKind::Rar);
  CHECK(sniff_container("") == ContainerKind::None);
  CHECK(sniff_container("PK") == ContainerKind::None);
  CHECK(sniff_container("plain text\n" + std::string(600, 'x')) == ContainerKind::None);
  CHECK(sniff_container("\x89PNG\r\n\x1a\n") == ContainerKind::None);
  CHECK(sniff_container(std::string(1024, '\0')) == ContainerKind::None);  // zero block: no tar
  CHECK(to_string(ContainerKind::SevenZip) == "7z");
  CHECK(to_string(ContainerKind::Gzip) == "gzip");
}

TEST_CASE("zip members in order with exact bytes, in memory and streamed") {
  const std::string t = test::legacy_pat(2);
  const std::string z = zip({{"dir/", "", AE_IFDIR},
                             {"a.txt", "alpha"},
                             {"dir/b.env", text_with(t)},
                             {"empty", ""},
                             {"link", "", AE_IFLNK, "a.txt"}});
  for (const Got& g : {read_all(z), read_stream(z, "x.zip", 1), read_stream(z, "x.zip", 4096)}) {
    // The directory is no member to scan; neither is the symlink, when the central directory
    // says what it is: a stream has only local headers, where it reads as a file holding
    // its target's name.
    REQUIRE(g.members.size() >= 3);
    CHECK(g.members[0] == std::pair<std::string, std::string>("a.txt", "alpha"));
    CHECK(g.members[1].first == "dir/b.env");
    CHECK(g.members[1].second == text_with(t));
    CHECK(g.members[2] == std::pair<std::string, std::string>("empty", ""));
    CHECK(g.faults.empty());
  }
  CHECK(read_all(z).members.size() == 3);
  CHECK(read_stream(z).members.at(3) == std::pair<std::string, std::string>("link", "a.txt"));
}

TEST_CASE("tar in every compression, and plain compressed streams named after the outer name") {
  const std::string t = test::legacy_pat(3);
  using F = int (*)(struct archive*);
  const std::vector<std::pair<F, std::string>> filters = {{archive_write_add_filter_gzip, ".gz"},
                                                          {archive_write_add_filter_bzip2, ".bz2"},
                                                          {archive_write_add_filter_xz, ".xz"},
                                                          {archive_write_add_filter_zstd, ".zst"}};
  for (const auto& [filter, suffix] : filters) {
    const std::string tz = tar({{"etc/app.conf", text_with(t)}, {"b", "bee"}}, filter);
    for (const Got& g : {read_all(tz, "backup.tar" + suffix), read_stream(tz, "backup.tar" + suffix, 333)}) {
      REQUIRE(g.members.size() == 2);
      CHECK(g.members[0].first == "etc/app.conf");
      CHECK(g.members[0].second == text_with(t));
      CHECK(g.faults.empty());
    }
    const std::string plain = compressed(filter, text_with(t, 100000));
    for (const Got& g :
         {read_all(plain, "logs/app.log" + suffix), read_stream(plain, "logs/app.log" + suffix, 100)}) {
      REQUIRE(g.members.size() == 1);
      CHECK(g.members[0].first == "app.log");
      CHECK(g.members[0].second == text_with(t, 100000));
      CHECK(g.faults.empty());
    }
  }
  const std::string gz = compressed(archive_write_add_filter_gzip, "x");
  CHECK(read_all(gz, "a/b.tgz").members.at(0).first == "b.tar");
  CHECK(read_all(gz, "blob").members.at(0).first == "blob");
  CHECK(read_all(gz, "").members.at(0).first == "data");
}

TEST_CASE("content that is not a container yields nothing") {
  CHECK(read_all("just text, no archive\n").members.empty());
  CHECK(read_all("").members.empty());
  CHECK(read_stream("just text, no archive\n").members.empty());
  const Got g = read_all("PK\x03\x04 not really a zip at all");
  CHECK(g.members.empty());
  CHECK_FALSE(g.faults.empty());
}

TEST_CASE("a jar nested in a zip, recursing through member readers (bounded memory)") {
  const std::string t = test::legacy_pat(4);
  const std::string jar =
      zip({{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"}, {"application.properties", text_with(t)}});
  const std::string war = zip({{"index.html", "<html/>"}, {"WEB-INF/lib/app.jar", jar}});
  std::vector<std::string> seen;
  std::function<MemberFn(std::string)> visit = [&](std::string path) -> MemberFn {
    return [&, path](const Member& m, const ReadFn& read) {
      const std::string full = path + "!" + std::string(m.name);
      Peeked p = peek(read);
      if (sniff_container(p.head) != ContainerKind::None) {
        DecodeBudget b;
        CHECK(for_each_member(p.read, m.name, {}, b, visit(full), {}).has_value());
      } else {
        std::string data;
        char buf[512];
        for (long n; (n = p.read(buf, sizeof buf)) > 0;) data.append(buf, static_cast<std::size_t>(n));
        seen.push_back(full + (data.find(t) != std::string::npos ? " (token)" : ""));
      }
      return true;
    };
  };
  DecodeBudget budget;
  REQUIRE(for_each_member(war, "app.war", {}, budget, visit("app.war"), {}).has_value());
  CHECK(seen == std::vector<std::string>{"app.war!index.html",
                                         "app.war!WEB-INF/lib/app.jar!META-INF/MANIFEST.MF",
                                         "app.war!WEB-INF/lib/app.jar!application.properties (token)"});
}

TEST_CASE("nesting 50 deep: every level reports its member") {
  const std::string t = test::legacy_pat(5);
  std::string blob = text_with(t, 100);
  for (int level = 50; level >= 1; --level)
    blob = level % 2
               ? zip({{"level" + std::to_string(level) + ".zip", blob}})
               : tar({{"level" + std::to_string(level) + ".tar.gz", blob}}, archive_write_add_filter_gzip);
  int depth = 0;
  bool found = false;
  DecodeBudget budget;  // one budget for the whole recursion
  std::function<bool(const Member&, const ReadFn&)> visit = [&](const Member& m, const ReadFn& read) {
    Peeked p = peek(read);
    if (sniff_container(p.head) == ContainerKind::None) {
      std::string data(1, '\0');
      std::string all;
      for (long n; (n = p.read(data.data(), 1)) > 0;) all += data[0];
      found = all.find(t) != std::string::npos;
      return true;
    }
    ++depth;
    CHECK(m.name == "level" + std::to_string(depth) + (depth % 2 ? ".zip" : ".tar.gz"));
    int members_here = 0;
    const MemberFn counted = [&](const Member& inner, const ReadFn& r) {
      ++members_here;
      return visit(inner, r);
    };
    CHECK(for_each_member(p.read, m.name, {}, budget, counted, [](const Fault& f) {
            FAIL(f.reason);
          }).has_value());
    CHECK(members_here == 1);
    return true;
  };
  REQUIRE(for_each_member(blob, "top.zip", {}, budget, visit, [](const Fault& f) {
            FAIL(f.reason);
          }).has_value());
  CHECK(depth == 49);  // 50 containers: the top one and 49 nested
  CHECK(found);
  CHECK(budget.members == 50);
}

TEST_CASE("a truncated zip: the members before the cut, including the token at the end") {
  const std::string t = test::legacy_pat(6);
  const std::string z =
      zip({{"a.txt", std::string(5000, 'a')}, {"b.txt", "bee"}, {"secrets.env", text_with(t)}});
  // Cut the central directory away: the local headers are still readable.
  const std::string cut = z.substr(0, z.find(std::string("PK\x01\x02", 4)));
  for (const Got& g : {read_all(cut), read_stream(cut)}) {
    REQUIRE(g.members.size() == 3);
    CHECK(g.members[2].second.find(t) != std::string::npos);
  }
  // Cut inside the last member's data: what was inflated is delivered, then a fault.
  const std::string mid = z.substr(0, z.find("secrets.env") + 400);
  const Got g = read_all(mid);
  CHECK(g.members.size() >= 2);
  CHECK((has_fault(g, "truncated") || has_fault(g, "corrupt-archive")));
}

TEST_CASE("a truncated tar.gz delivers the bytes before the cut, then a fault") {
  const std::string t = test::legacy_pat(7);
  std::string first = text_with(t, 20000);
  std::string noise;
  std::mt19937 rng(3);
  for (int i = 0; i < 200000; ++i) noise += static_cast<char>('a' + rng() % 26);
  const std::string tz = tar({{"first.txt", first}, {"second.txt", noise}}, archive_write_add_filter_gzip);
  const std::string cut = tz.substr(0, tz.size() * 3 / 4);
  for (const Got& g : {read_all(cut, "b.tar.gz"), read_stream(cut, "b.tar.gz", 1000)}) {
    REQUIRE(g.members.size() == 2);
    CHECK(g.members[0].second == first);
    CHECK(g.members[1].second.size() > 1000);
    CHECK(g.members[1].second.size() < noise.size());
    CHECK(noise.compare(0, g.members[1].second.size(), g.members[1].second) == 0);
    REQUIRE_FALSE(g.faults.empty());
    CHECK(g.faults.back().member == "second.txt");
    CHECK((g.faults.back().reason == "truncated" || g.faults.back().reason == "corrupt-archive"));
  }
}

TEST_CASE("a gzip stream with a corrupt trailer") {
  const std::string t = test::legacy_pat(8);
  const std::string gz = compressed(archive_write_add_filter_gzip, text_with(t));
  // A wrong CRC-32: every byte is delivered (the scan wants them), then the fault.
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] = static_cast<char>(bad_crc[bad_crc.size() - 8] ^ 0xff);
  for (const Got& g : {read_all(bad_crc, "x.gz"), read_stream(bad_crc, "x.gz", 10)}) {
    REQUIRE(g.members.size() == 1);
    CHECK(g.members[0].second == text_with(t));
    REQUIRE(g.faults.size() == 1);
    CHECK(g.faults[0].reason == "corrupt-archive");
  }
  // A missing trailer, and a stream cut short: the bytes before the cut, then a fault.
  for (std::size_t cut : {gz.size() - 8, gz.size() / 2}) {
    const Got g = read_all(gz.substr(0, cut), "x.gz");
    REQUIRE(g.members.size() == 1);
    CHECK(text_with(t).compare(0, g.members[0].second.size(), g.members[0].second) == 0);
    if (cut == gz.size() - 8) CHECK(g.members[0].second == text_with(t));
    REQUIRE(g.faults.size() == 1);
    CHECK(g.faults[0].reason == "truncated");
  }
  // Concatenated members read as one stream; trailing zeros end it quietly.
  const std::string two =
      gz + compressed(archive_write_add_filter_gzip, "second part\n") + std::string(100, '\0');
  const Got g = read_all(two, "x.gz");
  REQUIRE(g.members.size() == 1);
  CHECK(g.members[0].second == text_with(t) + "second part\n");
  CHECK(g.faults.empty());
}

TEST_CASE("compression bombs stop at the ratio limit") {
  const std::string zeros(24u << 20, '\0');
  SUBCASE("xz: far beyond 1000x, stopped after a few MiB") {
    const std::string bomb = tar({{"zeros.bin", zeros}, {"after", "x"}}, archive_write_add_filter_xz);
    CHECK(bomb.size() < 16u << 10);
    DecodeBudget budget;
    const Got g = read_all(bomb, "bomb.tar.xz", {}, &budget);
    CHECK(has_fault(g, "ratio"));
    REQUIRE(g.members.size() == 1);
    CHECK(g.members[0].second.size() < (8u << 20));
    CHECK(budget.decoded < (8u << 20));
  }
  SUBCASE("zip (deflate tops out near 1030x): a lower limit catches it") {
    const std::string bomb = zip({{"zeros.bin", zeros}});
    ArchiveLimits lim;
    lim.max_ratio = 100;
    const Got g = read_all(bomb, "bomb.zip", lim);
    CHECK(has_fault(g, "ratio"));
    CHECK(g.faults.at(0).member == "zeros.bin");
  }
}

TEST_CASE("ordinary compressed content larger than the ratio grace is not a bomb") {
  // 2 MiB of changelog-like lines (compresses ~10-30x): a gzip stream and an in-memory zip
  // member both pass the 1 MiB grace, and neither is a compression bomb.
  std::string text;
  for (int i = 0; text.size() < (2u << 20); ++i)
    text += "  * Release " + std::to_string(i) + ": fixed issue #" + std::to_string(i * 7919 % 100003) + "\n";
  const std::string t = test::legacy_pat(11);
  const std::string body = text + "token " + t + "\n";
  for (const auto& item :
       {std::pair<std::string, std::string>{"changelog.gz", compressed(archive_write_add_filter_gzip, body)},
        {"docs.zip", zip({{"changelog", body}, {"after.txt", "x"}})}}) {
    const std::string& name = item.first;  // a plain reference: CAPTURE's lambda takes it (clang 14)
    const std::string& bytes = item.second;
    CAPTURE(name);
    REQUIRE(bytes.size() * 1000 > body.size() * 2);  // far below 1000x, yet over the grace
    const Got g = read_all(bytes, name);
    CHECK(g.faults.empty());
    REQUIRE(!g.members.empty());
    CHECK(g.members[0].second == body);
  }
}

TEST_CASE("a gzip of nothing is empty, not corrupt") {
  const std::string empty = compressed(archive_write_add_filter_gzip, "");
  REQUIRE(empty.size() >= 18);
  const Got g = read_all(empty, "empty.1.gz");
  CHECK(g.faults.empty());
  for (const auto& m : g.members) CHECK(m.second.empty());
  // A cut one is still reported.
  const Got cut = read_all(std::string_view(empty).substr(0, 12), "cut.gz");
  CHECK(!cut.faults.empty());
}

TEST_CASE("limits: member size, decoded budget, member count") {
  const std::string t = test::legacy_pat(9);
  std::string big = text_with(t, 300000);
  const std::string z = zip({{"big.txt", big}, {"small.txt", "tiny " + t}});
  SUBCASE("member size: the head is read, then a fault; the next member is still read") {
    ArchiveLimits lim;
    lim.max_member_size = 100000;
    const Got g = read_all(z, "z.zip", lim);
    REQUIRE(g.members.size() == 2);
    CHECK(g.members[0].second == big.substr(0, 100000));
    CHECK(g.members[1].second == "tiny " + t);
    REQUIRE(g.faults.size() == 1);
    CHECK(g.faults[0].reason == "member-size");
    CHECK(g.faults[0].member == "big.txt");
  }
  SUBCASE("decoded budget: stops the whole container") {
    DecodeBudget budget;
    budget.max_decoded = 50000;
    const Got g = read_all(z, "z.zip", {}, &budget);
    REQUIRE(g.members.size() == 1);
    CHECK(g.members[0].second.size() == 50000);
    REQUIRE(g.faults.size() == 1);
    CHECK(g.faults[0].reason == "decoded-size");
    CHECK(budget.decoded == 50000);
  }
}

TEST_CASE("10,000 members: all read; a member budget stops with one fault") {
  const std::string t = test::legacy_pat(10);
  std::vector<Entry> entries;
  for (int i = 0; i < 10000; ++i) {
    std::string name = "f/";  // (not "f/" + to_string: GCC 12 -Wrestrict false positive)
    name += std::to_string(i);
    entries.emplace_back(name + ".txt", name);
  }
  entries.back().data = "last " + t;
  const std::string tz = tar(entries, archive_write_add_filter_gzip);
  const Got all = read_all(tz, "many.tgz");
  REQUIRE(all.members.size() == 10000);
  CHECK(all.members.back().second == "last " + t);
  CHECK(all.faults.empty());
  DecodeBudget budget;
  budget.max_members = 5000;
  const Got some = read_all(tz, "many.tgz", {}, &budget);
  CHECK(some.members.size() == 5000);
  REQUIRE(some.faults.size() == 1);
  CHECK(some.faults[0].reason == "members");
}

TEST_CASE("member names are raw bytes: ../, absolute, non-UTF-8; nothing is written") {
  const std::vector<Entry> entries = {{"../../etc/evil.sh", "a"},
                                      {"/abs/path.txt", "b"},
                                      {"caf\xe9.txt", "c"},
                                      {"hard", "", AE_IFREG, "../../etc/evil.sh"}};
  const Got g = read_all(tar(entries), "t.tar");
  REQUIRE(g.members.size() == 3);  // the hard link has no data of its own
  CHECK(g.members[0].first == "../../etc/evil.sh");
  CHECK(g.members[1].first == "/abs/path.txt");
  CHECK(g.members[2].first == "caf\xe9.txt");
}

TEST_CASE("an encrypted zip member is a fault; the other members are read") {
  const std::string t = test::legacy_pat(11);
  // libarchive's writer encrypts every member once the option is set.
  const std::string enc =
      make_archive(archive_write_set_format_zip, nullptr, {{"secret.env", text_with(t)}, {"also.txt", "x"}},
                   "zip:encryption=zipcrypt", "passw0rd");
  for (const Got& g : {read_all(enc, "e.zip"), read_stream(enc, "e.zip")}) {
    CHECK(g.members.empty());
    REQUIRE(g.faults.size() >= 1);
    CHECK(g.faults[0].reason == "encrypted");
    CHECK(g.faults[0].member == "secret.env");
  }
  const std::string aes = make_archive(archive_write_set_format_zip, nullptr, {{"k.txt", text_with(t)}},
                                       "zip:encryption=aes256", "passw0rd");
  const Got g = read_all(aes, "a.zip");
  CHECK(g.members.empty());
  CHECK(has_fault(g, "encrypted"));
}

TEST_CASE("7z in memory; as a stream it is reported unsupported") {
  const std::string t = test::legacy_pat(12);
  const std::string z7 =
      make_archive(archive_write_set_format_7zip, nullptr, {{"a.txt", text_with(t)}, {"b", "bee"}});
  const Got g = read_all(z7, "x.7z");
  REQUIRE(g.members.size() == 2);
  CHECK(g.members[0].second == text_with(t));
  const Got s = read_stream(z7, "x.7z");
  CHECK(s.members.empty());
  REQUIRE(s.faults.size() == 1);
  CHECK(s.faults[0].reason == "unsupported");
}

TEST_CASE("ar (.deb) and cpio members") {
  const std::string t = test::legacy_pat(13);
  const Got ar = read_all(
      make_archive(archive_write_set_format_ar_svr4, nullptr, {{"data.txt", text_with(t)}}), "x.deb");
  REQUIRE(ar.members.size() == 1);
  CHECK(ar.members[0].second == text_with(t));
  const Got cpio = read_all(make_archive(archive_write_set_format_cpio_newc, archive_write_add_filter_gzip,
                                         {{"etc/x", text_with(t)}}),
                            "initrd.img");
  REQUIRE(cpio.members.size() == 1);
  CHECK(cpio.members[0].first == "etc/x");
}

TEST_CASE("stopping early: on_member returns false") {
  const std::string z = zip({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  int calls = 0;
  DecodeBudget budget;
  CHECK(for_each_member(z, "z", {}, budget, [&](const Member&, const ReadFn&) { return ++calls < 2; }, {})
            .has_value());
  CHECK(calls == 2);
}

TEST_CASE("a source read error ends the container with a fault") {
  std::string noise;
  std::mt19937 rng(4);
  for (int i = 0; i < 100000; ++i) noise += static_cast<char>(rng());
  const std::string tz = tar({{"a", noise}, {"b", "b"}}, archive_write_add_filter_xz);
  std::size_t pos = 0;
  const ReadFn src = [&](char* buf, std::size_t cap) -> long {
    if (pos > 2000) {
      errno = EIO;
      return -1;
    }
    const std::size_t n = std::min({cap, std::size_t{1000}, tz.size() - pos});
    std::copy_n(tz.data() + pos, n, buf);
    pos += n;
    return static_cast<long>(n);
  };
  Got got;
  DecodeBudget budget;
  CHECK(for_each_member(src, "t.tgz", {}, budget, collect_into(got), [&](const Fault& f) {
          got.faults.push_back(f);
        }).has_value());
  CHECK(got.members.size() <= 1);
  CHECK_FALSE(got.faults.empty());
}

TEST_CASE("peek replays the head, then continues the source") {
  std::string data(3000, 'x');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  std::size_t pos = 0;
  const ReadFn src = [&](char* buf, std::size_t cap) -> long {
    const std::size_t n = std::min({cap, std::size_t{7}, data.size() - pos});
    std::copy_n(data.data() + pos, n, buf);
    pos += n;
    return static_cast<long>(n);
  };
  Peeked p = peek(src, 100);
  CHECK(p.head == data.substr(0, 100));
  std::string all;
  char buf[33];
  for (long n; (n = p.read(buf, sizeof buf)) > 0;) all.append(buf, static_cast<std::size_t>(n));
  CHECK(all == data);
  Peeked short_src = peek([](char*, std::size_t) -> long { return 0; }, 512);
  CHECK(short_src.head.empty());
}
