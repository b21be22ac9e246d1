// File: crypto/internal/per_thread.h
//
// PerThread<T> gives each thread its own lazily created T for one owner object. OpenSSL 3
// contexts (EVP_PKEY_CTX, EVP_MD_CTX) are not safe to share between threads, and creating one
// per operation costs a provider fetch and locks; a per-thread context initialised once makes
// the public-key operation the only real cost.
//
// A T lives until the first of: its owner is destroyed, or its thread exits. So a signer
// dropped at a key-ring reload (a retired or revoked key) leaves no context — and no reference
// to its private key — behind in any thread, whatever the threads are doing; and threads that
// come and go (gRPC's) leave nothing behind in a long-lived owner. The owner keeps the Ts in a
// registry that each thread's table reaches through a weak pointer; an owner id is never
// reused, so a destroyed owner's entries are never looked up again (they are pruned).
#ifndef HALLMARK_CRYPTO_INTERNAL_PER_THREAD_H_
#define HALLMARK_CRYPTO_INTERNAL_PER_THREAD_H_

#include <atomic>
#include <cstdint>
#include <memory>

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
  PerThread() : id_(NextPerThreadOwnerId()), registry_(std::make_shared<Registry>()) {}
  PerThread(const PerThread&) = delete;
  PerThread& operator=(const PerThread&) = delete;

  // This thread's T, created by `make()` (returning std::unique_ptr<T>) on first use. Returns
  // nullptr when `make` does, and then retries on the next call.
  template <typename Make>
  T* Get(Make make) const {
    ThreadTable& table = Table();
    auto it = table.entries.find(id_);
    if (it != table.entries.end()) return it->second.object;
    std::unique_ptr<T> created = make();
    if (created == nullptr) return nullptr;
    T* mine = created.get();
    {
      absl::MutexLock lock(&registry_->mu);
      registry_->by_thread[&table] = std::move(created);
    }
    if (table.entries.size() >= kPruneAt) table.PruneDead();
    table.entries.emplace(id_, Entry{mine, registry_});
    return mine;
  }

  // How many threads have a T now (for tests).
  size_t size() const {
    absl::MutexLock lock(&registry_->mu);
    return registry_->by_thread.size();
  }

 private:
  struct Registry {
    absl::Mutex mu;
    absl::flat_hash_map<const void*, std::unique_ptr<T>> by_thread ABSL_GUARDED_BY(mu);
  };
  struct Entry {
    T* object;
    std::weak_ptr<Registry> registry;
  };
  // One per thread (and T): what this thread holds of every owner.
  struct ThreadTable {
    absl::flat_hash_map<uint64_t, Entry> entries;
    void PruneDead() {
      absl::erase_if(entries, [](const auto& e) { return e.second.registry.expired(); });
    }
    ~ThreadTable() {  // the thread exits: its Ts go with it
      for (auto& [id, e] : entries) {
        if (std::shared_ptr<Registry> r = e.registry.lock()) {
          std::unique_ptr<T> gone;
          absl::MutexLock lock(&r->mu);
          auto it = r->by_thread.find(this);
          if (it != r->by_thread.end()) {
            gone = std::move(it->second);
            r->by_thread.erase(it);
          }
        }
      }
    }
  };
  static ThreadTable& Table() {
    thread_local ThreadTable table;
    return table;
  }

  static constexpr size_t kPruneAt = 64;
  const uint64_t id_;
  const std::shared_ptr<Registry> registry_;
};

}  // namespace hallmark::crypto::internal

#endif  // HALLMARK_CRYPTO_INTERNAL_PER_THREAD_H_
