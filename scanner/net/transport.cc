#include "net/transport.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace glpatrol::net {

namespace {

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

/// A string libcurl allocated (curl_url_get), freed with curl_free.
struct CurlString {
  char* p = nullptr;
  CurlString() = default;
  CurlString(const CurlString&) = delete;
  CurlString& operator=(const CurlString&) = delete;
  ~CurlString() { curl_free(p); }
};

/// What the callbacks write into; lives on the stack of one perform().
struct Sink {
  Head head;
  const BodySink* body = nullptr;
  CURL* handle = nullptr;
  std::size_t max_header_bytes = 0;
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
  if (s->header_bytes > s->max_header_bytes) {
    s->headers_too_large = true;
    return 0;
  }
  std::string line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a proxy CONNECT or a 1xx)
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
    s->head.stopped = true;
    return 0;  // aborts the transfer: CURLE_WRITE_ERROR
  }
  return len;
}

Error net(std::string m) { return {ErrorKind::Network, std::move(m)}; }

/// The protocol a URL may use: "https", or "http" for a loopback host; an error otherwise.
/// libcurl's own parser decides, the same one that will connect (no parser differential).
Result<std::string> allowed_protocol(const std::string& u) {
  UrlHandle url(curl_url());
  if (!url) return net("out of memory");
  if (curl_url_set(url.get(), CURLUPART_URL, u.c_str(), 0) != CURLUE_OK) return Error::usage("invalid URL");
  CurlString scheme, host, user;
  if (curl_url_get(url.get(), CURLUPART_SCHEME, &scheme.p, 0) != CURLUE_OK ||
      curl_url_get(url.get(), CURLUPART_HOST, &host.p, 0) != CURLUE_OK)
    return Error::usage("invalid URL");
  if (curl_url_get(url.get(), CURLUPART_USER, &user.p, 0) == CURLUE_OK)
    return Error::usage("refused URL with user info: credentials go in headers");
  const std::string sch = scheme.p;
  if (sch == "https") return sch;
  if (sch == "http") {
    if (!is_loopback_host(host.p)) return Error::usage("plain HTTP is only allowed to loopback addresses");
    return sch;
  }
  return Error::usage("only https URLs are allowed");
}

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

void Transport::EasyDeleter::operator()(void* h) const { curl_easy_cleanup(static_cast<CURL*>(h)); }

Transport::Transport(ClientOptions opts) : opts_(std::move(opts)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Transport::~Transport() = default;

Transport::EasyHandle Transport::borrow() {
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

void Transport::give_back(EasyHandle h) {
  if (!h) return;
  // Options back to defaults now: the handle must not keep pointers to this request's
  // headers, buffers or sink. Its connection cache survives.
  curl_easy_reset(static_cast<CURL*>(h.get()));
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < opts_.max_idle_handles) idle_.push_back(std::move(h));
}

Result<Head> Transport::perform(const Request& req, const BodySink& on_body_fn) {
  auto protocol = allowed_protocol(req.url);
  if (!protocol) return protocol.error();
  if (req.method != "GET" && req.method != "POST" && req.method != "DELETE")
    return Error::usage("unsupported HTTP method");

  EasyHandle h = borrow();
  if (!h) return net("cannot create a libcurl handle");
  struct Return {  // hands the handle back to the pool on every path out of perform()
    Transport* self;
    EasyHandle& h;
    ~Return() { self->give_back(std::move(h)); }
  } give_back_on_exit{this, h};
  Slist headers;
  for (const auto& [k, v] : req.headers) {
    // "Name:" with no value removes a header libcurl would add itself (Expect, Accept).
    curl_slist* next = curl_slist_append(headers.get(), (v.empty() ? k + ":" : k + ": " + v).c_str());
    if (next == nullptr) return net("out of memory");
    (void)headers.release();  // curl_slist_append returned the same list, now longer
    headers.reset(next);
  }

  Sink sink;
  sink.body = &on_body_fn;
  sink.handle = static_cast<CURL*>(h.get());
  sink.max_header_bytes = opts_.max_header_bytes;
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = sink.handle;
  const long timeout_ms = static_cast<long>(std::max<long long>(1, req.timeout.count()));
  const long connect_ms =
      std::min(timeout_ms, static_cast<long>(std::max<long long>(1, opts_.connect_timeout.count())));
  bool ok = true;
  auto set = [&ok](CURLcode rc) { ok &= rc == CURLE_OK; };
  set(curl_easy_setopt(c, CURLOPT_URL, req.url.c_str()));
  set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocol->c_str()));
  // Plain http (only ever loopback) is never proxied: the proxy would read the token in clear
  // text. https goes through a CONNECT tunnel, so a proxy never sees it.
  if (*protocol == "http") set(curl_easy_setopt(c, CURLOPT_NOPROXY, "*"));
  set(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https"));
  set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L));  // a 3xx is an answer, never followed
  set(curl_easy_setopt(c, CURLOPT_MAXREDIRS, 0L));
  set(curl_easy_setopt(c, CURLOPT_VERBOSE, 0L));   // never: it would print headers
  set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));  // threads + timeouts
  set(curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L));
  set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms));
  set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms));
  if (opts_.low_speed_time.count() > 0) {
    set(curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L));
    set(curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(opts_.low_speed_time.count())));
  }
  set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L));
  set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L));
  if (!opts_.ca_bundle.empty()) set(curl_easy_setopt(c, CURLOPT_CAINFO, opts_.ca_bundle.c_str()));
  // Our headers (the token) go to the origin only, never to a proxy's CONNECT.
  set(curl_easy_setopt(c, CURLOPT_HEADEROPT, CURLHEADER_SEPARATE));
  set(curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()));
  if (!opts_.user_agent.empty()) set(curl_easy_setopt(c, CURLOPT_USERAGENT, opts_.user_agent.c_str()));
  if (req.accept_compressed) set(curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""));
  if (req.max_body > 0)
    set(curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(req.max_body)));
  set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body));
  set(curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink));
  set(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header));
  set(curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink));
  set(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf));
  if (req.method == "GET") {
    set(curl_easy_setopt(c, CURLOPT_HTTPGET, 1L));
  } else {
    if (req.method == "POST" || !req.body.empty()) {  // DELETE /admin/token carries a body
      set(curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size())));
      set(curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, req.body.c_str()));
    }
    if (req.method == "DELETE") set(curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE"));
  }
  if (!ok) return net("libcurl rejected an option (libcurl 7.85 or newer is required)");

  const CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &sink.head.status);
  if (sink.headers_too_large)
    return net("response headers larger than " + std::to_string(opts_.max_header_bytes / 1024) + " KiB");
  if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && sink.head.stopped)) {
    sink.head.stopped = true;
    return std::move(sink.head);
  }
  if (rc != CURLE_OK) {
    std::string msg = curl_easy_strerror(rc);
    if (errbuf[0] != '\0') msg += std::string(": ") + errbuf;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
    return net(msg);
  }
  return std::move(sink.head);
}

}  // namespace glpatrol::net
