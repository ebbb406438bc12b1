// Whole-content UTF-16 detection and narrowing (scanner/decode/utf16.h), and UTF-16
// fragments found through hint literals (text.h).
#include <doctest/doctest.h>

#include <string>

#include "decode/decode.h"
#include "support/tokens.h"

using namespace glpatrol;
using namespace glpatrol::decode;

namespace {

std::string utf16(std::string_view ascii, bool le) {
  std::string out;
  for (char c : ascii) {
    if (le) {
      out += c;
      out += '\0';
    } else {
      out += '\0';
      out += c;
    }
  }
  return out;
}

const std::string kText = "line one of a PowerShell transcript\r\nline two with more words\r\n";

}  // namespace

TEST_CASE("a BOM decides, whatever follows") {
  CHECK(detect_utf16("\xff\xfe") == Utf16Kind::LittleEndian);
  CHECK(detect_utf16("\xfe\xff") == Utf16Kind::BigEndian);
  CHECK(detect_utf16("\xff\xfe" + utf16("ab", true)) == Utf16Kind::LittleEndian);
  CHECK(utf16_bom_size("\xff\xfe"
                       "a") == 2);
  CHECK(utf16_bom_size("ab") == 0);
}

TEST_CASE("without a BOM: NUL parity over the first 4 KiB, at least 64 bytes") {
  CHECK(detect_utf16(utf16(kText, true)) == Utf16Kind::LittleEndian);
  CHECK(detect_utf16(utf16(kText, false)) == Utf16Kind::BigEndian);
  CHECK(detect_utf16(utf16("short", true)) == Utf16Kind::None);  // < 64 bytes
  CHECK(detect_utf16(kText + kText) == Utf16Kind::None);         // no NUL at all
  // Binary with NULs in both parities is not UTF-16.
  std::string bin;
  for (int i = 0; i < 512; ++i) bin += static_cast<char>(i % 3 == 0 ? 0 : 0x41 + i % 7);
  CHECK(detect_utf16(bin) == Utf16Kind::None);
  // 40% non-ASCII units (no NUL byte) put the NUL parity below the 70% threshold.
  std::string mixed;
  for (int i = 0; i < 100; ++i) mixed += i % 10 < 4 ? std::string("\xe9\x4e", 2) : std::string("a\0", 2);
  CHECK(detect_utf16(mixed) == Utf16Kind::None);
  // Only the first 4 KiB count.
  CHECK(detect_utf16(utf16(std::string(2100, 'a'), true) + std::string(10000, '\x01')) ==
        Utf16Kind::LittleEndian);
}

TEST_CASE("narrowing: one byte per code unit, non-ASCII units become \\x01, BOM dropped") {
  CHECK(narrow_utf16("\xff\xfe" + utf16("key=v", true), Utf16Kind::LittleEndian) == "key=v");
  CHECK(narrow_utf16("\xfe\xff" + utf16("key=v", false), Utf16Kind::BigEndian) == "key=v");
  CHECK(narrow_utf16(utf16("ab", true) + std::string("\xe9\x00\x3d\xd8\x00\xde", 6),
                     Utf16Kind::LittleEndian) == "ab\x01\x01\x01");
  CHECK(narrow_utf16(utf16("ab", true) + "c", Utf16Kind::LittleEndian) == "ab");  // odd trailing byte
  CHECK(narrow_utf16(utf16("ab", true), Utf16Kind::None).empty());
}

TEST_CASE("utf16_view maps narrowed offsets back: 2*i + BOM") {
  const std::string with_bom = "\xff\xfe" + utf16("x=1\r\nsecret here\r\n", true);
  const auto v = utf16_view(with_bom);
  REQUIRE(v.has_value());
  CHECK(v->encoding == Encoding::Utf16le);
  CHECK(v->bytes == "x=1\r\nsecret here\r\n");
  const std::size_t i = v->bytes.find("secret");
  CHECK(v->to_parent(i) == 2 + 2 * i);
  CHECK(with_bom.substr(v->to_parent(i), 2) == std::string("s\0", 2));
  CHECK(v->to_parent(v->bytes.size()) == with_bom.size());

  const auto be = utf16_view(utf16(kText, false));
  REQUIRE(be.has_value());
  CHECK(be->encoding == Encoding::Utf16be);
  CHECK(be->to_parent(5) == 10);
  CHECK_FALSE(utf16_view(kText).has_value());
}

TEST_CASE("utf-16 fragments inside binary content, both byte orders") {
  const auto hints = hint_literals({test::pat_prefix()});
  for (bool le : {true, false}) {
    const std::string token = test::legacy_pat(le ? 1 : 2);
    std::string content("\x4d\x5a\x90\x00\x03\x00\x00\x00\xff\xff\x00\x00", 12);
    content += std::string(3, '\0') + "\x01";
    const std::size_t at = content.size();
    content += utf16("Token=" + token, le);
    content += std::string("\0\0\x13\x37\xfe", 5);
    DecodeBudget budget;
    const auto views = decode_hits(content, hints, find_hint_hits(content, hints), {}, budget, {});
    REQUIRE(views.size() == 1);
    const View& v = views[0];
    CHECK(v.encoding == (le ? Encoding::Utf16le : Encoding::Utf16be));
    CHECK(v.bytes == "Token=" + token);
    CHECK(v.begin == at);
    CHECK(v.to_parent(6) == at + 12);
    CHECK(v.end == at + 2 * v.bytes.size());
  }
}

TEST_CASE("utf-16 fragments too short for a token decode nothing") {
  const auto hints = hint_literals({test::pat_prefix()});
  const std::string content = utf16(test::pat_prefix() + "short", true) + std::string(8, '\xff');
  CHECK_FALSE(find_hint_hits(content, hints).empty());
  DecodeBudget budget;
  CHECK(decode_hits(content, hints, find_hint_hits(content, hints), {}, budget, {}).empty());
}

TEST_CASE("utf-16 fragments at odd offsets: one view, the token intact") {
  const auto hints = hint_literals({test::pat_prefix()});
  for (bool le : {true, false})
    for (std::size_t pad : {1u, 3u}) {
      const std::string token = test::legacy_pat(pad);
      const std::string content =
          std::string(pad, '\x7f') + utf16("t:" + token + " ", le) + std::string("\xff\xfe\x01", 3);
      DecodeBudget budget;
      const auto views = decode_hits(content, hints, find_hint_hits(content, hints), {}, budget, {});
      REQUIRE(views.size() == 1);
      CHECK(views[0].bytes.find(token) != std::string::npos);
      CHECK(content.substr(views[0].to_parent(views[0].bytes.find(token)), 6).find('g') != std::string::npos);
    }
}
