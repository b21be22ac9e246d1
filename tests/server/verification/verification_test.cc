// Verify and VerifyBatch end to end: the verdict table row by row, through a real server and
// a real Redis.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "crypto/code_signing.h"
#include "gs1/digital_link.h"
#include "gs1/element_string.h"
#include "crypto/key_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "tests/common/harness_test.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace t = ::hallmark::testing;

class VerificationTest : public t::HarnessTest {
 protected:
  void SetUp() override {
    HarnessTest::SetUp();
    units_ = IssueUnits(5, "verify-setup", "L42", "SKU-9");
    ASSERT_EQ(units_.size(), 5u);
  }

  v1::VerifyResponse Verify(const std::string& code, const std::string& who = t::kVerifier,
                            const std::string& country = "", const std::string& location = "") {
    v1::VerifyRequest r;
    r.set_code(code);
    r.mutable_context()->set_country(country);
    r.mutable_context()->set_location(location);
    v1::VerifyResponse resp;
    last_ = verify_->Verify(h_->Context(who).get(), r, &resp);
    EXPECT_TRUE(last_.ok()) << last_.error_message();
    return resp;
  }

  // A code for `unit` with one field changed and the original DIGSIG kept.
  std::string Tampered(const v1::IssuedUnit& u, std::string gtin, std::string serial,
                       std::string lot) {
    return gs1::FormatBracketedElementString({gtin, serial, lot, u.digsig()});
  }

  // A code signed with the server's own ACTIVE key, for any unit.
  std::string SignedByServerKey(const std::string& serial, const std::string& lot) {
    auto ring = crypto::KeyRing::LoadDirectory(h_->keys_dir(), true);
    gs1::UnitCode code{t::kBrandGtin, serial, lot, ""};
    code.digsig = *crypto::SignUnit(**ring, code.gtin, code.serial, code.lot);
    return gs1::FormatBracketedElementString(code);
  }

  std::vector<v1::IssuedUnit> units_;
  grpc::Status last_;
};

TEST_F(VerificationTest, AuthenticInEveryPrintedForm) {
  const v1::IssuedUnit& u = units_[0];
  const gs1::UnitCode code{u.unit().gtin(), u.unit().serial(), u.lot(), u.digsig()};
  const std::string raw = gs1::FormatRawElementString(code, "");
  for (const std::string& form :
       {u.digital_link(), u.element_string(), raw, "]d2" + raw, "]Q3" + raw, raw + "\r\n"}) {
    const v1::VerifyResponse r = Verify(form);
    EXPECT_EQ(r.verdict(), v1::VERDICT_AUTHENTIC) << form;
    EXPECT_EQ(r.unit().gtin(), t::kBrandGtin);
    EXPECT_EQ(r.unit().serial(), u.unit().serial());
    EXPECT_EQ(r.lot(), "L42");
    EXPECT_EQ(r.sku(), "SKU-9");
    EXPECT_GT(r.issued_at().seconds(), 0);
    EXPECT_TRUE(r.reasons().empty());
  }
  EXPECT_EQ(Verify(u.digital_link()).scan_count(), 7u);  // every scan counted
}

TEST_F(VerificationTest, TamperedCodesAreCounterfeitAndRelabelledOnesMismatch) {
  const v1::IssuedUnit& u = units_[1];
  std::string bytes;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(u.digsig(), &bytes));
  bytes[10] = static_cast<char>(bytes[10] ^ 1);
  const std::string bad_sig = absl::WebSafeBase64Escape(bytes);
  const struct {
    std::string code;
    const char* reason;
  } kCases[] = {
      {Tampered(u, t::kBrandGtin, units_[2].unit().serial(), "L42"), "signature_invalid"},
      {Tampered(u, "19506000134359", u.unit().serial(), "L42"), "signature_invalid"},
      // The lot stripped: a code that prints neither lot nor dates is not looked up.
      {Tampered(u, t::kBrandGtin, u.unit().serial(), ""), "signature_invalid"},
      {absl::StrReplaceAll(u.element_string(), {{u.digsig(), bad_sig}}), "signature_invalid"},
      {absl::StrCat("(01)", t::kBrandGtin, "(21)", u.unit().serial(), "(10)L42"), "digsig_missing"},
      {"(01)09506000134352(21)X(8030)not-base64!", "code_unparseable"},
      {"https://id.brand.example/01/09506000134353/21/X", "code_unparseable"},
  };
  for (const auto& c : kCases) {
    const v1::VerifyResponse r = Verify(c.code);
    EXPECT_EQ(r.verdict(), v1::VERDICT_COUNTERFEIT) << c.code;
    EXPECT_THAT(r.reasons(), ElementsAre(c.reason)) << c.code;
    EXPECT_EQ(r.scan_count(), 0u);
  }
  // The genuine code with another lot: the signature holds over the registry's lot, so this is
  // the real unit on a relabelled pack, MISMATCH, and no scan of it is counted.
  const uint64_t scans = Verify(u.digital_link()).scan_count();
  for (const std::string& relabelled : {Tampered(u, t::kBrandGtin, u.unit().serial(), "L43")}) {
    const v1::VerifyResponse r = Verify(relabelled);
    EXPECT_EQ(r.verdict(), v1::VERDICT_MISMATCH) << relabelled;
    EXPECT_THAT(r.reasons(), ElementsAre("lot_mismatch")) << relabelled;
    EXPECT_EQ(r.lot(), "L42") << "the registry's lot";
    EXPECT_EQ(r.scan_count(), scans);
  }
}

TEST_F(VerificationTest, KeysOutsideTheRingRevokedAndRetired) {
  // A key the server does not trust.
  auto stranger = crypto::KeyMaterial::Generate(crypto::Algorithm::kEs256);
  std::vector<std::pair<crypto::KeyInfo, std::unique_ptr<crypto::KeyMaterial>>> keys;
  keys.emplace_back(crypto::KeyInfo{0x5555, crypto::Algorithm::kEs256, crypto::KeyState::kActive,
                                    absl::UnixEpoch()},
                    *std::move(stranger));
  auto ring = *crypto::KeyRing::New(std::move(keys));
  gs1::UnitCode forged{t::kBrandGtin, units_[0].unit().serial(), "L42", ""};
  forged.digsig = *crypto::SignUnit(*ring, forged.gtin, forged.serial, forged.lot);
  EXPECT_THAT(Verify(gs1::FormatBracketedElementString(forged)).reasons(),
              ElementsAre("unknown_key"));

  // Rotation: the old key becomes RETIRED and its units still verify.
  const std::string old_link = units_[0].digital_link();
  EXPECT_EQ(Verify(old_link).verdict(), v1::VERDICT_AUTHENTIC);  // now in the signature cache
  auto dir = *crypto::KeyDirectory::Open(h_->keys_dir(), false);
  const crypto::KeyId old_id = dir.keys()[0].id;
  ASSERT_THAT(dir.Generate(crypto::Algorithm::kEd25519, absl::Now()), IsOk());
  ASSERT_THAT(h_->server().Reload(), IsOk());
  EXPECT_EQ(Verify(old_link).verdict(), v1::VERDICT_AUTHENTIC);

  // Revocation: the same code is now counterfeit, cache or not.
  ASSERT_THAT(dir.Revoke(old_id, absl::Now()), IsOk());
  ASSERT_THAT(h_->server().Reload(), IsOk());
  const v1::VerifyResponse r = Verify(old_link);
  EXPECT_EQ(r.verdict(), v1::VERDICT_COUNTERFEIT);
  EXPECT_THAT(r.reasons(), ElementsAre("key_revoked"));
}

TEST_F(VerificationTest, ValidlySignedButUnregisteredIsNotRegistered) {
  const v1::VerifyResponse r = Verify(SignedByServerKey("NEVERISSUED1", "L42"));
  EXPECT_EQ(r.verdict(), v1::VERDICT_NOT_REGISTERED);
  EXPECT_THAT(r.reasons(), ElementsAre("not_registered"));
}

TEST_F(VerificationTest, ValidlySignedWithAnotherLotIsMismatch) {
  const v1::VerifyResponse r = Verify(SignedByServerKey(units_[3].unit().serial(), "L99"));
  EXPECT_EQ(r.verdict(), v1::VERDICT_MISMATCH);
  EXPECT_THAT(r.reasons(), ElementsAre("lot_mismatch"));
  EXPECT_EQ(r.lot(), "L42");  // the registry's lot
}

// The clone rule counts independent callers: more distinct locations than the threshold
// (default 3), each from a store, a brand or the police of another organisation, within 24 h.
TEST_F(VerificationTest, CloneRuleTriggersExactlyAboveThresholdOfIndependentCallers) {
  const std::string link = units_[4].digital_link();
  EXPECT_EQ(Verify(link, t::kRetailer, "DE", "Berlin").verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(Verify(link, t::kRetailer, "DE", "Berlin").verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(Verify(link, t::kRetailer2, "", "").verdict(), v1::VERDICT_AUTHENTIC);  // no location
  EXPECT_EQ(Verify(link, t::kRetailer2, "FR", "").verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(Verify(link, t::kPolice, "de", "Munich").verdict(), v1::VERDICT_AUTHENTIC);  // 3rd
  const v1::VerifyResponse r = Verify(link, t::kOtherPolice, "BR", "Sao Paulo");  // 4th caller
  EXPECT_EQ(r.verdict(), v1::VERDICT_SUSPECT_CLONE);
  EXPECT_THAT(r.reasons(), ElementsAre("clone_distinct_locations"));
  EXPECT_EQ(r.scan_count(), 6u);
}

// Observed: any role turned a genuine unit into SUSPECT_CLONE for 24 h with 4 Verify calls
// declaring 4 countries. One caller, however many places it declares, counts once.
TEST_F(VerificationTest, OneCallerDeclaringManyCountriesCannotFlagAGenuineUnit) {
  const std::string link = units_[3].digital_link();
  for (const char* who : {t::kVerifier, t::kRetailer, t::kIssuer}) {
    for (const char* country : {"DE", "FR", "BR", "JP", "US", "AU", "CN", "IN"}) {
      EXPECT_EQ(Verify(link, who, country, "").verdict(), v1::VERDICT_AUTHENTIC)
          << who << " " << country;
    }
  }
  // Three independent stores and an app (the app's word weighs half): still not a clone.
  EXPECT_EQ(Verify(link, t::kPolice, "CA", "").verdict(), v1::VERDICT_AUTHENTIC);
}

TEST_F(VerificationTest, EmptyOrOverlongCodeAndBadContextAreInvalidArgument) {
  v1::VerifyResponse resp;
  v1::VerifyRequest r;
  EXPECT_EQ(verify_->Verify(h_->Context(t::kVerifier).get(), r, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  r.set_code(std::string(513, 'x'));
  grpc::Status s = verify_->Verify(h_->Context(t::kVerifier).get(), r, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("512"));
  r.set_code(units_[0].digital_link());
  r.mutable_context()->set_country("Germany");
  s = verify_->Verify(h_->Context(t::kVerifier).get(), r, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("context.country"));
}

TEST_F(VerificationTest, BatchAnswersInOrderAndOneBadCodeDoesNotFailIt) {
  v1::VerifyBatchRequest batch;
  batch.add_requests()->set_code(units_[0].digital_link());
  batch.add_requests()->set_code("");
  batch.add_requests()->set_code("garbage");
  batch.add_requests()->set_code(SignedByServerKey("NOPE", "L42"));
  batch.add_requests()->set_code(units_[1].element_string());
  v1::VerifyBatchResponse resp;
  grpc::Status s = verify_->VerifyBatch(h_->Context(t::kRetailer).get(), batch, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.responses_size(), 5);
  EXPECT_EQ(resp.responses(0).verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(resp.responses(0).unit().serial(), units_[0].unit().serial());
  EXPECT_THAT(resp.responses(1).reasons(), ElementsAre("code_empty"));
  EXPECT_THAT(resp.responses(2).reasons(), ElementsAre("code_unparseable"));
  EXPECT_EQ(resp.responses(3).verdict(), v1::VERDICT_NOT_REGISTERED);
  EXPECT_EQ(resp.responses(4).verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(resp.responses(4).unit().serial(), units_[1].unit().serial());

  v1::VerifyBatchRequest too_big;
  for (int i = 0; i < 1001; ++i) too_big.add_requests()->set_code("x");
  EXPECT_EQ(verify_->VerifyBatch(h_->Context(t::kRetailer).get(), too_big, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(VerificationTest, VerifierOverItsBudgetIsThrottledOthersAreNot) {
  int throttled = 0;
  for (int i = 0; i < 8; ++i) {  // a bucket of 5 that (practically) never refills
    v1::VerifyRequest r;
    r.set_code(units_[0].digital_link());
    v1::VerifyResponse resp;
    grpc::Status s = verify_->Verify(h_->Context(t::kLimitedVerifier).get(), r, &resp);
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++throttled;
      EXPECT_THAT(s.error_message(), HasSubstr("retry after"));
    }
  }
  EXPECT_EQ(throttled, 3);
  EXPECT_EQ(Verify(units_[0].digital_link(), t::kVerifier).verdict(), v1::VERDICT_AUTHENTIC);
}

// Redis keeps a unit's 6 latest distinct locations: a threshold the count can never pass
// (or 0, which flags every located scan) is refused at start-up instead of silently
// disabling or inverting the clone rule.
TEST(VerificationConfigTest, CloneThresholdMustBeOneToFive) {
  for (uint32_t bad : {0u, 6u, 100u}) {
    t::ServerHarness::Options o;
    o.configure = [bad](api::ServerConfig* c) { c->clone_max_locations = bad; };
    EXPECT_THAT(t::ServerHarness::Start(o),
                ::hallmark::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("--clone_max_locations: must be 1..5")))
        << bad;
  }
  for (uint32_t good : {1u, 5u}) {  // the edges of the range are accepted
    t::ServerHarness::Options o;
    o.configure = [good](api::ServerConfig* c) { c->clone_max_locations = good; };
    EXPECT_THAT(t::ServerHarness::Start(o), IsOk()) << good;
  }
}

// Observed: with Redis at maxmemory every Verify failed RESOURCE_EXHAUSTED (its scan record
// could not be written) although the registry could be read. Verification goes on; writes
// that matter still refuse clearly.
TEST_F(VerificationTest, VerificationAnswersWhenRedisIsFull) {
  ASSERT_THAT(h_->redis().Command({"CONFIG", "SET", "maxmemory", "1"}), IsOk());
  const v1::VerifyResponse r = Verify(units_[0].digital_link());
  EXPECT_EQ(r.verdict(), v1::VERDICT_AUTHENTIC);
  v1::IssueSerialsRequest more;
  more.set_gtin(t::kBrandGtin);
  more.set_count(1);
  more.set_request_id("when-full");
  v1::IssueSerialsResponse resp;
  const grpc::Status issued = v1::Issuance::NewStub(h_->channel())
                                  ->IssueSerials(h_->Context(t::kIssuer).get(), more, &resp);
  EXPECT_EQ(issued.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_THAT(h_->redis().Command({"CONFIG", "SET", "maxmemory", "0"}), IsOk());
  // Once there is room again, scans are recorded as before; the one made while full was not.
  EXPECT_EQ(Verify(units_[0].digital_link()).scan_count(), 1u);  // the full-Redis scan was not kept
}

}  // namespace
}  // namespace hallmark
