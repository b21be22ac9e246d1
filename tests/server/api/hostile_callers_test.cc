// Hostile callers against a real server (HallmarkServer on a real Redis): what a caller can
// make the server spend is priced before any work, refused requests cost at most one token,
// no call puts a principal into a long debt, issuance is paid in units (streams chunk by
// chunk), streams are counted per issuer, and a disabled issuer's stream stops mid-flight.
// See docs/security.md.
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "hallmark/admin/principals.pb.h"
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

// The RetryInfo delay a status carries in its rich error details, or nullopt.
std::optional<absl::Duration> RetryDelay(const grpc::Status& s) {
  google::rpc::Status details;
  if (s.error_details().empty() || !details.ParseFromString(s.error_details())) {
    return std::nullopt;
  }
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::RetryInfo info;
    if (any.type_url() == "type.googleapis.com/google.rpc.RetryInfo" &&
        info.ParseFromString(any.value())) {
      return absl::Seconds(info.retry_delay().seconds()) +
             absl::Nanoseconds(info.retry_delay().nanos());
    }
  }
  return std::nullopt;
}

class HostileCallersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto h = t::ServerHarness::Start();
    ASSERT_THAT(h, IsOk());
    h_ = *std::move(h);
    verify_ = v1::Verification::NewStub(h_->channel());
    stolen_ = v1::StolenRegistry::NewStub(h_->channel());
    issuance_ = v1::Issuance::NewStub(h_->channel());
  }

  grpc::Status VerifyOne(const std::string& who) {
    v1::VerifyRequest r;
    r.set_code("(01)09506000134352(21)NOSUCHSERIAL1");
    v1::VerifyResponse resp;
    return verify_->Verify(h_->Context(who).get(), r, &resp);
  }

  grpc::Status Issue(const std::string& who, uint32_t count, const std::string& request_id) {
    v1::IssueSerialsRequest r;
    r.set_gtin(t::kBrandGtin);
    r.set_count(count);
    r.set_request_id(request_id);
    v1::IssueSerialsResponse resp;
    return issuance_->IssueSerials(h_->Context(who).get(), r, &resp);
  }

  // Rewrites the principals file with `edit` applied to `name` and reloads the server.
  void Edit(const std::string& name, const std::function<void(admin::Principal*)>& edit) {
    const std::string path = JoinPath(h_->dir(), "principals.textpb");
    absl::StatusOr<std::string> text = ReadFile(path);
    ASSERT_THAT(text, IsOk());
    admin::Principals ps;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(*text, &ps));
    for (admin::Principal& p : *ps.mutable_principal()) {
      if (p.name() == name) edit(&p);
    }
    std::string out;
    google::protobuf::TextFormat::PrintToString(ps, &out);
    ASSERT_THAT(WriteFileAtomically(path, out, 0600), IsOk());
    ASSERT_THAT(h_->server().Reload(), IsOk());
  }
  // Starts a 200,000-unit stream of kIssuer2, runs `change` after its first unit, reads the
  // rest; *received gets the units read. The stream's final status.
  grpc::Status StreamWhile(const std::string& request_id, const std::function<void()>& change,
                           int* received) {
    v1::IssueSerialsRequest r;
    r.set_gtin(t::kBrandGtin);
    r.set_count(200'000);
    r.set_request_id(request_id);
    auto ctx = h_->Context(t::kIssuer2);
    auto reader = issuance_->StreamIssueSerials(ctx.get(), r);
    v1::IssuedUnit unit;
    *received = 0;
    if (!reader->Read(&unit)) return reader->Finish();
    *received = 1;
    change();
    while (reader->Read(&unit)) ++*received;
    return reader->Finish();
  }
  void Disable(const std::string& name) {
    Edit(name, [](admin::Principal* p) { p->set_disabled(true); });
  }

  std::unique_ptr<t::ServerHarness> h_;
  std::unique_ptr<v1::Verification::Stub> verify_;
  std::unique_ptr<v1::StolenRegistry::Stub> stolen_;
  std::unique_ptr<v1::Issuance::Stub> issuance_;
};

// Observed: a VerifyBatch of 200,000 empty entries was refused after charging 200,000 tokens,
// locking every user of a shared token out for hours.
TEST_F(HostileCallersTest, AnOversizedBatchIsRefusedBeforeItIsPricedAndLocksNobodyOut) {
  v1::VerifyBatchRequest batch;
  for (int i = 0; i < 200'000; ++i) batch.add_requests();
  v1::VerifyBatchResponse resp;
  grpc::Status s = verify_->VerifyBatch(h_->Context(t::kLimitedVerifier).get(), batch, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("requests: must have 1..1000 entries, got 200000"));
  // The refusal cost one token of the burst of 5: four calls still pass, the fifth waits.
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(VerifyOne(t::kLimitedVerifier).ok()) << i;
  }
  EXPECT_EQ(VerifyOne(t::kLimitedVerifier).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// Each method has its own request size limit below the server-wide one: a Verify is < 1 KiB.
TEST_F(HostileCallersTest, AnOversizedUnaryRequestIsRefusedForOneToken) {
  v1::VerifyRequest big;
  big.set_code(std::string(100 << 10, 'A'));
  v1::VerifyResponse resp;
  grpc::Status s = verify_->Verify(h_->Context(t::kLimitedVerifier).get(), big, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("more than the 16384 Verification.Verify accepts"));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(VerifyOne(t::kLimitedVerifier).ok()) << i;
  EXPECT_EQ(VerifyOne(t::kLimitedVerifier).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(HostileCallersTest, RateLimitedCallsCarryRetryInfoAndAReadableHint) {
  grpc::Status s;
  for (int i = 0; i < 6 && s.ok(); ++i) s = VerifyOne(t::kLimitedVerifier);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // ~1,000 s at 0.001 tokens/s: said in plain units, never "1e+06 ms".
  EXPECT_TRUE(std::regex_search(s.error_message(),
                                std::regex("retry after [0-9]+( h [0-9]+ min| min [0-9]+ s| min)")))
      << s.error_message();
  EXPECT_THAT(s.error_message(), Not(HasSubstr("e+")));
  std::optional<absl::Duration> delay = RetryDelay(s);
  ASSERT_TRUE(delay.has_value()) << "no google.rpc.RetryInfo in the status details";
  EXPECT_GT(*delay, absl::Seconds(900));
  EXPECT_LE(*delay, absl::Seconds(1001));
}

// A batch costing more than twice the burst could only be admitted by a long debt: refused
// outright, without RetryInfo (waiting does not help) and without taking a token.
TEST_F(HostileCallersTest, ABatchAboveTwiceTheBurstIsRefusedAndCostsNothing) {
  v1::CheckStolenRequest big;
  for (int i = 0; i < 11; ++i) {
    v1::UnitId* u = big.add_units();
    u->set_gtin(t::kBrandGtin);
    u->set_serial(absl::StrCat("S", i));
  }
  v1::CheckStolenResponse resp;
  grpc::Status s = stolen_->CheckStolen(h_->Context(t::kLimitedPolice).get(), big, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("split it into smaller calls"));
  EXPECT_FALSE(RetryDelay(s).has_value());
  // Ten units (twice the burst of 5) go through on the full bucket, then the bucket is empty.
  big.mutable_units()->RemoveLast();
  EXPECT_TRUE(stolen_->CheckStolen(h_->Context(t::kLimitedPolice).get(), big, &resp).ok());
  v1::CheckStolenRequest one;
  *one.add_units() = big.units(0);
  EXPECT_EQ(stolen_->CheckStolen(h_->Context(t::kLimitedPolice).get(), one, &resp).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// Observed: an issuer limited to 1 request/s issued 40,000 units in 5.5 s.
TEST_F(HostileCallersTest, IssuanceIsPricedInUnits) {
  // 2,001 units > twice the issue_rate burst of 1,000: never admissible.
  grpc::Status s = Issue(t::kLimitedIssuer, 2001, "too-big");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("split"));
  EXPECT_THAT(Issue(t::kLimitedIssuer, 0, "zero").error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Issue(t::kLimitedIssuer, 1000, "fits").ok());
  s = Issue(t::kLimitedIssuer, 1, "over-budget");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(RetryDelay(s).has_value());
  absl::StatusOr<uint64_t> registered = h_->RegisteredCount(t::kBrandGtin);
  ASSERT_THAT(registered, IsOk());
  EXPECT_EQ(*registered, 1000u);
  // The request budget is separate: another issuer is not affected.
  EXPECT_TRUE(Issue(t::kIssuer, 5000, "other-issuer").ok());
}

// A stream pays chunk by chunk: with a budget of one chunk it registers and delivers exactly
// that chunk, then waits for the budget; meanwhile it holds the issuer's only stream place.
TEST_F(HostileCallersTest, AStreamIsPacedByTheUnitsBudgetAndStreamsAreCounted) {
  v1::IssueSerialsRequest r;
  r.set_gtin(t::kBrandGtin);
  r.set_count(5000);
  r.set_request_id("paced");
  auto ctx = h_->Context(t::kLimitedIssuer);
  auto reader = issuance_->StreamIssueSerials(ctx.get(), r);
  v1::IssuedUnit unit;
  int received = 0;
  while (received < 1000 && reader->Read(&unit)) ++received;
  ASSERT_EQ(received, 1000);

  // The same issuer's second stream is refused while the first runs (max_streams 1).
  v1::IssueSerialsRequest r2 = r;
  r2.set_request_id("second");
  auto ctx2 = h_->Context(t::kLimitedIssuer);
  auto second = issuance_->StreamIssueSerials(ctx2.get(), r2);
  EXPECT_FALSE(second->Read(&unit));
  grpc::Status s2 = second->Finish();
  EXPECT_EQ(s2.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s2.error_message(), HasSubstr("max_streams"));

  ctx->TryCancel();
  while (reader->Read(&unit)) ++received;
  reader->Finish();
  EXPECT_EQ(received, 1000);
  // Nothing beyond the paid chunk was registered.
  absl::StatusOr<uint64_t> registered = h_->RegisteredCount(t::kBrandGtin);
  ASSERT_THAT(registered, IsOk());
  EXPECT_EQ(*registered, 1000u);
}

// Observed: a disabled issuer's running stream kept signing until all its units were done.
TEST_F(HostileCallersTest, ADisabledIssuersStreamStopsAtTheNextChunk) {
  int received = 0;
  grpc::Status s = StreamWhile("long-run", [&] { Disable(t::kIssuer2); }, &received);
  ASSERT_GE(received, 1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("disabled"));
  // At most the chunks produced ahead of the reader (8 x 250) plus the one being read.
  EXPECT_LE(received, 5000);
  // Its token is refused from now on.
  EXPECT_EQ(Issue(t::kIssuer2, 1, "after").error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// An issuer whose company prefix is taken away by a reload stops minting that GTIN at once.
TEST_F(HostileCallersTest, AStreamStopsWhenItsIssuerLosesTheGtinsPrefix) {
  int received = 0;
  grpc::Status s = StreamWhile("prefix-run", [&] {
    Edit(t::kIssuer2, [](admin::Principal* p) {
      p->clear_gs1_company_prefixes();
      p->add_gs1_company_prefixes("400638");
    });
  }, &received);
  ASSERT_GE(received, 1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("outside the GS1 company prefixes"));
  EXPECT_LE(received, 5000);
}

}  // namespace
}  // namespace hallmark
