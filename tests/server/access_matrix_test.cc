// Who may call what, through a real server: every role, no token and a wrong token, against
// every Issuance and Keys RPC.
#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/keys.grpc.pb.h"
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
  }
  static void TearDownTestSuite() { delete h_; }

  // Calls `rpc` as `who` ("" = no token, "?" = a wrong token).
  static grpc::StatusCode Call(const std::string& who, const std::string& rpc) {
    std::unique_ptr<grpc::ClientContext> ctx;
    if (who == "?") {
      ctx = h_->Context("");
      ctx->AddMetadata("authorization", "Bearer hm_not-a-real-token");
    } else {
      ctx = h_->Context(who);
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
    v1::ListPublicKeysResponse r;
    return v1::Keys::NewStub(h_->channel())->ListPublicKeys(ctx.get(), {}, &r).error_code();
  }

  static t::ServerHarness* h_;
};

t::ServerHarness* AccessMatrixTest::h_ = nullptr;

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

}  // namespace
}  // namespace hallmark
