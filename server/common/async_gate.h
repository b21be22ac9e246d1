// File: server/common/async_gate.h
//
// AsyncGate: at most N holders at once, without blocking a thread. Enter(go) runs `go` now when
// a place is free, else queues it (FIFO) until a holder calls Leave(). Used to bound the bulk
// work (issuance chunks, imports) in Redis and on the work pool at once, so verification always
// finds them with a short queue. Thread-safe.
//
// Example:
//   AsyncGate bulk(2);
//   bulk.Enter([&] { WriteChunk(); /* ...and when it is done: */ bulk.Leave(); });
#ifndef HALLMARK_SERVER_COMMON_ASYNC_GATE_H_
#define HALLMARK_SERVER_COMMON_ASYNC_GATE_H_

#include <cstddef>
#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace hallmark {

class AsyncGate {
 public:
  explicit AsyncGate(size_t places) : places_(places == 0 ? 1 : places) {}

  // Runs `go` (on this thread) once a place is free; the holder must call Leave() once.
  void Enter(absl::AnyInvocable<void()> go);
  // Frees a place; the next queued `go` runs on this thread.
  void Leave();

  size_t waiting() const;

 private:
  const size_t places_;
  mutable absl::Mutex mu_;
  size_t held_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark

#endif  // HALLMARK_SERVER_COMMON_ASYNC_GATE_H_
