// File: tests/common/harness_test.h
//
// HarnessTest: the fixture most service tests start from — a fresh ServerHarness (real Redis,
// real server) per test, a stub for every service, and a way to issue units of the brand's
// GTIN. Derive from it and add what the test needs.
//
// Example:
//   class StolenTest : public testing::HarnessTest {
//     void SetUp() override {
//       HarnessTest::SetUp();
//       units_ = IssueUnits(10, "stolen-setup");
//     }
//   };
#ifndef HALLMARK_TESTS_COMMON_HARNESS_TEST_H_
#define HALLMARK_TESTS_COMMON_HARNESS_TEST_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/keys.grpc.pb.h"
#include "hallmark/v1/lifecycle.grpc.pb.h"
#include "hallmark/v1/stolen_registry.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"

namespace hallmark::testing {

class HarnessTest : public ::testing::Test {
 protected:
  // The harness each test starts; a fixture overrides it to configure the server.
  virtual ServerHarness::Options HarnessOptions() { return {}; }

  void SetUp() override {
    auto h = ServerHarness::Start(HarnessOptions());
    ASSERT_THAT(h, IsOk());
    h_ = *std::move(h);
    issuance_ = v1::Issuance::NewStub(h_->channel());
    keys_ = v1::Keys::NewStub(h_->channel());
    verify_ = v1::Verification::NewStub(h_->channel());
    stolen_ = v1::StolenRegistry::NewStub(h_->channel());
    lifecycle_ = v1::Lifecycle::NewStub(h_->channel());
  }

  // `count` units of the brand's GTIN (kBrandGtin), issued by kIssuer under `request_id`;
  // empty (and the test fails) when the call does.
  std::vector<v1::IssuedUnit> IssueUnits(uint32_t count, const std::string& request_id,
                                         const std::string& lot = "",
                                         const std::string& sku = "") {
    v1::IssueSerialsRequest r;
    r.set_gtin(kBrandGtin);
    r.set_lot(lot);
    r.set_sku(sku);
    r.set_count(count);
    r.set_request_id(request_id);
    v1::IssueSerialsResponse resp;
    grpc::Status s = issuance_->IssueSerials(h_->Context(kIssuer).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.units().begin(), resp.units().end()};
  }

  std::unique_ptr<ServerHarness> h_;
  std::unique_ptr<v1::Issuance::Stub> issuance_;
  std::unique_ptr<v1::Keys::Stub> keys_;
  std::unique_ptr<v1::Verification::Stub> verify_;
  std::unique_ptr<v1::StolenRegistry::Stub> stolen_;
  std::unique_ptr<v1::Lifecycle::Stub> lifecycle_;
};

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_HARNESS_TEST_H_
