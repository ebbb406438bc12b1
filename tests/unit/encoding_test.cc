#include <doctest/doctest.h>

#include "common/encoding.h"

using namespace glpatrol;

TEST_CASE("crc32 matches zlib's check value") {
  CHECK(crc32("123456789") == 0xCBF43926u);
  CHECK(crc32("") == 0u);
}

TEST_CASE("base36 round trips and pads like GitLab's to_s(36).rjust") {
  CHECK(to_base36(0) == "0");
  CHECK(to_base36(35) == "z");
  CHECK(to_base36(36, 2) == "10");
  CHECK(to_base36(0xFFFFFFFFu, 7) == "1z141z3");  // the largest CRC-32
  CHECK(to_base36(300, 2) == "8c");
  CHECK(from_base36("1z141z3").value() == 0xFFFFFFFFu);
  CHECK_FALSE(from_base36("ABC").has_value());
  CHECK_FALSE(from_base36("").has_value());
  CHECK_FALSE(from_base36("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz").has_value());  // overflow
}

TEST_CASE("base64url without padding") {
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64url_decode("-_8").value() == "\xfb\xff");
  CHECK(base64url_decode("aGVsbG8").value() == "hello");
  CHECK_FALSE(base64url_decode("a").has_value());  // 4k+1 length
  CHECK_FALSE(base64url_decode("a$b=").has_value());
  CHECK(base64_encode("hello") == "aGVsbG8=");
}

TEST_CASE("sha256 hex") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("utf-8 validation and repair") {
  CHECK(is_valid_utf8("h\xc3\xa9llo"));
  CHECK_FALSE(is_valid_utf8("\xff"));
  CHECK_FALSE(is_valid_utf8("\xc0\x80"));      // overlong
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));  // surrogate
  CHECK(to_valid_utf8("a\xff"
                      "b") ==
        "a\xef\xbf\xbd"
        "b");
}

TEST_CASE("terminal escaping neutralises control and bidi characters") {
  CHECK(escape_for_terminal("plain/ok.txt") == "plain/ok.txt");
  CHECK(escape_for_terminal("a\x1b[2Jb") == "a\\x1b[2Jb");
  CHECK(escape_for_terminal("line\nnext\r") == "line\\nnext\\r");
  CHECK(escape_for_terminal("\xe2\x80\xae"
                            "evil") == "\\u{202e}evil");  // RIGHT-TO-LEFT OVERRIDE
  CHECK(escape_for_terminal("\xc2\x9b"
                            "x") == "\\u{009b}x");  // C1 CSI
  CHECK(escape_for_terminal("bad\xff") == "bad\\xff");
  CHECK(escape_for_terminal("back\\slash") == "back\\\\slash");
  CHECK(escape_for_terminal("h\xc3\xa9") == "h\xc3\xa9");
}

TEST_CASE("shannon entropy") {
  CHECK(shannon_entropy("aaaa") == doctest::Approx(0.0));
  CHECK(shannon_entropy("abcd") == doctest::Approx(2.0));
}
