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
// not_registered, lot_mismatch, expiry_date_mismatch, production_date_mismatch, stolen, recalled,
// decommissioned, clone_scanned_after_decommission, clone_distinct_locations; and beside the
// verdict, expired and dates_not_signed (the engine's).
#ifndef HALLMARK_SERVER_VERIFICATION_VERDICT_H_
#define HALLMARK_SERVER_VERIFICATION_VERDICT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
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

// How the code's printed lot and dates are held against the registry's.
enum class Printed {
  // The signature verified over what is printed: a printed lot or date other than the
  // registry's is a mismatch; a date the code does not print is not (a code signed before its
  // lot got that date).
  kSigned,
  // The signature verified only over the registry's lot and dates, not over what is printed:
  // the label was altered, and every field that differs, absent ones included, is a mismatch.
  kAltered,
  // The signature verified over the code without its printed dates (signed before dates
  // existed): a printed date is compared only where the registry has one for the lot.
  kDatesUnsigned,
};

// The verdict for a code, given its registry record (this scan included).
Decision RegistryDecision(const gs1::UnitCode& code, const registry::VerifyRecord& record,
                          const ClonePolicy& policy, Printed printed = Printed::kSigned);

// The code as its issuer signed it, if the registry's lot and dates differ from the printed
// ones: the printed code with the registry's lot and dates. nullopt when nothing differs.
std::optional<gs1::UnitCode> AsRegistered(const gs1::UnitCode& code,
                                          const registry::UnitRecord& unit);

// Whether a unit with this expiry date (GS1 YYMMDD; "" = none) is past it on `today`.
bool Expired(absl::string_view expiry, absl::CivilDay today);

}  // namespace hallmark::verification

#endif  // HALLMARK_SERVER_VERIFICATION_VERDICT_H_
