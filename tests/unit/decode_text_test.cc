// Percent-encoding and JSON/JS escapes around hint hits (scanner/decode/text.h).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "decode/decode.h"
#include "support/tokens.h"

using namespace glpatrol;
using namespace glpatrol::decode;

namespace {

std::string body(std::uint64_t seed) { return random_token_chars("devise", 20, seed).value(); }
std::string session_prefix() { return "_gitlab" + std::string("_session="); }

std::vector<View> decode_all(std::string_view content, const std::vector<Hint>& hints) {
  DecodeBudget budget;
  return decode_hits(content, hints, find_hint_hits(content, hints), {}, budget, {});
}

/// The single view of `enc` encoding holding `needle`; fails the test otherwise.
const View& the_view(const std::vector<View>& views, Encoding enc, const std::string& needle) {
  const View* found = nullptr;
  for (const auto& v : views)
    if (v.encoding == enc && v.bytes.find(needle) != std::string::npos) found = &v;
  REQUIRE(found != nullptr);
  return *found;
}

}  // namespace

TEST_CASE("encoding names are stable") {
  CHECK(to_string(Encoding::Base64) == "base64");
  CHECK(to_string(Encoding::Utf16le) == "utf-16le");
  CHECK(to_string(Encoding::Utf16be) == "utf-16be");
  CHECK(to_string(Encoding::Percent) == "percent");
  CHECK(to_string(Encoding::JsonEscape) == "json-escape");
}

TEST_CASE("percent and JSON hints: the forms encoders write") {
  const std::string custom = "my/pfx+";  // custom PAT prefixes allow [A-Za-z0-9_+=/@:.-]
  const auto hints = hint_literals({session_prefix(), custom, test::pat_prefix()});
  const auto has = [&](const std::string& lit, Encoding e) {
    return std::any_of(hints.begin(), hints.end(),
                       [&](const Hint& h) { return h.literal == lit && h.encoding == e; });
  };
  // URL encoders leave -._~ alone: only reserved characters are encoded, in either case.
  CHECK(has("_gitlab_session%3D", Encoding::Percent));
  CHECK(has("_gitlab_session%3d", Encoding::Percent));
  CHECK_FALSE(has("%5Fgitlab%5Fsession%3D", Encoding::Percent));
  CHECK(has("my%2Fpfx%2B", Encoding::Percent));
  CHECK(has("my%2fpfx%2b", Encoding::Percent));
  CHECK_FALSE(std::any_of(hints.begin(), hints.end(), [&](const Hint& h) {
    return h.encoding == Encoding::Percent && h.prefix == test::pat_prefix();
  }));
  // JSON: non-alphanumerics as \u00XX in either case, the whole prefix as \u00xx, "\/".
  CHECK(has("glpat\\u002d", Encoding::JsonEscape));
  CHECK(has("glpat\\u002D", Encoding::JsonEscape));
  CHECK(has("\\u0067\\u006c\\u0070\\u0061\\u0074\\u002d", Encoding::JsonEscape));
  CHECK(has("my\\/pfx+", Encoding::JsonEscape));
  CHECK(has("my\\u002fpfx\\u002b", Encoding::JsonEscape));
  CHECK(has(std::string("g\0l\0p\0a\0t\0-\0", 12), Encoding::Utf16le));
  CHECK(has(std::string("\0g\0l\0p\0a\0t\0-", 12), Encoding::Utf16be));
  for (const auto& h : hints) CHECK(h.literal != test::pat_prefix());  // the plain prefix is the rules' job
}

TEST_CASE("percent: a session cookie in an encoded header, mapped back to its offsets") {
  const auto hints = hint_literals({session_prefix()});
  const std::string value = random_token_chars("hex", 32, 5).value();
  const std::string content =
      "GET /x?next=%2Fdash&h=Cookie%3A%20_gitlab_session%3D" + value + "%3B%20a%3Db&q=1 HTTP/1.1\n";
  const auto views = decode_all(content, hints);
  const View& v = the_view(views, Encoding::Percent, session_prefix() + value);
  CHECK(v.bytes == "h=Cookie: _gitlab_session=" + value + "; a=b");  // the parameter: '&' ends it
  const std::size_t at = v.bytes.find(value);
  CHECK(v.to_parent(at) == content.find(value));
  CHECK(v.to_parent(v.bytes.find("n=") + 1) == content.find("%3D"));
  CHECK(v.begin == content.find("h=Cookie"));
  CHECK(v.end == content.find("&q=1"));
}

TEST_CASE("percent: lowercase hex, a custom prefix with '/', other escapes in the run") {
  const std::string custom = "acme/";
  const auto hints = hint_literals({test::pat_prefix(), custom});
  const std::string b = body(6);
  const std::string c1 = "t=%67%6c%70acme%2f" + b;
  CHECK(the_view(decode_all(c1, hints), Encoding::Percent, custom + b).bytes == "t=glp" + custom + b);
  const std::string c2 = "x \"https://h/?token=acme%2F" + b + "\" y";
  CHECK(the_view(decode_all(c2, hints), Encoding::Percent, custom + b).bytes ==
        "https://h/?token=" + custom + b);
}

TEST_CASE("json escapes: \\u002d, fully escaped prefix, \\/ and surrogate pairs") {
  const std::string custom = "corp/";
  const auto hints = hint_literals({test::pat_prefix(), custom});
  const std::string b = body(7);
  const std::string c1 = R"({"a":"x","token":"glpat\u002d)" + b + R"(","b":"caf\u00e9 \ud83d\ude00"})";
  const auto views1 = decode_all(c1, hints);
  const View& v1 = the_view(views1, Encoding::JsonEscape, test::pat_prefix() + b);
  CHECK(v1.bytes == test::pat_prefix() + b);  // only this string, not its neighbours
  CHECK(v1.to_parent(5) == c1.find("\\u002d"));
  CHECK(v1.to_parent(6) == c1.find("\\u002d") + 6);
  CHECK(v1.begin == c1.find("glpat"));
  CHECK(v1.end == c1.find(R"(","b")"));

  const std::string c2 =
      R"(var s = '\u0067\u006c\u0070\u0061\u0074\u002d)" + b + R"(\x20caf\u00e9\ud83d\ude00\/';)";
  const auto views2 = decode_all(c2, hints);
  const View& v2 = the_view(views2, Encoding::JsonEscape, test::pat_prefix() + b);
  CHECK(v2.bytes == test::pat_prefix() + b + " caf\xc3\xa9\xf0\x9f\x98\x80/");

  const std::string c3 = R"({"url":"https:\/\/h\/corp\/)" + b + R"("})";
  CHECK(the_view(decode_all(c3, hints), Encoding::JsonEscape, custom + b).bytes == "https://h/" + custom + b);
}

TEST_CASE("json: an escaped quote does not end the string; a lone surrogate becomes U+FFFD") {
  const auto hints = hint_literals({test::pat_prefix()});
  const std::string b = body(8);
  const std::string c = R"(["say \"hi\" glpat\u002d)" + b + R"( \ud800 end"])";
  const auto views = decode_all(c, hints);
  const View& v = the_view(views, Encoding::JsonEscape, test::pat_prefix() + b);
  CHECK(v.bytes == "say \"hi\" " + test::pat_prefix() + b + " \xef\xbf\xbd end");
}

TEST_CASE("decode_at refuses hits past the content and hits of an empty literal") {
  Hint h;
  h.encoding = Encoding::JsonEscape;
  h.literal = "\\u002d";
  CHECK_FALSE(decode_at("ab", h, 3).has_value());
  CHECK_FALSE(decode_at("ab", h, 1).has_value());
  h.literal.clear();
  CHECK_FALSE(decode_at("ab", h, 1).has_value());
}
