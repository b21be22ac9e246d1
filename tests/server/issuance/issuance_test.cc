// Issuance end to end: gRPC client -> hallmark-server (in-process) -> real durable Redis.
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/code_signing.h"
#include "crypto/serial.h"
#include "gs1/unit_code.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/keys.grpc.pb.h"
#include "tests/common/harness_test.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::kBrandGtin;
using ::hallmark::testing::kIssuer;
using ::hallmark::testing::kIssuer2;
using ::testing::HasSubstr;

class IssuanceTest : public testing::HarnessTest {
 protected:

  v1::IssueSerialsRequest Request(const std::string& request_id, uint32_t count,
                                  v1::SerialFormat format = v1::SERIAL_FORMAT_RANDOM) {
    v1::IssueSerialsRequest r;
    r.set_gtin("9506000134352");  // GTIN-13: normalised to 14 digits by the server
    r.set_sku("SKU-1");
    r.set_lot("L42");
    r.set_format(format);
    r.set_count(count);
    r.set_request_id(request_id);
    if (format == v1::SERIAL_FORMAT_PLANT_ENCODED) r.set_plant("P01");
    if (format == v1::SERIAL_FORMAT_SEQUENTIAL) r.set_prefix("L7-");
    return r;
  }

  grpc::Status Issue(const v1::IssueSerialsRequest& r, v1::IssueSerialsResponse* out,
                     const std::string& who = kIssuer) {
    return issuance_->IssueSerials(h_->Context(who).get(), r, out);
  }

  // The trust list, as an offline verifier would build it from Keys.ListPublicKeys.
  std::unique_ptr<crypto::KeyRing> TrustList() {
    v1::ListPublicKeysResponse keys;
    grpc::ClientContext ctx;  // no token: the trust list is public
    EXPECT_TRUE(keys_->ListPublicKeys(&ctx, {}, &keys).ok());
    std::vector<std::pair<crypto::KeyInfo, std::unique_ptr<crypto::KeyMaterial>>> ring;
    for (const v1::PublicKey& k : keys.keys()) {
      crypto::KeyInfo info{*crypto::ParseKeyId(k.key_id()), *crypto::ParseAlgorithm(k.algorithm()),
                           crypto::KeyState::kRetired, absl::UnixEpoch()};
      ring.emplace_back(info, *crypto::KeyMaterial::FromPublicPem(k.pem(), info.algorithm));
    }
    return *crypto::KeyRing::New(std::move(ring));
  }

};

TEST_F(IssuanceTest, EveryFormatIssuesVerifiableParseableUnits) {
  const auto ring = TrustList();
  const struct {
    v1::SerialFormat format;
    crypto::SerialFormat crypto_format;
  } kFormats[] = {{v1::SERIAL_FORMAT_RANDOM, crypto::SerialFormat::kRandom},
                  {v1::SERIAL_FORMAT_SEQUENTIAL, crypto::SerialFormat::kSequential},
                  {v1::SERIAL_FORMAT_DATE_ENCODED, crypto::SerialFormat::kDateEncoded},
                  {v1::SERIAL_FORMAT_PLANT_ENCODED, crypto::SerialFormat::kPlantEncoded}};
  std::set<std::string> serials;
  for (const auto& f : kFormats) {
    v1::IssueSerialsResponse resp;
    ASSERT_TRUE(Issue(Request(absl::StrCat("fmt-", f.format), 50, f.format), &resp).ok());
    ASSERT_EQ(resp.units_size(), 50);
    for (const v1::IssuedUnit& u : resp.units()) {
      EXPECT_EQ(u.unit().gtin(), kBrandGtin);
      EXPECT_EQ(u.lot(), "L42");
      EXPECT_TRUE(crypto::MatchesSerialFormat(f.crypto_format, u.unit().serial()))
          << u.unit().serial();
      const gs1::UnitCode code{u.unit().gtin(), u.unit().serial(), u.lot(), u.digsig()};
      EXPECT_TRUE(crypto::VerifyUnitCode(*ring, code).ok()) << u.unit().serial();
      EXPECT_EQ(*gs1::ParseScannedCode(u.digital_link()), code);
      EXPECT_EQ(*gs1::ParseScannedCode(u.element_string()), code);
      EXPECT_THAT(u.digital_link(), HasSubstr("https://id.brand.example/01/09506000134352/"));
      EXPECT_TRUE(serials.insert(u.unit().serial()).second) << "duplicate " << u.unit().serial();
    }
  }
  EXPECT_EQ(*h_->RegisteredCount(kBrandGtin), 200u);
  v1::IssueSerialsResponse seq;
  ASSERT_TRUE(Issue(Request("seq-2", 2, v1::SERIAL_FORMAT_SEQUENTIAL), &seq).ok());
  EXPECT_EQ(seq.units(0).unit().serial(), "L7-0000000051");  // the counter continued
}

TEST_F(IssuanceTest, RepeatedRequestReturnsTheSameUnitsAndRegistersNothing) {
  for (auto format : {v1::SERIAL_FORMAT_RANDOM, v1::SERIAL_FORMAT_SEQUENTIAL}) {
    v1::IssueSerialsResponse first, second;
    const auto request = Request(absl::StrCat("same-", format), 300, format);
    ASSERT_TRUE(Issue(request, &first).ok());
    const uint64_t count = *h_->RegisteredCount(kBrandGtin);
    ASSERT_TRUE(Issue(request, &second).ok());
    EXPECT_EQ(*h_->RegisteredCount(kBrandGtin), count);
    ASSERT_EQ(first.units_size(), second.units_size());
    for (int i = 0; i < first.units_size(); ++i) {
      EXPECT_EQ(first.units(i).unit().serial(), second.units(i).unit().serial());
      EXPECT_EQ(first.units(i).lot(), second.units(i).lot());
      EXPECT_EQ(first.units(i).unit().gtin(), second.units(i).unit().gtin());
    }
  }
}

TEST_F(IssuanceTest, SameRequestIdWithOtherParametersIsAlreadyExists) {
  v1::IssueSerialsResponse resp;
  ASSERT_TRUE(Issue(Request("r1", 10), &resp).ok());
  auto other = Request("r1", 11);
  grpc::Status s = Issue(other, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(s.error_message(), HasSubstr("count (first request: '10', this one: '11')"));
  other = Request("r1", 10);
  other.set_lot("L43");
  EXPECT_THAT(Issue(other, &resp).error_message(), HasSubstr("lot"));
  // Another issuer may use the same request id: idempotency is per issuer.
  EXPECT_TRUE(Issue(Request("r1", 3), &resp, kIssuer2).ok());
}

TEST_F(IssuanceTest, TwoConcurrentIssuersOfSequentialSerialsNeverCollide) {
  std::vector<std::string> got[2];
  std::thread workers[2];
  for (int w = 0; w < 2; ++w) {
    workers[w] = std::thread([&, w] {
      for (int i = 0; i < 10; ++i) {
        v1::IssueSerialsResponse resp;
        auto r = Request(absl::StrCat("w", w, "-", i), 1000, v1::SERIAL_FORMAT_SEQUENTIAL);
        grpc::Status s = Issue(r, &resp, w == 0 ? kIssuer : kIssuer2);
        ASSERT_TRUE(s.ok()) << s.error_message();
        for (const auto& u : resp.units()) got[w].push_back(u.unit().serial());
      }
    });
  }
  for (auto& t : workers) t.join();
  std::set<std::string> all(got[0].begin(), got[0].end());
  all.insert(got[1].begin(), got[1].end());
  EXPECT_EQ(got[0].size() + got[1].size(), 20000u);
  EXPECT_EQ(all.size(), 20000u);
  EXPECT_EQ(*h_->RegisteredCount(kBrandGtin), 20000u);
}

TEST_F(IssuanceTest, BadRequestsNameTheFieldAndWriteNothing) {
  const struct {
    std::function<void(v1::IssueSerialsRequest*)> mutate;
    const char* field;
  } kCases[] = {
      {[](auto* r) { r->set_gtin("9506000134353"); }, "gtin: GS1 check digit"},
      {[](auto* r) { r->set_gtin("95060001343"); }, "gtin:"},
      {[](auto* r) { r->set_count(0); }, "count: must be 1..10000"},
      {[](auto* r) { r->set_count(10001); }, "count: must be 1..10000"},
      {[](auto* r) { r->set_lot("L 42"); }, "lot: character ' '"},
      {[](auto* r) { r->set_lot(std::string(21, 'L')); }, "lot: must have 1..20"},
      {[](auto* r) { r->set_request_id(""); }, "request_id: required"},
      {[](auto* r) { r->set_request_id("has space"); }, "request_id:"},
      {[](auto* r) { r->set_sku(std::string(65, 's')); }, "sku:"},
      {[](auto* r) { r->set_prefix("X"); }, "prefix: only allowed with SEQUENTIAL"},
      {[](auto* r) { r->set_format(v1::SERIAL_FORMAT_PLANT_ENCODED); }, "plant: required"},
      {[](auto* r) {
         r->set_format(v1::SERIAL_FORMAT_SEQUENTIAL);
         r->set_prefix("ELEVENCHARS");
       },
       "prefix:"},
      {[](auto* r) { r->set_format(static_cast<v1::SerialFormat>(99)); }, "format:"},
  };
  for (const auto& c : kCases) {
    auto r = Request("bad", 5);
    c.mutate(&r);
    v1::IssueSerialsResponse resp;
    grpc::Status s = Issue(r, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_THAT(s.error_message(), HasSubstr(c.field));
    EXPECT_EQ(resp.units_size(), 0);
  }
  EXPECT_EQ(*h_->RegisteredCount(kBrandGtin), 0u);
}

TEST_F(IssuanceTest, ImportRejectsInvalidRepeatedAndRegisteredSerialsExactly) {
  v1::IssueSerialsResponse issued;
  ASSERT_TRUE(Issue(Request("pre", 1, v1::SERIAL_FORMAT_SEQUENTIAL), &issued).ok());
  const std::string taken = issued.units(0).unit().serial();

  v1::ImportSerialsRequest req;
  req.set_gtin(kBrandGtin);
  req.set_lot("SUP-1");
  req.set_supplier("Contract Packer Ltd");
  req.set_request_id("imp-1");
  for (const std::string& s :
       std::vector<std::string>{"A1", "A2", "bad serial", "A1", taken, "A3", ""}) {
    req.add_serials(s);
  }
  v1::ImportSerialsResponse resp;
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(kIssuer).get(), req, &resp).ok());
  std::vector<std::string> accepted;
  for (const auto& u : resp.accepted()) accepted.push_back(u.unit().serial());
  EXPECT_THAT(accepted, ::testing::ElementsAre("A1", "A2", "A3"));
  ASSERT_EQ(resp.rejected_size(), 4);
  EXPECT_EQ(resp.rejected(0).serial(), "bad serial");
  EXPECT_EQ(resp.rejected(0).reason(), v1::REJECT_REASON_INVALID);
  EXPECT_EQ(resp.rejected(1).serial(), "A1");
  EXPECT_EQ(resp.rejected(1).reason(), v1::REJECT_REASON_DUPLICATE);
  EXPECT_THAT(resp.rejected(1).detail(), HasSubstr("repeats serials[0]"));
  EXPECT_EQ(resp.rejected(2).serial(), taken);
  EXPECT_EQ(resp.rejected(2).reason(), v1::REJECT_REASON_DUPLICATE);
  EXPECT_THAT(resp.rejected(2).detail(), HasSubstr("already registered"));
  EXPECT_EQ(resp.rejected(3).reason(), v1::REJECT_REASON_INVALID);
  const auto ring = TrustList();
  for (const auto& u : resp.accepted()) {
    EXPECT_TRUE(crypto::VerifyUnitCode(*ring, {u.unit().gtin(), u.unit().serial(), u.lot(),
                                               u.digsig()}).ok());
  }
  EXPECT_EQ(*h_->RegisteredCount(kBrandGtin), 4u);

  // A retry returns the original outcome: its own serials are not duplicates of themselves.
  v1::ImportSerialsResponse again;
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(kIssuer).get(), req, &again).ok());
  EXPECT_EQ(again.accepted_size(), 3);
  EXPECT_EQ(again.rejected_size(), 4);
  EXPECT_EQ(*h_->RegisteredCount(kBrandGtin), 4u);
  // The next supplier file repeating A2 (a reset sequence) is caught.
  v1::ImportSerialsRequest next = req;
  next.set_request_id("imp-2");
  next.clear_serials();
  next.add_serials("A2");
  next.add_serials("A4");
  v1::ImportSerialsResponse caught;
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(kIssuer).get(), next, &caught).ok());
  ASSERT_EQ(caught.rejected_size(), 1);
  EXPECT_EQ(caught.rejected(0).serial(), "A2");
  // Same request id, other serials: ALREADY_EXISTS.
  next.set_request_id("imp-1");
  grpc::Status conflict = issuance_->ImportSerials(h_->Context(kIssuer).get(), next, &caught);
  EXPECT_EQ(conflict.error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

// Observed: the fingerprint joined serials with "\n", and invalid serials may hold "\n":
// ["A\nB", "C"] and then ["A", "B\nC"] under one request_id registered "A" into the first batch.
TEST_F(IssuanceTest, AnImportFingerprintCannotBeForgedWithNewlines) {
  v1::ImportSerialsRequest first;
  first.set_gtin(kBrandGtin);
  first.set_request_id("imp-nl");
  first.add_serials("A\nB");
  first.add_serials("C");
  v1::ImportSerialsResponse resp;
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(kIssuer).get(), first, &resp).ok());
  ASSERT_EQ(resp.accepted_size(), 1);
  v1::ImportSerialsRequest second = first;
  second.clear_serials();
  second.add_serials("A");
  second.add_serials("B\nC");
  grpc::Status s = issuance_->ImportSerials(h_->Context(kIssuer).get(), second, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(*h_->RegistryEntry(kBrandGtin, "A"), "");  // nothing registered
  // The same request repeated still returns its first outcome.
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(kIssuer).get(), first, &resp).ok());
  EXPECT_EQ(resp.accepted_size(), 1);
}

// Observed: an import whose serials were all rejected still created an empty batch and
// request record.
TEST_F(IssuanceTest, AnImportThatRegistersNothingLeavesNothingBehind) {
  v1::ImportSerialsRequest req;
  req.set_gtin(kBrandGtin);
  req.set_request_id("imp-first");
  req.add_serials("TAKEN-1");
  req.add_serials("TAKEN-2");
  v1::ImportSerialsResponse resp;
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(kIssuer).get(), req, &resp).ok());
  ASSERT_EQ(resp.accepted_size(), 2);
  req.set_request_id("imp-again");
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(kIssuer).get(), req, &resp).ok());
  EXPECT_EQ(resp.accepted_size(), 0);
  ASSERT_EQ(resp.rejected_size(), 2);
  EXPECT_EQ(resp.rejected(0).reason(), v1::REJECT_REASON_DUPLICATE);
  const std::string meta = absl::StrCat("hm:{", kBrandGtin, "}");
  absl::StatusOr<std::string> again =
      h_->redis().Command({"HGET", meta + ":req", absl::StrCat(kIssuer, "\nimp-again")});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, "") << "no request entry for the request that registered nothing";
  absl::StatusOr<std::string> first =
      h_->redis().Command({"HGET", meta + ":req", absl::StrCat(kIssuer, "\nimp-first")});
  ASSERT_THAT(first, IsOk());
  EXPECT_NE(*first, "");
  absl::StatusOr<std::string> batch =
      h_->redis().Command({"EXISTS", absl::StrCat(meta, ":b:", std::stoi(*first) + 1)});
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(*batch, "0") << "no record of the empty batch";
  // A retry is refused the same way.
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(kIssuer).get(), req, &resp).ok());
  EXPECT_EQ(resp.rejected_size(), 2);
}

// Observed: a sequential stream that hit an imported serial failed, but the chunks it had
// registered ahead of the failure stayed registered to its batch (counted, never delivered);
// a retry failed the same way. Now what is registered is what was handed out.
TEST_F(IssuanceTest, AFailedStreamLeavesOnlyWhatItHandedOut) {
  v1::ImportSerialsRequest squat;
  squat.set_gtin(kBrandGtin);
  squat.set_request_id("squat");
  squat.add_serials("SQ-0000002600");  // what the stream's 2,600th unit will be
  v1::ImportSerialsResponse imported;
  ASSERT_TRUE(issuance_->ImportSerials(h_->Context(kIssuer).get(), squat, &imported).ok());
  ASSERT_EQ(imported.accepted_size(), 1);
  v1::IssueSerialsRequest r;
  r.set_gtin(kBrandGtin);
  r.set_format(v1::SERIAL_FORMAT_SEQUENTIAL);
  r.set_prefix("SQ-");
  r.set_count(6000);
  r.set_request_id("sequential-run");
  for (int attempt = 0; attempt < 2; ++attempt) {  // the retry ends the same way
    auto ctx = h_->Context(kIssuer);
    auto reader = issuance_->StreamIssueSerials(ctx.get(), r);
    v1::IssuedUnit unit;
    uint64_t received = 0;
    while (reader->Read(&unit)) ++received;
    const grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("SQ-0000002600"));
    EXPECT_EQ(received % 250, 0u) << "whole chunks only";
    EXPECT_LT(received, 2600u);
    // Registered when the call ends: the import and exactly the units handed out (the chunks
    // registered ahead of the failure were removed before the stream ended).
    EXPECT_EQ(*h_->RegisteredCount(kBrandGtin), received + 1) << "attempt " << attempt;
    EXPECT_EQ(*h_->RegistryEntry(kBrandGtin, "SQ-0000003000"), "");
  }
}

}  // namespace
}  // namespace hallmark
