// glpatrol dir [PATH...] and glpatrol stdin.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/scan_driver.h"
#include "common/work_pool.h"
#include "matcher/to_finding.h"

namespace glpatrol {

namespace {

Status scan_tree(ScanContext& ctx, const std::vector<std::string>& paths) {
  if (auto s = check_roots(paths); !s) return s;
  const RuleDb& db = ctx.db();
  // Matchers are created up front so that an allocation failure is one error, not N.
  std::vector<std::unique_ptr<FileScanState>> states;
  for (unsigned i = 0; i < ctx.jobs(); ++i) {
    auto m = Matcher::create(db);
    if (!m) return m.error();
    states.push_back(std::make_unique<FileScanState>(std::move(*m)));
  }
  std::size_t next_state = 0;
  WorkPool<FileScanState> pool(
      ctx.jobs(), [&] { return std::move(states[next_state++]); }, 4096);
  const FsOptions& fs = ctx.options().fs;
  auto sink = [&ctx](Finding f) { ctx.add_finding(std::move(f)); };
  // Files go to the workers in batches: one queue operation per 32 files instead of per
  // file (the per-file futex traffic cost more than reading small files).
  constexpr std::size_t kBatch = 32;
  auto batch = std::make_shared<std::vector<FileRef>>();
  auto flush = [&] {
    if (batch->empty()) return;
    pool.push([&ctx, &fs, &sink, files = std::move(batch)](FileScanState& st) {
      for (const FileRef& f : *files) scan_file(f, fs, st, ctx.stats, sink);
    });
    batch = std::make_shared<std::vector<FileRef>>();
  };
  walk_paths(paths, fs, ctx.stats, [&](FileRef file) {
    batch->push_back(std::move(file));
    if (batch->size() == kBatch) flush();
  });
  flush();
  pool.finish();
  return Status::ok();
}

Status scan_stdin(ScanContext& ctx) {
  auto m = Matcher::create(ctx.db());
  if (!m) return m.error();
  std::vector<LocatedMatch> matches;
  auto r = m->scan_stream(
      [](char* buf, std::size_t cap) -> long { return static_cast<long>(::read(STDIN_FILENO, buf, cap)); },
      matches);
  if (!r) {
    ctx.stats.skip({"<stdin>", "unreadable", r.error().message, true});
    return Status::ok();
  }
  ctx.stats.files.fetch_add(1);
  ctx.stats.blobs.fetch_add(1);
  ctx.stats.bytes.fetch_add(*r);
  for (const auto& lm : matches) {
    Finding f = make_finding(ctx.db(), lm);
    f.path = "<stdin>";
    f.location_kind = "stdin";
    ctx.add_finding(std::move(f));
  }
  return Status::ok();
}

}  // namespace

void add_dir_command(CLI::App& root, int& rc) {
  auto opts = std::make_shared<ScanOptions>();
  auto paths = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = root.add_subcommand("dir", "Scan files and directory trees (default: .)");
  cmd->alias("files");
  cmd->add_option("paths", *paths, "files or directories to scan");
  add_scan_options(*cmd, *opts);
  cmd->callback([opts, paths, &rc] {
    if (paths->empty()) paths->push_back(".");
    rc = run_scan("dir", *paths, *opts, [paths](ScanContext& ctx) { return scan_tree(ctx, *paths); });
  });
}

void add_stdin_command(CLI::App& root, int& rc) {
  auto opts = std::make_shared<ScanOptions>();
  CLI::App* cmd = root.add_subcommand("stdin", "Scan standard input (streamed, any size)");
  add_scan_options(*cmd, *opts);
  cmd->callback([opts, &rc] { rc = run_scan("stdin", {"<stdin>"}, *opts, scan_stdin); });
}

}  // namespace glpatrol
