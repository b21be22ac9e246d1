// File: server/verification/code_checker.h
//
// CodeChecker: the signature half of a Verify, for one key ring, with a cache of codes whose
// signature already verified, so a repeat scan skips the public-key operation.
//
// The cache holds only positive results (a forger cannot fill it), keyed by a 128-bit digest
// of GTIN, serial, lot, dates and DIGSIG. It belongs to the key ring it was filled with: reloading
// the keys (e.g. after a revocation) builds a new CodeChecker with an empty cache, and the
// ring's key state is checked before the cache is consulted. Bounded: 16 shards, each emptied
// when it reaches its share of the capacity. Thread-safe.
#ifndef HALLMARK_SERVER_VERIFICATION_CODE_CHECKER_H_
#define HALLMARK_SERVER_VERIFICATION_CODE_CHECKER_H_

#include <array>
#include <atomic>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/numeric/int128.h"
#include "absl/synchronization/mutex.h"
#include "crypto/code_signing.h"
#include "crypto/key_ring.h"

namespace hallmark::verification {

class CodeChecker {
 public:
  CodeChecker(std::shared_ptr<const crypto::KeyRing> ring, size_t cache_capacity);

  struct Result {
    crypto::CodeVerification verification;
    bool cache_hit = false;
  };
  Result Check(const gs1::UnitCode& code) const;

  const crypto::KeyRing& ring() const { return *ring_; }
  uint64_t cache_hits() const { return hits_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_set<absl::uint128> valid ABSL_GUARDED_BY(mu);
  };

  const std::shared_ptr<const crypto::KeyRing> ring_;
  const size_t shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
  mutable std::atomic<uint64_t> hits_{0};
};

}  // namespace hallmark::verification

#endif  // HALLMARK_SERVER_VERIFICATION_CODE_CHECKER_H_
