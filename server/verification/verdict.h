// File: server/verification/verdict.h
//
// The verdict of a Verify, decided from the signature check and the registry record. Pure
// functions: the whole verdict table is testable without Redis or gRPC.
//
// Order of precedence (the first that applies is the verdict; every applicable reason code is
// listed): COUNTERFEIT (unparseable code or signature failure) > NOT_REGISTERED > MISMATCH >
// STOLEN > RECALLED > DECOMMISSIONED / SUSPECT_CLONE > AUTHENTIC.
//
// Reason codes (stable, documented in docs/verification.md): code_unparseable, the signature
// reasons of crypto/digsig.h (digsig_missing, signature_invalid, unknown_key, key_revoked, ...),
// not_registered, lot_mismatch, stolen, recalled, decommissioned,
// clone_scanned_after_decommission, clone_distinct_locations.
#ifndef HALLMARK_SERVER_VERIFICATION_VERDICT_H_
#define HALLMARK_SERVER_VERIFICATION_VERDICT_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "crypto/code_signing.h"
#include "hallmark/v1/verification.pb.h"
#include "server/registry/registry.h"

namespace hallmark::verification {

// When a genuine code is probably copied.
struct ClonePolicy {
  // SUSPECT_CLONE when a unit is seen in more distinct locations than this within `window`.
  uint32_t max_distinct_locations = 3;
  absl::Duration window = absl::Hours(24);
};

struct Decision {
  v1::Verdict verdict = v1::VERDICT_UNSPECIFIED;
  std::vector<std::string> reasons;
};

// The verdict for a code whose signature check failed.
Decision CounterfeitDecision(const crypto::CodeVerification& signature);

// The verdict for a validly signed code, given its registry record (this scan included).
Decision RegistryDecision(const gs1::UnitCode& code, const registry::VerifyRecord& record,
                          const ClonePolicy& policy);

}  // namespace hallmark::verification

#endif  // HALLMARK_SERVER_VERIFICATION_VERDICT_H_
