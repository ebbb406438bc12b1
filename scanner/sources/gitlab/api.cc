#include "sources/gitlab/api.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <thread>

#include "sources/gitlab/url.h"

namespace glpatrol::gitlab {

namespace {

bool retryable(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::int64_t epoch_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::int64_t> parse_int(const std::string& s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

/// A bounded hand-over from the download thread (libcurl's write callback) to the reader
/// (the scan step's ReadFn): at most kCap bytes wait in memory.
class Pipe {
 public:
  static constexpr std::size_t kCap = 4u << 20;

  /// Producer: false when the reader is gone (the download stops).
  bool push(std::string_view data) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return bytes_ < kCap || closed_; });
    if (closed_) return false;
    chunks_.emplace_back(data);
    bytes_ += data.size();
    cv_.notify_all();
    return true;
  }
  void finish() {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }
  /// Consumer: waits until a byte is there or the download ended; true when bytes are there.
  bool wait_first() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !chunks_.empty() || done_; });
    return !chunks_.empty();
  }
  long read(char* buf, std::size_t cap) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !chunks_.empty() || done_; });
    if (chunks_.empty()) return 0;
    std::size_t n = 0;
    while (n < cap && !chunks_.empty()) {
      std::string& front = chunks_.front();
      const std::size_t take = std::min(cap - n, front.size() - offset_);
      std::copy_n(front.data() + offset_, take, buf + n);
      n += take;
      offset_ += take;
      if (offset_ == front.size()) {
        bytes_ -= front.size();
        chunks_.pop_front();
        offset_ = 0;
      }
    }
    cv_.notify_all();
    return static_cast<long>(n);
  }
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    chunks_.clear();
    bytes_ = 0;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  std::size_t offset_ = 0, bytes_ = 0;
  bool done_ = false, closed_ = false;
};

}  // namespace

std::chrono::milliseconds retry_wait(const HttpHead& head, std::int64_t now_epoch,
                                     std::chrono::milliseconds max) {
  std::chrono::milliseconds wait{1000};
  if (auto s = parse_int(head.header("retry-after"))) {
    wait = std::chrono::seconds(*s);
  } else if (auto reset = parse_int(head.header("ratelimit-reset"))) {
    wait = std::chrono::seconds(std::max<std::int64_t>(0, *reset - now_epoch));
  }
  return std::clamp(wait, std::chrono::milliseconds(1000), std::max(max, std::chrono::milliseconds(1000)));
}

std::string next_page_url(const std::string& current, const HttpHead& head) {
  if (auto link = link_next(head.header("link"))) return *link;
  const std::string next = head.header("x-next-page");
  if (next.empty() || !parse_int(next)) return {};
  // Replace (or add) the page parameter of the current URL.
  const auto q = current.find('?');
  std::string path = current.substr(0, q), query = q == std::string::npos ? "" : current.substr(q + 1), out;
  std::size_t i = 0;
  while (i <= query.size() && !query.empty()) {
    auto amp = query.find('&', i);
    std::string part = query.substr(i, amp == std::string::npos ? std::string::npos : amp - i);
    if (!part.empty() && part.rfind("page=", 0) != 0) {
      if (!out.empty()) out += '&';
      out += part;
    }
    if (amp == std::string::npos) break;
    i = amp + 1;
  }
  if (!out.empty()) out += '&';
  out += "page=";
  out += next;
  return path + "?" + out;
}

Api::Api(ApiOptions opts, std::unique_ptr<StreamingHttp> http)
    : opts_(std::move(opts)), http_(std::move(http)) {
  while (!opts_.base.empty() && opts_.base.back() == '/') opts_.base.pop_back();
  sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

std::string Api::url(const std::string& path) const { return opts_.base + "/api/v4" + path; }

void Api::pace() {
  if (opts_.max_rps <= 0) return;
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / opts_.max_rps));
  std::chrono::steady_clock::time_point slot;
  {
    std::lock_guard<std::mutex> lock(pace_mu_);
    const auto now = std::chrono::steady_clock::now();
    slot = std::max(now, next_slot_);
    next_slot_ = slot + interval;
  }
  std::this_thread::sleep_until(slot);
}

Result<HttpHead> Api::send(const std::string& url, const BodyFn& body, const std::function<void()>& reset,
                           bool* delivered) {
  HttpGetRequest req;
  req.url = url;
  req.timeout = opts_.timeout;
  // The token only ever goes to the configured origin (a Link or URL elsewhere gets nothing;
  // list() refuses such Links before they get here).
  if (!same_origin(url, opts_.base)) return Error::usage("refused: " + url + " is not on " + opts_.base);
  if (!opts_.token.empty()) req.headers.emplace_back("PRIVATE-TOKEN", opts_.token);
  req.headers.emplace_back("Accept", "application/json");
  std::chrono::milliseconds backoff = opts_.backoff;
  for (unsigned attempt = 0;; ++attempt) {
    pace();
    if (reset) reset();
    requests_.fetch_add(1);
    auto r = http_->get(req, [&](long status, std::string_view chunk) {
      if (status < 200 || status >= 300) return true;  // an error page: read and dropped
      if (delivered) *delivered = true;
      return body(status, chunk);
    });
    const bool last = attempt >= opts_.max_retries || (delivered && *delivered);
    if (!r) {
      if (r.error().kind != ErrorKind::Network || last) return r;
    } else if (!retryable(r->status) || last) {
      return r;
    }
    retries_.fetch_add(1);
    if (r && r->status == 429) {
      sleep(retry_wait(*r, epoch_now(), opts_.max_retry_wait));
    } else {
      sleep(backoff);
      backoff = std::min(backoff * 2, opts_.max_retry_wait);
    }
  }
}

Result<JsonAnswer> Api::get_json(const std::string& path_or_url) {
  const std::string u = path_or_url.rfind('/', 0) == 0 ? url(path_or_url) : path_or_url;
  std::string buf;
  bool too_large = false;
  auto head = send(
      u,
      [&](long, std::string_view chunk) {
        if (buf.size() + chunk.size() > opts_.max_json_bytes) {
          too_large = true;
          return false;
        }
        buf.append(chunk);
        return true;
      },
      [&] { buf.clear(); }, nullptr);
  if (!head) return head.error();
  if (too_large)
    return Error::io("answer larger than " + std::to_string(opts_.max_json_bytes >> 20) + " MiB");
  JsonAnswer a;
  a.status = head->status;
  a.head = std::move(*head);
  if (a.status >= 200 && a.status < 300) {
    a.body = nlohmann::json::parse(buf, nullptr, false);
    if (a.body.is_discarded()) return Error::io("the answer is not JSON");
  }
  return a;
}

Result<ListOutcome> Api::list(const std::string& path,
                              const std::function<bool(const nlohmann::json&)>& each) {
  ListOutcome out;
  std::string u = url(path);
  std::string previous;
  for (unsigned page = 0; page < 1000000; ++page) {
    auto a = get_json(u);
    if (!a) return a.error();
    if (a->status != 200) {
      out.status = a->status;
      return out;
    }
    if (!a->body.is_array()) return Error::io("the answer is not a list");
    for (const auto& item : a->body) {
      ++out.items;
      if (!each(item)) return out;
    }
    const std::string next = next_page_url(u, a->head);
    if (next.empty() || a->body.empty()) return out;
    if (!same_origin(next, opts_.base))
      return Error::usage("refused: a pagination Link points at another host (" + next.substr(0, 200) + ")");
    if (next == u || next == previous) return out;  // a server that repeats itself
    previous = u;
    u = next;
  }
  return out;
}

Result<long> Api::stream(const std::string& path, const std::function<void(const ReadFn&)>& consume) {
  Pipe pipe;
  bool delivered = false;
  Result<HttpHead> head = Error::internal("not run");
  std::thread producer([&] {
    head = send(
        url(path), [&](long, std::string_view chunk) { return pipe.push(chunk); }, nullptr, &delivered);
    pipe.finish();
  });
  struct Join {
    std::thread& t;
    Pipe& p;
    ~Join() {  // on every path out: stop the download, then wait for it
      p.close();
      if (t.joinable()) t.join();
    }
  } join{producer, pipe};
  if (pipe.wait_first()) {
    consume([&](char* buf, std::size_t cap) { return pipe.read(buf, cap); });
    pipe.close();
  }
  producer.join();
  if (!head) return head.error();
  if (head->status == 200 && !delivered) consume([](char*, std::size_t) { return 0L; });  // an empty log
  return head->status;
}

}  // namespace glpatrol::gitlab
