// Rate limits that hold across replicas: three hallmark servers on one Redis grant a principal
// its budget in all, not three times it, while a principal whose calls reach one replica keeps
// its whole budget there (docs/security.md, server/api/replica_shares.h).
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "server/wiring/hallmark_server.h"
#include "tests/common/redis_server.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
namespace t = ::hallmark::testing;

class ReplicaLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = t::WriteDeployment(tmp_.path());
    ASSERT_THAT(d, IsOk());
    deployment_ = *d;
    auto redis = t::RedisServer::Start(tmp_.path());
    ASSERT_THAT(redis, IsOk());
    redis_ = *std::move(redis);
    for (int i = 0; i < 3; ++i) {
      api::ServerConfig c;
      const std::string socket = JoinPath(tmp_.path(), absl::StrCat("grpc", i, ".sock"));
      c.listen = "unix:" + socket;
      c.redis = redis_->address();
      c.keys_dir = deployment_.keys_dir;
      c.principals = deployment_.principals;
      c.worker_threads = 1;
      c.rate_limit_sync = absl::Milliseconds(100);
      auto server = api::HallmarkServer::Start(c);
      ASSERT_THAT(server, IsOk());
      servers_.push_back(*std::move(server));
      stubs_.push_back(v1::Verification::NewStub(
          grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials())));
    }
  }

  void TearDown() override {
    for (auto& s : servers_) s->Shutdown(absl::Seconds(1));
  }

  grpc::StatusCode Verify(int replica, const std::string& who) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + deployment_.tokens.at(who));
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::VerifyRequest r;
    r.set_code("(01)09506000134352(21)SHARED");
    v1::VerifyResponse resp;
    return stubs_[replica]->Verify(&ctx, r, &resp).error_code();
  }

  // Waits until every replica has learnt that `n` replicas serve `who`.
  bool AllSee(const std::string& who, int n) {
    for (int i = 0; i < 400; ++i) {
      bool all = true;
      for (auto& s : servers_) all = all && s->RateLimitReplicas(who) == n;
      if (all) return true;
      absl::SleepFor(absl::Milliseconds(25));
    }
    return false;
  }

  t::TempDir tmp_;
  t::Deployment deployment_;
  std::unique_ptr<t::RedisServer> redis_;
  std::vector<std::unique_ptr<api::HallmarkServer>> servers_;
  std::vector<std::unique_ptr<v1::Verification::Stub>> stubs_;
};

// Observed: N replicas gave a principal N times its budget.
TEST_F(ReplicaLimitsTest, APrincipalSpreadOverThreeReplicasGetsItsBudgetInAll) {
  // One call on each replica: each starts with the whole burst of 30 and reports the principal.
  int admitted = 0;
  for (int i = 0; i < 3; ++i) admitted += Verify(i, t::kSharedVerifier) == grpc::StatusCode::OK;
  ASSERT_EQ(admitted, 3);
  ASSERT_TRUE(AllSee(t::kSharedVerifier, 3));
  // Round robin until every replica refuses.
  for (int round = 0, refused = 0; refused < 3 && round < 100; ++round) {
    refused = 0;
    for (int i = 0; i < 3; ++i) {
      const grpc::StatusCode code = Verify(i, t::kSharedVerifier);
      if (code == grpc::StatusCode::OK) ++admitted;
      if (code == grpc::StatusCode::RESOURCE_EXHAUSTED) ++refused;
    }
  }
  // The burst is 30: within ±10% across the three replicas (90 without sharing).
  EXPECT_GE(admitted, 27);
  EXPECT_LE(admitted, 33);
}

TEST_F(ReplicaLimitsTest, APrincipalOnOneReplicaKeepsItsWholeBudget) {
  int admitted = 0;
  for (int i = 0; i < 10; ++i) admitted += Verify(0, t::kLimitedVerifier) == grpc::StatusCode::OK;
  EXPECT_EQ(admitted, 5);  // its burst, not a third of it
  EXPECT_EQ(servers_[0]->RateLimitReplicas(t::kLimitedVerifier), 1);
}

}  // namespace
}  // namespace hallmark
