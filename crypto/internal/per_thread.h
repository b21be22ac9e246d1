// File: crypto/internal/per_thread.h
//
// PerThread<T> gives each thread its own lazily created T for one owner object. OpenSSL 3
// contexts (EVP_PKEY_CTX, EVP_MD_CTX) are not safe to share between threads, and creating one
// per operation costs a provider fetch and locks; a per-thread context initialised once makes
// the public-key operation the only real cost.
//
// The owner owns every T it made: destroying the PerThread frees them all at once, whatever
// the threads that used them are doing. So a signer dropped at a key-ring reload (a retired or
// revoked key) leaves no context — and no reference to its private key — behind in any
// thread. Each thread finds its T through a thread-local table of raw pointers keyed by the
// owner's process-unique id: an id is never reused, so a destroyed owner's entries are never
// looked up again (the table is cleared after kMaxEntries owners).
#ifndef HALLMARK_CRYPTO_INTERNAL_PER_THREAD_H_
#define HALLMARK_CRYPTO_INTERNAL_PER_THREAD_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace hallmark::crypto::internal {

inline uint64_t NextPerThreadOwnerId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

template <typename T>
class PerThread {
 public:
  PerThread() : id_(NextPerThreadOwnerId()) {}
  PerThread(const PerThread&) = delete;
  PerThread& operator=(const PerThread&) = delete;

  // This thread's T, created by `make()` (returning std::unique_ptr<T>) on first use. Returns
  // nullptr when `make` does, and then retries on the next call.
  template <typename Make>
  T* Get(Make make) const {
    thread_local absl::flat_hash_map<uint64_t, T*> table;
    auto it = table.find(id_);
    if (it != table.end()) return it->second;
    std::unique_ptr<T> created = make();
    if (created == nullptr) return nullptr;
    T* mine = created.get();
    {
      absl::MutexLock lock(&mu_);
      owned_.push_back(std::move(created));
    }
    if (table.size() >= kMaxEntries) table.clear();
    table.emplace(id_, mine);
    return mine;
  }

  // How many threads have a T (for tests).
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return owned_.size();
  }

 private:
  static constexpr size_t kMaxEntries = 256;
  const uint64_t id_;
  mutable absl::Mutex mu_;
  mutable std::vector<std::unique_ptr<T>> owned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::crypto::internal

#endif  // HALLMARK_CRYPTO_INTERNAL_PER_THREAD_H_
