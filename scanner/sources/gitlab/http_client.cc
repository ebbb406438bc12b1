// StreamingHttp over glpatrol's one network transport (scanner/net/transport.h, which holds
// the libcurl handles and every security setting): GET only, the body handed on as it
// arrives, compressed transfer accepted (job logs compress well), a slow-stream timeout.
#include "sources/gitlab/http_client.h"

namespace glpatrol::gitlab {

namespace {

class TransportStreamingHttp final : public StreamingHttp {
 public:
  explicit TransportStreamingHttp(const HttpClientOptions& o) : transport_(transport_options(o)) {}

  Result<HttpHead> get(const HttpGetRequest& req, const BodyFn& on_body) override {
    net::Request r;
    r.url = req.url;
    r.headers = req.headers;
    r.timeout = req.timeout;
    r.accept_compressed = true;
    return transport_.perform(r, on_body);
  }

 private:
  static net::ClientOptions transport_options(const HttpClientOptions& o) {
    net::ClientOptions t;
    t.ca_bundle = o.ca_bundle;
    t.connect_timeout = o.connect_timeout;
    t.low_speed_time = o.low_speed_time;
    t.max_header_bytes = 256 * 1024;  // Link headers of long paginations
    t.user_agent = o.user_agent;
    t.max_idle_handles = 64;
    return t;
  }

  net::Transport transport_;
};

}  // namespace

std::unique_ptr<StreamingHttp> make_streaming_http(HttpClientOptions opts) {
  return std::make_unique<TransportStreamingHttp>(opts);
}

}  // namespace glpatrol::gitlab
