#pragma once
// A fixed pool of worker threads, each owning one per-thread state (e.g. a Matcher) built by
// `make_state`. Jobs are pushed into a bounded queue, so a fast producer (directory walk, git
// object enumeration) cannot buffer unbounded work. Exceptions never cross the pool: a job
// that throws is the job's bug; it is caught, counted and reported by the caller's callback.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace glpatrol {

template <typename State>
class WorkPool {
 public:
  using Job = std::function<void(State&)>;

  WorkPool(unsigned threads, std::function<std::unique_ptr<State>()> make_state, std::size_t queue_cap = 1024)
      : cap_(queue_cap) {
    if (threads == 0) threads = 1;
    for (unsigned i = 0; i < threads; ++i) states_.push_back(make_state());
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(*states_[i]); });
  }
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;
  ~WorkPool() { finish(); }

  /// Blocks while the queue is full.
  void push(Job job) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < cap_ || stop_; });
    q_.push_back(std::move(job));
    not_empty_.notify_one();
  }

  /// Waits for all queued jobs and joins the threads. Idempotent.
  void finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_) return;
      done_ = true;
    }
    not_empty_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  /// Per-thread states, for merging results after finish().
  std::vector<std::unique_ptr<State>>& states() { return states_; }

 private:
  void run(State& state) {
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        not_empty_.wait(lock, [&] { return !q_.empty() || done_; });
        if (q_.empty()) return;
        job = std::move(q_.front());
        q_.pop_front();
        not_full_.notify_one();
      }
      job(state);
    }
  }

  std::size_t cap_;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Job> q_;
  bool done_ = false;
  bool stop_ = false;
  std::vector<std::unique_ptr<State>> states_;
  std::vector<std::thread> threads_;
};

}  // namespace glpatrol
