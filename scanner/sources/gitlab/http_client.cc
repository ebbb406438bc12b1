// libcurl implementation of StreamingHttp. One easy handle per thread-local use: a request
// borrows a pooled handle, sets every option afresh after curl_easy_reset (nothing of one
// request survives into the next) and gives it back, keeping its connection alive.
#include "sources/gitlab/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "sources/gitlab/url.h"
#include "verifier/http_client.h"  // is_loopback_host: one definition of "loopback"

namespace glpatrol::gitlab {

namespace {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

constexpr std::size_t kMaxHeaderBytes = 256 * 1024;

struct Sink {
  HttpHead head;
  const BodyFn* body = nullptr;
  CURL* handle = nullptr;
  bool aborted = false;
  std::size_t header_bytes = 0;
  bool headers_too_large = false;
};

std::string trim(std::string v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  std::size_t i = 0;
  while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i]))) ++i;
  return v.substr(i);
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  s->header_bytes += len;
  if (s->header_bytes > kMaxHeaderBytes) {
    s->headers_too_large = true;
    return 0;
  }
  std::string line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (1xx, proxy CONNECT): start over
    s->head.headers.clear();
    s->head.status = 0;
    return len;
  }
  const auto colon = line.find(':');
  if (colon == std::string::npos) return len;
  std::string name = line.substr(0, colon);
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string value = trim(line.substr(colon + 1));
  auto [it, inserted] = s->head.headers.emplace(name, value);
  if (!inserted) it->second += ", " + value;
  return len;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  if (s->head.status == 0) curl_easy_getinfo(s->handle, CURLINFO_RESPONSE_CODE, &s->head.status);
  if (!(*s->body)(s->head.status, std::string_view(data, len))) {
    s->aborted = true;
    return 0;
  }
  return len;
}

Error net(std::string m) { return {ErrorKind::Network, std::move(m)}; }

class CurlStreamingHttp final : public StreamingHttp {
 public:
  explicit CurlStreamingHttp(HttpClientOptions o) : opts_(std::move(o)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  Result<HttpHead> get(const HttpGetRequest& req, const BodyFn& on_body_fn) override {
    const auto origin = parse_origin(req.url);
    if (!origin) return Error::usage("refused URL (not http(s), or with user info)");
    const char* protocols = "https";
    if (origin->scheme == "http") {
      if (!is_loopback_host(origin->host))
        return Error::usage("plain HTTP is only allowed to loopback addresses");
      protocols = "http";
    }
    EasyHandle h = borrow();
    if (!h) return net("cannot create a libcurl handle");
    struct Return {
      CurlStreamingHttp* self;
      EasyHandle& h;
      ~Return() { self->give_back(std::move(h)); }
    } give_back_on_exit{this, h};
    Slist headers;
    for (const auto& [k, v] : req.headers) {
      curl_slist* next = curl_slist_append(headers.get(), (k + ": " + v).c_str());
      if (next == nullptr) return net("out of memory");
      (void)headers.release();
      headers.reset(next);
    }
    Sink sink;
    sink.body = &on_body_fn;
    sink.handle = h.get();
    char errbuf[CURL_ERROR_SIZE] = {0};
    CURL* c = h.get();
    bool ok = true;
    auto set = [&ok](CURLcode rc) { ok &= rc == CURLE_OK; };
    set(curl_easy_setopt(c, CURLOPT_URL, req.url.c_str()));
    set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols));
    if (origin->scheme == "http") set(curl_easy_setopt(c, CURLOPT_NOPROXY, "*"));
    set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L));
    set(curl_easy_setopt(c, CURLOPT_MAXREDIRS, 0L));
    set(curl_easy_setopt(c, CURLOPT_VERBOSE, 0L));
    set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
    set(curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L));
    set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                         static_cast<long>(std::max<long long>(1, req.timeout.count()))));
    set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts_.connect_timeout.count())));
    set(curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L));
    set(curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(opts_.low_speed_time.count())));
    set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L));
    set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L));
    if (!opts_.ca_bundle.empty()) set(curl_easy_setopt(c, CURLOPT_CAINFO, opts_.ca_bundle.c_str()));
    set(curl_easy_setopt(c, CURLOPT_HEADEROPT, CURLHEADER_SEPARATE));
    set(curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()));
    set(curl_easy_setopt(c, CURLOPT_USERAGENT, opts_.user_agent.c_str()));
    set(curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""));  // gzip/deflate: logs compress well
    set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body));
    set(curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink));
    set(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header));
    set(curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink));
    set(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf));
    set(curl_easy_setopt(c, CURLOPT_HTTPGET, 1L));
    if (!ok) return net("libcurl rejected an option (libcurl 7.85 or newer is required)");
    const CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &sink.head.status);
    if (sink.headers_too_large) return net("response headers larger than 256 KiB");
    if (rc == CURLE_WRITE_ERROR && sink.aborted) return std::move(sink.head);  // the reader stopped
    if (rc != CURLE_OK) {
      std::string msg = curl_easy_strerror(rc);
      if (errbuf[0] != '\0') msg += std::string(": ") + errbuf;
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
      return net(msg);
    }
    return std::move(sink.head);
  }

 private:
  EasyHandle borrow() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        EasyHandle h = std::move(idle_.back());
        idle_.pop_back();
        return h;
      }
    }
    return EasyHandle(curl_easy_init());
  }
  void give_back(EasyHandle h) {
    if (!h) return;
    curl_easy_reset(h.get());
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < 64) idle_.push_back(std::move(h));
  }

  HttpClientOptions opts_;
  std::mutex mu_;
  std::vector<EasyHandle> idle_;
};

}  // namespace

std::unique_ptr<StreamingHttp> make_streaming_http(HttpClientOptions opts) {
  return std::make_unique<CurlStreamingHttp>(std::move(opts));
}

}  // namespace glpatrol::gitlab
