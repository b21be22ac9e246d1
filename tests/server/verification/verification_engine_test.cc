// VerificationEngine on a FakeRegistry: the engine's wiring and decisions without Redis or a
// server (milliseconds per test). A signature that fails, or a code that does not parse, is
// answered without a registry call; a genuine code is looked up once and decided from the
// record; a stolen case is shown only to its owner; a registry that cannot answer is an error,
// never a verdict. The same paths against real Redis are in verification_test.cc.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "crypto/code_signing.h"
#include "gs1/digital_link.h"
#include "crypto/key_material.h"
#include "crypto/key_ring.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/snapshot.h"
#include "server/common/work_pool.h"
#include "server/verification/code_checker.h"
#include "server/verification/verification_engine.h"
#include "tests/common/fake_registry.h"
#include "tests/common/status_matchers.h"

namespace hallmark::verification {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;

constexpr char kGtin[] = "09506000134352";

auth::Principal Caller(admin::Role role, const std::string& org) {
  auth::Principal p;
  p.set_name(org + "-caller");
  p.set_role(role);
  p.set_organisation(org);
  return p;
}

class VerificationEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::pair<crypto::KeyInfo, std::unique_ptr<crypto::KeyMaterial>>> keys;
    auto material = crypto::KeyMaterial::Generate(crypto::Algorithm::kEs256);
    ASSERT_THAT(material, IsOk());
    keys.emplace_back(crypto::KeyInfo{0x7e57, crypto::Algorithm::kEs256,
                                      crypto::KeyState::kActive, absl::Now()},
                      *std::move(material));
    auto ring = crypto::KeyRing::New(std::move(keys));
    ASSERT_THAT(ring, IsOk());
    ring_ = std::shared_ptr<const crypto::KeyRing>(*std::move(ring));
    checker_ = std::make_unique<Snapshot<CodeChecker>>(
        std::make_shared<const CodeChecker>(ring_, 1000));
    VerificationOptions o;
    o.clone.max_distinct_locations = 3;
    engine_ = std::make_unique<VerificationEngine>(&registry_, &pool_, checker_.get(), o);
  }

  // A signed Digital Link for (kGtin, serial, lot); `tamper` changes the serial after signing.
  std::string Code(const std::string& serial, const std::string& lot = "L1",
                   bool tamper = false) {
    gs1::UnitCode code{kGtin, serial, lot, ""};
    code.digsig = *crypto::SignUnit(*ring_, code.gtin, code.serial, code.lot);
    if (tamper) code.serial += "X";
    return *gs1::FormatDigitalLink("id.example.com", code);
  }

  // A code signed with `signed_expiry` that prints `printed_expiry` (lot L1).
  std::string DatedCode(const std::string& serial, const std::string& signed_expiry,
                        const std::string& printed_expiry) {
    gs1::UnitCode code{kGtin, serial, "L1", ""};
    code.expiry = signed_expiry;
    code.digsig = *crypto::SignUnit(*ring_, code);
    code.expiry = printed_expiry;
    return *gs1::FormatDigitalLink("id.example.com", code);
  }

  // A registered unit of lot "L1".
  void Register(const std::string& serial, registry::VerifyRecord record = {}) {
    record.unit.lot = "L1";
    record.unit.sku = "SKU-1";
    registry_.Put(kGtin, serial, std::move(record));
  }

  // Through the fixture's engine, or `engine`.
  absl::StatusOr<v1::VerifyResponse> Verify(const std::string& code,
                                            const auth::Principal& who = Caller(
                                                admin::ROLE_VERIFIER, "App"),
                                            VerificationEngine* engine = nullptr) {
    v1::VerifyRequest r;
    r.set_code(code);
    v1::VerifyResponse out;
    absl::Status status;
    absl::Notification done;
    (engine != nullptr ? engine : engine_.get())
        ->Verify(who, r, absl::Now() + absl::Seconds(5), &out, [&](absl::Status s) {
      status = s;
      done.Notify();
    });
    done.WaitForNotification();
    if (!status.ok()) return status;
    return out;
  }

  testing::FakeRegistry registry_;
  WorkPool pool_{1};
  std::shared_ptr<const crypto::KeyRing> ring_;
  std::unique_ptr<Snapshot<CodeChecker>> checker_;
  std::unique_ptr<VerificationEngine> engine_;
};

TEST_F(VerificationEngineTest, AGenuineRegisteredUnitIsAuthenticAfterOneRegistryCall) {
  Register("S1");
  absl::StatusOr<v1::VerifyResponse> r = Verify(Code("S1"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(r->lot(), "L1");
  EXPECT_EQ(r->sku(), "SKU-1");
  EXPECT_EQ(r->scan_count(), 1u);
  EXPECT_EQ(registry_.verify_calls(), 1);
}

TEST_F(VerificationEngineTest, AGenuineCodeUnknownToTheRegistryIsNotRegistered) {
  absl::StatusOr<v1::VerifyResponse> r = Verify(Code("NEVER-ISSUED"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->verdict(), v1::VERDICT_NOT_REGISTERED);
  EXPECT_EQ(registry_.verify_calls(), 1);
}

TEST_F(VerificationEngineTest, AForgedOrUnparseableCodeNeverReachesTheRegistry) {
  Register("S1");
  absl::StatusOr<v1::VerifyResponse> forged = Verify(Code("S1", "", /*tamper=*/true));
  ASSERT_THAT(forged, IsOk());
  EXPECT_EQ(forged->verdict(), v1::VERDICT_COUNTERFEIT);
  absl::StatusOr<v1::VerifyResponse> garbage = Verify("not a code at all");
  ASSERT_THAT(garbage, IsOk());
  EXPECT_EQ(garbage->verdict(), v1::VERDICT_COUNTERFEIT);
  EXPECT_EQ(registry_.verify_calls(), 0) << "a forged code must not cost a Redis round trip";
}

TEST_F(VerificationEngineTest, AForgedCodeThatPrintsALotIsLookedUpWithoutCountingAScan) {
  Register("S1");
  absl::StatusOr<v1::VerifyResponse> forged = Verify(Code("S1", "L1", /*tamper=*/true));
  ASSERT_THAT(forged, IsOk());
  EXPECT_EQ(forged->verdict(), v1::VERDICT_COUNTERFEIT);
  EXPECT_THAT(forged->reasons(), ElementsAre("signature_invalid"));
  EXPECT_EQ(forged->scan_count(), 0u);
  EXPECT_EQ(registry_.verify_calls(), 1);
  // Another lot printed on S1's code: its signature holds over the registry's lot, L1.
  gs1::UnitCode relabelled{kGtin, "S1", "L1", ""};
  relabelled.digsig = *crypto::SignUnit(*ring_, relabelled);
  relabelled.lot = "L9";
  absl::StatusOr<v1::VerifyResponse> r =
      Verify(*gs1::FormatDigitalLink("id.example.com", relabelled));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->verdict(), v1::VERDICT_MISMATCH);
  EXPECT_THAT(r->reasons(), ElementsAre("lot_mismatch"));
  EXPECT_EQ(r->lot(), "L1");
  // Registry down during that look: the code stays counterfeit, not an error.
  registry_.SetFailure(absl::UnavailableError("redis down"));
  absl::StatusOr<v1::VerifyResponse> down = Verify(Code("S1", "L1", /*tamper=*/true));
  ASSERT_THAT(down, IsOk());
  EXPECT_EQ(down->verdict(), v1::VERDICT_COUNTERFEIT);
}

// Looks at codes whose signature failed have a budget of their own: past it, no look.
TEST_F(VerificationEngineTest, LooksAtFailedCodesAreRateLimited) {
  auth::RateLimiter limiter;
  VerificationOptions o;
  o.limiter = &limiter;
  o.altered_looks = {0.001, 1};
  VerificationEngine engine(&registry_, &pool_, checker_.get(), o);
  Register("S1");
  const std::string forged = Code("S1", "L1", /*tamper=*/true);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Verify(forged, Caller(admin::ROLE_VERIFIER, "App"), &engine)->verdict(),
              v1::VERDICT_COUNTERFEIT);
  }
  EXPECT_EQ(registry_.verify_calls(), 1) << "one look, then none";
}

TEST_F(VerificationEngineTest, AForgedExpiryOnAGenuineCodeIsAMismatchNamingTheField) {
  registry::VerifyRecord rec;
  rec.unit.expiry = "261231";
  Register("D1", rec);
  // Genuine: signed and printed with the registered date.
  absl::StatusOr<v1::VerifyResponse> ok = Verify(DatedCode("D1", "261231", "261231"));
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(ok->expiry_date(), "261231");
  // Forged: the printed date is not the signed one, the registry's is.
  absl::StatusOr<v1::VerifyResponse> forged = Verify(DatedCode("D1", "261231", "281231"));
  ASSERT_THAT(forged, IsOk());
  EXPECT_EQ(forged->verdict(), v1::VERDICT_MISMATCH);
  EXPECT_THAT(forged->reasons(), ElementsAre("expiry_date_mismatch"));
  EXPECT_EQ(forged->expiry_date(), "261231") << "the answer gives the registry's date";
  EXPECT_EQ(forged->scan_count(), 1u) << "the altered label's scan is not counted";
  // Scanned genuine before: the verified-code cache does not vouch for the stripped code.
  // Stripped: the date removed from a code signed with it.
  absl::StatusOr<v1::VerifyResponse> stripped = Verify(DatedCode("D1", "261231", ""));
  ASSERT_THAT(stripped, IsOk());
  EXPECT_EQ(stripped->verdict(), v1::VERDICT_MISMATCH);
  EXPECT_THAT(stripped->reasons(), ElementsAre("expiry_date_mismatch"));
  // Printed as signed, but the lot's date was corrected since: the registry's date wins.
  absl::StatusOr<v1::VerifyResponse> outdated = Verify(DatedCode("D1", "261130", "261130"));
  ASSERT_THAT(outdated, IsOk());
  EXPECT_EQ(outdated->verdict(), v1::VERDICT_MISMATCH);
  EXPECT_THAT(outdated->reasons(), ElementsAre("expiry_date_mismatch"));
  // Signed before the lot had a date: nothing printed contradicts the registry.
  absl::StatusOr<v1::VerifyResponse> older = Verify(Code("D1"));
  ASSERT_THAT(older, IsOk());
  EXPECT_EQ(older->verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(older->expiry_date(), "261231");
}

TEST_F(VerificationEngineTest, AUnitPastItsExpiryIsReportedExpiredWithItsVerdictUnchanged) {
  registry::VerifyRecord old;
  old.unit.expiry = "200100";
  Register("OLD", old);
  absl::StatusOr<v1::VerifyResponse> r = Verify(DatedCode("OLD", "200100", "200100"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_TRUE(r->expired());
  EXPECT_THAT(r->reasons(), ElementsAre("expired"));
  // A future date, and a unit without one, are not expired.
  registry::VerifyRecord fresh;
  fresh.unit.expiry = "491231";
  Register("NEW", fresh);
  EXPECT_FALSE(Verify(DatedCode("NEW", "491231", "491231"))->expired());
  Register("NONE");
  EXPECT_FALSE(Verify(Code("NONE"))->expired());
  // Not registered: the signed printed date decides.
  absl::StatusOr<v1::VerifyResponse> unknown = Verify(DatedCode("GONE", "200100", "200100"));
  EXPECT_EQ(unknown->verdict(), v1::VERDICT_NOT_REGISTERED);
  EXPECT_TRUE(unknown->expired());
}

TEST(VerdictTest, ExpiryCountsTheWholeDayAndDdZeroIsTheMonthsLastDay) {
  EXPECT_FALSE(Expired("261231", absl::CivilDay(2026, 12, 31)));
  EXPECT_TRUE(Expired("261231", absl::CivilDay(2027, 1, 1)));
  EXPECT_FALSE(Expired("260200", absl::CivilDay(2026, 2, 28)));
  EXPECT_TRUE(Expired("260200", absl::CivilDay(2026, 3, 1)));
  EXPECT_FALSE(Expired("280200", absl::CivilDay(2028, 2, 29)));
  EXPECT_FALSE(Expired("", absl::CivilDay(2099, 1, 1)));
}

TEST_F(VerificationEngineTest, StolenRecalledAndClonedUnitsAreDecidedFromTheRecord) {
  registry::VerifyRecord stolen;
  stolen.stolen = registry::StolenFlag{"o:Metropolitan Police|LE-7", "Metropolitan Police", 1, "p"};
  Register("STOLEN", stolen);
  registry::VerifyRecord recalled;
  recalled.recalled = true;
  Register("RECALLED", recalled);
  registry::VerifyRecord cloned;
  cloned.clone_evidence = 7;  // above 2 x 3: distinct locations of independent callers
  Register("CLONED", cloned);

  EXPECT_EQ(Verify(Code("STOLEN"))->verdict(), v1::VERDICT_STOLEN);
  EXPECT_EQ(Verify(Code("RECALLED"))->verdict(), v1::VERDICT_RECALLED);
  absl::StatusOr<v1::VerifyResponse> clone = Verify(Code("CLONED"));
  ASSERT_THAT(clone, IsOk());
  EXPECT_EQ(clone->verdict(), v1::VERDICT_SUSPECT_CLONE);
  EXPECT_THAT(clone->reasons(), Contains("clone_distinct_locations"));
  // A lot that differs from the registered one is a mismatch, not authentic.
  EXPECT_EQ(Verify(Code("RECALLED", "L2"))->verdict(), v1::VERDICT_MISMATCH);
}

TEST_F(VerificationEngineTest, AStolenCaseIsShownOnlyToTheOrganisationThatOwnsIt) {
  registry::VerifyRecord stolen;
  stolen.stolen = registry::StolenFlag{"o:Metropolitan Police|LE-7", "Metropolitan Police", 1, "p"};
  Register("STOLEN", stolen);
  absl::StatusOr<v1::VerifyResponse> owner =
      Verify(Code("STOLEN"), Caller(admin::ROLE_LAW_ENFORCEMENT, "Metropolitan Police"));
  ASSERT_THAT(owner, IsOk());
  EXPECT_EQ(owner->stolen_case_id(), "LE-7");
  for (const auth::Principal& other :
       {Caller(admin::ROLE_VERIFIER, "App"), Caller(admin::ROLE_LAW_ENFORCEMENT, "Other Force"),
        Caller(admin::ROLE_RETAILER, "Shop One")}) {
    absl::StatusOr<v1::VerifyResponse> r = Verify(Code("STOLEN"), other);
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->verdict(), v1::VERDICT_STOLEN);
    EXPECT_EQ(r->stolen_case_id(), "") << other.organisation();
  }
}

TEST_F(VerificationEngineTest, ARegistryThatCannotAnswerIsAnErrorNotAVerdict) {
  Register("S1");
  registry_.SetFailure(absl::UnavailableError("redis: connection lost"));
  EXPECT_THAT(Verify(Code("S1")), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace hallmark::verification
