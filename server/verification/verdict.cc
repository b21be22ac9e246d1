#include "server/verification/verdict.h"

namespace hallmark::verification {

Decision CounterfeitDecision(const crypto::CodeVerification& signature) {
  return {v1::VERDICT_COUNTERFEIT, {std::string(crypto::ReasonCode(signature.failure))}};
}

Decision RegistryDecision(const gs1::UnitCode& code, const registry::VerifyRecord& record,
                          const ClonePolicy& policy) {
  Decision d;
  if (!record.registered) {
    d.verdict = v1::VERDICT_NOT_REGISTERED;
    d.reasons.push_back("not_registered");
    return d;
  }
  auto first = [&d](v1::Verdict v) {
    if (d.verdict == v1::VERDICT_UNSPECIFIED) d.verdict = v;
  };
  if (code.lot != record.unit.lot) {
    first(v1::VERDICT_MISMATCH);
    d.reasons.push_back("lot_mismatch");
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
