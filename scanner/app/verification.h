#pragma once
// Verification in the CLI: the --verify stage of every scan and the pieces `glpatrol verify`
// and `glpatrol revoke` share. Nothing here opens a socket unless the operator asked for
// verification or revocation (docs/verification.md).
#include <map>
#include <string>
#include <vector>

#include "app/options.h"
#include "findings/scan_info.h"
#include "findings/stats.h"
#include "verifier/verifier.h"

namespace glpatrol {

/// The hosts the operator named (--gitlab-url, configuration), else CI_SERVER_URL in GitLab
/// CI, else gitlab.com.
Result<std::vector<GitLabHost>> hosts_for(const ScanOptions& o);

VerifyOptions to_verify_options(const ScanOptions& o, std::vector<GitLabHost> hosts);
CurlClientOptions curl_options(const ScanOptions& o);
/// v.admin_token from --admin-token-file (first line) or GITLAB_ADMIN_TOKEN; error when the
/// file cannot be read or holds no token.
Status load_admin_token(const ScanOptions& o, VerifyOptions& v);
/// v.disk_cache when --verify-cache-dir or --verify-ttl asks for it (the context key: hosts,
/// reach, runners, administrator mode).
Status open_verify_cache(const ScanOptions& o, VerifyOptions& v);
/// Writes the cache, if any; a failure is a warning on stderr (the verification stands).
void save_verify_cache(const VerifyOptions& v);
/// After a revocation or rotation: the cache (when enabled) forgets these tokens, so that no
/// cached `active` outlives them.
void forget_in_verify_cache(const ScanOptions& o, const std::vector<GitLabHost>& hosts,
                            const std::vector<std::string>& secret_sha256s);
std::string host_list(const std::vector<GitLabHost>& hosts);

/// The rule behind a finding: its verify key (rules' `verify` field) and severity.
TokenQuery query_for(const Finding& f, const std::map<std::string, std::string>& verify_kinds);

VerificationInfo verification_info(const std::vector<GitLabHost>& hosts, const VerifyStats& s);

/// The scan's verification stage: asks GitLab about each unique unsuppressed token (by hash)
/// and annotates every finding of it. `rules` gives each rule's verify key. Fills
/// info.verification; a spent time budget becomes a warning. Never changes a finding's
/// presence, only its verification.
Status verify_findings(const ScanOptions& o, const std::vector<Rule>& rules, std::vector<Finding>& findings,
                       ScanInfo& info, ScanStats& stats);

}  // namespace glpatrol
