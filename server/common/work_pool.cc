#include "server/common/work_pool.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <utility>

namespace hallmark {

WorkPool::WorkPool(size_t threads, int nice) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this, nice] {
      // On Linux a thread id names just this thread; lowering one's priority needs no privilege.
      if (nice > 0) setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice);
      Run();
    });
  }
}

WorkPool::~WorkPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void WorkPool::Post(absl::AnyInvocable<void()> task) {
  absl::MutexLock lock(&mu_);
  tasks_.push_back(std::move(task));
}

void WorkPool::Run() {
  for (;;) {
    absl::AnyInvocable<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return p->stopping_ || !p->tasks_.empty();
          },
          this));
      if (tasks_.empty()) return;  // stopping and drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void WorkPool::ParallelFor(size_t n, size_t grain, std::function<void(size_t, size_t)> body,
                           absl::AnyInvocable<void()> done) {
  if (n == 0) {
    done();
    return;
  }
  if (grain == 0) grain = 1;
  struct Shared {
    std::function<void(size_t, size_t)> body;
    absl::AnyInvocable<void()> done;
    std::atomic<size_t> left;
  };
  const size_t ranges = (n + grain - 1) / grain;
  auto shared = std::make_shared<Shared>();
  shared->body = std::move(body);
  shared->done = std::move(done);
  shared->left.store(ranges);
  for (size_t r = 0; r < ranges; ++r) {
    const size_t begin = r * grain;
    const size_t end = std::min(n, begin + grain);
    Post([shared, begin, end] {
      shared->body(begin, end);
      if (shared->left.fetch_sub(1) == 1) shared->done();
    });
  }
}

}  // namespace hallmark
