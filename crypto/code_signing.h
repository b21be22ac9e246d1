// File: crypto/code_signing.h
//
// Signing and verifying unit codes with a KeyRing: the DIGSIG of crypto/digsig.h over a unit's
// GTIN, serial, lot and dates.
//
// Verification fails closed and says why (DigSigFailure, with a stable reason code): a code is
// genuine only when its DIGSIG parses, names a known, non-revoked key of the same algorithm,
// and its signature verifies over exactly this GTIN, serial, lot and dates.
//
// Example:
//   absl::StatusOr<std::string> digsig = SignUnit(ring, gtin14, serial, lot);
//   CodeVerification v = VerifyUnitCode(ring, code);
//   if (!v.ok()) LOG_REASON(ReasonCode(v.failure));
#ifndef HALLMARK_CRYPTO_CODE_SIGNING_H_
#define HALLMARK_CRYPTO_CODE_SIGNING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/digsig.h"
#include "crypto/key_ring.h"
#include "gs1/unit_code.h"

namespace hallmark::crypto {

// The DIGSIG for a unit, signed with the ring's ACTIVE key (FailedPrecondition without one).
// Preconditions: `gtin14` normalised, `serial`/`lot` valid (lot empty for none).
absl::StatusOr<std::string> SignUnit(const KeyRing& ring, absl::string_view gtin14,
                                     absl::string_view serial, absl::string_view lot);
// The same for every signed field of `code` (GTIN, serial, lot, expiry, production; its digsig
// is ignored). Preconditions as above; dates valid GS1 dates or empty.
absl::StatusOr<std::string> SignUnit(const KeyRing& ring, const gs1::UnitCode& code);

struct CodeVerification {
  DigSigFailure failure = DigSigFailure::kNone;
  // False when the signature verified only over the code without its printed dates: a code
  // signed before dates existed, printed with them beside it. The dates are then label data,
  // not signed (docs/code-format.md §4).
  bool dates_signed = true;
  bool key_id_known = false;  // whether key_id below was decoded from the DIGSIG
  KeyId key_id = 0;
  bool ok() const { return failure == DigSigFailure::kNone; }
};

// A code whose signature fails over what it prints is tried once more without its printed
// dates, if it has any (see CodeVerification::dates_signed).
CodeVerification VerifyUnitCode(const KeyRing& ring, const gs1::UnitCode& code);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_CODE_SIGNING_H_
