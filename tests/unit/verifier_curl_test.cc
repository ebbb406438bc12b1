// The libcurl client's own guards, checked without any network: the URL decides the allowed
// protocol before a handle is even created.
#include <doctest/doctest.h>

#include "verifier/http_client.h"

using namespace glpatrol;

TEST_CASE("curl client: plain http only to loopback, nothing but http(s), before any socket") {
  auto client = make_curl_client(CurlClientOptions{});
  for (const char* url : {"http://gitlab.example.com/api/v4/user", "http://10.1.2.3/api/v4/user",
                          "ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/", "not a url"}) {
    CAPTURE(url);
    HttpRequest req;
    req.url = url;
    auto r = client->send(req);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::Usage);
  }
  HttpRequest bad;
  bad.url = "https://127.0.0.1:1/";
  bad.method = "PUT";
  auto r = client->send(bad);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::Internal);
}

TEST_CASE("curl client: a refused connection is a network error naming no header") {
  auto client = make_curl_client(CurlClientOptions{});
  HttpRequest req;
  req.url = "http://127.0.0.1:1/api/v4/user";  // port 1: nothing listens in the test sandbox
  req.headers = {{"Authorization", "Bearer header-value-that-must-not-leak"}};
  req.timeout = std::chrono::milliseconds(2000);
  auto r = client->send(req);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::Network);
  CHECK(r.error().message.find("header-value") == std::string::npos);
}
