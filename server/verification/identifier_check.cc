#include "server/verification/identifier_check.h"

#include <algorithm>

#include "gs1/gs1.h"

namespace hallmark::verification {
namespace {

IdentifierCheck NoMatch(const char* reason) { return {false, reason, ""}; }

// Whether `asked` is one of the lot's former expiry dates and the current one is later.
bool ExpiryExtended(absl::string_view asked, const registry::VerifyRecord& record,
                    absl::CivilDay today) {
  const auto& former = record.former_expiries;
  if (asked.empty() || std::find(former.begin(), former.end(), asked) == former.end()) {
    return false;
  }
  const absl::CivilYear year(today);
  absl::StatusOr<absl::CivilDay> was = gs1::Gs1DateDay(asked, year, "expiry");
  absl::StatusOr<absl::CivilDay> now = gs1::Gs1DateDay(record.unit.expiry, year, "expiry");
  return was.ok() && now.ok() && *now > *was;
}

}  // namespace

IdentifierCheck CheckIdentifier(const ProductIdentifier& pi, absl::string_view context,
                                const registry::VerifyRecord& record, const ClonePolicy& policy,
                                absl::CivilDay today) {
  if (!record.registered) return NoMatch("No_match_GTIN_Serial");
  const bool lot_differs = pi.lot != record.unit.lot;
  const bool extended = !lot_differs && pi.expiry != record.unit.expiry &&
                        ExpiryExtended(pi.expiry, record, today);
  const bool expiry_differs = pi.expiry != record.unit.expiry && !extended;
  if (lot_differs && expiry_differs) return NoMatch("No_match_GTIN_Serial_Lot_Expiry");
  if (lot_differs) return NoMatch("No_match_GTIN_Serial_Lot");
  if (expiry_differs) return NoMatch("No_match_GTIN_Serial_Expiry");
  // The identifier matches: the registry's view of the unit, as Verify decides it.
  gs1::UnitCode code{pi.gtin, pi.serial, record.unit.lot, ""};
  const Decision d = RegistryDecision(code, record, policy);
  switch (d.verdict) {
    case v1::VERDICT_STOLEN:
      return {false, "Not_for_re-distribution", "Illegitimate"};
    case v1::VERDICT_SUSPECT_CLONE:
      return {false, "Not_for_re-distribution", "Suspect"};
    case v1::VERDICT_DECOMMISSIONED:
      return {false, "Manufacturer_policy", ""};
    case v1::VERDICT_RECALLED:
      if (context == kSaleableReturn) return {false, "Manufacturer_policy", "Recalled"};
      return {true, "", "Recalled"};
    default:
      break;
  }
  // Past even the extended date: expired first.
  if (Expired(record.unit.expiry, today)) return {true, "", "Expired"};
  if (extended) return {true, "", "ExpirationExtended"};
  return {true, "", ""};
}

}  // namespace hallmark::verification
