#pragma once
// GitLab REST API v4 as the instance source uses it: JSON documents, offset/keyset paginated
// lists and streamed bodies (job logs), with GitLab's rules for a well-behaved client:
//   - the token goes only in the PRIVATE-TOKEN header and only to the configured origin;
//   - pagination follows Link rel="next" (refused when it names another host) or X-Next-Page;
//   - 429 waits for Retry-After / RateLimit-Reset (clamped), 5xx and network errors retry with
//     exponential backoff, --max-rps paces every request of the process;
//   - no redirect is ever followed (a 3xx is returned as the answer).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/stream.h"
#include "sources/gitlab/http_client.h"

namespace glpatrol::gitlab {

struct ApiOptions {
  std::string base;          ///< scheme://host[:port][/prefix] of the instance, no trailing slash
  std::string token;         ///< never logged, never in a URL
  double max_rps = 0;        ///< requests per second for the whole process; 0 = unlimited
  unsigned max_retries = 5;  ///< extra attempts after 429, 5xx, timeouts
  std::chrono::milliseconds max_retry_wait{60000};  ///< longest Retry-After honoured
  std::chrono::milliseconds backoff{500};           ///< first backoff; doubles per attempt
  std::chrono::milliseconds timeout{120000};        ///< one JSON request
  std::size_t max_json_bytes = 64u << 20;           ///< one JSON answer
};

struct JsonAnswer {
  long status = 0;
  nlohmann::json body;  ///< parsed on 2xx; null otherwise
  HttpHead head;
};

/// A list's outcome: 200 when every page was read, else the status that stopped it.
struct ListOutcome {
  long status = 200;
  std::uint64_t items = 0;
};

class Api {
 public:
  Api(ApiOptions opts, std::unique_ptr<StreamingHttp> http);

  /// base + "/api/v4" + path (path starts with '/').
  std::string url(const std::string& path) const;
  const std::string& base() const { return opts_.base; }

  /// One JSON document. Errors: network failure after retries, refused URL, a body that is
  /// not JSON or is larger than max_json_bytes. Non-2xx statuses are answers (body null).
  Result<JsonAnswer> get_json(const std::string& path_or_url);

  /// Every item of a paginated list, in order; `each` returning false stops early (status
  /// 200). Errors as get_json, and a Link header pointing at another host.
  Result<ListOutcome> list(const std::string& path, const std::function<bool(const nlohmann::json&)>& each);

  /// Streams a body through `consume` (which reads it with the ReadFn it gets, e.g. into
  /// ScanStep::scan_stream) while it downloads; bounded memory. Retries happen only before the
  /// first byte was handed over. Returns the final status (consume runs only on 200) or the
  /// error; an error after bytes were read is returned too (the content was cut short).
  Result<long> stream(const std::string& path, const std::function<void(const ReadFn&)>& consume);

  std::uint64_t requests() const { return requests_.load(); }
  std::uint64_t retries() const { return retries_.load(); }

  /// Sleep used between retries (tests replace it).
  std::function<void(std::chrono::milliseconds)> sleep;

 private:
  /// One logical GET with retries; `body` receives only the final 2xx answer's bytes, and
  /// `reset` is called before each attempt.
  Result<HttpHead> send(const std::string& url, const BodyFn& body, const std::function<void()>& reset,
                        bool* delivered);
  void pace();

  ApiOptions opts_;
  std::unique_ptr<StreamingHttp> http_;
  std::atomic<std::uint64_t> requests_{0}, retries_{0};
  std::mutex pace_mu_;
  std::chrono::steady_clock::time_point next_slot_{};
};

/// How long a 429 asks to wait: Retry-After (seconds or an HTTP date is not used by GitLab:
/// seconds only), else RateLimit-Reset (epoch seconds) minus `now_epoch`; clamped to
/// [1 s, max]. Exposed for unit tests.
std::chrono::milliseconds retry_wait(const HttpHead& head, std::int64_t now_epoch,
                                     std::chrono::milliseconds max);

/// The URL of the next page: Link rel="next" if present, else the current URL with page=
/// X-Next-Page, else "" (the last page).
std::string next_page_url(const std::string& current, const HttpHead& head);

}  // namespace glpatrol::gitlab
