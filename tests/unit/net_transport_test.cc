// scanner/net/transport: the guards that decide before any socket (scheme, loopback, user
// info, method), and what a real exchange with a loopback server does (no redirect followed,
// a stopped body, an announced body over the cap, repeated headers, what is sent). The
// server is a one-shot thread in this process on 127.0.0.1: no other host is ever touched.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "net/transport.h"
#include "verifier/http_client.h"

using namespace glpatrol;

namespace {

/// Serves one canned response to one connection and keeps the request it read.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 1) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  /// The request as received (valid after the transfer returned).
  const std::string& request() const { return request_; }

 private:
  void serve() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    // Read the head, then as many body bytes as Content-Length says.
    while (request_.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      request_.append(buf, static_cast<std::size_t>(n));
    }
    const auto cl = request_.find("Content-Length: ");
    if (cl != std::string::npos) {
      const std::size_t want = std::stoul(request_.substr(cl + 16));
      const std::size_t head_end = request_.find("\r\n\r\n") + 4;
      while (request_.size() < head_end + want) {
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        request_.append(buf, static_cast<std::size_t>(n));
      }
    }
    std::size_t done = 0;
    while (done < response_.size()) {
      const ssize_t n = ::write(c, response_.data() + done, response_.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(c);
  }

  std::string response_;
  std::string request_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string http_response(const std::string& status_line, const std::string& headers,
                          const std::string& body) {
  return "HTTP/1.1 " + status_line + "\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

Result<net::Head> get(net::Transport& t, const std::string& url, std::string& body) {
  net::Request r;
  r.url = url;
  r.timeout = std::chrono::milliseconds(5000);
  return t.perform(r, [&body](long, std::string_view chunk) {
    body.append(chunk);
    return true;
  });
}

}  // namespace

TEST_CASE("transport: loopback is 127.0.0.0/8, ::1 and localhost, nothing that merely looks like it") {
  CHECK(net::is_loopback_host("127.0.0.1"));
  CHECK(net::is_loopback_host("127.200.0.9"));
  CHECK(net::is_loopback_host("[::1]"));
  CHECK(net::is_loopback_host("LOCALHOST"));
  CHECK_FALSE(net::is_loopback_host("127.0.0.1.nip.io"));
  CHECK_FALSE(net::is_loopback_host("0.0.0.0"));
  CHECK_FALSE(net::is_loopback_host("::ffff:127.0.0.1x"));
  CHECK_FALSE(net::is_loopback_host("gitlab.example.com"));
}

TEST_CASE("transport: plain http only to loopback, nothing but http(s), no user info, before any socket") {
  net::Transport t(net::ClientOptions{});
  for (const char* url : {"http://gitlab.example.com/api/v4/user", "http://10.1.2.3/api/v4/user",
                          "ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/", "not a url",
                          "https://user:pw@gitlab.example.com/", "http://user@127.0.0.1/"}) {
    CAPTURE(url);
    std::string body;
    auto r = get(t, url, body);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::Usage);
  }
  net::Request put;
  put.url = "https://127.0.0.1:1/";
  put.method = "PUT";
  auto r = t.perform(put, [](long, std::string_view) { return true; });
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == ErrorKind::Usage);
}

TEST_CASE("transport: a refused connection is a network error naming no header") {
  net::Transport t(net::ClientOptions{});
  net::Request r;
  r.url = "http://127.0.0.1:1/api/v4/user";  // port 1: nothing listens in the test sandbox
  r.headers = {{"Authorization", "Bearer header-value-that-must-not-leak"}};
  r.timeout = std::chrono::milliseconds(2000);
  auto h = t.perform(r, [](long, std::string_view) { return true; });
  REQUIRE_FALSE(h.has_value());
  CHECK(h.error().kind == ErrorKind::Network);
  CHECK(h.error().message.find("header-value") == std::string::npos);
}

TEST_CASE("transport: a redirect is an answer, never followed") {
  OneShotServer srv(http_response("302 Found", "Location: http://127.0.0.1:1/elsewhere\r\n", ""));
  net::Transport t(net::ClientOptions{});
  std::string body;
  auto h = get(t, srv.url("/api/v4/user"), body);
  REQUIRE(h.has_value());
  CHECK(h->status == 302);
  CHECK(h->header("location") == "http://127.0.0.1:1/elsewhere");
}

TEST_CASE("transport: repeated headers are joined, names are lower-case") {
  OneShotServer srv(http_response("200 OK", "Link: <a>; rel=\"next\"\r\nLINK: <b>; rel=\"last\"\r\n", "[]"));
  net::Transport t(net::ClientOptions{});
  std::string body;
  auto h = get(t, srv.url("/x"), body);
  REQUIRE(h.has_value());
  CHECK(h->status == 200);
  CHECK(body == "[]");
  CHECK(h->header("link") == "<a>; rel=\"next\", <b>; rel=\"last\"");
  CHECK_FALSE(h->stopped);
}

TEST_CASE("transport: the body sink can stop a transfer; the head is still returned") {
  OneShotServer srv(http_response("200 OK", "", std::string(100000, 'x')));
  net::Transport t(net::ClientOptions{});
  net::Request r;
  r.url = srv.url("/log");
  std::size_t got = 0;
  auto h = t.perform(r, [&got](long status, std::string_view chunk) {
    CHECK(status == 200);
    got += chunk.size();
    return false;
  });
  REQUIRE(h.has_value());
  CHECK(h->stopped);
  CHECK(h->status == 200);
  CHECK(got > 0);
  CHECK(got < 100000);
}

TEST_CASE("transport: an announced body over max_body is refused before it is read") {
  OneShotServer srv(http_response("200 OK", "", std::string(5000, 'y')));
  net::Transport t(net::ClientOptions{});
  net::Request r;
  r.url = srv.url("/big");
  r.max_body = 1000;
  std::size_t got = 0;
  auto h = t.perform(r, [&got](long, std::string_view chunk) {
    got += chunk.size();
    return true;
  });
  REQUIRE(h.has_value());
  CHECK(h->stopped);
  CHECK(got == 0);
}

TEST_CASE("transport: a DELETE carries its form body; an empty header value removes libcurl's own") {
  OneShotServer srv(http_response("204 No Content", "", ""));
  net::Transport t(net::ClientOptions{});
  net::Request r;
  r.method = "DELETE";
  r.url = srv.url("/api/v4/admin/token");
  r.headers = {
      {"Authorization", "Bearer op"}, {"Content-Type", "application/x-www-form-urlencoded"}, {"Expect", ""}};
  r.body = "token=abc";
  auto h = t.perform(r, [](long, std::string_view) { return true; });
  REQUIRE(h.has_value());
  CHECK(h->status == 204);
  const std::string& req = srv.request();
  CHECK(req.rfind("DELETE /api/v4/admin/token HTTP/1.1\r\n", 0) == 0);
  CHECK(req.find("Authorization: Bearer op\r\n") != std::string::npos);
  CHECK(req.find("Expect:") == std::string::npos);
  CHECK(req.substr(req.size() - 9) == "token=abc");
}

TEST_CASE("verifier client over the transport: capped body, Retry-After, X-Next-Page, content type") {
  OneShotServer srv(http_response("429 Too Many Requests",
                                  "Retry-After: 7\r\nX-Next-Page: 3\r\nContent-Type: application/json\r\n",
                                  std::string(300, 'z')));
  CurlClientOptions o;
  o.max_body = 100;
  auto client = make_curl_client(o);
  HttpRequest req;
  req.url = srv.url("/api/v4/personal_access_tokens/self");
  auto r = client->send(req);
  REQUIRE(r.has_value());
  CHECK(r->status == 429);
  CHECK(r->truncated);
  CHECK(r->body.size() <= 100);
  CHECK(r->retry_after == std::optional<std::string>("7"));
  CHECK(r->next_page == "3");
  CHECK(r->content_type == "application/json");
  CHECK(srv.request().find("Accept: application/json\r\n") != std::string::npos);
}
