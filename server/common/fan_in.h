// File: server/common/fan_in.h
//
// FanIn: joins N asynchronous completions into one callback. Each part reports once with
// Done(status); after the last, `done` runs (on that thread) with the first error, or OK.
// Thread-safe.
//
// Example:
//   auto join = FanIn::Create(groups.size(), std::move(done));
//   for (auto& g : groups) store.Write(g, [join](absl::Status s) { join->Done(s); });
#ifndef HALLMARK_SERVER_COMMON_FAN_IN_H_
#define HALLMARK_SERVER_COMMON_FAN_IN_H_

#include <atomic>
#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace hallmark {

class FanIn {
 public:
  // With n == 0, `done` runs at once.
  static std::shared_ptr<FanIn> Create(size_t n, absl::AnyInvocable<void(absl::Status)> done) {
    std::shared_ptr<FanIn> f(new FanIn(n, std::move(done)));
    if (n == 0) f->Finish();
    return f;
  }

  void Done(const absl::Status& status) {
    if (!status.ok()) {
      absl::MutexLock lock(&mu_);
      if (first_error_.ok()) first_error_ = status;
    }
    if (left_.fetch_sub(1, std::memory_order_acq_rel) == 1) Finish();
  }

 private:
  FanIn(size_t n, absl::AnyInvocable<void(absl::Status)> done)
      : left_(n), done_(std::move(done)) {}

  void Finish() {
    absl::Status result;
    {
      absl::MutexLock lock(&mu_);
      result = first_error_;
    }
    done_(result);
  }

  std::atomic<size_t> left_;
  absl::AnyInvocable<void(absl::Status)> done_;
  absl::Mutex mu_;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark

#endif  // HALLMARK_SERVER_COMMON_FAN_IN_H_
