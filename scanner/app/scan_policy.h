#pragma once
// Configuration and suppression glue for the scan driver (docs/configuration.md,
// docs/suppression.md): which files are loaded for a scan, what they may change, and the
// suppression post stage.
#include <memory>
#include <string>
#include <vector>

#include "app/scan_driver.h"
#include "findings/suppress/suppress.h"

namespace glpatrol {

/// Loads --config files (trusted) and, unless --no-repo-config, `.glpatrol.toml` in each
/// directory target (untrusted: may only add), and merges them into `opts` (prefixes,
/// excludes, max file size unless given on the command line, rules, disabled rules,
/// verification hosts unless --gitlab-url was given). Refused settings and disabled built-in
/// rules are appended to `notices`; loaded files to `loaded`.
Status apply_configuration(ScanOptions& opts, const std::vector<std::string>& targets,
                           std::vector<std::string>& loaded, std::vector<std::string>& notices);

/// Loads ignore files (--ignore-file, else `.glpatrolignore` in each directory target) and
/// the --baseline report. Errors are configuration errors (exit 2).
Result<std::shared_ptr<Suppressor>> prepare_suppression(const ScanOptions& opts,
                                                        const std::vector<std::string>& targets,
                                                        std::vector<std::string>& loaded);

/// Writes the suppression summary into the scan: ctx.info.extra["suppression"] (counts by
/// kind, ignore files, baseline, unused ignore entries) and one warning per unused entry.
void record_suppression(const Suppressor& s, ScanContext& ctx);

/// The suppression post stage (first of standard_post_stages): applies opts.suppressor
/// (prepared on demand when run_scan did not) to every finding and records the summary.
PostStage make_suppression_stage(const ScanOptions& opts);

}  // namespace glpatrol
