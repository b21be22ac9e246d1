// File: server/common/work_pool.h
//
// WorkPool: a fixed set of threads for CPU-heavy work (signing thousands of units), so neither
// gRPC callback threads nor the Redis event loop spend time on it. FIFO; thread-safe.
//
// Example:
//   WorkPool pool(2);
//   pool.ParallelFor(units.size(), 256, [&](size_t begin, size_t end) { Sign(begin, end); },
//                    [] { /* all ranges done */ });
#ifndef HALLMARK_SERVER_COMMON_WORK_POOL_H_
#define HALLMARK_SERVER_COMMON_WORK_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace hallmark {

class WorkPool {
 public:
  // `nice` > 0 runs the threads at a lower CPU priority (setpriority per thread): bulk work
  // that must not slow down what runs at normal priority when the cores are busy, yet still
  // gets its share.
  explicit WorkPool(size_t threads, int nice = 0);
  // Runs what was already posted, then joins the threads.
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void Post(absl::AnyInvocable<void()> task);

  // Splits [0, n) into ranges of at most `grain` items, runs `body(begin, end)` for each on the
  // pool, then `done()` once, on the thread that finished last. With n == 0, runs done() now.
  void ParallelFor(size_t n, size_t grain, std::function<void(size_t, size_t)> body,
                   absl::AnyInvocable<void()> done);

  size_t size() const { return threads_.size(); }

 private:
  void Run();

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace hallmark

#endif  // HALLMARK_SERVER_COMMON_WORK_POOL_H_
