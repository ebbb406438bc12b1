#pragma once
// glpatrol's one door to the network: HTTP(S) requests through libcurl, with the security
// settings every caller needs set in one place. The verifier (one small JSON answer per token)
// and the GitLab instance source (pages, streamed job logs) are thin adapters over it.
// Contract:
//   - https with peer and host verification always; plain http only to loopback hosts
//     (127.0.0.0/8, ::1, localhost), and then never through a proxy (it would read the token);
//   - a URL with user info is refused (credentials travel only in headers or the body);
//   - never follows redirects: a 3xx is an answer;
//   - our headers go to the origin only, never into a proxy's CONNECT (https proxies from the
//     standard environment variables, as libcurl documents);
//   - never logs (CURLOPT_VERBOSE is off) and never puts a header value into an error message;
//   - response headers are capped (ClientOptions::max_header_bytes).
// Every libcurl object has one RAII owner in transport.cc. Easy handles are pooled: a request
// borrows one, sets every option afresh and gives it back after curl_easy_reset, so nothing of
// one request survives into the next except the kept-alive connection.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace glpatrol::net {

/// True for 127.0.0.0/8, ::1 and localhost (the only hosts plain HTTP may reach).
bool is_loopback_host(const std::string& host);

struct Request {
  std::string method = "GET";  ///< GET | POST | DELETE (a DELETE may carry a form body)
  std::string url;             ///< absolute; never contains a secret
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                          ///< POST/DELETE form body
  std::chrono::milliseconds timeout{10000};  ///< whole request, connect included
  /// A body announced (Content-Length) larger than this is refused before it is read; 0: no
  /// limit here (the body sink decides).
  std::size_t max_body = 0;
  bool accept_compressed = false;  ///< Accept-Encoding: gzip/deflate (large text: job logs)
};

struct Head {
  long status = 0;
  /// Lower-case names; a header sent several times is joined with ", " (Link).
  std::map<std::string, std::string> headers;
  /// The body sink stopped the transfer, or the announced body was over Request::max_body.
  bool stopped = false;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// Receives the body as it arrives, with the response status (the head is complete by then);
/// returning false stops the transfer (Head::stopped).
using BodySink = std::function<bool(long status, std::string_view chunk)>;

struct ClientOptions {
  std::string ca_bundle;  ///< PEM file replacing the system CAs; "" = system store
  std::chrono::milliseconds connect_timeout{10000};
  /// A transfer slower than 1 KiB/s for this long is a timeout; 0: only Request::timeout.
  std::chrono::seconds low_speed_time{0};
  std::size_t max_header_bytes = 64 * 1024;
  std::string user_agent;
  std::size_t max_idle_handles = 32;
};

class Transport {
 public:
  explicit Transport(ClientOptions opts);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Thread-safe. Network failures (DNS, refused, TLS, timeout) are ErrorKind::Network with a
  /// message free of header values; a refused URL or method is ErrorKind::Usage.
  Result<Head> perform(const Request& req, const BodySink& on_body);

 private:
  struct EasyDeleter {
    void operator()(void* h) const;
  };
  using EasyHandle = std::unique_ptr<void, EasyDeleter>;
  EasyHandle borrow();
  void give_back(EasyHandle h);

  ClientOptions opts_;
  std::mutex mu_;
  std::vector<EasyHandle> idle_;
};

}  // namespace glpatrol::net
