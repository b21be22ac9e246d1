// File: client/bench/cq_threads.h
//
// CqThreads: the threads that drive hallmark-bench's calls, each polling its own gRPC
// completion queue. A call started from one of these threads (the closed loop starts the next
// call from the completion of the last) stays on that thread's queue, so a call's whole life
// runs on one thread: no hand-off between gRPC's threads and ours, which on a small machine
// shared with the server under test would cost more CPU than the call itself.
#ifndef HALLMARK_CLIENT_BENCH_CQ_THREADS_H_
#define HALLMARK_CLIENT_BENCH_CQ_THREADS_H_

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <grpcpp/completion_queue.h>

namespace hallmark::bench {

// A tag on a CqThreads queue: Done runs once, on the queue's thread, and owns the tag.
class Completion {
 public:
  virtual ~Completion() = default;
  virtual void Done(bool ok) = 0;
};

class CqThreads {
 public:
  explicit CqThreads(int threads);
  // Shuts the queues down and joins the threads once every started call has completed.
  ~CqThreads();
  CqThreads(const CqThreads&) = delete;
  CqThreads& operator=(const CqThreads&) = delete;

  // The queue of the calling thread when it is one of ours, else queue `seq % threads`.
  grpc::CompletionQueue* Pick(int64_t seq);

 private:
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::thread> threads_;
};

}  // namespace hallmark::bench

#endif  // HALLMARK_CLIENT_BENCH_CQ_THREADS_H_
