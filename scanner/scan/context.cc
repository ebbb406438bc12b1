#include "scan/context.h"

#include <algorithm>

namespace glpatrol {

unsigned shard_of(std::string_view key, unsigned total) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return total == 0 ? 1 : static_cast<unsigned>(h % total) + 1;
}

void ScanContext::mark_incomplete(std::string reason, bool fault) {
  std::lock_guard<std::mutex> lock(mu_);
  info_.complete = false;
  incomplete_fault_ |= fault;
  auto& reasons = info_.incomplete_reasons;
  if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end())
    reasons.push_back(std::move(reason));
}

bool ScanContext::incomplete_fault() const {
  std::lock_guard<std::mutex> lock(mu_);
  return incomplete_fault_;
}

}  // namespace glpatrol
