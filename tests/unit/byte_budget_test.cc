// common/byte_budget.h: the shared decode budget bounds what workers hold together, never
// deadlocks, and lets an object larger than the budget through alone (issue 11, item 10).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "common/byte_budget.h"

using namespace glpatrol;

TEST_CASE("I11-10 leases wait for room; the holder of a lease never waits; oversize runs alone") {
  ByteBudget b(100);
  {
    auto a = b.acquire(60);
    auto nested = b.acquire(80);  // this thread holds a lease: no wait (a delta after its base)
    CHECK(b.peak() == 140);
  }
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> ts;
  ts.reserve(6);
  for (int i = 0; i < 6; ++i)
    ts.emplace_back([&] {
      auto l = b.acquire(70);  // two never fit together
      const int now = ++inside;
      int m = most.load();
      while (now > m && !most.compare_exchange_weak(m, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      --inside;
    });
  for (auto& t : ts) t.join();
  CHECK(most.load() == 1);
  {
    auto big = b.acquire(500);  // larger than the cap: admitted when nothing else is held
    CHECK(b.peak() == 500);
  }
  auto again = b.acquire(100);
  CHECK(b.cap() == 100);
}
