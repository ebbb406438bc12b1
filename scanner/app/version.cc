#include "app/version.h"

#include <archive.h>
#include <curl/curl.h>
#include <fmt/format.h>
#include <git2.h>
#include <hs/hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <zlib.h>

#include "glpatrol_commit.h"
#include "glpatrol_version.h"

namespace glpatrol {

std::string version_text() {
  int major = 0, minor = 0, rev = 0;
  git_libgit2_version(&major, &minor, &rev);
  char pcre[64] = {};
  pcre2_config(PCRE2_CONFIG_VERSION, pcre);
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  std::string hs = hs_version();
  hs = hs.substr(0, hs.find(' '));
  return fmt::format(
      "glpatrol {} (commit {})\n"
      "  hyperscan {}, libgit2 {}.{}.{}, libcurl {} ({}), pcre2 {}, {}, zlib {}\n"
      "  built-in rules: rules/gitlab.toml; verification: off unless --verify",
      GLPATROL_VERSION, GLPATROL_COMMIT, hs, major, minor, rev, curl->version,
      curl->ssl_version != nullptr ? curl->ssl_version : "no TLS", pcre, archive_version_string(),
      zlibVersion());
}

}  // namespace glpatrol
