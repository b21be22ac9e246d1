#include "server/common/timer.h"

#include <utility>

#include "absl/time/clock.h"

namespace hallmark {

Timer::Timer() : thread_([this] { Run(); }) {}

Timer::~Timer() {
  std::multimap<std::chrono::steady_clock::time_point, absl::AnyInvocable<void()>> dropped;
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
  tasks_.emplace(std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         absl::ToChronoNanoseconds(delay)),
                 std::move(task));
  wake_.Signal();
}

void Timer::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (tasks_.empty()) {
      wake_.Wait(&mu_);
      continue;
    }
    const auto left = tasks_.begin()->first - std::chrono::steady_clock::now();
    if (left > std::chrono::steady_clock::duration::zero()) {
      wake_.WaitWithTimeout(&mu_, absl::FromChrono(left));  // or earlier: sooner task, stopping
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
