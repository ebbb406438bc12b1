#pragma once
// Report files are written atomically: a temporary file in the destination directory
// (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), fsync, then rename over the destination. An existing
// symlink at the destination is refused (never written through). Temporary files are
// registered so that SIGINT/SIGTERM remove them (see install_signal_cleanup).
#include <string>
#include <string_view>

#include "common/error.h"

namespace glpatrol {

/// Writes `content` to `path` atomically with mode 0600. "-" writes to stdout.
Status write_file_atomically(const std::string& path, std::string_view content);

/// Installs SIGINT/SIGTERM/SIGHUP handlers that unlink registered temporary report files and
/// exit with 128+signal (130 for SIGINT, 143 for SIGTERM).
void install_signal_cleanup();

}  // namespace glpatrol
