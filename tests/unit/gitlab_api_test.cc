// The instance source's HTTP judgement (sources/gitlab/url.h, api.h): origins, Link headers,
// next pages, Retry-After, and the Api's pagination, retries and token placement against a
// fake transport.
#include <doctest/doctest.h>

#include <deque>
#include <mutex>

#include "sources/gitlab/api.h"
#include "sources/gitlab/url.h"

using namespace glpatrol;
using namespace glpatrol::gitlab;

TEST_CASE("gitlab url: origins") {
  auto o = parse_origin("https://GitLab.Example.com/api/v4?x=1");
  REQUIRE(o);
  CHECK(o->scheme == "https");
  CHECK(o->host == "gitlab.example.com");
  CHECK(o->port == 443);
  CHECK(parse_origin("http://127.0.0.1:8080/x")->port == 8080);
  CHECK(parse_origin("http://[::1]:81/")->host == "[::1]");
  CHECK_FALSE(parse_origin("https://user:pw@gitlab.com/"));  // credentials in a URL: refused
  CHECK_FALSE(parse_origin("ftp://gitlab.com/"));
  CHECK_FALSE(parse_origin("https://gitlab.com:99999/"));
  CHECK_FALSE(parse_origin("gitlab.com/x"));
  CHECK(same_origin("https://gitlab.com/api/v4/projects?page=2", "https://gitlab.com"));
  CHECK(same_origin("https://gitlab.com:443/x", "https://GITLAB.com"));
  CHECK_FALSE(same_origin("http://gitlab.com/x", "https://gitlab.com"));
  CHECK_FALSE(same_origin("https://gitlab.com.evil.example/x", "https://gitlab.com"));
  CHECK_FALSE(same_origin("https://gitlab.com:444/x", "https://gitlab.com"));
}

TEST_CASE("gitlab url: Link rel=next") {
  const std::string h =
      "<https://g.example/api/v4/projects?page=1&per_page=3>; rel=\"prev\", "
      "<https://g.example/api/v4/projects?page=3&per_page=3>; rel=\"next\", "
      "<https://g.example/api/v4/projects?page=1&per_page=3>; rel=\"first\"";
  CHECK(link_next(h) == "https://g.example/api/v4/projects?page=3&per_page=3");
  CHECK(link_next("<https://a/x?id_after=8>; rel=\"next\"") == "https://a/x?id_after=8");
  CHECK(link_next("<https://a/x>; rel=next") == "https://a/x");
  CHECK(link_next("<https://a/x>; title=\"a, b\"; rel=\"next\"") ==
        std::nullopt);  // quoted comma: not parsed, safe
  CHECK_FALSE(link_next("<https://a/x>; rel=\"last\""));
  CHECK_FALSE(link_next(""));
  CHECK_FALSE(link_next("garbage"));
}

TEST_CASE("gitlab url: snippet refs") {
  CHECK(snippet_ref("https://g/acme/api/-/snippets/9/raw/main/dir/raw/x.sh") == "main");
  CHECK(snippet_ref("https://g/-/snippets/9/raw/master/a.txt") == "master");
  CHECK(snippet_ref("https://g/raw/x") == "");
}

TEST_CASE("gitlab api: next page and Retry-After") {
  HttpHead h;
  h.headers.insert_or_assign("x-next-page", std::string("3"));
  CHECK(next_page_url("https://g/api/v4/x?per_page=100&page=2", h) ==
        "https://g/api/v4/x?per_page=100&page=3");
  CHECK(next_page_url("https://g/api/v4/x", h) == "https://g/api/v4/x?page=3");
  h.headers["link"] = "<https://g/api/v4/x?cursor=abc>; rel=\"next\"";
  CHECK(next_page_url("https://g/api/v4/x", h) == "https://g/api/v4/x?cursor=abc");  // Link wins
  HttpHead last;
  last.headers.insert_or_assign("x-next-page", std::string(""));
  CHECK(next_page_url("https://g/api/v4/x", last).empty());

  using std::chrono::milliseconds;
  HttpHead r;
  r.headers.insert_or_assign("retry-after", std::string("7"));
  CHECK(retry_wait(r, 0, milliseconds(60000)) == milliseconds(7000));
  r.headers.insert_or_assign("retry-after", std::string("3600"));
  CHECK(retry_wait(r, 0, milliseconds(60000)) == milliseconds(60000));  // clamped
  HttpHead reset;
  reset.headers.insert_or_assign("ratelimit-reset", std::string("1005"));
  CHECK(retry_wait(reset, 1000, milliseconds(60000)) == milliseconds(5000));
  CHECK(retry_wait(HttpHead{}, 0, milliseconds(60000)) == milliseconds(1000));
}

namespace {

/// Answers from a script; records what was asked and with which headers.
class FakeHttp final : public StreamingHttp {
 public:
  struct Answer {
    long status = 200;
    std::map<std::string, std::string> headers;
    std::string body;
    bool network_error = false;
  };
  Result<HttpHead> get(const HttpGetRequest& req, const BodyFn& on_body) override {
    std::lock_guard<std::mutex> lock(mu);
    urls.push_back(req.url);
    bool token = false;
    for (const auto& [k, v] : req.headers) token |= k == "PRIVATE-TOKEN" && v == "secret-value";
    with_token.push_back(token);
    if (script.empty()) return Error{ErrorKind::Network, "no answer scripted"};
    Answer a = script.front();
    script.pop_front();
    if (a.network_error) return Error{ErrorKind::Network, "connection reset"};
    HttpHead h;
    h.status = a.status;
    h.headers = a.headers;
    if (!a.body.empty()) on_body(a.status, a.body);
    return h;
  }
  std::mutex mu;
  std::deque<Answer> script;
  std::vector<std::string> urls;
  std::vector<bool> with_token;
};

/// An Api on a fake transport that never sleeps (tests may replace api.sleep).
struct Fixture {
  explicit Fixture(std::string base, unsigned retries = 5)
      : fake(new FakeHttp()), api(options(base, retries), std::unique_ptr<FakeHttp>(fake)) {
    api.sleep = [](std::chrono::milliseconds) {};
  }
  static ApiOptions options(std::string base, unsigned retries) {
    ApiOptions o;
    o.base = std::move(base);
    o.token = "secret-value";
    o.max_retries = retries;
    return o;
  }
  FakeHttp* fake;  ///< owned by api
  Api api;
};

}  // namespace

TEST_CASE("gitlab api: pagination follows Link and X-Next-Page, refuses another host") {
  Fixture fx("https://g.example");
  FakeHttp* fake = fx.fake;
  Api& api = fx.api;
  fake->script.push_back({200, {{"link", "<https://g.example/api/v4/x?page=2>; rel=\"next\""}}, "[1,2]"});
  fake->script.push_back({200, {{"x-next-page", "3"}}, "[3]"});
  fake->script.push_back({200, {{"x-next-page", ""}}, "[4]"});
  std::vector<int> got;
  auto r = api.list("/x", [&](const nlohmann::json& j) {
    got.push_back(j.get<int>());
    return true;
  });
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(got == std::vector<int>{1, 2, 3, 4});
  CHECK(fake->urls == std::vector<std::string>{"https://g.example/api/v4/x",
                                               "https://g.example/api/v4/x?page=2",
                                               "https://g.example/api/v4/x?page=3"});
  CHECK(fake->with_token == std::vector<bool>{true, true, true});

  fake->urls.clear();
  fake->script.push_back({200, {{"link", "<https://evil.example/api/v4/x?page=2>; rel=\"next\""}}, "[1]"});
  auto bad = api.list("/x", [](const nlohmann::json&) { return true; });
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("another host") != std::string::npos);
  CHECK(fake->urls.size() == 1);  // never followed
  CHECK(bad.error().message.find("secret-value") == std::string::npos);
}

TEST_CASE("gitlab api: 429, 5xx and network errors are retried; 403 and 404 are answers") {
  Fixture fx("https://g.example", 3);
  FakeHttp* fake = fx.fake;
  Api& api = fx.api;
  std::vector<long> slept;
  api.sleep = [&](std::chrono::milliseconds d) { slept.push_back(static_cast<long>(d.count())); };
  fake->script.push_back({429, {{"retry-after", "2"}}, "Retry later"});
  fake->script.push_back({503, {}, "<html>"});
  fake->script.push_back({0, {}, "", true});
  fake->script.push_back({200, {}, "{\"a\":1}"});
  auto a = api.get_json("/x");
  REQUIRE(a);
  CHECK(a->status == 200);
  CHECK(a->body["a"] == 1);
  CHECK(slept.size() == 3);
  CHECK(slept[0] == 2000);
  CHECK(api.retries() == 3);
  CHECK(api.requests() == 4);

  fake->script.push_back({403, {}, "{\"message\":\"403 Forbidden\"}"});
  auto f403 = api.get_json("/y");
  REQUIRE(f403);
  CHECK(f403->status == 403);
  CHECK(f403->body.is_null());

  for (int i = 0; i < 4; ++i) fake->script.push_back({500, {}, "{}"});
  auto f500 = api.get_json("/z");
  REQUIRE(f500);
  CHECK(f500->status == 500);  // given up after max_retries
}

TEST_CASE("gitlab api: streams hand the body over; the token never leaves the origin") {
  Fixture fx("http://127.0.0.1:1");
  FakeHttp* fake = fx.fake;
  Api& api = fx.api;
  fake->script.push_back({200, {}, std::string(100000, 'x') + "END"});
  std::string got;
  auto st = api.stream("/log", [&](const ReadFn& read) {
    char buf[4096];
    long n;
    while ((n = read(buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  });
  REQUIRE(st);
  CHECK(*st == 200);
  CHECK(got.size() == 100003);
  CHECK(got.substr(got.size() - 3) == "END");

  fake->script.push_back({404, {}, "{}"});
  bool called = false;
  auto nf = api.stream("/nolog", [&](const ReadFn&) { called = true; });
  REQUIRE(nf);
  CHECK(*nf == 404);
  CHECK_FALSE(called);

  fake->urls.clear();
  auto other = api.get_json("http://127.0.0.2:1/api/v4/x");
  CHECK_FALSE(other);
  CHECK(fake->urls.empty());  // refused before any request
}
