#pragma once
// One scan, start to end: plan -> source -> scan step -> findings (collector, suppression,
// verification) -> reporters -> exit code. The same ending whether findings are stored or
// streamed (jsonl).
#include "app/plan.h"
#include "common/echo.h"
#include "reporters/reporter.h"
#include "scan/context.h"

namespace glpatrol {

struct RunOptions {
  /// False when the report must be sorted even as jsonl (merge): findings are not streamed.
  bool allow_streaming = true;
};

/// Runs `source` under `plan`. `seed` carries report sections the command already knows (the
/// CI range, the shard). Returns the process exit code (docs/exit-codes.md).
int run_scan(const ScanPlan& plan, Source& source, ScanInfo seed = {}, RunOptions run = {});

/// Renders `report` with `reporter` and writes it whole: to standard output for "-", else
/// atomically to the file (reporters/report_file.h: mode 0600, never through a symlink).
Status write_report(Reporter& reporter, const Report& report, const std::string& path);

/// Exit code for a finished scan: findings first, then lost coverage (always, for faults;
/// with --strict also for shallow boundaries and skipped inputs other than deliberate policy
/// skips: symlinks, .git, excludes).
int exit_code_for(bool has_findings, const ScanInfo& scan, bool incomplete_fault, const ScanOptions& opts);

}  // namespace glpatrol
