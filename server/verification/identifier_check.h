// File: server/verification/identifier_check.h
//
// The answer to a product-identifier verification (GS1 Lightweight Messaging Standard for
// Verification of Product Identifiers, 1.0.2; the DSCSA verification router's message): is
// there a unit with this GTIN and serial, and do its lot and expiry date match? Such a request
// carries no DIGSIG, so the answer is a registry match on all four fields, then what the
// registry knows about the unit (stolen, suspected clone, decommissioned, recalled, expired).
// Pure: testable without Redis, HTTP or a clock.
//
//   no unit                          verified false, No_match_GTIN_Serial
//   lot and expiry differ            verified false, No_match_GTIN_Serial_Lot_Expiry
//   lot differs                      verified false, No_match_GTIN_Serial_Lot
//   expiry differs                   verified false, No_match_GTIN_Serial_Expiry, unless it is a
//                                    former expiry of the lot and the current one is later:
//                                    verified true, ExpirationExtended
//   stolen                           verified false, Not_for_re-distribution, Illegitimate
//   suspected clone                  verified false, Not_for_re-distribution, Suspect
//   decommissioned                   verified false, Manufacturer_policy
//   recalled                         verified true, Recalled; for a saleable return
//                                    (context dscsaSaleableReturn) verified false,
//                                    Manufacturer_policy, Recalled
//   past its expiry date             verified true, Expired (also when it was extended)
//   otherwise                        verified true
// (A missing lot or expiry in the request is a value like any other: it matches only a unit
// without one.)
#ifndef HALLMARK_SERVER_VERIFICATION_IDENTIFIER_CHECK_H_
#define HALLMARK_SERVER_VERIFICATION_IDENTIFIER_CHECK_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "server/registry/registry.h"
#include "server/verification/verdict.h"

namespace hallmark::verification {

// The product identifier asked about: GTIN (14 digits), serial, lot, expiry (YYMMDD), each
// as the requester has it ("" when it did not give one).
struct ProductIdentifier {
  std::string gtin;
  std::string serial;
  std::string lot;
  std::string expiry;
};

struct IdentifierCheck {
  bool verified = false;
  std::string failure_reason;   // verificationFailureReason, "" when verified
  std::string additional_info;  // additionalInfo, "" for none
};

inline constexpr absl::string_view kSaleableReturn = "dscsaSaleableReturn";

IdentifierCheck CheckIdentifier(const ProductIdentifier& pi, absl::string_view context,
                                const registry::VerifyRecord& record, const ClonePolicy& policy,
                                absl::CivilDay today);

}  // namespace hallmark::verification

#endif  // HALLMARK_SERVER_VERIFICATION_IDENTIFIER_CHECK_H_
