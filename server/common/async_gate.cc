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
  next();
}

size_t AsyncGate::waiting() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace hallmark
