#include "server/common/async_gate.h"

#include <utility>

namespace hallmark {

void AsyncGate::Enter(absl::AnyInvocable<void()> go) {
  {
    absl::MutexLock lock(&mu_);
    if (held_ >= places_) {
      queue_.push_back(std::move(go));
      return;
    }
    ++held_;
  }
  go();
}

namespace {
// The holders a Leave() on this thread has handed places to and not yet started: a holder
// that leaves at once (its work failed on the spot) must not start the next one from inside
// the previous one, or a long queue would run as one deep recursion.
thread_local std::deque<absl::AnyInvocable<void()>>* t_starting = nullptr;
}  // namespace

void AsyncGate::Leave() {
  absl::AnyInvocable<void()> next;
  {
    absl::MutexLock lock(&mu_);
    if (queue_.empty()) {
      if (held_ > 0) --held_;
      return;
    }
    next = std::move(queue_.front());  // the place passes straight to the next holder
    queue_.pop_front();
  }
  if (t_starting != nullptr) {  // inside a holder started by a Leave() further up
    t_starting->push_back(std::move(next));
    return;
  }
  std::deque<absl::AnyInvocable<void()>> starting;
  t_starting = &starting;
  next();
  while (!starting.empty()) {
    absl::AnyInvocable<void()> more = std::move(starting.front());
    starting.pop_front();
    more();
  }
  t_starting = nullptr;
}

size_t AsyncGate::waiting() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace hallmark
