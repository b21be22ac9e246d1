// The verdict table, from signature results and registry records alone.
#include "server/verification/verdict.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::verification {
namespace {

using ::testing::ElementsAre;

const gs1::UnitCode kCode{"09506000134352", "S1", "L1", "sig"};

registry::VerifyRecord Registered() {
  registry::VerifyRecord r;
  r.registered = true;
  r.unit.lot = "L1";
  r.scan_count = 1;
  r.clone_evidence = 2;
  return r;
}

TEST(VerdictTest, SignatureFailuresAreCounterfeitWithTheirReason) {
  for (auto f : {crypto::DigSigFailure::kSignatureInvalid, crypto::DigSigFailure::kUnknownKey,
                 crypto::DigSigFailure::kKeyRevoked, crypto::DigSigFailure::kMissing}) {
    const Decision d = CounterfeitDecision({f, false, 0});
    EXPECT_EQ(d.verdict, v1::VERDICT_COUNTERFEIT);
    EXPECT_THAT(d.reasons, ElementsAre(std::string(crypto::ReasonCode(f))));
  }
}

TEST(VerdictTest, RegistryOutcomes) {
  const ClonePolicy policy;
  EXPECT_EQ(RegistryDecision(kCode, Registered(), policy).verdict, v1::VERDICT_AUTHENTIC);
  EXPECT_TRUE(RegistryDecision(kCode, Registered(), policy).reasons.empty());

  Decision d = RegistryDecision(kCode, registry::VerifyRecord{}, policy);
  EXPECT_EQ(d.verdict, v1::VERDICT_NOT_REGISTERED);
  EXPECT_THAT(d.reasons, ElementsAre("not_registered"));

  registry::VerifyRecord other_lot = Registered();
  other_lot.unit.lot = "L2";
  d = RegistryDecision(kCode, other_lot, policy);
  EXPECT_EQ(d.verdict, v1::VERDICT_MISMATCH);
  EXPECT_THAT(d.reasons, ElementsAre("lot_mismatch"));

  registry::VerifyRecord stolen = Registered();
  stolen.stolen = registry::StolenFlag{"C1", "Police", 1, "p"};
  d = RegistryDecision(kCode, stolen, policy);
  EXPECT_EQ(d.verdict, v1::VERDICT_STOLEN);
  EXPECT_THAT(d.reasons, ElementsAre("stolen"));

  registry::VerifyRecord recalled = Registered();
  recalled.recalled = true;
  recalled.unit.status = registry::kStatusSold;
  EXPECT_EQ(RegistryDecision(kCode, recalled, policy).verdict, v1::VERDICT_RECALLED);
  // A recalled unit that was decommissioned is still RECALLED first, with both reasons.
  recalled.unit.status = registry::kStatusDecommissioned;
  recalled.scans_after_decommission = 1;
  d = RegistryDecision(kCode, recalled, policy);
  EXPECT_EQ(d.verdict, v1::VERDICT_RECALLED);
  EXPECT_THAT(d.reasons, ElementsAre("recalled", "decommissioned"));
  // Other physical statuses verify as AUTHENTIC: a sold unit is genuine.
  registry::VerifyRecord sold = Registered();
  sold.unit.status = registry::kStatusSold;
  EXPECT_EQ(RegistryDecision(kCode, sold, policy).verdict, v1::VERDICT_AUTHENTIC);
}

TEST(VerdictTest, DecommissionedOnceThenSuspectClone) {
  registry::VerifyRecord r = Registered();
  r.unit.status = registry::kStatusDecommissioned;
  r.scans_after_decommission = 1;
  Decision d = RegistryDecision(kCode, r, {});
  EXPECT_EQ(d.verdict, v1::VERDICT_DECOMMISSIONED);
  r.scans_after_decommission = 2;
  d = RegistryDecision(kCode, r, {});
  EXPECT_EQ(d.verdict, v1::VERDICT_SUSPECT_CLONE);
  EXPECT_THAT(d.reasons, ElementsAre("decommissioned", "clone_scanned_after_decommission"));
}

TEST(VerdictTest, CloneRuleTriggersAboveTheThreshold) {
  const ClonePolicy policy{3, absl::Hours(24)};
  registry::VerifyRecord r = Registered();
  r.clone_evidence = 6;  // three stores' locations (2 each), or six apps'
  EXPECT_EQ(RegistryDecision(kCode, r, policy).verdict, v1::VERDICT_AUTHENTIC);
  r.clone_evidence = 7;
  const Decision d = RegistryDecision(kCode, r, policy);
  EXPECT_EQ(d.verdict, v1::VERDICT_SUSPECT_CLONE);
  EXPECT_THAT(d.reasons, ElementsAre("clone_distinct_locations"));
}

TEST(VerdictTest, PrecedenceKeepsEveryReason) {
  registry::VerifyRecord r = Registered();
  r.unit.lot = "L2";
  r.stolen = registry::StolenFlag{"C1", "Police", 1, "p"};
  r.clone_evidence = 18;
  const Decision d = RegistryDecision(kCode, r, {});
  EXPECT_EQ(d.verdict, v1::VERDICT_MISMATCH);
  EXPECT_THAT(d.reasons, ElementsAre("lot_mismatch", "stolen", "clone_distinct_locations"));
  r.unit.lot = "L1";
  EXPECT_EQ(RegistryDecision(kCode, r, {}).verdict, v1::VERDICT_STOLEN);
}

}  // namespace
}  // namespace hallmark::verification
