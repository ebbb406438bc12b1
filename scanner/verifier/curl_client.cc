// libcurl implementation of HttpClient. Easy handles are pooled: a request borrows one, sets
// every option afresh after curl_easy_reset (so no option, header or callback survives into
// the next request), and returns it, which keeps its TLS connection alive for the next token
// to the same host. The client is thread-safe: a handle serves one request at a time. Every
// libcurl object has exactly one RAII owner below.
#include <curl/curl.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "glpatrol_version.h"
#include "verifier/http_client.h"

namespace glpatrol {

namespace {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

struct CurlString {
  char* p = nullptr;
  CurlString() = default;
  CurlString(const CurlString&) = delete;
  CurlString& operator=(const CurlString&) = delete;
  ~CurlString() { curl_free(p); }
};

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

/// What the callbacks write into; lives on the stack of one send().
struct Sink {
  std::size_t cap = 0;
  HttpResponse resp;
  std::size_t header_bytes = 0;
  bool headers_too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  if (s->resp.body.size() + len > s->cap) {
    s->resp.body.append(data, s->cap - s->resp.body.size());
    s->resp.truncated = true;
    return 0;  // aborts the transfer: CURLE_WRITE_ERROR
  }
  s->resp.body.append(data, len);
  return len;
}

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
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a proxy CONNECT or 1xx)
    s->resp.retry_after.reset();
    s->resp.content_type.clear();
    s->resp.next_page.clear();
    return len;
  }
  const auto colon = line.find(':');
  if (colon == std::string::npos) return len;
  std::string name = line.substr(0, colon);
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name == "retry-after") s->resp.retry_after = trim(line.substr(colon + 1));
  if (name == "content-type") s->resp.content_type = trim(line.substr(colon + 1));
  if (name == "x-next-page") s->resp.next_page = trim(line.substr(colon + 1));
  return len;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Error net(std::string m) { return {ErrorKind::Network, std::move(m)}; }

class CurlClient final : public HttpClient {
 public:
  explicit CurlClient(CurlClientOptions o) : opts_(std::move(o)) { global_init(); }

  Result<HttpResponse> send(const HttpRequest& req) override {
    // Scheme and host decide the allowed protocol: https always, http only to loopback.
    UrlHandle url(curl_url());
    if (!url) return net("out of memory");
    if (curl_url_set(url.get(), CURLUPART_URL, req.url.c_str(), 0) != CURLUE_OK)
      return Error::usage("invalid URL");
    CurlString scheme, host;
    if (curl_url_get(url.get(), CURLUPART_SCHEME, &scheme.p, 0) != CURLUE_OK ||
        curl_url_get(url.get(), CURLUPART_HOST, &host.p, 0) != CURLUE_OK)
      return Error::usage("invalid URL");
    const std::string sch = scheme.p;
    const char* protocols = "https";
    if (sch == "http") {
      if (!is_loopback_host(host.p)) return Error::usage("plain HTTP is only allowed to loopback addresses");
      protocols = "http";
    } else if (sch != "https") {
      return Error::usage("only https URLs are allowed");
    }

    EasyHandle h = borrow();
    if (!h) return net("cannot create a libcurl handle");
    struct Return {  // hands the handle back to the pool on every path out of send()
      CurlClient* self;
      EasyHandle& h;
      ~Return() { self->give_back(std::move(h)); }
    } give_back_on_exit{this, h};
    Slist headers;
    auto add_header = [&headers](const std::string& line) {
      curl_slist* next = curl_slist_append(headers.get(), line.c_str());
      if (next == nullptr) return false;
      (void)headers.release();  // curl_slist_append returned the same list, now longer
      headers.reset(next);
      return true;
    };
    for (const auto& [k, v] : req.headers)
      if (!add_header(k + ": " + v)) return net("out of memory");
    if (!add_header("Accept: application/json") || !add_header("Expect:")) return net("out of memory");

    Sink sink;
    sink.cap = opts_.max_body;
    char errbuf[CURL_ERROR_SIZE] = {0};
    CURL* c = h.get();
    const long timeout_ms = static_cast<long>(std::max<long long>(1, req.timeout.count()));
    const long connect_ms =
        std::min(timeout_ms, static_cast<long>(std::max<long long>(1, opts_.connect_timeout.count())));
    bool ok = true;
    auto set = [&ok](CURLcode rc) { ok &= rc == CURLE_OK; };
    set(curl_easy_setopt(c, CURLOPT_URL, req.url.c_str()));
    set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols));
    // Proxies come from the environment (https_proxy, no_proxy, ...) as libcurl documents;
    // https goes through a CONNECT tunnel, so a proxy never sees the token. Plain http (only
    // ever loopback) is never proxied: the proxy would read the token in clear text.
    if (sch == "http") set(curl_easy_setopt(c, CURLOPT_NOPROXY, "*"));
    set(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https"));
    set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L));  // a 3xx is an answer, never followed
    set(curl_easy_setopt(c, CURLOPT_MAXREDIRS, 0L));
    set(curl_easy_setopt(c, CURLOPT_VERBOSE, 0L));   // never: it would print headers
    set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));  // threads + timeouts
    set(curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L));
    set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms));
    set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms));
    set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L));
    set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L));
    if (!opts_.ca_bundle.empty()) set(curl_easy_setopt(c, CURLOPT_CAINFO, opts_.ca_bundle.c_str()));
    // Our headers (the token) go to the origin only, never to a proxy's CONNECT.
    set(curl_easy_setopt(c, CURLOPT_HEADEROPT, CURLHEADER_SEPARATE));
    set(curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()));
    set(curl_easy_setopt(c, CURLOPT_USERAGENT, "glpatrol/" GLPATROL_VERSION " (+token verification)"));
    set(curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(opts_.max_body)));
    set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body));
    set(curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink));
    set(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header));
    set(curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink));
    set(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf));
    if (req.method == "GET") {
      set(curl_easy_setopt(c, CURLOPT_HTTPGET, 1L));
    } else if (req.method == "POST") {
      set(curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size())));
      set(curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, req.body.c_str()));
    } else if (req.method == "DELETE") {
      if (!req.body.empty()) {  // DELETE /admin/token carries the token in its body
        set(curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size())));
        set(curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, req.body.c_str()));
      }
      set(curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE"));
    } else {
      return Error::internal("unsupported HTTP method");
    }
    if (!ok) return net("libcurl rejected an option (libcurl 7.85 or newer is required)");

    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    sink.resp.status = status;
    if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && sink.resp.truncated)) {
      sink.resp.truncated = true;
      return std::move(sink.resp);
    }
    if (sink.headers_too_large) return net("response headers larger than 64 KiB");
    if (rc != CURLE_OK) {
      std::string msg = curl_easy_strerror(rc);
      if (errbuf[0] != '\0') msg += std::string(": ") + errbuf;
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
      return net(msg);
    }
    return std::move(sink.resp);
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
    // Options back to defaults now: the handle must not keep pointers to this request's
    // headers, buffers or sink. Its connection cache survives.
    curl_easy_reset(h.get());
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(h));
  }

  static constexpr std::size_t kMaxIdle = 32;
  CurlClientOptions opts_;
  std::mutex mu_;
  std::vector<EasyHandle> idle_;
};

}  // namespace

bool is_loopback_host(const std::string& host_in) {
  std::string host = host_in;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  for (auto& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (host == "localhost" || host == "localhost.") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::unique_ptr<HttpClient> make_curl_client(CurlClientOptions opts) {
  return std::make_unique<CurlClient>(std::move(opts));
}

}  // namespace glpatrol
