// File: server/common/snapshot.h
//
// Snapshot<T>: an immutable value that can be replaced while readers use the old one (key
// ring and principals reloaded on SIGHUP). Readers take a shared_ptr and keep a consistent
// view for as long as they hold it. Thread-safe.
#ifndef HALLMARK_SERVER_COMMON_SNAPSHOT_H_
#define HALLMARK_SERVER_COMMON_SNAPSHOT_H_

#include <memory>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace hallmark {

template <typename T>
class Snapshot {
 public:
  explicit Snapshot(std::shared_ptr<const T> initial) : value_(std::move(initial)) {}

  std::shared_ptr<const T> Get() const {
    absl::MutexLock lock(&mu_);
    return value_;
  }

  void Set(std::shared_ptr<const T> value) {
    absl::MutexLock lock(&mu_);
    value_ = std::move(value);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const T> value_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark

#endif  // HALLMARK_SERVER_COMMON_SNAPSHOT_H_
