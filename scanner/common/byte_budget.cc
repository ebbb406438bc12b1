#include "common/byte_budget.h"

#include <algorithm>

namespace glpatrol {

namespace {
// Bytes this thread holds, over all leases of all budgets (one budget exists in practice).
thread_local std::uint64_t t_held = 0;
}  // namespace

ByteBudget::Lease ByteBudget::acquire(std::uint64_t bytes) {
  std::unique_lock<std::mutex> lock(mu_);
  if (t_held == 0) cv_.wait(lock, [&] { return used_ == 0 || used_ + bytes <= cap_; });
  used_ += bytes;
  peak_ = std::max(peak_, used_);
  t_held += bytes;
  return Lease(this, bytes);
}

void ByteBudget::release(std::uint64_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    used_ -= bytes;
  }
  t_held -= std::min(t_held, bytes);
  cv_.notify_all();
}

std::uint64_t ByteBudget::peak() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}

ByteBudget& decoded_object_budget() {
  static ByteBudget budget(std::uint64_t{512} << 20);
  return budget;
}

}  // namespace glpatrol
