#pragma once
// The instance source's door to the network: streaming HTTP GET with libcurl. Unlike the
// verifier's client (scanner/verifier/http_client.h, one small JSON answer per token) it hands
// the body over as it arrives (a job log of any size is never held whole) and returns every
// response header the pagination and rate limiting need. Contract, as for the verifier:
//   - https with peer and host verification; plain http only to loopback hosts;
//   - never follows redirects (a 3xx is an answer) and never sends a proxy our headers;
//   - never logs, and never puts a header value into an error message.
// It is a thin adapter over scanner/net/transport.h, which owns every libcurl object.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "net/transport.h"

namespace glpatrol::gitlab {

struct HttpGetRequest {
  std::string url;  ///< absolute; never contains a secret
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{60000};  ///< whole request (streams: see low_speed)
};

/// The status and headers of an answer (lower-case names; a repeated header joined with ", ").
using HttpHead = net::Head;

/// Receives body bytes as they arrive, with the response status (the head is complete by
/// then); false aborts the transfer.
using BodyFn = net::BodySink;

struct HttpClientOptions {
  std::string ca_bundle;  ///< PEM file replacing the system CAs; "" = system store
  std::chrono::milliseconds connect_timeout{10000};
  /// A stream slower than 1 KiB/s for this long is a timeout (a job log of hours is fine).
  std::chrono::seconds low_speed_time{60};
  std::string user_agent = "glpatrol (+gitlab instance scan)";
};

class StreamingHttp {
 public:
  virtual ~StreamingHttp() = default;
  /// Thread-safe. Network failures (DNS, refused, TLS, timeout) are ErrorKind::Network; a
  /// refused URL is ErrorKind::Usage. A transfer `on_body` stopped returns the head.
  virtual Result<HttpHead> get(const HttpGetRequest& req, const BodyFn& on_body) = 0;
};

std::unique_ptr<StreamingHttp> make_streaming_http(HttpClientOptions opts);

}  // namespace glpatrol::gitlab
