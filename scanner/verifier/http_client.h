#pragma once
// The verifier's only door to the network: one request in, one response (or a network
// error) out. The libcurl implementation is the single production client; unit tests use a
// fake. Contract for every implementation:
//   - never follows redirects (a 3xx is returned as a response);
//   - sends secrets only in headers or the request body, never in the URL;
//   - caps the response body (`HttpResponse::truncated` tells the caller);
//   - never logs, and never puts header values into error messages.
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace glpatrol {

struct HttpRequest {
  std::string method = "GET";  ///< GET | POST | DELETE
  std::string url;             ///< absolute; never contains a secret
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                          ///< POST only (form encoded)
  std::chrono::milliseconds timeout{10000};  ///< whole request, connect included
};

struct HttpResponse {
  long status = 0;
  std::string body;                        ///< at most the client's body cap
  bool truncated = false;                  ///< the body was longer than the cap
  std::optional<std::string> retry_after;  ///< raw Retry-After header value
  std::string content_type;
  std::string next_page;  ///< X-Next-Page (GitLab offset pagination); empty on the last page
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  /// Thread-safe. Network failures (DNS, refused, TLS, timeout) come back as
  /// ErrorKind::Network with a message that contains no header value.
  virtual Result<HttpResponse> send(const HttpRequest& req) = 0;
};

struct CurlClientOptions {
  std::string ca_bundle;             ///< extra CA file (PEM); empty = system store
  std::size_t max_body = 64 * 1024;  ///< response body cap
  std::chrono::milliseconds connect_timeout{5000};
};

/// The production client, over scanner/net/transport.h: HTTPS with peer and host verification
/// always; plain HTTP only for loopback hosts (net::is_loopback_host). Proxies come from
/// libcurl's standard environment variables (https_proxy, http_proxy, no_proxy, ...).
std::unique_ptr<HttpClient> make_curl_client(CurlClientOptions opts);

}  // namespace glpatrol
