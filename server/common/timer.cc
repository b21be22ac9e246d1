#include "server/common/timer.h"

#include <utility>

#include "absl/time/clock.h"

namespace hallmark {

Timer::Timer() : thread_([this] { Run(); }) {}

Timer::~Timer() {
  std::multimap<absl::Time, absl::AnyInvocable<void()>> dropped;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    dropped.swap(tasks_);
    wake_.Signal();
  }
  thread_.join();
}

void Timer::After(absl::Duration delay, absl::AnyInvocable<void()> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  tasks_.emplace(absl::Now() + delay, std::move(task));
  wake_.Signal();
}

void Timer::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (tasks_.empty()) {
      wake_.Wait(&mu_);
      continue;
    }
    const absl::Time due = tasks_.begin()->first;
    if (due > absl::Now()) {
      wake_.WaitWithDeadline(&mu_, due);  // or earlier: a sooner task, or stopping
      continue;
    }
    absl::AnyInvocable<void()> task = std::move(tasks_.begin()->second);
    tasks_.erase(tasks_.begin());
    mu_.Unlock();
    task();
    mu_.Lock();
  }
}

}  // namespace hallmark
