// File: server/common/timer.h
//
// Timer: runs a task after a delay, on the timer's own thread. For work that must wait
// without holding a thread: a stream paced by its issuer's budget, a periodic health probe.
// Tasks must be short (post real work elsewhere). Thread-safe.
//
// Example:
//   Timer timer;
//   timer.After(absl::Milliseconds(250), [] { Retry(); });
#ifndef HALLMARK_SERVER_COMMON_TIMER_H_
#define HALLMARK_SERVER_COMMON_TIMER_H_

#include <chrono>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hallmark {

class Timer {
 public:
  Timer();
  // Drops the tasks that are not due yet (their captures are destroyed), then joins.
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void After(absl::Duration delay, absl::AnyInvocable<void()> task);

 private:
  void Run();

  absl::Mutex mu_;
  // Due times on the steady clock: a wall clock stepping back must not delay the tasks.
  std::multimap<std::chrono::steady_clock::time_point, absl::AnyInvocable<void()>> tasks_
      ABSL_GUARDED_BY(mu_);
  absl::CondVar wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace hallmark

#endif  // HALLMARK_SERVER_COMMON_TIMER_H_
