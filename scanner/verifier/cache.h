#pragma once
// Verification results kept across runs (--verify-cache / --verify-ttl, docs/verification.md
// "The result cache"), so that CI reruns and instance scans do not ask GitLab twice.
//   - Never a raw token: an entry's key is SHA-256(token) plus SHA-256 of the context (the
//     configured hosts, --verify-reach, --verify-runners, administrator mode), so a result from
//     one host never answers for another.
//   - Only definitive answers are kept (active, revoked, expired, invalid); `unknown` never.
//   - Not poisonable by scanned content: an entry for a token is only ever written from the
//     operator's host's answer about that token; the file lives in a directory of this user
//     (created 0700; a symlink or another owner's directory is refused), is written atomically
//     with mode 0600 and opened with O_NOFOLLOW; entries are validated on load (status, sizes,
//     a checked_at not in the future) and anything else is dropped.
//   - Risk flags and severity are recomputed from the cached facts at every use.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.h"
#include "findings/finding.h"

namespace glpatrol {

class VerifyCache {
 public:
  /// Opens (or starts) DIR/verify-cache.json. `context` is hashed into every key.
  static Result<std::shared_ptr<VerifyCache>> open(const std::string& dir, std::chrono::seconds ttl,
                                                   const std::string& context);
  /// A fresh entry for this token (by its SHA-256), or nullopt.
  std::optional<Verification> get(const std::string& secret_sha256,
                                  std::chrono::system_clock::time_point now) const;
  /// Keeps a definitive result (others are ignored).
  void put(const std::string& secret_sha256, const Verification& v);
  /// Forgets every entry of this token, in every context (after a revocation or rotation).
  void forget(const std::string& secret_sha256);
  /// Writes the file (atomically, 0600), dropping expired entries.
  Status save(std::chrono::system_clock::time_point now) const;
  const std::string& path() const { return path_; }

 private:
  VerifyCache(std::string path, std::chrono::seconds ttl, std::string context_hash)
      : path_(std::move(path)), ttl_(ttl), ctx_(std::move(context_hash)) {}
  std::string path_;
  std::chrono::seconds ttl_;
  std::string ctx_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> entries_;  ///< "<token sha>:<ctx sha>" -> entry JSON text
};

}  // namespace glpatrol
