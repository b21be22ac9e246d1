#include "server/verification/code_checker.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "crypto/prf.h"

namespace hallmark::verification {
namespace {

absl::uint128 CacheKey(const gs1::UnitCode& code) {
  // Length-prefixed fields: no two codes share an encoding. Every printed field the signature
  // may cover is in it (a code with its dates stripped is another code).
  const std::string digest = crypto::Sha256(absl::StrCat(
      code.gtin.size(), ":", code.gtin, code.serial.size(), ":", code.serial, code.lot.size(),
      ":", code.lot, code.digsig.size(), ":", code.digsig, code.expiry.size(), ":",
      code.expiry, code.production.size(), ":", code.production));
  uint64_t hi, lo;
  std::memcpy(&hi, digest.data(), 8);
  std::memcpy(&lo, digest.data() + 8, 8);
  return absl::MakeUint128(hi, lo);
}

}  // namespace

CodeChecker::CodeChecker(std::shared_ptr<const crypto::KeyRing> ring, size_t cache_capacity)
    : ring_(std::move(ring)), shard_capacity_(std::max<size_t>(1, cache_capacity / kShards)) {}

CodeChecker::Result CodeChecker::Check(const gs1::UnitCode& code) const {
  // The cheap structural and key-state checks always run, so a revoked key is never served
  // from the cache; only the public-key operation is skipped.
  crypto::DigSigFailure failure;
  absl::StatusOr<crypto::ParsedDigSig> parsed = crypto::ParseDigSig(code.digsig, &failure);
  if (parsed.ok()) {
    const crypto::KeyRing::Key* key = ring_->Find(parsed->header.key_id);
    if (key != nullptr && key->info.state != crypto::KeyState::kRevoked &&
        key->info.algorithm == parsed->header.algorithm) {
      const absl::uint128 k = CacheKey(code);
      Shard& shard = shards_[absl::Uint128Low64(k) % kShards];
      {
        absl::MutexLock lock(&shard.mu);
        if (shard.valid.contains(k)) {
          hits_.fetch_add(1, std::memory_order_relaxed);
          return {crypto::CodeVerification{crypto::DigSigFailure::kNone, true,
                                           parsed->header.key_id},
                  true};
        }
      }
      crypto::CodeVerification v = crypto::VerifyUnitCode(*ring_, code);
      if (v.ok() && v.dates_signed) {  // (codes with unsigned dates are rare: not cached)
        absl::MutexLock lock(&shard.mu);
        if (shard.valid.size() >= shard_capacity_) shard.valid.clear();
        shard.valid.insert(k);
      }
      return {v, false};
    }
  }
  return {crypto::VerifyUnitCode(*ring_, code), false};
}

}  // namespace hallmark::verification
