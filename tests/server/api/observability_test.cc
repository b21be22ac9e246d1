// Prometheus metrics, scraped over HTTP from a running server.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "tests/common/metrics_scrape.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::testing::HasSubstr;
namespace t = ::hallmark::testing;

TEST(ObservabilityTest, MetricsEndpointCountsWhatHappened) {
  t::ServerHarness::Options o;
  o.configure = [](api::ServerConfig* c) { c->metrics_listen = "127.0.0.1:0"; };
  auto h = t::ServerHarness::Start(o);
  ASSERT_THAT(h, IsOk());
  const int port = (*h)->server().metrics_port();
  ASSERT_GT(port, 0);

  v1::IssueSerialsRequest issue;
  issue.set_gtin(t::kBrandGtin);
  issue.set_count(3);
  issue.set_request_id("metrics");
  v1::IssueSerialsResponse issued;
  ASSERT_TRUE(v1::Issuance::NewStub((*h)->channel())
                  ->IssueSerials((*h)->Context(t::kIssuer).get(), issue, &issued)
                  .ok());
  auto verify = v1::Verification::NewStub((*h)->channel());
  v1::VerifyRequest r;
  r.set_code(issued.units(0).digital_link());
  v1::VerifyResponse resp;
  for (int i = 0; i < 2; ++i) {  // the second is served from the signature cache
    ASSERT_TRUE(verify->Verify((*h)->Context(t::kVerifier).get(), r, &resp).ok());
  }
  EXPECT_FALSE(verify->Verify((*h)->Context("").get(), r, &resp).ok());  // no token
  for (int i = 0; i < 6; ++i) verify->Verify((*h)->Context(t::kLimitedVerifier).get(), r, &resp);

  const std::string text = t::ScrapeMetrics(port);
  EXPECT_THAT(text, HasSubstr("200 OK"));
  for (const char* want : {
           "hallmark_rpcs_total{code=\"OK\",method=\"Issuance.IssueSerials\"} 1",
           "hallmark_rpcs_total{code=\"UNAUTHENTICATED\",method=\"Verification.Verify\"} 1",
           "hallmark_rpcs_total{code=\"RESOURCE_EXHAUSTED\",method=\"Verification.Verify\"} 1",
           "hallmark_rpc_latency_seconds_count{method=\"Verification.Verify\"}",
           "hallmark_verdicts_total{verdict=\"AUTHENTIC\"} 7",
           "hallmark_units_issued_total 3",
           "hallmark_signature_checks_total{result=\"cache_hit\"} 6",
           "hallmark_signature_checks_total{result=\"verified\"} 1",
           "hallmark_security_events_total{event=\"auth_failure\"} 1",
           "hallmark_rate_limited_total{role=\"verifier\"} 1",
           "hallmark_redis_latency_seconds_count",
           "hallmark_redis_errors_total 0",
           "hallmark_redis_ready 1",
       }) {
    EXPECT_THAT(text, HasSubstr(want));
  }
}

}  // namespace
}  // namespace hallmark
