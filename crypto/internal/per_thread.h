// File: crypto/internal/per_thread.h
//
// PerThread<T> gives each thread its own lazily created T for one owner object. OpenSSL 3
// contexts (EVP_PKEY_CTX, EVP_MD_CTX) are not safe to share between threads, and creating one
// per operation costs a provider fetch and locks; a per-thread context initialised once makes
// the public-key operation the only real cost.
//
// Each owner gets a process-unique id, so a new owner never sees a context created for a
// destroyed one even if it reuses its address. Contexts live until their thread exits (or the
// thread's table is flushed after kMaxEntries owners); they hold their own key references.
#ifndef HALLMARK_CRYPTO_INTERNAL_PER_THREAD_H_
#define HALLMARK_CRYPTO_INTERNAL_PER_THREAD_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"

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
    thread_local absl::flat_hash_map<uint64_t, std::unique_ptr<T>> table;
    auto it = table.find(id_);
    if (it != table.end()) return it->second.get();
    std::unique_ptr<T> created = make();
    if (created == nullptr) return nullptr;
    if (table.size() >= kMaxEntries) table.clear();
    return table.emplace(id_, std::move(created)).first->second.get();
  }

 private:
  static constexpr size_t kMaxEntries = 256;
  const uint64_t id_;
};

}  // namespace hallmark::crypto::internal

#endif  // HALLMARK_CRYPTO_INTERNAL_PER_THREAD_H_
