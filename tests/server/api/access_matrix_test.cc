// Who may call what, through a real server: every role, no token and a wrong token, against
// every RPC of every service.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/keys.grpc.pb.h"
#include "hallmark/v1/lifecycle.grpc.pb.h"
#include "hallmark/v1/links.grpc.pb.h"
#include "hallmark/v1/stolen_registry.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "server/api/access_table.h"
#include "server/api/call_guard.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
namespace t = ::hallmark::testing;

class AccessMatrixTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto h = t::ServerHarness::Start();
    ASSERT_THAT(h, IsOk());
    h_ = h->release();
    v1::IssueSerialsRequest r;
    r.set_gtin(t::kBrandGtin);
    r.set_count(8);
    r.set_lot("MATRIX");
    r.set_request_id("matrix-setup");
    v1::IssueSerialsResponse resp;
    ASSERT_TRUE(v1::Issuance::NewStub(h_->channel())
                    ->IssueSerials(h_->Context(t::kIssuer).get(), r, &resp)
                    .ok());
    unit_ = new v1::IssuedUnit(resp.units(0));
    fresh_ = new std::vector<v1::UnitId>();
    for (int i = 1; i < resp.units_size(); ++i) fresh_->push_back(resp.units(i).unit());
    v1::ReportStolenResponse reported;
    ASSERT_EQ(CallStolen("REPORT", t::kPolice, &reported), grpc::StatusCode::OK);
  }

  static grpc::StatusCode CallStolen(const std::string& rpc, const std::string& who,
                                     v1::ReportStolenResponse* reported = nullptr) {
    std::unique_ptr<grpc::ClientContext> ctx = ContextFor(who);
    auto stub = v1::StolenRegistry::NewStub(h_->channel());
    if (rpc == "REPORT" || rpc == "ReportStolen") {
      // "REPORT" opens the police's case MATRIX; the matrix row reports into the caller's own
      // case (a case belongs to the organisation that opened it).
      v1::ReportStolenRequest r;
      r.set_case_id(rpc == "REPORT" ? "MATRIX" : "MATRIX-" + who);
      r.set_agency("Agency");
      *r.add_units() = unit_->unit();
      v1::ReportStolenResponse out;
      return stub->ReportStolen(ctx.get(), r, reported ? reported : &out).error_code();
    }
    if (rpc == "ClearStolen") {
      // The caller's own case (opened here when its role may report; else the clear is
      // refused before any case is looked up).
      CallStolen("ReportStolen", who);
      v1::ClearStolenRequest r;
      r.set_case_id("MATRIX-" + who);
      *r.add_units() = unit_->unit();
      v1::ClearStolenResponse out;
      return stub->ClearStolen(ctx.get(), r, &out).error_code();
    }
    if (rpc == "CheckStolen") {
      v1::CheckStolenRequest r;
      *r.add_units() = unit_->unit();
      v1::CheckStolenResponse out;
      return stub->CheckStolen(ctx.get(), r, &out).error_code();
    }
    if (rpc == "GetCase") {
      v1::GetCaseRequest r;
      r.set_case_id("MATRIX");
      v1::StolenCase out;
      return stub->GetCase(ctx.get(), r, &out).error_code();
    }
    ADD_FAILURE() << "no call for StolenRegistry." << rpc;
    return grpc::StatusCode::UNIMPLEMENTED;
  }

  static std::unique_ptr<grpc::ClientContext> ContextFor(const std::string& who) {
    if (who != "?") return h_->Context(who);
    auto ctx = h_->Context("");
    ctx->AddMetadata("authorization", "Bearer hm_not-a-real-token");
    return ctx;
  }
  static void TearDownTestSuite() {
    delete fresh_;
    delete unit_;
    delete h_;
  }

  // Calls `rpc` as `who` ("" = no token, "?" = a wrong token).
  static grpc::StatusCode Call(const std::string& who, const std::string& rpc) {
    if (rpc == "ReportStolen" || rpc == "ClearStolen" || rpc == "CheckStolen" ||
        rpc == "GetCase") {
      return CallStolen(rpc, who);
    }
    std::unique_ptr<grpc::ClientContext> ctx = ContextFor(who);
    if (rpc == "Verify" || rpc == "VerifyBatch") {
      auto stub = v1::Verification::NewStub(h_->channel());
      v1::VerifyRequest r;
      r.set_code(unit_->digital_link());
      if (rpc == "Verify") {
        v1::VerifyResponse out;
        return stub->Verify(ctx.get(), r, &out).error_code();
      }
      v1::VerifyBatchRequest b;
      *b.add_requests() = r;
      v1::VerifyBatchResponse out;
      return stub->VerifyBatch(ctx.get(), b, &out).error_code();
    }
    auto issuance = v1::Issuance::NewStub(h_->channel());
    v1::IssueSerialsRequest issue;
    issue.set_gtin(t::kBrandGtin);
    issue.set_count(1);
    issue.set_request_id("matrix-" + who + "-" + rpc);
    if (rpc == "IssueSerials") {
      v1::IssueSerialsResponse r;
      return issuance->IssueSerials(ctx.get(), issue, &r).error_code();
    }
    if (rpc == "StreamIssueSerials") {
      auto reader = issuance->StreamIssueSerials(ctx.get(), issue);
      v1::IssuedUnit u;
      while (reader->Read(&u)) {
      }
      return reader->Finish().error_code();
    }
    if (rpc == "ImportSerials") {
      v1::ImportSerialsRequest imp;
      imp.set_gtin(t::kBrandGtin);
      imp.add_serials("M-" + who);
      imp.set_request_id("matrix-imp-" + who);
      v1::ImportSerialsResponse r;
      return issuance->ImportSerials(ctx.get(), imp, &r).error_code();
    }
    if (rpc == "ListPublicKeys") {
      v1::ListPublicKeysResponse r;
      return v1::Keys::NewStub(h_->channel())->ListPublicKeys(ctx.get(), {}, &r).error_code();
    }
    ADD_FAILURE() << "no call for " << rpc;  // a row for a new RPC must call that RPC
    return grpc::StatusCode::UNIMPLEMENTED;
  }

  // Calls a Lifecycle `rpc` as `who`; `fresh` is an untouched unit for RecordEvent.
  static grpc::StatusCode CallLifecycle(const std::string& who, const std::string& rpc,
                                        const v1::UnitId& fresh) {
    std::unique_ptr<grpc::ClientContext> ctx = ContextFor(who);
    auto stub = v1::Lifecycle::NewStub(h_->channel());
    if (rpc == "RecordEvent") {
      v1::RecordEventRequest r;
      *r.mutable_unit() = fresh;
      r.set_action(v1::LIFECYCLE_ACTION_SHIPPED);
      r.set_request_id("matrix-" + who);
      v1::UnitRecord out;
      return stub->RecordEvent(ctx.get(), r, &out).error_code();
    }
    if (rpc == "GetHistory") {
      v1::GetHistoryRequest r;
      *r.mutable_unit() = unit_->unit();
      v1::UnitHistory out;
      return stub->GetHistory(ctx.get(), r, &out).error_code();
    }
    if (rpc == "Recall") {
      v1::RecallRequest r;
      *r.add_units() = unit_->unit();
      r.set_reason("matrix");
      r.set_request_id("matrix-recall-" + who);
      v1::RecallResponse out;
      return stub->Recall(ctx.get(), r, &out).error_code();
    }
    if (rpc == "CorrectLotDates") {
      v1::CorrectLotDatesRequest r;
      r.set_gtin(t::kBrandGtin);
      r.set_lot("MATRIX");
      r.set_expiry_date("291231");
      r.set_reason("matrix");
      r.set_request_id("matrix-lot-" + who);
      v1::CorrectLotDatesResponse out;
      return stub->CorrectLotDates(ctx.get(), r, &out).error_code();
    }
    if (rpc == "GetWarranty") {
      v1::GetWarrantyRequest r;
      *r.mutable_unit() = unit_->unit();
      r.set_code(unit_->digital_link());  // verifiers give the scanned code
      v1::Warranty out;
      return stub->GetWarranty(ctx.get(), r, &out).error_code();
    }
    if (rpc == "SetWarrantyTerms") {
      v1::SetWarrantyTermsRequest r;
      r.set_gtin(t::kBrandGtin);
      r.set_months(24);
      v1::WarrantyTerms out;
      return stub->SetWarrantyTerms(ctx.get(), r, &out).error_code();
    }
    if (rpc == "VerifyRegistration") {
      v1::VerifyRegistrationRequest r;
      *r.mutable_unit() = unit_->unit();
      r.set_customer_registration("loyalty-1");
      v1::VerifyRegistrationResponse out;
      return stub->VerifyRegistration(ctx.get(), r, &out).error_code();
    }
    ADD_FAILURE() << "no call for Lifecycle." << rpc;
    return grpc::StatusCode::UNIMPLEMENTED;
  }

  // Calls a Links `rpc` as `who`, on the brand's GTIN.
  static grpc::StatusCode CallLinks(const std::string& who, const std::string& rpc) {
    auto stub = v1::Links::NewStub(h_->channel());
    auto ctx = ContextFor(who);
    v1::LinkScope scope;
    scope.set_gtin(t::kBrandGtin);
    if (rpc == "SetLinks") {
      v1::SetLinksRequest r;
      *r.mutable_entry()->mutable_scope() = scope;
      r.mutable_entry()->mutable_presentation()->set_product_name("Matrix");
      v1::LinkEntry out;
      return stub->SetLinks(ctx.get(), r, &out).error_code();
    }
    if (rpc == "ListLinks") {
      v1::ListLinksRequest r;
      *r.mutable_scope() = scope;
      v1::ListLinksResponse out;
      return stub->ListLinks(ctx.get(), r, &out).error_code();
    }
    if (rpc == "DeleteLinks") {
      v1::DeleteLinksRequest r;
      *r.mutable_scope() = scope;
      v1::DeleteLinksResponse out;
      return stub->DeleteLinks(ctx.get(), r, &out).error_code();
    }
    ADD_FAILURE() << "no call for Links." << rpc;
    return grpc::StatusCode::UNIMPLEMENTED;
  }

  static t::ServerHarness* h_;
  static v1::IssuedUnit* unit_;
  static std::vector<v1::UnitId>* fresh_;
};

t::ServerHarness* AccessMatrixTest::h_ = nullptr;
v1::IssuedUnit* AccessMatrixTest::unit_ = nullptr;
std::vector<v1::UnitId>* AccessMatrixTest::fresh_ = nullptr;

using Matrix = std::map<std::string, std::vector<grpc::StatusCode>>;

// Callers, in the order of a Matrix row: issuer (own GTIN), foreign issuer, retailer,
// verifier, law enforcement, no token, a wrong token.
const std::vector<std::string>& Callers() {
  static const std::vector<std::string> who = {
      t::kIssuer, t::kForeignIssuer, t::kRetailer, t::kVerifier, t::kPolice, "", "?"};
  return who;
}

// Expects every row of `matrix`; `call(who, rpc, i)` makes the call as the i-th caller.
void ExpectMatrix(const Matrix& matrix,
                  const std::function<grpc::StatusCode(const std::string&, const std::string&,
                                                       size_t)>& call) {
  for (const auto& [rpc, want] : matrix) {
    for (size_t i = 0; i < Callers().size(); ++i) {
      EXPECT_EQ(call(Callers()[i], rpc, i), want[i]) << rpc << " as '" << Callers()[i] << "'";
    }
  }
}

TEST_F(AccessMatrixTest, EveryRoleAgainstEveryIssuanceAndKeysRpc) {
  using C = grpc::StatusCode;
  const std::map<std::string, C> issuer_only = {
      {t::kIssuer, C::OK},
      {t::kForeignIssuer, C::PERMISSION_DENIED},  // the GTIN is outside its prefixes
      {t::kRetailer, C::PERMISSION_DENIED},
      {t::kVerifier, C::PERMISSION_DENIED},
      {t::kPolice, C::PERMISSION_DENIED},
      {"", C::UNAUTHENTICATED},
      {"?", C::UNAUTHENTICATED}};
  for (const char* rpc : {"IssueSerials", "StreamIssueSerials", "ImportSerials"}) {
    for (const auto& [who, want] : issuer_only) {
      EXPECT_EQ(Call(who, rpc), want) << rpc << " as '" << who << "'";
    }
  }
  for (const auto& [who, ignored] : issuer_only) {
    EXPECT_EQ(Call(who, "ListPublicKeys"), C::OK) << "the trust list is public: " << who;
  }
}

TEST_F(AccessMatrixTest, EveryRoleAgainstEveryVerificationAndStolenRegistryRpc) {
  using C = grpc::StatusCode;
  const C ok = C::OK, no = C::PERMISSION_DENIED, anon = C::UNAUTHENTICATED;
  ExpectMatrix(
      {
          {"Verify", {ok, ok, ok, ok, ok, anon, anon}},
          {"VerifyBatch", {ok, ok, ok, ok, ok, anon, anon}},
          {"ReportStolen", {ok, no, no, no, ok, anon, anon}},
          {"ClearStolen", {ok, no, no, no, ok, anon, anon}},
          {"CheckStolen", {ok, no, ok, no, ok, anon, anon}},
          {"GetCase", {no, no, no, no, ok, anon, anon}},
      },
      [](const std::string& who, const std::string& rpc, size_t) { return Call(who, rpc); });
}

TEST_F(AccessMatrixTest, EveryRoleAgainstEveryLifecycleRpc) {
  using C = grpc::StatusCode;
  const C ok = C::OK, no = C::PERMISSION_DENIED, anon = C::UNAUTHENTICATED;
  ASSERT_GE(fresh_->size(), Callers().size());
  ExpectMatrix(
      {
          {"RecordEvent", {ok, no, ok, no, no, anon, anon}},
          {"GetHistory", {ok, no, no, no, ok, anon, anon}},
          {"Recall", {ok, no, no, no, no, anon, anon}},
          {"CorrectLotDates", {ok, no, no, no, no, anon, anon}},
          {"GetWarranty", {ok, no, ok, ok, ok, anon, anon}},
          {"SetWarrantyTerms", {ok, no, no, no, no, anon, anon}},
          {"VerifyRegistration", {ok, no, no, no, no, anon, anon}},
      },
      [](const std::string& who, const std::string& rpc, size_t i) {
        return CallLifecycle(who, rpc, (*fresh_)[i]);
      });
}

TEST_F(AccessMatrixTest, EveryRoleAgainstEveryLinksRpc) {
  using C = grpc::StatusCode;
  const C ok = C::OK, no = C::PERMISSION_DENIED, anon = C::UNAUTHENTICATED;
  ExpectMatrix(
      {
          {"SetLinks", {ok, no, no, no, no, anon, anon}},
          {"ListLinks", {ok, no, no, no, no, anon, anon}},
          {"DeleteLinks", {ok, no, no, no, no, anon, anon}},
      },
      [](const std::string& who, const std::string& rpc, size_t) { return CallLinks(who, rpc); });
}

// Admission by construction: every method of every service of the public API (every
// proto/hallmark/v1/*.proto file, found on disk, not listed here) has a row in the access
// table, and a caller without a token is refused (UNAUTHENTICATED) unless the row says the
// method is public. A new RPC that forgot its row keeps the server from starting; one whose
// handler skipped admission fails here.
TEST_F(AccessMatrixTest, EveryExposedMethodHasARowAndRefusesStrangers) {
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  const std::string dir = std::string(HALLMARK_SOURCE_DIR) + "/proto/hallmark/v1";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string file = "hallmark/v1/" + entry.path().filename().string();
    const google::protobuf::FileDescriptor* fd =
        google::protobuf::DescriptorPool::generated_pool()->FindFileByName(file);
    ASSERT_NE(fd, nullptr) << file << " is not linked into this test";
    for (int i = 0; i < fd->service_count(); ++i) services.push_back(fd->service(i));
  }
  ASSERT_GE(services.size(), 5u);
  grpc::GenericStub generic(h_->channel());
  int methods = 0;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    const std::string& name = service->full_name();
    for (int i = 0; i < service->method_count(); ++i, ++methods) {
      const std::string full = absl::StrCat("/", name, "/", service->method(i)->name());
      const api::MethodAccess* row = api::FindMethodAccess(full);
      ASSERT_NE(row, nullptr) << full << " has no row in server/api/access_table.cc";
      // An empty request (valid for every message type), no token.
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      grpc::CompletionQueue cq;
      grpc::ByteBuffer request, response;
      grpc::Slice empty("");
      request = grpc::ByteBuffer(&empty, 1);
      auto call = generic.PrepareUnaryCall(&ctx, full, request, &cq);
      call->StartCall();
      grpc::Status status;
      call->Finish(&response, &status, reinterpret_cast<void*>(1));
      void* tag = nullptr;
      bool ok = false;
      ASSERT_TRUE(cq.Next(&tag, &ok));
      if (row->is_public) {
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << full;
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << full << ": a stranger got " << status.error_message();
      }
      cq.Shutdown();
      while (cq.Next(&tag, &ok)) {
      }
    }
  }
  EXPECT_EQ(static_cast<size_t>(methods), api::AccessTable().size())
      << "a row for a method the server does not expose";
}

// The public trust list still goes through admission: a caller without a token is
// rate-limited per peer address (20 calls a second, burst 40), a principal by its own limit.
TEST(PublicMethodTest, AnonymousCallersAreRateLimitedPerPeer) {
  auto h = t::ServerHarness::Start();
  ASSERT_THAT(h, IsOk());
  auto keys = v1::Keys::NewStub((*h)->channel());
  int ok = 0, limited = 0;
  for (int i = 0; i < 200; ++i) {
    auto ctx = (*h)->Context("");
    v1::ListPublicKeysResponse r;
    grpc::Status s = keys->ListPublicKeys(ctx.get(), {}, &r);
    if (s.ok()) {
      ++ok;
      EXPECT_GE(r.keys_size(), 1);
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
      ++limited;
    }
  }
  EXPECT_GE(ok, 40);
  EXPECT_LT(ok, 200) << "no limit for anonymous callers";
  EXPECT_GT(limited, 0);
  // A verifier with a token is not held to the anonymous budget.
  v1::ListPublicKeysResponse r;
  EXPECT_TRUE(keys->ListPublicKeys((*h)->Context(t::kVerifier).get(), {}, &r).ok());
}

// Anonymous callers cannot grow the limiter without bound: the port is ignored, an IPv6 /64 is
// one caller, and all addresses share at most kAnonymousBuckets buckets.
TEST(PublicMethodTest, AnonymousBucketsAreBoundedAndPerAddress) {
  using api::AnonymousBucketKey;
  EXPECT_EQ(AnonymousBucketKey("ipv4:198.51.100.7:1111"),
            AnonymousBucketKey("ipv4:198.51.100.7:2222"));
  EXPECT_EQ(AnonymousBucketKey("ipv6:[2001:db8:1:2:3:4:5:6]:443"),
            AnonymousBucketKey("ipv6:[2001:db8:1:2:ffff::1]:80"))
      << "one /64, one caller";
  std::set<std::string> keys;
  for (int i = 0; i < 20000; ++i) {
    keys.insert(AnonymousBucketKey(absl::StrCat("ipv6:[2001:db8:", i / 256, ":", i % 256,
                                                "::1]:443")));
  }
  EXPECT_LE(keys.size(), api::kAnonymousBuckets);
  EXPECT_GT(keys.size(), 1000u) << "distinct addresses should mostly get distinct buckets";
}

}  // namespace
}  // namespace hallmark
