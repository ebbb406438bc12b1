#pragma once
// A byte budget shared by threads, for memory that a small input can make huge: a git object
// of a few hundred bytes of delta can decode to gigabytes, on every worker at once. Each large
// decoded object is leased from one process-wide budget before it is allocated, so the decoded
// bytes held by all workers together stay near the cap instead of growing with -j.
//
// Contract (no deadlock): a thread that holds no lease waits until its request fits under the
// cap, or until no thread holds anything (a request larger than the whole cap then runs
// alone). A thread that already holds a lease never waits: the base of a delta chain is leased
// first, and the result built on it must not wait for the base to go away. So the bound is the
// cap plus what the running threads' chains add beyond their first lease (docs/hostile-inputs.md).
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace glpatrol {

class ByteBudget {
 public:
  explicit ByteBudget(std::uint64_t cap) : cap_(cap) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  /// Holds `bytes` of the budget until destroyed (or reset). Movable, not copyable.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept : budget_(o.budget_), bytes_(o.bytes_) { o.budget_ = nullptr; }
    Lease& operator=(Lease&& o) noexcept {
      if (this != &o) {
        reset();
        budget_ = o.budget_;
        bytes_ = o.bytes_;
        o.budget_ = nullptr;
      }
      return *this;
    }
    ~Lease() { reset(); }
    void reset() {
      if (budget_ != nullptr) budget_->release(bytes_);
      budget_ = nullptr;
    }

   private:
    friend class ByteBudget;
    Lease(ByteBudget* b, std::uint64_t n) : budget_(b), bytes_(n) {}
    ByteBudget* budget_ = nullptr;
    std::uint64_t bytes_ = 0;
  };

  /// Waits (see the contract above), then holds `bytes`.
  Lease acquire(std::uint64_t bytes);

  std::uint64_t cap() const { return cap_; }
  /// The most bytes held at once so far (for tests and the report).
  std::uint64_t peak() const;

 private:
  void release(std::uint64_t bytes);
  const std::uint64_t cap_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t used_ = 0;
  std::uint64_t peak_ = 0;
};

/// Objects smaller than this are not leased (delta-base caches, small blobs): the budget is
/// for the few objects that can be large.
inline constexpr std::uint64_t kLeasedObjectMin = std::uint64_t{16} << 20;

/// The process's budget for decoded git objects, shared by every worker of every mode (the pack
/// reader's decoders and the libgit2 blob readers): 512 MiB.
ByteBudget& decoded_object_budget();

}  // namespace glpatrol
