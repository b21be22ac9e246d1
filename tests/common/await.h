// File: tests/common/await.h
//
// Await<T>(start): runs an asynchronous API that reports through a callback taking
// absl::StatusOr<T>, and blocks until the callback ran. For tests and benchmarks only.
//
// Example:
//   absl::StatusOr<Batch> b = Await<Batch>([&](auto done) {
//     registry.BeginBatch(spec, deadline, std::move(done));
//   });
#ifndef HALLMARK_TESTS_COMMON_AWAIT_H_
#define HALLMARK_TESTS_COMMON_AWAIT_H_

#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"

namespace hallmark::testing {

template <typename T, typename Start>
absl::StatusOr<T> Await(Start start) {
  absl::Notification done;
  absl::StatusOr<T> result = absl::UnknownError("callback not called");
  start([&](absl::StatusOr<T> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_AWAIT_H_
