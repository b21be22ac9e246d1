#include "server/verification/verdict.h"

#include "gs1/gs1.h"

namespace hallmark::verification {

Decision CounterfeitDecision(const crypto::CodeVerification& signature) {
  return {v1::VERDICT_COUNTERFEIT, {std::string(crypto::ReasonCode(signature.failure))}};
}

std::optional<gs1::UnitCode> AsRegistered(const gs1::UnitCode& code,
                                          const registry::UnitRecord& unit) {
  if (code.lot == unit.lot && code.expiry == unit.expiry && code.production == unit.production) {
    return std::nullopt;
  }
  gs1::UnitCode signed_code = code;
  signed_code.lot = unit.lot;
  signed_code.expiry = unit.expiry;
  signed_code.production = unit.production;
  return signed_code;
}

bool Expired(absl::string_view expiry, absl::CivilDay today) {
  if (expiry.empty()) return false;
  // The expiry date's century is read around its own day's year, so "today" decides alone.
  absl::StatusOr<absl::CivilDay> day =
      gs1::Gs1DateDay(expiry, absl::CivilYear(today), "expiry_date");
  return day.ok() && today > *day;
}

Decision RegistryDecision(const gs1::UnitCode& code, const registry::VerifyRecord& record,
                          const ClonePolicy& policy, Printed printed) {
  Decision d;
  if (!record.registered) {
    d.verdict = v1::VERDICT_NOT_REGISTERED;
    d.reasons.push_back("not_registered");
    return d;
  }
  auto first = [&d](v1::Verdict v) {
    if (d.verdict == v1::VERDICT_UNSPECIFIED) d.verdict = v;
  };
  // A date is compared when printed (and, if unsigned, registered), or, on an altered label,
  // always.
  const auto differs = [printed](const std::string& printed_value,
                                 const std::string& registered) {
    if (printed_value == registered) return false;
    switch (printed) {
      case Printed::kAltered: return true;
      case Printed::kDatesUnsigned: return !printed_value.empty() && !registered.empty();
      case Printed::kSigned: break;
    }
    return !printed_value.empty();
  };
  if (code.lot != record.unit.lot) {
    first(v1::VERDICT_MISMATCH);
    d.reasons.push_back("lot_mismatch");
  }
  if (differs(code.expiry, record.unit.expiry)) {
    first(v1::VERDICT_MISMATCH);
    d.reasons.push_back("expiry_date_mismatch");
  }
  if (differs(code.production, record.unit.production)) {
    first(v1::VERDICT_MISMATCH);
    d.reasons.push_back("production_date_mismatch");
  }
  if (record.stolen) {
    first(v1::VERDICT_STOLEN);
    d.reasons.push_back("stolen");
  }
  if (record.recalled) {
    first(v1::VERDICT_RECALLED);
    d.reasons.push_back("recalled");
  }
  if (record.unit.status == registry::kStatusDecommissioned) {
    // The first scan after decommissioning says so; any further one means the code lives on.
    if (record.scans_after_decommission > 1) {
      first(v1::VERDICT_SUSPECT_CLONE);
      d.reasons.push_back("decommissioned");
      d.reasons.push_back("clone_scanned_after_decommission");
    } else {
      first(v1::VERDICT_DECOMMISSIONED);
      d.reasons.push_back("decommissioned");
    }
  }
  // Evidence counts a store's location 2 and an app's 1: more distinct store locations than
  // the threshold (from as many independent callers) within the window.
  if (record.clone_evidence > 2 * policy.max_distinct_locations) {
    first(v1::VERDICT_SUSPECT_CLONE);
    d.reasons.push_back("clone_distinct_locations");
  }
  first(v1::VERDICT_AUTHENTIC);
  return d;
}

}  // namespace hallmark::verification
