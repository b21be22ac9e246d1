// Replicated acknowledgements on one Redis with a replica (not a cluster): the write
// connection (async_redis_client.h) acknowledges a write only once the replica has it, one WAIT
// covering a whole pipeline; a WAIT that comes back short fails its writes UNAVAILABLE while
// reads on the other connection go on; error replies are not held; a master short of replicas
// is reported (and writes refused by the server) unless explicitly allowed. The cluster
// failover tests are in cluster_failover_test.cc.
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "server/redis/replicated_connection.h"
#include "server/redis/replication.h"
#include "tests/common/await.h"
#include "tests/common/redis_server.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
namespace t = ::hallmark::testing;

TEST(ReplicationInfoTest, CountsOnlineReplicasAndTheSlowestLag) {
  const redis::ReplicationInfo info = redis::ParseReplicationInfo(
      "# Replication\r\nrole:master\r\nconnected_slaves:3\r\n"
      "slave0:ip=10.0.0.2,port=6379,state=online,offset=1000,lag=0\r\n"
      "slave1:ip=10.0.0.3,port=6379,state=wait_bgsave,offset=0,lag=0\r\n"
      "slave2:ip=10.0.0.4,port=6379,state=online,offset=400,lag=2\r\n"
      "master_failover_state:no-failover\r\nmaster_repl_offset:1200\r\n");
  EXPECT_TRUE(info.master);
  EXPECT_EQ(info.replicas_online, 2);  // the one still syncing does not count
  EXPECT_EQ(info.max_lag_bytes, 800);
  EXPECT_EQ(info.max_lag_seconds, 2);
  EXPECT_THAT(redis::CheckReplicas(info, 2, "m:1"), IsOk());
  EXPECT_THAT(redis::CheckReplicas(info, 3, "m:1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("has 2 replica(s) online")));
  const redis::ReplicationInfo replica =
      redis::ParseReplicationInfo("role:slave\r\nmaster_host:10.0.0.1\r\n");
  EXPECT_FALSE(replica.master);
  EXPECT_THAT(redis::CheckReplicas(replica, 0, "r:1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("not a master")));
}

// A master on a unix socket and loopback TCP (replication needs TCP), and its replica.
class ReplicatedWritesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir(JoinPath(tmp_.path(), "master").c_str(), 0700), 0);
    ASSERT_EQ(::mkdir(JoinPath(tmp_.path(), "replica").c_str(), 0700), 0);
    const int port = t::FreeLoopbackPort();
    auto master = t::RedisServer::Start(JoinPath(tmp_.path(), "master"), absl::StrCat("port ", port, "\nrepl-diskless-sync-delay 0"));
    ASSERT_THAT(master, IsOk());
    master_ = *std::move(master);
    auto replica = t::RedisServer::Start(JoinPath(tmp_.path(), "replica"),
                                         absl::StrCat("replicaof 127.0.0.1 ", port));
    ASSERT_THAT(replica, IsOk());
    replica_ = *std::move(replica);
    for (const absl::Time until = absl::Now() + absl::Seconds(20); absl::Now() < until;) {
      absl::StatusOr<std::string> info = master_->Command({"INFO", "replication"});
      if (info.ok() && redis::ParseReplicationInfo(*info).replicas_online == 1) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "the replica never came online";
  }

  std::unique_ptr<redis::ReplicatedConnection> Connect(int replicas, bool allow_fewer,
                                                       absl::Duration timeout) {
    redis::AsyncRedisClient::Options reads;
    reads.address = master_->address();
    redis::ReplicationOptions r;
    r.replicas = replicas;
    r.allow_fewer = allow_fewer;
    r.timeout = timeout;
    r.on_wait = [this](absl::Duration, int, int) { waits_.fetch_add(1); };
    auto c = redis::ReplicatedConnection::Start(std::move(reads), std::move(r));
    EXPECT_THAT(c, IsOk());
    if (!c.ok()) return nullptr;
    EXPECT_THAT((*c)->WaitUntilReady(absl::Seconds(10)), IsOk());
    return *std::move(c);
  }

  t::TempDir tmp_;
  std::unique_ptr<t::RedisServer> master_;
  std::unique_ptr<t::RedisServer> replica_;
  std::atomic<int> waits_{0};
};

TEST_F(ReplicatedWritesTest, APipelineOfWritesIsAcknowledgedOnceTheReplicaHasIt) {
  std::unique_ptr<redis::ReplicatedConnection> c = Connect(1, false, absl::Seconds(5));
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->durability(), IsOk());
  constexpr int kWrites = 300;
  absl::Mutex mu;
  int done = 0, failed = 0;
  std::string replica_keys_at_last_ack;
  for (int i = 0; i < kWrites; ++i) {
    c->ExecuteWrite({"SET", absl::StrCat("k", i), "v"}, absl::Now() + absl::Seconds(10),
                    [&](absl::StatusOr<redis::RedisReply> r) {
                      absl::MutexLock lock(&mu);
                      if (!r.ok() || r->is_error()) ++failed;
                      if (++done == kWrites) {
                        // Acknowledged: the replica has every key already.
                        absl::StatusOr<std::string> n = replica_->Command({"DBSIZE"});
                        replica_keys_at_last_ack = n.ok() ? *n : n.status().ToString();
                      }
                    });
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(+[](int* d) { return *d == kWrites; }, &done));
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(replica_keys_at_last_ack, absl::StrCat(kWrites));
  // One WAIT covers every reply that came before it: far fewer WAITs than writes.
  EXPECT_LE(waits_.load(), 10) << "one WAIT per write: no group commit";
  EXPECT_GE(waits_.load(), 1);
}

TEST_F(ReplicatedWritesTest, AnUnconfirmedWriteFailsUnavailableWhileReadsAndErrorsGoOn) {
  std::unique_ptr<redis::ReplicatedConnection> c = Connect(1, false, absl::Seconds(1));
  ASSERT_NE(c, nullptr);
  ASSERT_THAT(master_->Command({"SET", "list", "not a list"}), IsOk());
  replica_->Pause();
  absl::Mutex mu;
  std::vector<std::string> order;
  absl::StatusOr<redis::RedisReply> write = absl::UnknownError("pending");
  auto record = [&](const std::string& what) {
    absl::MutexLock lock(&mu);
    order.push_back(what);
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  c->ExecuteWrite({"SET", "unconfirmed", "1"}, deadline,
                  [&](absl::StatusOr<redis::RedisReply> r) {
                    write = std::move(r);
                    record("write");
                  });
  // An error reply acknowledges nothing: it is not held behind the WAIT.
  c->ExecuteWrite({"LPUSH", "list", "x"}, deadline, [&](absl::StatusOr<redis::RedisReply> r) {
    EXPECT_TRUE(r.ok() && r->is_error());
    record("error");
  });
  // A read on the other connection is not blocked by the WAIT.
  c->Execute({"GET", "unconfirmed"}, deadline, [&](absl::StatusOr<redis::RedisReply> r) {
    EXPECT_THAT(r, IsOk());
    record("read");
  });
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(+[](std::vector<std::string>* o) { return o->size() == 3; }, &order));
  }
  replica_->Resume();
  EXPECT_THAT(order, ::testing::UnorderedElementsAre("read", "error", "write"));
  EXPECT_EQ(order.back(), "write");
  EXPECT_THAT(write, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("0 of 1 replica(s)")));
  absl::StatusOr<std::string> ran = master_->Command({"GET", "unconfirmed"});
  ASSERT_THAT(ran, IsOk());
  EXPECT_EQ(*ran, "1") << "it ran: it may exist, and only a retry can tell";
}

TEST_F(ReplicatedWritesTest, TooFewReplicasAreReportedUnlessAllowed) {
  {
    std::unique_ptr<redis::ReplicatedConnection> c = Connect(2, false, absl::Seconds(1));
    ASSERT_NE(c, nullptr);
    EXPECT_THAT(c->durability(),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("has 1 replica(s) online")));
  }
  std::unique_ptr<redis::ReplicatedConnection> c = Connect(2, true, absl::Seconds(1));
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->durability(), IsOk());
  // Allowed: it waits for the one replica there is.
  absl::StatusOr<redis::RedisReply> r = t::Await<redis::RedisReply>([&](auto done) {
    c->ExecuteWrite({"SET", "allowed", "1"}, absl::Now() + absl::Seconds(5), std::move(done));
  });
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->is_error());
  absl::StatusOr<std::string> copied = replica_->Command({"GET", "allowed"});
  ASSERT_THAT(copied, IsOk());
  EXPECT_EQ(*copied, "1");
}

// The server on one Redis without a replica, told to wait for one: it starts and verifies, but
// refuses writes and reports "hallmark.writes" NOT_SERVING.
TEST(ReplicatedServerTest, WritesAreRefusedWithoutTheReplicasTheyNeed) {
  t::ServerHarness::Options o;
  o.configure = [](api::ServerConfig* c) { c->redis_replicas = 1; };
  auto h = t::ServerHarness::Start(o);
  ASSERT_THAT(h, IsOk());
  v1::IssueSerialsRequest r;
  r.set_gtin(t::kBrandGtin);
  r.set_count(3);
  r.set_request_id("needs-a-replica");
  v1::IssueSerialsResponse resp;
  grpc::Status s = v1::Issuance::NewStub((*h)->channel())
                       ->IssueSerials((*h)->Context(t::kIssuer).get(), r, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("0 replica(s) online"));
  EXPECT_EQ(*(*h)->RegisteredCount(t::kBrandGtin), 0u);
  auto health = grpc::health::v1::Health::NewStub((*h)->channel());
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse status;
  bool writes_not_serving = false;
  for (int i = 0; i < 100 && !writes_not_serving; ++i) {
    grpc::ClientContext ctx;
    req.set_service("hallmark.writes");
    writes_not_serving = health->Check(&ctx, req, &status).ok() &&
                         status.status() == grpc::health::v1::HealthCheckResponse::NOT_SERVING;
    if (!writes_not_serving) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(writes_not_serving);
  grpc::ClientContext ctx;
  req.set_service("");
  ASSERT_TRUE(health->Check(&ctx, req, &status).ok());
  EXPECT_EQ(status.status(), grpc::health::v1::HealthCheckResponse::SERVING) << "reads go on";
}

}  // namespace
}  // namespace hallmark
