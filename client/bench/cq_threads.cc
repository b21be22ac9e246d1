#include "client/bench/cq_threads.h"

namespace hallmark::bench {
namespace {

thread_local grpc::CompletionQueue* current_queue = nullptr;

}  // namespace

CqThreads::CqThreads(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    queues_.push_back(std::make_unique<grpc::CompletionQueue>());
  }
  for (auto& q : queues_) {
    threads_.emplace_back([cq = q.get()] {
      current_queue = cq;
      void* tag = nullptr;
      bool ok = false;
      while (cq->Next(&tag, &ok)) static_cast<Completion*>(tag)->Done(ok);
    });
  }
}

CqThreads::~CqThreads() {
  for (auto& q : queues_) q->Shutdown();
  for (auto& t : threads_) t.join();
}

grpc::CompletionQueue* CqThreads::Pick(int64_t seq) {
  if (current_queue != nullptr) return current_queue;
  return queues_[static_cast<size_t>(seq) % queues_.size()].get();
}

}  // namespace hallmark::bench
