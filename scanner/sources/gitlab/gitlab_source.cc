#include "sources/gitlab/gitlab_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "common/encoding.h"
#include "common/work_pool.h"
#include "sources/gitlab/mirror.h"
#include "state/state_db.h"
#include "sources/gitlab/url.h"

namespace glpatrol {

namespace {

using gitlab::Api;
/// A path segment or query value (a project path as an :id): RFC 3986 percent-encoding.
std::string url_encode(std::string_view s) { return percent_encode(s); }
using nlohmann::json;

std::string jstr(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t jint(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

bool jbool(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

struct Project {
  std::int64_t id = 0;
  bool empty_repo = false;
  std::string path;  ///< path_with_namespace; "" for personal snippets
  std::string web_url;
  std::string http_url;  ///< http_url_to_repo
  bool archived = false;
  std::set<std::string> off;  ///< surfaces switched off in the project's settings
};

Project project_of(const json& j) {
  Project p{jint(j, "id"),
            jbool(j, "empty_repo"),
            jstr(j, "path_with_namespace"),
            jstr(j, "web_url"),
            jstr(j, "http_url_to_repo"),
            jbool(j, "archived"),
            {}};
  // A feature switched off answers 403 (or 404): known from the project's settings, it is
  // not a permission problem and costs no request.
  static const std::pair<const char*, const char*> features[] = {{"git", "repository"},
                                                                 {"job_logs", "builds"},
                                                                 {"snippets", "snippets"},
                                                                 {"issues", "issues"},
                                                                 {"merge_requests", "merge_requests"},
                                                                 {"wiki", "wiki"},
                                                                 {"releases", "releases"}};
  for (const auto& [surface, feature] : features) {
    const std::string level = jstr(j, (std::string(feature) + "_access_level").c_str());
    auto enabled = j.find(std::string(feature == std::string("builds") ? "jobs" : feature) + "_enabled");
    if (level == "disabled" || (enabled != j.end() && enabled->is_boolean() && !enabled->get<bool>()))
      p.off.insert(surface);
  }
  return p;
}

/// A worker's sink: forwards every finding to the scan's sink and, while an item is read,
/// keeps a copy for the state database. Used by one thread.
class Recorder final : public FindingSink {
 public:
  explicit Recorder(FindingSink& next) : next_(next) {}
  void add(Finding f) override {
    if (capture_ != nullptr) capture_->push_back(f);
    next_.add(std::move(f));
  }
  void capture(std::vector<Finding>* into) { capture_ = into; }

 private:
  FindingSink& next_;
  std::vector<Finding>* capture_ = nullptr;
};

struct Worker {
  explicit Worker(FindingSink& sink) : recorder(sink) {}
  Recorder recorder;
  std::optional<ScanStep> step;
};

/// Captures what one item yields for as long as it lives.
struct Capture {
  Capture(Worker& w, std::vector<Finding>& into) : w_(w) { w_.recorder.capture(&into); }
  ~Capture() { w_.recorder.capture(nullptr); }
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;
  Worker& w_;
};

/// Jobs that never started have no log yet: their trace is not requested.
bool job_started(const std::string& status) {
  return !(status == "created" || status == "pending" || status == "manual" || status == "scheduled" ||
           status == "waiting_for_resource" || status == "preparing" || status == "waiting_for_callback");
}

bool job_finished(const std::string& status) {
  return status == "success" || status == "failed" || status == "canceled" || status == "skipped";
}

/// One instance scan: what the workers share.
class InstanceScan {
 public:
  InstanceScan(const GitLabScanOptions& o, ScanContext& ctx, Api& api) : o_(o), ctx_(ctx), api_(api) {
    info_.url = o.api.base;
    for (const auto& s : gitlab_surfaces())
      if (o.surfaces.count(s)) info_.surfaces.push_back(s);
  }

  Status run();

 private:
  bool wants(const char* surface) const { return o_.surfaces.count(surface) != 0; }
  std::vector<Project> enumerate();
  void admit(const Project& p, std::vector<Project>& out);
  void scan_project(Worker& w, const Project& p);
  void job_logs(Worker& w, const Project& p);
  void issuables(Worker& w, const Project& p, const char* surface, const char* kind, const char* segment);
  void snippets(Worker& w, const Project& p, const std::string& list_path);
  void wiki(Worker& w, const Project& p);
  void releases(Worker& w, const Project& p);

  Provenance place(const Project& p, const char* kind, const std::string& suffix, std::string web_url,
                   bool line_anchor) const {
    Provenance w;
    w.kind = SourceKind::GitLabItem;
    w.path = p.path.empty() ? suffix : p.path + "/-/" + suffix;
    w.source = SourceRef{kind, p.path, std::move(web_url), std::nullopt, line_anchor};
    return w;
  }
  void scan_text(Worker& w, std::string_view text, const Provenance& where) {
    if (text.empty()) return;
    if (auto s = w.step->scan(text, where); !s) {
      lost(where.path, "scan-error", s.error().message);
      return;
    }
    ctx_.stats.files.fetch_add(1, std::memory_order_relaxed);
    ctx_.stats.bytes.fetch_add(text.size(), std::memory_order_relaxed);
  }
  /// Coverage lost: a skip with its reason, and the scan is incomplete.
  void lost(const std::string& what, const std::string& reason, const std::string& detail) {
    ctx_.stats.skip({what, reason, detail, true});
    ctx_.mark_incomplete("some GitLab content could not be read (see skipped)");
  }
  /// The outcome of reading one surface of a project: true when it was read. 404 is a
  /// feature switched off; anything else but 200 is lost coverage.
  bool answered(const Project& p, const std::string& surface, long status, const std::string& what = {}) {
    if (status >= 200 && status < 300) return true;
    const std::string where = (p.path.empty() ? std::string("<instance>") : p.path) + " " + surface +
                              (what.empty() ? "" : " " + what);
    if (status == 404) {
      if (what.empty()) count(info_.disabled, surface);
      return false;
    }
    if (status == 401 || status == 403)
      lost(where, "forbidden", fmt::format("HTTP {}: the token may not read this", status));
    else
      lost(where, "http-error", fmt::format("HTTP {}", status));
    return false;
  }
  bool answered(const Project& p, const std::string& surface, const Result<gitlab::ListOutcome>& r,
                const std::string& what = {}) {
    if (!r) {
      lost((p.path.empty() ? std::string("<instance>") : p.path) + " " + surface +
               (what.empty() ? "" : " " + what),
           r.error().kind == ErrorKind::Usage ? "refused" : "network", r.error().message);
      return false;
    }
    return answered(p, surface, r->status, what);
  }
  void count(std::map<std::string, std::uint64_t>& m, const std::string& surface, std::uint64_t n = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    m[surface] += n;
  }
  void phase(const Project& p, const char* surface) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    // The path comes from the instance: escaped before it reaches the terminal.
    ctx_.progress.set_detail(fmt::format("{}/{}: {} {} ({:.0f} req/s)", done_.load(), total_,
                                         escape_for_terminal(p.path.substr(0, 80)), surface,
                                         secs > 0 ? static_cast<double>(api_.requests()) / secs : 0.0));
  }

  /// Findings of an item an earlier run read, unchanged since: reported again as they were.
  void replay(std::int64_t project, const std::string& surface, const std::string& key) {
    for (auto& f : state_->findings(project, surface, key)) ctx_.sink().add(std::move(f));
    count(info_.reused, surface);
  }
  void store(const Project& p, const std::string& surface, const std::string& key, const std::string& version,
             const std::vector<Finding>& found) {
    if (!state_) return;
    if (auto s = state_->put(p.id, surface, key, version, found); !s) ctx_.stats.warn(s.error().message);
  }

  const GitLabScanOptions& o_;
  ScanContext& ctx_;
  Api& api_;
  std::unique_ptr<state::StateDb> state_;
  std::mutex mu_;
  GitLabInfo info_;
  std::atomic<std::uint64_t> done_{0};
  std::uint64_t total_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::mutex git_mu_;  ///< the history engine runs its own workers: one repository at a time
};

void InstanceScan::admit(const Project& p, std::vector<Project>& out) {
  if (p.id == 0 || p.path.empty()) return;
  if (o_.skip_archived && p.archived) return;
  // The token may only travel to the configured host: a project that says its repository is
  // elsewhere is refused whole (its API answers are suspect too).
  if (!p.http_url.empty() && !gitlab::same_origin(p.http_url, o_.api.base)) {
    ++info_.projects_refused;
    const auto origin = gitlab::parse_origin(p.http_url);
    lost(p.path, "foreign-host",
         "http_url_to_repo points at " +
             (origin ? origin->scheme + "://" + origin->host : std::string("a bad URL")) + ", not " +
             o_.api.base + ": project refused");
    return;
  }
  if (!ctx_.in_shard(p.path)) {
    ++info_.projects_in_other_shards;
    return;
  }
  out.push_back(p);
}

std::vector<Project> InstanceScan::enumerate() {
  std::vector<Project> out;
  std::set<std::int64_t> seen;
  auto take = [&](const Project& p) {
    if (seen.insert(p.id).second) admit(p, out);
  };
  const std::string archived = o_.skip_archived ? "&archived=false" : "";
  for (const auto& path : o_.projects) {
    auto a = api_.get_json("/projects/" + url_encode(path));
    if (!a) {
      lost(path, "network", a.error().message);
    } else if (a->status == 200 && a->body.is_object()) {
      take(project_of(a->body));
    } else {
      lost(path, a->status == 404 ? "not-found" : "http-error",
           fmt::format("HTTP {}: the project cannot be read with this token", a->status));
    }
  }
  for (std::string g : o_.groups) {
    while (!g.empty() && g.back() == '/') g.pop_back();
    const std::string prefix = g + "/";
    auto r = api_.list(
        "/groups/" + url_encode(g) +
            "/projects?include_subgroups=true&with_shared=false&order_by=id&sort=asc&per_page=100" + archived,
        [&](const json& j) {
          Project p = project_of(j);
          // Only the group's own projects (and its subgroups'): never one shared into it.
          if (p.path.compare(0, prefix.size(), prefix) == 0) take(p);
          return true;
        });
    if (!r)
      lost(g, r.error().kind == ErrorKind::Usage ? "refused" : "network", r.error().message);
    else if (r->status != 200)
      lost(g, r->status == 404 ? "not-found" : "http-error",
           fmt::format("HTTP {}: the group cannot be read with this token", r->status));
  }
  if (o_.all_projects) {
    auto r = api_.list("/projects?pagination=keyset&order_by=id&sort=asc&per_page=100" + archived,
                       [&](const json& j) {
                         take(project_of(j));
                         return true;
                       });
    if (!r)
      lost("<all projects>", r.error().kind == ErrorKind::Usage ? "refused" : "network", r.error().message);
    else if (r->status != 200)
      lost("<all projects>", "http-error", fmt::format("HTTP {}", r->status));
  }
  return out;
}

void InstanceScan::job_logs(Worker& w, const Project& p) {
  struct Job {
    std::int64_t id;
    std::string web_url, status;
  };
  // The cursor C of the last run: every job with an id below C was finished and read then,
  // and a finished job's log never changes. Jobs are listed newest first, so the listing stops
  // at C (a rerun lists only the new jobs); the older ones are reported from the state.
  std::int64_t known_below = 0;
  if (state_)
    if (auto c = state_->cursor(p.id, "job_logs")) known_below = std::strtoll(c->c_str(), nullptr, 10);
  std::vector<Job> jobs;
  bool truncated = false;
  const std::string base = fmt::format("/projects/{}/jobs", p.id);
  auto r = api_.list(base + "?per_page=100", [&](const json& j) {
    const std::int64_t id = jint(j, "id");
    if (known_below > 0 && id < known_below) return false;
    jobs.push_back({id, jstr(j, "web_url"), jstr(j, "status")});
    if (o_.max_jobs != 0 && jobs.size() >= o_.max_jobs) {
      truncated = true;
      return false;
    }
    return true;
  });
  if (!answered(p, "job_logs", r)) return;
  std::set<std::string> listed;
  std::optional<std::int64_t> pending;  ///< the oldest listed job not finished and read now
  std::int64_t newest = 0;
  for (const auto& job : jobs) {
    const std::string key = std::to_string(job.id);
    listed.insert(key);
    newest = std::max(newest, job.id);
    auto later = [&] { pending = pending ? std::min(*pending, job.id) : job.id; };
    if (!job_started(job.status)) {  // no log yet
      later();
      continue;
    }
    if (state_ && state_->version(p.id, "job_logs", key)) {
      replay(p.id, "job_logs", key);
      continue;
    }
    const std::string web =
        job.web_url.empty() ? fmt::format("{}/-/jobs/{}", p.web_url, job.id) : job.web_url;
    const Provenance where = place(p, "job_log", fmt::format("jobs/{}", job.id), web, true);
    std::string scan_error;
    std::uint64_t bytes = 0;
    std::vector<Finding> found;
    Result<long> st = 0L;
    {
      Capture cap(w, found);
      st = api_.stream(fmt::format("{}/{}/trace", base, job.id), [&](const ReadFn& read) {
        auto n = w.step->scan_stream(read, where);
        if (n)
          bytes = *n;
        else
          scan_error = n.error().message;
      });
    }
    if (!st) {
      lost(where.path, st.error().kind == ErrorKind::Usage ? "refused" : "network", st.error().message);
      later();
      continue;
    }
    if (*st == 404) {  // a job without a log (skipped, canceled before it ran, erased)
      if (job_finished(job.status))
        store(p, "job_logs", key, "no-log", {});
      else
        later();
      continue;
    }
    if (!answered(p, "job_logs", *st, fmt::format("job {}", job.id))) {
      later();
      continue;
    }
    if (!scan_error.empty()) {
      lost(where.path, "scan-error", scan_error);
      later();
    } else if (job_finished(job.status)) {
      store(p, "job_logs", key, "done", found);
    } else {
      later();  // running: read again next time
    }
    count(info_.items, "job_logs");
    ctx_.stats.files.fetch_add(1, std::memory_order_relaxed);
    ctx_.stats.bytes.fetch_add(bytes, std::memory_order_relaxed);
  }
  if (!state_) return;
  // Jobs below the cursor (not listed this time) are still there: their findings stand.
  for (const auto& item : state_->items(p.id, "job_logs"))
    if (!listed.count(item.key)) replay(p.id, "job_logs", item.key);
  // Move the cursor only over what was listed without a gap (a --max-jobs cut leaves one).
  if (!truncated && (newest > 0 || pending))
    state_->set_cursor(p.id, "job_logs",
                       std::to_string(pending ? *pending : std::max(newest + 1, known_below)));
}

void InstanceScan::issuables(Worker& w, const Project& p, const char* surface, const char* kind,
                             const char* segment) {
  const std::string base = fmt::format("/projects/{}/{}", p.id, segment);
  // Incremental: only what was updated since the newest updated_at of the last run (a new
  // note moves its issue's updated_at); everything else is reported from the state.
  const std::optional<std::string> since = state_ ? state_->cursor(p.id, surface) : std::nullopt;
  std::string newest = since.value_or("");
  std::set<std::string> reread;
  bool complete = true;
  const std::string query = "?scope=all&state=all&order_by=updated_at&sort=asc&per_page=100" +
                            (since ? "&updated_after=" + url_encode(*since) : std::string());
  auto r = api_.list(base + query, [&](const json& it) {
    const std::int64_t iid = jint(it, "iid");
    const std::string key = std::to_string(iid);
    const std::string updated = jstr(it, "updated_at");
    // updated_after also returns the newest item of the last run (GitLab compares >= and
    // keeps sub-millisecond times): unchanged, it comes from the state.
    if (state_ && !updated.empty() && state_->version(p.id, surface, key) == updated) {
      reread.insert(key);
      replay(p.id, surface, key);
      return true;
    }
    const std::string web = jstr(it, "web_url");
    const std::string suffix = fmt::format("{}/{}", segment, iid);
    const Provenance where = place(p, kind, suffix, web, false);
    std::vector<Finding> found;
    Capture cap(w, found);
    scan_text(w, jstr(it, "title"), where);
    scan_text(w, jstr(it, "description"), where);
    count(info_.items, surface);
    auto notes = api_.list(fmt::format("{}/{}/notes?order_by=created_at&sort=asc&per_page=100", base, iid),
                           [&](const json& n) {
                             if (jbool(n, "system")) return true;  // "changed the description" etc.
                             const std::int64_t nid = jint(n, "id");
                             Provenance nw = place(p, kind, fmt::format("{}#note_{}", suffix, nid),
                                                   fmt::format("{}#note_{}", web, nid), false);
                             nw.source->note_id = nid;
                             scan_text(w, jstr(n, "body"), nw);
                             count(info_.items, std::string(surface) + ".notes");
                             return true;
                           });
    reread.insert(key);
    if (answered(p, surface, notes, fmt::format("{} notes", iid))) {
      store(p, surface, key, updated, found);
      if (updated > newest) newest = updated;
    } else {
      complete = false;
    }
    return true;
  });
  if (!answered(p, surface, r)) return;
  if (!state_) return;
  for (const auto& item : state_->items(p.id, surface))
    if (!reread.count(item.key)) replay(p.id, surface, item.key);
  if (complete && !newest.empty()) state_->set_cursor(p.id, surface, newest);
}

void InstanceScan::snippets(Worker& w, const Project& p, const std::string& list_path) {
  const std::string api_base =
      p.path.empty() ? std::string("/snippets") : fmt::format("/projects/{}/snippets", p.id);
  auto r = api_.list(list_path, [&](const json& s) {
    if (p.path.empty() && s.contains("project_id") && !s["project_id"].is_null()) return true;  // a project's
    const std::int64_t sid = jint(s, "id");
    const std::string key = std::to_string(sid), updated = jstr(s, "updated_at");
    // Unchanged since the last run (updated_at): its findings come from the state.
    if (state_ && !updated.empty() && state_->version(p.id, "snippets", key) == updated) {
      replay(p.id, "snippets", key);
      return true;
    }
    std::vector<Finding> found;
    Capture cap(w, found);
    bool all_read = true;
    const std::string web = jstr(s, "web_url");
    const Provenance where = place(p, "snippet", fmt::format("snippets/{}", sid), web, false);
    scan_text(w, jstr(s, "title"), where);
    scan_text(w, jstr(s, "description"), where);
    std::vector<std::pair<std::string, std::string>> files;  // path, ref
    if (auto f = s.find("files"); f != s.end() && f->is_array()) {
      for (const auto& file : *f) {
        std::string ref = gitlab::snippet_ref(jstr(file, "raw_url"));
        files.emplace_back(jstr(file, "path"), ref.empty() ? "HEAD" : ref);
      }
    } else {
      files.emplace_back(jstr(s, "file_name"), "");  // before multi-file snippets: /raw
    }
    for (const auto& [path, ref] : files) {
      const std::string raw = ref.empty() ? fmt::format("{}/{}/raw", api_base, sid)
                                          : fmt::format("{}/{}/files/{}/{}/raw", api_base, sid,
                                                        url_encode(ref), url_encode(path));
      const Provenance fw = place(p, "snippet", fmt::format("snippets/{}/{}", sid, path), web, false);
      std::uint64_t bytes = 0;
      auto st = api_.stream(raw, [&](const ReadFn& read) {
        if (auto n = w.step->scan_stream(read, fw)) bytes = *n;
      });
      if (!st) {
        lost(fw.path, "network", st.error().message);
        all_read = false;
        continue;
      }
      if (!answered(p, "snippets", *st, fmt::format("{} {}", sid, path))) {
        all_read = false;
        continue;
      }
      count(info_.items, "snippets.files");
      ctx_.stats.files.fetch_add(1, std::memory_order_relaxed);
      ctx_.stats.bytes.fetch_add(bytes, std::memory_order_relaxed);
    }
    count(info_.items, "snippets");
    if (all_read) store(p, "snippets", key, updated, found);
    return true;
  });
  answered(p, "snippets", r);
}

void InstanceScan::wiki(Worker& w, const Project& p) {
  // The wiki list is not paginated (GitLab answers every page at once).
  auto a = api_.get_json(fmt::format("/projects/{}/wikis?with_content=1", p.id));
  if (!a) {
    lost(p.path + " wiki", "network", a.error().message);
    return;
  }
  if (!answered(p, "wiki", a->status)) return;
  if (!a->body.is_array()) {
    lost(p.path + " wiki", "bad-answer", "the wiki list is not a list");
    return;
  }
  for (const auto& page : a->body) {
    const std::string slug = jstr(page, "slug");
    const Provenance where = place(p, "wiki", "wikis/" + slug, p.web_url + "/-/wikis/" + slug, false);
    scan_text(w, jstr(page, "title"), where);
    scan_text(w, jstr(page, "content"), where);
    count(info_.items, "wiki");
  }
}

void InstanceScan::releases(Worker& w, const Project& p) {
  auto r = api_.list(fmt::format("/projects/{}/releases?per_page=100", p.id), [&](const json& rel) {
    const std::string tag = jstr(rel, "tag_name");
    std::string web;
    if (auto l = rel.find("_links"); l != rel.end() && l->is_object()) web = jstr(*l, "self");
    if (web.empty()) web = p.web_url + "/-/releases/" + url_encode(tag);
    const Provenance where = place(p, "release", "releases/" + tag, web, false);
    scan_text(w, jstr(rel, "name"), where);
    scan_text(w, jstr(rel, "description"), where);
    count(info_.items, "releases");
    return true;
  });
  answered(p, "releases", r);
}

void InstanceScan::scan_project(Worker& w, const Project& p) {
  auto on = [&](const char* surface) {
    if (!wants(surface)) return false;
    if (p.off.count(surface) == 0) return true;
    count(info_.disabled, surface);
    return false;
  };
  if (on("git")) {
    phase(p, "git");
    std::lock_guard<std::mutex> lock(git_mu_);
    if (!p.empty_repo) {
      GitSurfaceResult g = scan_git_surface(o_, p.id, p.path, p.http_url, p.web_url, ctx_, state_.get());
      if (!g.error.empty())
        lost(p.path + " git", g.reason, g.error);
      else
        count(g.reused ? info_.reused : info_.items, "git");
    }
  }
  if (on("job_logs")) {
    phase(p, "job_logs");
    job_logs(w, p);
  }
  if (on("snippets")) {
    phase(p, "snippets");
    snippets(w, p, fmt::format("/projects/{}/snippets?per_page=100", p.id));
  }
  if (on("issues")) {
    phase(p, "issues");
    issuables(w, p, "issues", "issue", "issues");
  }
  if (on("merge_requests")) {
    phase(p, "merge_requests");
    issuables(w, p, "merge_requests", "merge_request", "merge_requests");
  }
  if (on("wiki")) {
    phase(p, "wiki");
    wiki(w, p);
  }
  if (on("releases")) {
    phase(p, "releases");
    releases(w, p);
  }
  ++done_;
}

Status InstanceScan::run() {
  if (!o_.state_dir.empty()) {
    // The state's scope: the instance, the rule set and what changes a content's findings.
    const std::string key = o_.api.base + "\n" + state::content_scope_key(ctx_);
    auto st = state::StateDb::open(o_.state_dir, sha256_hex(key));
    if (!st) return st.error();
    state_ = std::move(*st);
  }
  ctx_.progress.set_phase("listing projects");
  const std::vector<Project> projects = enumerate();
  total_ = projects.size();
  info_.projects = projects.size();
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < ctx_.jobs(); ++i) {
    auto w = std::make_unique<Worker>(ctx_.sink());
    auto step = ScanStep::create(ctx_.db(), ctx_.step_options(), w->recorder, &ctx_.stats);
    if (!step) return step.error();
    w->step.emplace(std::move(*step));
    workers.push_back(std::move(w));
  }
  {
    std::size_t next = 0;
    WorkPool<Worker> pool(
        ctx_.jobs(), [&] { return std::move(workers[next++]); }, 64);
    ctx_.progress.begin_phase("projects");
    for (const auto& p : projects) pool.push([this, &p](Worker& w) { scan_project(w, p); });
    pool.finish();
    // Personal snippets: an administrator's --all-projects lists every one it can see.
    if (o_.all_projects && wants("snippets") && !ctx_.shard().active()) {
      auto& w = *pool.states().front();
      snippets(w, Project{}, "/snippets/all?per_page=100");
    }
  }
  info_.requests = api_.requests();
  info_.retries = api_.retries();
  if (!o_.state_dir.empty()) info_.state_dir = o_.state_dir;
  ctx_.info().gitlab = info_;
  return Status::ok();
}

}  // namespace

Status GitLabSource::scan(ScanContext& ctx) {
  Api api(opts_.api, gitlab::make_streaming_http(opts_.http));
  InstanceScan scan(opts_, ctx, api);
  return scan.run();
}

}  // namespace glpatrol
