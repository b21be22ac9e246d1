// Regulated goods end to end, through a real server and a real Redis: a lot's expiry and
// production dates issued (unary, stream, import), signed and printed; Verify comparing them
// with the registry (a forged, stripped or outdated date is MISMATCH naming the field), the
// expired flag; the lot's dates fixed by its first batch; corrections with their audit event;
// validation that writes nothing; and access per role.
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gs1/unit_code.h"
#include "gtest/gtest.h"
#include "tests/common/harness_test.h"

namespace hallmark {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace t = ::hallmark::testing;

class RegulatedTest : public t::HarnessTest {
 protected:
  v1::IssueSerialsRequest Request(const std::string& request_id, const std::string& lot,
                                  const std::string& expiry, const std::string& production,
                                  uint32_t count = 3) {
    v1::IssueSerialsRequest r;
    r.set_gtin(t::kBrandGtin);
    r.set_lot(lot);
    r.set_expiry_date(expiry);
    r.set_production_date(production);
    r.set_count(count);
    r.set_request_id(request_id);
    return r;
  }

  grpc::Status Issue(const v1::IssueSerialsRequest& r, std::vector<v1::IssuedUnit>* out,
                     const std::string& who = t::kIssuer) {
    v1::IssueSerialsResponse resp;
    grpc::Status s = issuance_->IssueSerials(h_->Context(who).get(), r, &resp);
    if (out != nullptr) out->assign(resp.units().begin(), resp.units().end());
    return s;
  }

  v1::VerifyResponse Verify(const std::string& code, const std::string& who = t::kVerifier) {
    v1::VerifyRequest r;
    r.set_code(code);
    v1::VerifyResponse resp;
    grpc::Status s = verify_->Verify(h_->Context(who).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status Correct(const std::string& lot, const std::string& expiry,
                       const std::string& production, const std::string& request_id,
                       v1::CorrectLotDatesResponse* out, const std::string& who = t::kIssuer,
                       const std::string& gtin = t::kBrandGtin) {
    v1::CorrectLotDatesRequest r;
    r.set_gtin(gtin);
    r.set_lot(lot);
    r.set_expiry_date(expiry);
    r.set_production_date(production);
    r.set_reason("stability study extends the shelf life");
    r.set_request_id(request_id);
    return lifecycle_->CorrectLotDates(h_->Context(who).get(), r, out);
  }
};

TEST_F(RegulatedTest, ALotsDatesAreSignedPrintedAndVerified) {
  std::vector<v1::IssuedUnit> units;
  ASSERT_TRUE(Issue(Request("dated-1", "B2611A", "281130", "261115"), &units).ok());
  ASSERT_EQ(units.size(), 3u);
  for (const v1::IssuedUnit& u : units) {
    EXPECT_EQ(u.expiry_date(), "281130");
    EXPECT_EQ(u.production_date(), "261115");
    EXPECT_THAT(u.digital_link(), HasSubstr("?17=281130&11=261115&8030="));
    EXPECT_THAT(u.element_string(), HasSubstr("(01)09506000134352(17)281130(11)261115(21)"));
    for (const std::string& printed : {u.digital_link(), u.element_string()}) {
      const v1::VerifyResponse r = Verify(printed);
      EXPECT_EQ(r.verdict(), v1::VERDICT_AUTHENTIC) << printed;
      EXPECT_TRUE(r.reasons().empty());
      EXPECT_EQ(r.expiry_date(), "281130");
      EXPECT_EQ(r.production_date(), "261115");
      EXPECT_FALSE(r.expired());
    }
    absl::StatusOr<gs1::UnitCode> parsed = gs1::ParseScannedCode(u.digital_link());
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->expiry, "281130");
    EXPECT_EQ(parsed->production, "261115");
  }
  // A retry of the request answers the same units, with their dates.
  std::vector<v1::IssuedUnit> again;
  ASSERT_TRUE(Issue(Request("dated-1", "B2611A", "281130", "261115"), &again).ok());
  EXPECT_EQ(again[0].unit().serial(), units[0].unit().serial());
  EXPECT_EQ(again[0].expiry_date(), "281130");
  // The same request id with another date is another request.
  grpc::Status reused = Issue(Request("dated-1", "B2611A", "281231", "261115"), nullptr);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(reused.error_message(), HasSubstr("expiry_date"));
}

TEST_F(RegulatedTest, AForgedOrStrippedDateOnAGenuineCodeIsAMismatchNamingTheField) {
  std::vector<v1::IssuedUnit> units;
  ASSERT_TRUE(Issue(Request("dated-2", "B7", "281130", "261115"), &units).ok());
  const v1::IssuedUnit& u = units[0];
  // Scanned genuine first: the server's cache of verified codes must not vouch for the same
  // code with its dates altered or stripped.
  ASSERT_EQ(Verify(u.digital_link()).verdict(), v1::VERDICT_AUTHENTIC);
  ASSERT_EQ(Verify(u.element_string()).verdict(), v1::VERDICT_AUTHENTIC);
  const struct {
    std::string code;
    const char* reason;
  } kCases[] = {
      {absl::StrReplaceAll(u.digital_link(), {{"17=281130", "17=291130"}}), "expiry_date_mismatch"},
      {absl::StrReplaceAll(u.element_string(), {{"(17)281130", "(17)291130"}}),
       "expiry_date_mismatch"},
      {absl::StrReplaceAll(u.element_string(), {{"(17)281130", ""}}), "expiry_date_mismatch"},
      {absl::StrReplaceAll(u.digital_link(), {{"17=281130&", ""}}), "expiry_date_mismatch"},
      {absl::StrReplaceAll(u.digital_link(), {{"11=261115", "11=261116"}}),
       "production_date_mismatch"},
  };
  for (const auto& c : kCases) {
    const v1::VerifyResponse r = Verify(c.code);
    EXPECT_EQ(r.verdict(), v1::VERDICT_MISMATCH) << c.code;
    EXPECT_THAT(r.reasons(), ElementsAre(c.reason)) << c.code;
    EXPECT_EQ(r.expiry_date(), "281130") << "the registry's date, not the printed one";
  }
  // Another unit's signature under this unit's fields is no relabel: counterfeit.
  const std::string swapped =
      absl::StrReplaceAll(u.element_string(), {{u.digsig(), units[1].digsig()}});
  EXPECT_EQ(Verify(absl::StrReplaceAll(swapped, {{"(17)281130", "(17)291130"}})).verdict(),
            v1::VERDICT_COUNTERFEIT);
  // The forged scans counted nothing: the genuine code's third scan is its third.
  EXPECT_EQ(Verify(u.digital_link()).scan_count(), 3u);
}

// A code issued before dates existed, printed with the lot's expiry beside it (the usual
// pharmaceutical DataMatrix layout): it still verifies, its printed date is label data.
TEST_F(RegulatedTest, ACodeSignedWithoutDatesKeepsVerifyingWithADatePrintedBesideIt) {
  std::vector<v1::IssuedUnit> units;
  ASSERT_TRUE(Issue(Request("legacy", "LEG", "", ""), &units).ok());
  const std::string es = units[0].element_string();
  const std::string beside = absl::StrReplaceAll(es, {{"(21)", "(17)281130(21)"}});
  v1::VerifyResponse r = Verify(beside);
  EXPECT_EQ(r.verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_THAT(r.reasons(), ElementsAre("dates_not_signed"));
  EXPECT_EQ(r.expiry_date(), "") << "an unsigned date is not the unit's";
  // Nor does an unsigned past date make it expired.
  r = Verify(absl::StrReplaceAll(es, {{"(21)", "(17)200100(21)"}}));
  EXPECT_EQ(r.verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_FALSE(r.expired());
  // Once the lot has a registered date, a printed one must match it.
  v1::CorrectLotDatesResponse resp;
  ASSERT_TRUE(Correct("LEG", "281130", "", "legacy-dates", &resp).ok());
  r = Verify(beside);
  EXPECT_EQ(r.verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(r.expiry_date(), "281130");
  r = Verify(absl::StrReplaceAll(es, {{"(21)", "(17)291130(21)"}}));
  EXPECT_EQ(r.verdict(), v1::VERDICT_MISMATCH);
  EXPECT_THAT(r.reasons(), ElementsAre("expiry_date_mismatch", "dates_not_signed"));
  // The code as first printed, without a date, is as genuine as ever.
  EXPECT_EQ(Verify(es).verdict(), v1::VERDICT_AUTHENTIC);
}

TEST_F(RegulatedTest, AUnitPastItsExpiryIsExpiredWithItsVerdictKept) {
  std::vector<v1::IssuedUnit> units;
  ASSERT_TRUE(Issue(Request("old", "OLD1", "200100", "190115", 1), &units).ok());
  const v1::VerifyResponse r = Verify(units[0].digital_link());
  EXPECT_EQ(r.verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_TRUE(r.expired());
  EXPECT_THAT(r.reasons(), ElementsAre("expired"));
  EXPECT_EQ(r.expiry_date(), "200100");
}

TEST_F(RegulatedTest, BadDatesAreRefusedNamingTheFieldAndWriteNothing) {
  const struct {
    v1::IssueSerialsRequest request;
    const char* message;
  } kCases[] = {
      {Request("bad-1", "L1", "260230", ""), "expiry_date: 2026-02 has no day 30"},
      {Request("bad-2", "L1", "261231", "261313"), "production_date: month 13"},
      {Request("bad-3", "L1", "2612", ""), "expiry_date: a GS1 date is YYMMDD"},
      {Request("bad-4", "L1", "250101", "260101"), "expiry_date: 2025-01-01 is before"},
      {Request("bad-5", "", "261231", ""), "expiry_date: dates belong to a lot"},
  };
  for (const auto& c : kCases) {
    const grpc::Status s = Issue(c.request, nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.message;
    EXPECT_THAT(s.error_message(), HasSubstr(c.message));
  }
  EXPECT_EQ(*h_->RegisteredCount(t::kBrandGtin), 0u);
  // The lot L1 was never claimed: any dates may still start it.
  ASSERT_TRUE(Issue(Request("good", "L1", "270600", ""), nullptr).ok());
}

TEST_F(RegulatedTest, ALotsFirstBatchFixesItsDates) {
  ASSERT_TRUE(Issue(Request("first", "LOTX", "281130", "261115"), nullptr).ok());
  ASSERT_TRUE(Issue(Request("same", "LOTX", "281130", "261115"), nullptr).ok());
  for (const auto& [rid, exp, prod] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"other-exp", "281231", "261115"}, {"no-dates", "", ""}, {"no-prod", "281130", ""}}) {
    const grpc::Status s = Issue(Request(rid, "LOTX", exp, prod), nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << rid;
    EXPECT_THAT(s.error_message(), HasSubstr("lot LOTX has expiry 281130, production 261115"));
  }
  EXPECT_EQ(*h_->RegisteredCount(t::kBrandGtin), 6u);
  // A lot issued without dates keeps having none.
  ASSERT_TRUE(Issue(Request("plain", "PLAIN", "", ""), nullptr).ok());
  EXPECT_EQ(Issue(Request("plain-dated", "PLAIN", "281130", ""), nullptr).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(RegulatedTest, StreamAndImportCarryTheLotsDates) {
  v1::IssueSerialsRequest r = Request("stream", "S1", "290228", "", 600);
  grpc::ClientContext* ctx = nullptr;
  auto context = h_->Context(t::kIssuer);
  ctx = context.get();
  auto reader = issuance_->StreamIssueSerials(ctx, r);
  v1::IssuedUnit u;
  std::vector<v1::IssuedUnit> streamed;
  while (reader->Read(&u)) streamed.push_back(u);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(streamed.size(), 600u);
  EXPECT_EQ(streamed.back().expiry_date(), "290228");
  EXPECT_EQ(Verify(streamed.back().element_string()).verdict(), v1::VERDICT_AUTHENTIC);

  v1::ImportSerialsRequest imp;
  imp.set_gtin(t::kBrandGtin);
  imp.set_lot("S1");
  imp.set_expiry_date("290228");
  imp.add_serials("SUPPLIER-0001");
  imp.set_request_id("import-1");
  v1::ImportSerialsResponse resp;
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(t::kIssuer).get(), imp, &resp).ok());
  ASSERT_EQ(resp.accepted_size(), 1);
  EXPECT_THAT(resp.accepted(0).digital_link(), HasSubstr("?17=290228&8030="));
  EXPECT_EQ(Verify(resp.accepted(0).digital_link()).verdict(), v1::VERDICT_AUTHENTIC);
  imp.set_expiry_date("290227");
  imp.set_request_id("import-2");
  EXPECT_EQ(issuance_->ImportSerials(h_->Context(t::kIssuer).get(), imp, &resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(RegulatedTest, ACorrectionIsAuditedAndOldLabelsThenMismatch) {
  std::vector<v1::IssuedUnit> units;
  ASSERT_TRUE(Issue(Request("to-correct", "C1", "281130", "261115", 2), &units).ok());
  v1::CorrectLotDatesResponse resp;
  ASSERT_TRUE(Correct("C1", "290531", "261115", "fix-1", &resp).ok());
  EXPECT_EQ(resp.previous_expiry_date(), "281130");
  EXPECT_EQ(resp.previous_production_date(), "261115");
  // A retry answers the same; the same id for another change is refused.
  v1::CorrectLotDatesResponse again;
  ASSERT_TRUE(Correct("C1", "290531", "261115", "fix-1", &again).ok());
  EXPECT_EQ(again.previous_expiry_date(), "281130");
  EXPECT_EQ(Correct("C1", "300531", "261115", "fix-1", &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Labels printed with the old date now read MISMATCH, with the registry's date.
  const v1::VerifyResponse r = Verify(units[0].digital_link());
  EXPECT_EQ(r.verdict(), v1::VERDICT_MISMATCH);
  EXPECT_THAT(r.reasons(), ElementsAre("expiry_date_mismatch"));
  EXPECT_EQ(r.expiry_date(), "290531");
  // The unit's history shows the correction with who, when and why; the record the new dates.
  v1::GetHistoryRequest hr;
  *hr.mutable_unit() = units[1].unit();
  v1::UnitHistory history;
  ASSERT_TRUE(lifecycle_->GetHistory(h_->Context(t::kIssuer).get(), hr, &history).ok());
  EXPECT_EQ(history.record().expiry_date(), "290531");
  EXPECT_EQ(history.record().production_date(), "261115");
  ASSERT_EQ(history.events_size(), 2);
  const v1::AuditEvent& e = history.events(1);
  EXPECT_EQ(e.action(), "lot_dates_corrected");
  EXPECT_EQ(e.principal(), t::kIssuer);
  EXPECT_THAT(e.detail(), HasSubstr("from expiry 281130, production 261115 to expiry 290531"));
  EXPECT_THAT(e.detail(), HasSubstr("stability study"));
  // New batches of the lot give the corrected dates.
  EXPECT_EQ(Issue(Request("after-old", "C1", "281130", "261115"), nullptr).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // (Times are in seconds: the next unit is issued in a later second than the correction.)
  const int64_t corrected_at = absl::ToUnixSeconds(absl::Now());
  while (absl::ToUnixSeconds(absl::Now()) <= corrected_at) absl::SleepFor(absl::Milliseconds(20));
  std::vector<v1::IssuedUnit> fresh;
  ASSERT_TRUE(Issue(Request("after-new", "C1", "290531", "261115", 1), &fresh).ok());
  EXPECT_EQ(Verify(fresh[0].digital_link()).verdict(), v1::VERDICT_AUTHENTIC);
  // A unit issued after the correction was issued with the new dates: not in its history.
  *hr.mutable_unit() = fresh[0].unit();
  ASSERT_TRUE(lifecycle_->GetHistory(h_->Context(t::kIssuer).get(), hr, &history).ok());
  EXPECT_EQ(history.events_size(), 1) << "commissioned only";
}

TEST_F(RegulatedTest, CorrectionsAreRefusedToOthersAndForNothing) {
  ASSERT_TRUE(Issue(Request("base", "C2", "281130", ""), nullptr).ok());
  v1::CorrectLotDatesResponse resp;
  EXPECT_EQ(Correct("C2", "290101", "", "r1", &resp, t::kRetailer).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Correct("C2", "290101", "", "r2", &resp, t::kForeignIssuer).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Correct("NO-SUCH-LOT", "290101", "", "r3", &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // A lot whose only batch issued nothing still holds the dates it claimed; a correction can
  // change them (here: an import whose every serial was taken).
  v1::ImportSerialsRequest imp;
  imp.set_gtin(t::kBrandGtin);
  imp.set_lot("EMPTY");
  imp.set_expiry_date("281130");
  imp.add_serials("TAKEN-1");
  imp.set_request_id("imp-1");
  v1::ImportSerialsResponse ir;
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(t::kIssuer).get(), imp, &ir).ok());
  imp.set_lot("EMPTY2");
  imp.set_request_id("imp-2");
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(t::kIssuer).get(), imp, &ir).ok());
  ASSERT_EQ(ir.rejected_size(), 1);
  EXPECT_TRUE(Correct("EMPTY2", "290101", "", "r6", &resp).ok());
  EXPECT_EQ(Correct("C2", "281130", "", "r4", &resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  const grpc::Status bad = Correct("C2", "290101", "290102", "r5", &resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("expiry_date"));
}

}  // namespace
}  // namespace hallmark
