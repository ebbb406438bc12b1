#pragma once
// URL pieces the GitLab instance source must judge without trusting the instance: is this
// URL (a pagination Link, a project's http_url_to_repo) on the configured host, and where
// does a Link header say the next page is. Pure functions (tests/unit/gitlab_url_test.cc).
#include <optional>
#include <string>
#include <string_view>

namespace glpatrol::gitlab {

/// scheme, lower-case host and port of an absolute http(s) URL (default port filled in).
/// nullopt for anything else, and for URLs with user info (`user:pass@host`): a URL from the
/// instance must never carry credentials of its own.
struct Origin {
  std::string scheme, host;
  unsigned port = 0;
  bool operator==(const Origin&) const = default;
};
std::optional<Origin> parse_origin(std::string_view url);

/// True when `url` is on the same scheme, host and port as `base` (both absolute).
bool same_origin(std::string_view url, std::string_view base);

/// The URL of rel="next" in an RFC 8288 Link header value (GitLab: `<url>; rel="next", ...`),
/// or nullopt. Several Link headers are joined with ", " before the call.
std::optional<std::string> link_next(std::string_view link_header);

/// The ref of a snippet file's raw_url (".../raw/<ref>/<path>"), or "" when it has none.
std::string snippet_ref(std::string_view raw_url);

}  // namespace glpatrol::gitlab
