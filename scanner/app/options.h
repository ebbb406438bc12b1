#pragma once
// The scanning commands' options exactly as the command line gave them (nothing resolved,
// nothing derived). app/plan.h turns them into an immutable scan plan.
#include <string>
#include <vector>

#include "app/exit_codes.h"
#include "sources/fs_source.h"

namespace CLI {
class App;
}

namespace glpatrol {

struct ScanOptions {
  // Output
  std::string format = "human";      ///< stdout format
  std::vector<std::string> reports;  ///< FORMAT:PATH, repeatable
  bool show_secrets = false;
  std::string color = "auto";  ///< auto|always|never (NO_COLOR wins over auto)
  int exit_code_findings = kExitFindings;
  bool quiet = false;             ///< -q: no stdout report (report files still written)
  bool verbose = false;           ///< -v: what was loaded and how long each part took, on stderr
  bool strict = false;            ///< any skipped input -> exit 3
  unsigned jobs = 0;              ///< 0 = all cores
  std::string progress = "auto";  ///< --progress auto|always|never (stderr line)
  // Rules
  std::vector<std::string> rule_files;
  std::vector<std::string> pat_prefixes;
  std::vector<std::string> instance_prefixes;
  // Files
  FsOptions fs;               ///< as given (follow symlinks, .git, excludes)
  std::string max_file_size;  ///< as typed: 10M, 1G, 12345
  // Configuration and suppression (docs/configuration.md, docs/suppression.md)
  std::vector<std::string> config_files;  ///< --config FILE (trusted; repeatable)
  bool no_repo_config = false;            ///< --no-repo-config: ignore <root>/.glpatrol.toml
  std::vector<std::string> ignore_files;  ///< --ignore-file (default <root>/.glpatrolignore)
  std::string baseline;                   ///< --baseline REPORT.json
  bool no_inline_allow = false;           ///< --no-inline-allow
  bool raw_extract = false;               ///< --gitlab-raw-extract (gitlab report)
  // Decoding (docs/decoding.md)
  bool no_decode = false;                 ///< --no-decode: no base64/escapes/UTF-16/archives
  bool no_archives = false;               ///< --no-archives
  unsigned max_decode_depth = 4;          ///< --max-decode-depth
  std::string max_decoded_size = "256M";  ///< --max-decoded-size, per content
  // Verification (scanner/verifier, docs/verification.md); registered by add_verify_options
  bool verify = false;                   ///< --verify: ask GitLab about unsuppressed tokens
  std::vector<std::string> gitlab_urls;  ///< --gitlab-url (repeatable); default gitlab.com
  std::string ca_bundle;                 ///< --ca-bundle: PEM file replacing the system CAs
  bool verify_runners = false;           ///< --verify-runners: POST /runners/verify (opt-in)
  bool verify_reach = true;              ///< groups/projects a live PAT reaches (--no-verify-reach)
  std::string admin_token_file;          ///< --admin-token-file (else GITLAB_ADMIN_TOKEN)
  bool verify_cache = true;              ///< keep results across runs (--no-verify-cache: off)
  std::string verify_cache_dir;          ///< --verify-cache-dir (default: the user's cache directory)
  double verify_ttl = 3600;              ///< --verify-ttl: seconds a cached answer is used
  double verify_timeout = 10.0;          ///< seconds per request
  double verify_budget = 120.0;          ///< seconds for all of verification
  unsigned verify_concurrency = 4;       ///< tokens checked in parallel
};

/// Families of scan options. A command registers only the families it uses, so an option
/// that would do nothing there (--follow-symlinks on stdin) is a usage error, not ignored.
enum OptionFamily : unsigned {
  kOutputOptions = 1u << 0,      ///< -f -r -q -v --color --no-color --show-secrets --strict ...
  kRuleOptions = 1u << 1,        ///< --rules --pat-prefix --instance-prefix
  kContentOptions = 1u << 2,     ///< -j, sizes, decoding
  kTreeOptions = 1u << 3,        ///< --follow-symlinks --scan-git-dir (directory walks)
  kPathOptions = 1u << 4,        ///< --exclude (files, and git blobs by path)
  kConfigOptions = 1u << 5,      ///< --config
  kRepoConfigOptions = 1u << 6,  ///< --no-repo-config (commands that scan a tree)
  kSuppressOptions = 1u << 7,    ///< --ignore-file --baseline --no-inline-allow
  kVerifyOptions = 1u << 8,      ///< --verify and the GitLab host options
  kAllScanOptions = (1u << 9) - 1,
};

/// Adds the scan options of `families` to `cmd`, in named groups for --help.
void add_scan_options(CLI::App& cmd, ScanOptions& opts, unsigned families = kAllScanOptions);

/// The verification flags (--gitlab-url, --ca-bundle, --verify-*), shared by scans and the
/// verify/revoke commands (app/cmd_verify.cc).
void add_verify_options(CLI::App& cmd, ScanOptions& opts);

}  // namespace glpatrol
