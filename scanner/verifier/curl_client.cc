// HttpClient over glpatrol's one network transport (scanner/net/transport.h, which holds the
// libcurl handles and every security setting): this adapter only collects a capped body and
// reads the three headers verification needs.
#include <memory>

#include "glpatrol_version.h"
#include "net/transport.h"
#include "verifier/http_client.h"

namespace glpatrol {

namespace {

class CurlClient final : public HttpClient {
 public:
  explicit CurlClient(const CurlClientOptions& o) : max_body_(o.max_body), transport_(transport_options(o)) {}

  Result<HttpResponse> send(const HttpRequest& req) override {
    net::Request r;
    r.method = req.method;
    r.url = req.url;
    r.headers = req.headers;
    r.headers.emplace_back("Accept", "application/json");
    r.headers.emplace_back("Expect", "");  // no 100-continue round trip for a small POST
    r.body = req.body;
    r.timeout = req.timeout;
    r.max_body = max_body_;  // an announced larger body is refused before it is read
    HttpResponse out;
    auto head = transport_.perform(r, [&](long, std::string_view chunk) {
      if (out.body.size() + chunk.size() > max_body_) {
        out.body.append(chunk.substr(0, max_body_ - out.body.size()));
        out.truncated = true;
        return false;
      }
      out.body.append(chunk);
      return true;
    });
    if (!head) return head.error();
    out.status = head->status;
    out.truncated |= head->stopped;
    if (auto v = head->header("retry-after"); !v.empty()) out.retry_after = v;
    out.content_type = head->header("content-type");
    out.next_page = head->header("x-next-page");
    return out;
  }

 private:
  static net::ClientOptions transport_options(const CurlClientOptions& o) {
    net::ClientOptions t;
    t.ca_bundle = o.ca_bundle;
    t.connect_timeout = o.connect_timeout;
    t.max_header_bytes = 64 * 1024;
    t.user_agent = "glpatrol/" GLPATROL_VERSION " (+token verification)";
    return t;
  }

  std::size_t max_body_;
  net::Transport transport_;
};

}  // namespace

std::unique_ptr<HttpClient> make_curl_client(CurlClientOptions opts) {
  return std::make_unique<CurlClient>(opts);
}

}  // namespace glpatrol
