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
#include "hallmark/v1/stolen_registry.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
namespace t = ::hallmark::testing;

class StolenRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto h = t::ServerHarness::Start();
    ASSERT_THAT(h, IsOk());
    h_ = *std::move(h);
    stolen_ = v1::StolenRegistry::NewStub(h_->channel());
    verify_ = v1::Verification::NewStub(h_->channel());
    v1::IssueSerialsRequest r;
    r.set_gtin(t::kBrandGtin);
    r.set_count(10);
    r.set_request_id("stolen-setup");
    v1::IssueSerialsResponse resp;
    ASSERT_TRUE(v1::Issuance::NewStub(h_->channel())
                    ->IssueSerials(h_->Context(t::kIssuer).get(), r, &resp)
                    .ok());
    units_.assign(resp.units().begin(), resp.units().end());
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

  std::unique_ptr<t::ServerHarness> h_;
  std::unique_ptr<v1::StolenRegistry::Stub> stolen_;
  std::unique_ptr<v1::Verification::Stub> verify_;
  std::vector<v1::IssuedUnit> units_;
};

TEST_F(StolenRegistryTest, ReportedUnitIsStolenForEveryRoleWithCaseIdOnlyWhereAllowed) {
  v1::ReportStolenResponse resp;
  ASSERT_TRUE(Report(t::kPolice, "LE-2026/417", {Unit(0), Unit(1)}, &resp).ok());
  ASSERT_EQ(resp.results_size(), 2);
  for (const auto& r : resp.results()) EXPECT_EQ(r.outcome(), v1::UNIT_OUTCOME_OK);

  const std::map<std::string, bool> sees_case = {{t::kPolice, true}, {t::kIssuer, true},
                                                 {t::kForeignIssuer, false}, {t::kRetailer, false},
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

TEST_F(StolenRegistryTest, CheckStolenAnswersInOrderAndHidesCasesFromRetailers) {
  v1::ReportStolenResponse resp;
  ASSERT_TRUE(Report(t::kIssuer, "BRAND-7", {Unit(2)}, &resp).ok());  // the brand itself
  v1::CheckStolenRequest check;
  *check.add_units() = Unit(1);
  *check.add_units() = Unit(2);
  v1::UnitId unknown;
  unknown.set_gtin(t::kBrandGtin);
  unknown.set_serial("NOSUCHUNIT");
  *check.add_units() = unknown;
  for (const char* who : {t::kPolice, t::kRetailer, t::kIssuer}) {
    v1::CheckStolenResponse out;
    ASSERT_TRUE(stolen_->CheckStolen(h_->Context(who).get(), check, &out).ok()) << who;
    ASSERT_EQ(out.statuses_size(), 3);
    EXPECT_TRUE(out.statuses(0).registered());
    EXPECT_FALSE(out.statuses(0).stolen());
    EXPECT_TRUE(out.statuses(1).stolen());
    EXPECT_EQ(out.statuses(1).unit().serial(), Unit(2).serial());
    EXPECT_GT(out.statuses(1).reported_at().seconds(), 0);
    const bool retailer = std::string(who) == t::kRetailer;
    EXPECT_EQ(out.statuses(1).case_id(), retailer ? "" : "BRAND-7") << who;
    EXPECT_EQ(out.statuses(1).agency(), retailer ? "" : "Metropolitan Police") << who;
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

// A case belongs to the organisation of the principal that opened it. Knowing the case id
// (Verify and CheckStolen show it) is not enough to clear its flags or add to it, whatever
// agency name the request gives.
TEST_F(StolenRegistryTest, OnlyTheCasesOwnOrganisationClearsOrExtendsIt) {
  v1::ReportStolenResponse r;
  ASSERT_TRUE(Report(t::kPolice, "CASE-O", {Unit(6), Unit(7)}, &r).ok());
  v1::ClearStolenResponse c;
  grpc::Status s = Clear(t::kIssuer, "CASE-O", {Unit(6)}, &c);  // the brand: another owner
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("case_id: belongs to another agency"));
  s = Clear(t::kIssuer, "CASE-O", {}, &c);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  s = Report(t::kIssuer, "CASE-O", {Unit(8)}, &r);  // same agency name, another organisation
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("belongs to another agency"));
  EXPECT_THAT(s.error_message(), Not(HasSubstr("Metropolitan")));
  s = Report(t::kPolice, "CASE-O", {Unit(8)}, &r, "Another Force");  // the owner, other name
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  for (int i : {6, 7}) EXPECT_EQ(Verify(i, t::kVerifier).verdict(), v1::VERDICT_STOLEN) << i;
  EXPECT_EQ(Verify(8, t::kVerifier).verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(Case("CASE-O").history_size(), 2);
  // An unknown case is NOT_FOUND for clearing by units too.
  EXPECT_EQ(Clear(t::kPolice, "NO-CASE", {Unit(6)}, &c).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Clear(t::kPolice, "CASE-O", {Unit(6)}, &c).ok());
  EXPECT_EQ(Verify(6, t::kVerifier).verdict(), v1::VERDICT_AUTHENTIC);
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
