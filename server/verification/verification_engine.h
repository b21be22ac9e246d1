// File: server/verification/verification_engine.h
//
// VerificationEngine: Verify and VerifyBatch, free of gRPC. Each code is parsed, its
// signature checked (CodeChecker: cached per key ring) and, when genuine, looked up in the
// registry with its stolen flag and its scan recorded, in one Redis round trip; then the
// verdict is decided (verdict.h). A code whose signature fails is looked up without a scan:
// when the signature verifies over the registry's lot and dates instead, the label was
// altered (MISMATCH naming the fields), otherwise the code is COUNTERFEIT. The lot's dates
// are reported with `expired` (the unit is past its expiry date).
//
// A malformed code is a verdict (COUNTERFEIT, reason code_unparseable), not an error; only an
// empty or over-long code (> 512 bytes) of a single Verify, or a bad scan context, is
// INVALID_ARGUMENT. In a batch, an empty or over-long code gets COUNTERFEIT with code_empty /
// code_too_long and the rest of the batch goes on. The stolen case id is shown only to law
// enforcement and to the issuer that owns the GTIN. Thread-safe; callbacks run on a Redis or
// work-pool thread.
#ifndef HALLMARK_SERVER_VERIFICATION_VERIFICATION_ENGINE_H_
#define HALLMARK_SERVER_VERIFICATION_VERIFICATION_ENGINE_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "hallmark/v1/verification.pb.h"
#include "server/auth/access.h"
#include "server/auth/principals.h"
#include "server/common/metrics.h"
#include "server/common/snapshot.h"
#include "server/common/work_pool.h"
#include "server/registry/registry.h"
#include "server/verification/code_checker.h"
#include "server/verification/verdict.h"

namespace hallmark::verification {

inline constexpr size_t kMaxBatch = 1000;

struct VerificationOptions {
  ClonePolicy clone;
  absl::Duration redis_timeout = absl::Seconds(2);
  Metrics* metrics = nullptr;  // optional
  // Looks at codes whose signature failed (CheckAltered), all callers together: past this
  // rate such a code is COUNTERFEIT without a look, so forged codes cannot load Redis. No
  // limit without a limiter.
  auth::RateLimiter* limiter = nullptr;
  auth::RateLimitSpec altered_looks{500, 1000};
};

class VerificationEngine {
 public:
  VerificationEngine(registry::Registry* registry, WorkPool* pool,
                     const Snapshot<CodeChecker>* checker, VerificationOptions options);

  void Verify(const auth::Principal& caller, const v1::VerifyRequest& request,
              absl::Time call_deadline, v1::VerifyResponse* out,
              absl::AnyInvocable<void(absl::Status)> done);

  void VerifyBatch(const auth::Principal& caller, const v1::VerifyBatchRequest& request,
                   absl::Time call_deadline, v1::VerifyBatchResponse* out,
                   absl::AnyInvocable<void(absl::Status)> done);

  // The registry's record of a unit for a product-identifier check (identifier_check.h):
  // read without storing a scan. `gtin` is 14 digits.
  void LookUpUnit(std::string gtin, std::string serial, absl::Time call_deadline,
                  registry::Callback<registry::VerifyRecord> done);
  const ClonePolicy& clone_policy() const { return options_.clone; }

 private:
  // Verifies one code whose size was checked; `done` gets a non-OK status only when the
  // registry could not answer.
  void VerifyOne(const auth::Principal& caller, const v1::VerifyRequest& request,
                 absl::Time call_deadline, v1::VerifyResponse* out,
                 absl::AnyInvocable<void(absl::Status)> done);

  // A code whose signature did not verify over what is printed: if it verifies over the
  // registry's lot and dates, it is a genuine unit's code on an altered label (MISMATCH naming
  // each altered field); otherwise COUNTERFEIT. Reads the registry without counting a scan.
  void CheckAltered(const auth::Principal& caller, gs1::UnitCode code, absl::Time call_deadline,
                    v1::VerifyResponse* out, absl::AnyInvocable<void(absl::Status)> done);

  // hallmark_verdicts_total, for every verdict an RPC returns.
  void CountVerdict(v1::Verdict verdict) const;

  registry::Registry* const registry_;
  WorkPool* const pool_;
  const Snapshot<CodeChecker>* const checker_;
  const VerificationOptions options_;
};

}  // namespace hallmark::verification

#endif  // HALLMARK_SERVER_VERIFICATION_VERIFICATION_ENGINE_H_
