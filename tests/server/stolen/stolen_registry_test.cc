// The stolen registry end to end: report, verify, clear, cases and their audit history.
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/lifecycle.grpc.pb.h"
#include "hallmark/v1/stolen_registry.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "tests/common/harness_test.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
namespace t = ::hallmark::testing;

class StolenRegistryTest : public t::HarnessTest {
 protected:
  void SetUp() override {
    HarnessTest::SetUp();
    units_ = IssueUnits(10, "stolen-setup");
    ASSERT_EQ(units_.size(), 10u);
  }

  v1::UnitId Unit(int i) const { return units_[i].unit(); }

  grpc::Status Report(const std::string& who, const std::string& case_id,
                      const std::vector<v1::UnitId>& units, v1::ReportStolenResponse* out,
                      const std::string& agency = "Metropolitan Police") {
    v1::ReportStolenRequest r;
    r.set_case_id(case_id);
    r.set_agency(agency);
    r.set_note("truck hijacked on A1");
    for (const auto& u : units) *r.add_units() = u;
    return stolen_->ReportStolen(h_->Context(who).get(), r, out);
  }

  grpc::Status Clear(const std::string& who, const std::string& case_id,
                     const std::vector<v1::UnitId>& units, v1::ClearStolenResponse* out) {
    v1::ClearStolenRequest r;
    r.set_case_id(case_id);
    r.set_note("recovered");
    for (const auto& u : units) *r.add_units() = u;
    return stolen_->ClearStolen(h_->Context(who).get(), r, out);
  }

  v1::VerifyResponse Verify(int i, const std::string& who) {
    v1::VerifyRequest r;
    r.set_code(units_[i].digital_link());
    v1::VerifyResponse resp;
    EXPECT_TRUE(verify_->Verify(h_->Context(who).get(), r, &resp).ok());
    return resp;
  }

  v1::StolenCase Case(const std::string& case_id) {
    v1::GetCaseRequest r;
    r.set_case_id(case_id);
    v1::StolenCase c;
    EXPECT_TRUE(stolen_->GetCase(h_->Context(t::kPolice).get(), r, &c).ok());
    return c;
  }

  std::vector<v1::IssuedUnit> units_;
};

TEST_F(StolenRegistryTest, ReportedUnitIsStolenForEveryRoleWithCaseIdOnlyWhereAllowed) {
  v1::ReportStolenResponse resp;
  ASSERT_TRUE(Report(t::kPolice, "LE-2026/417", {Unit(0), Unit(1)}, &resp).ok());
  ASSERT_EQ(resp.results_size(), 2);
  for (const auto& r : resp.results()) EXPECT_EQ(r.outcome(), v1::UNIT_OUTCOME_OK);

  // Only the organisation that owns the case sees its id (the brand and other forces see that
  // the unit is stolen, not whose case it is).
  const std::map<std::string, bool> sees_case = {
      {t::kPolice, true},         {t::kLimitedPolice, true}, {t::kOtherPolice, false},
      {t::kIssuer, false},        {t::kForeignIssuer, false}, {t::kRetailer, false},
      {t::kVerifier, false}};
  for (const auto& [who, sees] : sees_case) {
    const v1::VerifyResponse v = Verify(0, who);
    EXPECT_EQ(v.verdict(), v1::VERDICT_STOLEN) << who;
    EXPECT_EQ(v.stolen_case_id(), sees ? "LE-2026/417" : "") << who;
  }
  EXPECT_EQ(Verify(2, t::kVerifier).verdict(), v1::VERDICT_AUTHENTIC);

  v1::ClearStolenResponse cleared;
  ASSERT_TRUE(Clear(t::kPolice, "LE-2026/417", {Unit(0)}, &cleared).ok());
  EXPECT_EQ(cleared.results(0).outcome(), v1::UNIT_OUTCOME_OK);
  EXPECT_EQ(Verify(0, t::kVerifier).verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(Verify(1, t::kVerifier).verdict(), v1::VERDICT_STOLEN);
}

TEST_F(StolenRegistryTest, OutcomesPerUnit) {
  v1::ReportStolenResponse first, again, other;
  v1::UnitId unknown;
  unknown.set_gtin(t::kBrandGtin);
  unknown.set_serial("NOSUCHUNIT");
  ASSERT_TRUE(Report(t::kPolice, "C-1", {Unit(0), unknown}, &first).ok());
  EXPECT_EQ(first.results(0).outcome(), v1::UNIT_OUTCOME_OK);
  EXPECT_EQ(first.results(1).outcome(), v1::UNIT_OUTCOME_NOT_FOUND);
  // Re-reporting under the same case is idempotent: OK, and no second audit event.
  ASSERT_TRUE(Report(t::kPolice, "C-1", {Unit(0)}, &again).ok());
  EXPECT_EQ(again.results(0).outcome(), v1::UNIT_OUTCOME_OK);
  EXPECT_EQ(Case("C-1").history_size(), 1);
  // Another case: conflict.
  ASSERT_TRUE(Report(t::kPolice, "C-2", {Unit(0), Unit(1)}, &other).ok());
  EXPECT_EQ(other.results(0).outcome(), v1::UNIT_OUTCOME_CONFLICT);
  EXPECT_EQ(other.results(1).outcome(), v1::UNIT_OUTCOME_OK);
  // Clearing a unit that is not in the case: conflict.
  v1::ClearStolenResponse cleared;
  ASSERT_TRUE(Clear(t::kPolice, "C-2", {Unit(0), Unit(2), unknown}, &cleared).ok());
  EXPECT_EQ(cleared.results(0).outcome(), v1::UNIT_OUTCOME_CONFLICT);
  EXPECT_EQ(cleared.results(1).outcome(), v1::UNIT_OUTCOME_CONFLICT);
  EXPECT_EQ(cleared.results(2).outcome(), v1::UNIT_OUTCOME_NOT_FOUND);
  // A case id belongs to the agency that opened it.
  v1::ReportStolenResponse foreign;
  grpc::Status s = Report(t::kPolice, "C-1", {Unit(3)}, &foreign, "Other Agency");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(StolenRegistryTest, CheckStolenAnswersInOrderAndShowsCasesOnlyToTheirOwners) {
  v1::ReportStolenResponse resp;
  ASSERT_TRUE(Report(t::kIssuer, "BRAND-7", {Unit(2)}, &resp).ok());  // the brand itself
  v1::CheckStolenRequest check;
  *check.add_units() = Unit(1);
  *check.add_units() = Unit(2);
  v1::UnitId unknown;
  unknown.set_gtin(t::kBrandGtin);
  unknown.set_serial("NOSUCHUNIT");
  *check.add_units() = unknown;
  for (const char* who : {t::kPolice, t::kRetailer, t::kIssuer, t::kIssuer2}) {
    v1::CheckStolenResponse out;
    ASSERT_TRUE(stolen_->CheckStolen(h_->Context(who).get(), check, &out).ok()) << who;
    ASSERT_EQ(out.statuses_size(), 3);
    EXPECT_TRUE(out.statuses(0).registered());
    EXPECT_FALSE(out.statuses(0).stolen());
    EXPECT_TRUE(out.statuses(1).stolen());
    EXPECT_EQ(out.statuses(1).unit().serial(), Unit(2).serial());
    EXPECT_GT(out.statuses(1).reported_at().seconds(), 0);
    // The brand's own case: both of its issuers (organisation ACME) see it, nobody else.
    const bool owner = std::string(who) == t::kIssuer || std::string(who) == t::kIssuer2;
    EXPECT_EQ(out.statuses(1).case_id(), owner ? "BRAND-7" : "") << who;
    EXPECT_EQ(out.statuses(1).agency(), owner ? "Metropolitan Police" : "") << who;
    EXPECT_FALSE(out.statuses(2).registered());
  }
}

TEST_F(StolenRegistryTest, GetCaseReturnsUnitsAndTheCompleteOrderedHistory) {
  v1::ReportStolenResponse r;
  v1::ClearStolenResponse c;
  ASSERT_TRUE(Report(t::kPolice, "CASE-H", {Unit(0), Unit(1), Unit(2)}, &r).ok());
  ASSERT_TRUE(Clear(t::kPolice, "CASE-H", {Unit(1)}, &c).ok());
  ASSERT_TRUE(Report(t::kPolice, "CASE-H", {Unit(1)}, &r).ok());
  const v1::StolenCase sc = Case("CASE-H");
  EXPECT_EQ(sc.agency(), "Metropolitan Police");
  EXPECT_EQ(sc.units_size(), 3);
  ASSERT_EQ(sc.history_size(), 5);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"report_stolen", t::kPolice}, {"report_stolen", t::kPolice}, {"report_stolen", t::kPolice},
      {"clear_stolen", t::kPolice}, {"report_stolen", t::kPolice}};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(sc.history(i).action(), want[i].first) << i;
    EXPECT_EQ(sc.history(i).principal(), want[i].second) << i;
    EXPECT_GT(sc.history(i).at().seconds(), 0);
  }
  EXPECT_EQ(sc.history(3).unit().serial(), Unit(1).serial());
  EXPECT_EQ(sc.history(3).detail(), "recovered");

  // Recovering the whole case clears every unit and logs each.
  v1::ClearStolenResponse all;
  ASSERT_TRUE(Clear(t::kPolice, "CASE-H", {}, &all).ok());
  EXPECT_EQ(all.results_size(), 3);
  for (const auto& res : all.results()) EXPECT_EQ(res.outcome(), v1::UNIT_OUTCOME_OK);
  const v1::StolenCase after = Case("CASE-H");
  EXPECT_EQ(after.units_size(), 0);
  EXPECT_EQ(after.history_size(), 8);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Verify(i, t::kVerifier).verdict(), v1::VERDICT_AUTHENTIC);

  v1::GetCaseRequest missing;
  missing.set_case_id("NO-SUCH-CASE");
  v1::StolenCase none;
  EXPECT_EQ(stolen_->GetCase(h_->Context(t::kPolice).get(), missing, &none).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// A case belongs to the organisation of the principal that opened it, and its id is scoped
// to that organisation: another organisation using the same id has a case of its own, cannot
// clear, extend or read this one, and learns nothing about it.
TEST_F(StolenRegistryTest, OnlyTheCasesOwnOrganisationClearsOrExtendsIt) {
  v1::ReportStolenResponse r;
  ASSERT_TRUE(Report(t::kPolice, "CASE-O", {Unit(6), Unit(7)}, &r).ok());
  v1::ClearStolenResponse c;
  grpc::Status s = Clear(t::kIssuer, "CASE-O", {Unit(6)}, &c);  // the brand: another owner
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("no case 'CASE-O'"));  // as for a case never opened
  s = Clear(t::kIssuer, "CASE-O", {}, &c);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  s = Clear(t::kOtherPolice, "CASE-O", {Unit(6)}, &c);  // another force
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  // The brand's own "CASE-O" is another case; it cannot touch units flagged under the police's.
  ASSERT_TRUE(Report(t::kIssuer, "CASE-O", {Unit(7), Unit(8)}, &r).ok());
  EXPECT_EQ(r.results(0).outcome(), v1::UNIT_OUTCOME_CONFLICT);  // flagged under another case
  EXPECT_EQ(r.results(1).outcome(), v1::UNIT_OUTCOME_OK);
  s = Report(t::kPolice, "CASE-O", {Unit(9)}, &r, "Another Force");  // the owner, other name
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  for (int i : {6, 7, 8}) EXPECT_EQ(Verify(i, t::kVerifier).verdict(), v1::VERDICT_STOLEN) << i;
  EXPECT_EQ(Verify(9, t::kVerifier).verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(Case("CASE-O").history_size(), 2);  // the police's case: its own two reports
  // An unknown case is NOT_FOUND for clearing by units too.
  EXPECT_EQ(Clear(t::kPolice, "NO-CASE", {Unit(6)}, &c).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Clear(t::kPolice, "CASE-O", {Unit(6)}, &c).ok());
  EXPECT_EQ(Verify(6, t::kVerifier).verdict(), v1::VERDICT_AUTHENTIC);
}

// Observed: another force's GetCase returned the whole case (units, agency, officers, notes).
TEST_F(StolenRegistryTest, AnotherOrganisationsCaseReadsLikeNoCase) {
  v1::ReportStolenResponse r;
  ASSERT_TRUE(Report(t::kPolice, "LE-2026/900", {Unit(3)}, &r).ok());
  v1::GetCaseRequest req;
  req.set_case_id("LE-2026/900");
  v1::StolenCase other, none;
  const grpc::Status theirs = stolen_->GetCase(h_->Context(t::kOtherPolice).get(), req, &other);
  req.set_case_id("LE-2026/901");
  const grpc::Status missing = stolen_->GetCase(h_->Context(t::kOtherPolice).get(), req, &none);
  EXPECT_EQ(theirs.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(other.units_size(), 0);
  EXPECT_EQ(Case("LE-2026/900").units_size(), 1);  // the owner still reads it
}

// Observed: an issuer "reported" POLICE-2027-0001 with a serial that does not exist, got OK,
// and the police then could not use their own case id.
TEST_F(StolenRegistryTest, AReportThatFlagsNothingOpensNoCaseAndIdsCannotBeSquatted) {
  v1::UnitId ghost;
  ghost.set_gtin(t::kBrandGtin);
  ghost.set_serial("NOSUCHSERIAL");
  v1::ReportStolenResponse r;
  ASSERT_TRUE(Report(t::kIssuer, "POLICE-2027-0001", {ghost}, &r).ok());
  EXPECT_EQ(r.results(0).outcome(), v1::UNIT_OUTCOME_NOT_FOUND);
  v1::GetCaseRequest req;
  req.set_case_id("POLICE-2027-0001");
  v1::StolenCase sc;
  EXPECT_EQ(stolen_->GetCase(h_->Context(t::kIssuer).get(), req, &sc).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // GetCase is for law enforcement
  ASSERT_TRUE(Report(t::kPolice, "POLICE-2027-0001", {Unit(4)}, &r).ok());
  EXPECT_EQ(r.results(0).outcome(), v1::UNIT_OUTCOME_OK);
  EXPECT_EQ(Case("POLICE-2027-0001").units_size(), 1);
  // A force's report of only unknown serials leaves no case behind either.
  ASSERT_TRUE(Report(t::kOtherPolice, "EMPTY-1", {ghost}, &r).ok());
  req.set_case_id("EMPTY-1");
  EXPECT_EQ(stolen_->GetCase(h_->Context(t::kOtherPolice).get(), req, &sc).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// Cases opened before ids were scoped (unscoped ids, the organisation name as owner) are still
// found, read and cleared by their organisation, and by nobody else.
TEST_F(StolenRegistryTest, CasesOpenedBeforeScopingStillBelongToTheirOrganisation) {
  const std::string meta = absl::StrCat("hm:{", t::kBrandGtin, "}");
  ASSERT_THAT(h_->redis().Command({"FCALL", "hm_case_open", "2", "hc:{OLD-1}", "hc:{OLD-1}:fence",
                                   "Metropolitan Police", "Police", "1700000000",
                                   t::kBrandGtin}),
              IsOk());
  ASSERT_THAT(h_->redis().Command({"FCALL", "hm_report_stolen", "2", meta, meta + ":fence",
                                   "OLD-1", "Metropolitan Police", t::kPolice, "old",
                                   "1700000000", Unit(2).serial()}),
              IsOk());
  EXPECT_EQ(Verify(2, t::kVerifier).verdict(), v1::VERDICT_STOLEN);
  v1::ClearStolenResponse c;
  EXPECT_EQ(Clear(t::kOtherPolice, "OLD-1", {Unit(2)}, &c).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Case("OLD-1").units_size(), 1);
  // Reporting under the old id extends the old case (a scoped twin would hide it).
  v1::ReportStolenResponse r;
  ASSERT_TRUE(Report(t::kPolice, "OLD-1", {Unit(3)}, &r).ok());
  EXPECT_EQ(r.results(0).outcome(), v1::UNIT_OUTCOME_OK);
  EXPECT_EQ(Case("OLD-1").units_size(), 2);
  ASSERT_TRUE(Clear(t::kPolice, "OLD-1", {Unit(3)}, &c).ok());
  ASSERT_TRUE(Clear(t::kPolice, "OLD-1", {Unit(2)}, &c).ok());
  EXPECT_EQ(c.results(0).outcome(), v1::UNIT_OUTCOME_OK);
  EXPECT_EQ(Verify(2, t::kVerifier).verdict(), v1::VERDICT_AUTHENTIC);
}

// Observed: 500 report/clear cycles on a unit (about 10 s) pushed its history past the cap of
// 1,000 events, and from then on the retailer's SOLD and the brand's DECOMMISSIONED failed
// RESOURCE_EXHAUSTED, permanently. Police events are now bounded on their own.
TEST_F(StolenRegistryTest, ReportClearCyclesCannotBrickAUnitsHistory) {
  v1::ReportStolenResponse r;
  v1::ClearStolenResponse c;
  for (int i = 0; i < 520; ++i) {
    ASSERT_TRUE(Report(t::kPolice, "CYCLE", {Unit(1)}, &r).ok()) << i;
    ASSERT_TRUE(Clear(t::kPolice, "CYCLE", {Unit(1)}, &c).ok()) << i;
  }
  auto lifecycle = v1::Lifecycle::NewStub(h_->channel());
  v1::RecordEventRequest shipped;
  *shipped.mutable_unit() = Unit(1);
  shipped.set_action(v1::LIFECYCLE_ACTION_SHIPPED);
  shipped.set_request_id("after-cycles");
  v1::UnitRecord rec;
  const grpc::Status s = lifecycle->RecordEvent(h_->Context(t::kIssuer).get(), shipped, &rec);
  EXPECT_TRUE(s.ok()) << s.error_message();
  // Every report and clear is still in the case's audit trail.
  EXPECT_EQ(Case("CYCLE").history_size(), 1040);
  v1::GetHistoryRequest req;
  *req.mutable_unit() = Unit(1);
  v1::UnitHistory h;
  ASSERT_TRUE(lifecycle->GetHistory(h_->Context(t::kPolice).get(), req, &h).ok());
  EXPECT_LE(h.events_size(), 1 + 100 + 1);  // commissioned, at most 100 police events, shipped
  EXPECT_EQ(h.events(h.events_size() - 1).action(), "shipped");
}

// What a brand sees of police activity on its units: that a unit was reported stolen or
// cleared, and when; not the case, the agency, the officer or the notes.
TEST_F(StolenRegistryTest, TheBrandsHistoryShowsPoliceActivityWithoutDetails) {
  v1::ReportStolenResponse r;
  ASSERT_TRUE(Report(t::kPolice, "LE-SECRET", {Unit(5)}, &r).ok());
  auto lifecycle = v1::Lifecycle::NewStub(h_->channel());
  auto history = [&](const std::string& who) {
    v1::GetHistoryRequest req;
    *req.mutable_unit() = Unit(5);
    v1::UnitHistory h;
    EXPECT_TRUE(lifecycle->GetHistory(h_->Context(who).get(), req, &h).ok()) << who;
    for (const v1::AuditEvent& e : h.events()) {
      if (e.action() == "report_stolen") return e;
    }
    return v1::AuditEvent();
  };
  const v1::AuditEvent brand = history(t::kIssuer);
  EXPECT_EQ(brand.action(), "report_stolen");
  EXPECT_GT(brand.at().seconds(), 0);
  EXPECT_EQ(brand.principal(), "");
  EXPECT_EQ(brand.organisation(), "");
  EXPECT_EQ(brand.reference(), "");
  EXPECT_EQ(brand.detail(), "");
  const v1::AuditEvent other_force = history(t::kOtherPolice);
  EXPECT_EQ(other_force.reference(), "");
  const v1::AuditEvent owner = history(t::kPolice);
  EXPECT_EQ(owner.principal(), t::kPolice);
  EXPECT_EQ(owner.organisation(), "Metropolitan Police");
  EXPECT_EQ(owner.reference(), "LE-SECRET");
  EXPECT_EQ(owner.detail(), "truck hijacked on A1");
}

// Reports and clears cost one rate-limit token per unit, like every batch: a budget of 5 is
// spent by one report of 6 units.
TEST_F(StolenRegistryTest, ReportsPayPerUnit) {
  v1::ReportStolenResponse r;
  ASSERT_TRUE(Report(t::kLimitedPolice, "BUDGET",
                     {Unit(0), Unit(1), Unit(2), Unit(3), Unit(4), Unit(5)}, &r)
                  .ok());
  grpc::Status s = Report(t::kLimitedPolice, "BUDGET", {Unit(6)}, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_EQ(Verify(6, t::kVerifier).verdict(), v1::VERDICT_AUTHENTIC);
}

TEST_F(StolenRegistryTest, ConcurrentReportAndClearLeaveFlagAndAuditConsistent) {
  v1::ReportStolenResponse opened;  // the case exists before anyone clears under it
  ASSERT_TRUE(Report(t::kPolice, "RACE", {Unit(5)}, &opened).ok());
  std::thread reporter([&] {
    for (int i = 0; i < 40; ++i) {
      v1::ReportStolenResponse r;
      ASSERT_TRUE(Report(t::kPolice, "RACE", {Unit(5)}, &r).ok());
    }
  });
  std::thread clearer([&] {
    for (int i = 0; i < 40; ++i) {
      v1::ClearStolenResponse c;
      ASSERT_TRUE(Clear(t::kPolice, "RACE", {Unit(5)}, &c).ok());
    }
  });
  reporter.join();
  clearer.join();
  const v1::StolenCase sc = Case("RACE");
  // The audit log alternates (only real changes are logged) and ends in the current state.
  ASSERT_GT(sc.history_size(), 0);
  for (int i = 0; i < sc.history_size(); ++i) {
    EXPECT_EQ(sc.history(i).action(), i % 2 == 0 ? "report_stolen" : "clear_stolen") << i;
  }
  const bool flagged = sc.history(sc.history_size() - 1).action() == "report_stolen";
  EXPECT_EQ(sc.units_size(), flagged ? 1 : 0);
  EXPECT_EQ(Verify(5, t::kVerifier).verdict(),
            flagged ? v1::VERDICT_STOLEN : v1::VERDICT_AUTHENTIC);
}

TEST_F(StolenRegistryTest, BadInputIsRejectedAndWritesNothing) {
  v1::ReportStolenResponse r;
  v1::UnitId bad;
  bad.set_gtin("9506000134353");
  bad.set_serial("X");
  grpc::Status s = Report(t::kPolice, "C-BAD", {Unit(0), bad}, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("units[1].gtin"));
  s = Report(t::kPolice, "", {Unit(0)}, &r);
  EXPECT_THAT(s.error_message(), HasSubstr("case_id"));
  s = Report(t::kPolice, "C-BAD", {}, &r);
  EXPECT_THAT(s.error_message(), HasSubstr("units: must have 1..1000"));
  s = Report(t::kPolice, "C-BAD", {Unit(0)}, &r, "");
  EXPECT_THAT(s.error_message(), HasSubstr("agency"));
  // An issuer may not touch other brands' units.
  v1::UnitId foreign;
  foreign.set_gtin(t::kForeignGtin);
  foreign.set_serial("X");
  s = Report(t::kIssuer, "C-BAD", {Unit(0), foreign}, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Verify(0, t::kVerifier).verdict(), v1::VERDICT_AUTHENTIC);  // nothing was flagged
}

}  // namespace
}  // namespace hallmark
