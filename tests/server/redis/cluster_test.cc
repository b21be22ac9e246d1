// Hallmark on a real Redis Cluster (3 masters, 3 replicas, started by the test on loopback):
// every service across units spread over all masters; a slot migrated while issuance and
// verification run; a master killed and its replica promoted; two hallmark-server processes
// issuing SEQUENTIAL serials for one GTIN at once.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/lifecycle.grpc.pb.h"
#include "hallmark/v1/stolen_registry.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "server/redis/cluster_client.h"
#include "server/redis/cluster_slots.h"
#include "tests/common/await.h"
#include "tests/common/cluster_units.h"
#include "tests/common/redis_cluster.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"
#include "tests/common/subprocess.h"
#include "tests/common/temp_dir.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::testing::Each;
using ::testing::Eq;
namespace t = ::hallmark::testing;

using t::BrandGtin;
using t::SlotOf;

// Each test gets a fresh cluster of its own (3 masters, 3 replicas): tests that kill, add or
// reshard nodes.
class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = t::RedisCluster::Start(tmp_.path());
    ASSERT_THAT(cluster, IsOk());
    owned_ = *std::move(cluster);
    cluster_ = owned_.get();
  }

  std::unique_ptr<t::ServerHarness> StartServer() {
    t::ServerHarness::Options o;
    o.redis_address = cluster_->address();
    o.redis_timeout = absl::Seconds(2);
    auto h = t::ServerHarness::Start(o);
    EXPECT_THAT(h, IsOk());
    return h.ok() ? *std::move(h) : nullptr;
  }

  grpc::Status Issue(t::ServerHarness& h, const std::string& gtin, int count,
                     const std::string& request_id, std::vector<v1::IssuedUnit>* out,
                     v1::SerialFormat format = v1::SERIAL_FORMAT_RANDOM,
                     const std::string& lot = "L1") {
    v1::IssueSerialsRequest r;
    r.set_gtin(gtin);
    r.set_lot(lot);
    r.set_count(count);
    r.set_format(format);
    r.set_request_id(request_id);
    v1::IssueSerialsResponse resp;
    grpc::Status s = v1::Issuance::NewStub(h.channel())
                         ->IssueSerials(h.Context(t::kIssuer).get(), r, &resp);
    if (s.ok()) out->insert(out->end(), resp.units().begin(), resp.units().end());
    return s;
  }

  // The routing client on its own (no server), ready; null on failure (the test fails).
  // `replicas` > 0: writes (ExecuteWrite) are acknowledged once that many replicas have them.
  std::unique_ptr<redis::ClusterRedisClient> StartClient(absl::Duration refresh_interval,
                                                         int replicas = 0) {
    absl::StatusOr<std::vector<std::string>> seeds =
        redis::ParseClusterSeeds(cluster_->address());
    EXPECT_THAT(seeds, IsOk());
    if (!seeds.ok()) return nullptr;
    redis::ClusterRedisClient::Options o;
    o.seeds = *seeds;
    o.refresh_interval = refresh_interval;
    o.replication.replicas = replicas;
    absl::StatusOr<std::unique_ptr<redis::ClusterRedisClient>> client =
        redis::ClusterRedisClient::Start(std::move(o));
    EXPECT_THAT(client, IsOk());
    if (!client.ok()) return nullptr;
    EXPECT_THAT((*client)->WaitUntilReady(absl::Seconds(10)), IsOk());
    return *std::move(client);
  }

  static absl::StatusOr<redis::RedisReply> Run(redis::ClusterRedisClient& c,
                                               std::vector<std::string> argv) {
    return t::Await<redis::RedisReply>([&](auto done) {
      c.Execute(std::move(argv), absl::Now() + absl::Seconds(2), std::move(done));
    });
  }

  v1::Verdict Verify(t::ServerHarness& h, const std::string& code, grpc::Status* status) {
    v1::VerifyRequest r;
    r.set_code(code);
    v1::VerifyResponse resp;
    *status = v1::Verification::NewStub(h.channel())
                  ->Verify(h.Context(t::kVerifier).get(), r, &resp);
    return resp.verdict();
  }

  int64_t Count(const std::string& gtin) { return t::RegisteredCount(*cluster_, gtin); }

  t::TempDir tmp_;
  t::RedisCluster* cluster_ = nullptr;  // owned_, or the suite's shared cluster

 private:
  std::unique_ptr<t::RedisCluster> owned_;
};

// Tests that leave every node running share one cluster per process (building one costs about
// 2 s). They use disjoint GTINs, so none sees another's units; a slot migrated by one stays a
// healthy layout for the next.
class SharedClusterTest : public ClusterTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = new t::TempDir();
    auto cluster = t::RedisCluster::Start(dir_->path());
    if (cluster.ok()) shared_ = cluster->release();
  }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(shared_, nullptr) << "the shared cluster did not start";
    cluster_ = shared_;
  }

 private:
  static inline t::TempDir* dir_ = nullptr;
  static inline t::RedisCluster* shared_ = nullptr;
};

TEST_F(SharedClusterTest, EveryServiceWorksAcrossUnitsOnAllMasters) {
  std::unique_ptr<t::ServerHarness> h = StartServer();
  ASSERT_NE(h, nullptr);
  std::vector<v1::IssuedUnit> units;
  std::set<int> masters;
  for (int item = 101; item <= 124; ++item) {  // other tests of the suite use 7, 21, 1000+
    const std::string gtin = BrandGtin(item);
    ASSERT_TRUE(Issue(*h, gtin, 4, absl::StrCat("spread-", item), &units).ok()) << gtin;
    absl::StatusOr<int> m = cluster_->MasterOf(SlotOf(gtin));
    ASSERT_THAT(m, IsOk());
    masters.insert(*m);
  }
  ASSERT_EQ(masters.size(), 3u) << "24 GTINs land on every master";
  for (int item = 101; item <= 124; ++item) EXPECT_EQ(Count(BrandGtin(item)), 4);

  // Verify in a batch: every code AUTHENTIC, the batch split over the masters.
  v1::VerifyBatchRequest batch;
  for (const v1::IssuedUnit& u : units) batch.add_requests()->set_code(u.digital_link());
  v1::VerifyBatchResponse verdicts;
  ASSERT_TRUE(v1::Verification::NewStub(h->channel())
                  ->VerifyBatch(h->Context(t::kVerifier).get(), batch, &verdicts)
                  .ok());
  for (const v1::VerifyResponse& v : verdicts.responses()) {
    EXPECT_EQ(v.verdict(), v1::VERDICT_AUTHENTIC) << v.unit().gtin();
  }

  // A stolen report spanning every master, checked and cleared.
  auto stolen = v1::StolenRegistry::NewStub(h->channel());
  v1::ReportStolenRequest report;
  report.set_case_id("CL-1");
  report.set_agency("Police");
  for (size_t i = 0; i < units.size(); i += 4) *report.add_units() = units[i].unit();
  v1::ReportStolenResponse reported;
  ASSERT_TRUE(stolen->ReportStolen(h->Context(t::kPolice).get(), report, &reported).ok());
  for (const v1::UnitResult& r : reported.results()) {
    EXPECT_EQ(r.outcome(), v1::UNIT_OUTCOME_OK);
  }
  v1::CheckStolenRequest check;
  for (const v1::IssuedUnit& u : units) *check.add_units() = u.unit();
  v1::CheckStolenResponse checked;
  ASSERT_TRUE(stolen->CheckStolen(h->Context(t::kRetailer).get(), check, &checked).ok());
  for (int i = 0; i < checked.statuses_size(); ++i) {
    EXPECT_TRUE(checked.statuses(i).registered());
    EXPECT_EQ(checked.statuses(i).stolen(), i % 4 == 0) << i;
  }
  grpc::Status s;
  EXPECT_EQ(Verify(*h, units[0].digital_link(), &s), v1::VERDICT_STOLEN);
  v1::GetCaseRequest get_case;
  get_case.set_case_id("CL-1");
  v1::StolenCase c;
  ASSERT_TRUE(stolen->GetCase(h->Context(t::kPolice).get(), get_case, &c).ok());
  EXPECT_EQ(c.units_size(), 24);
  v1::ClearStolenRequest clear;
  clear.set_case_id("CL-1");
  v1::ClearStolenResponse cleared;
  ASSERT_TRUE(stolen->ClearStolen(h->Context(t::kPolice).get(), clear, &cleared).ok());
  EXPECT_EQ(cleared.results_size(), 24);
  EXPECT_EQ(Verify(*h, units[0].digital_link(), &s), v1::VERDICT_AUTHENTIC);

  // The lifecycle on a unit of each master, and a lot recall.
  auto life = v1::Lifecycle::NewStub(h->channel());
  for (size_t i = 0; i < units.size(); i += 8) {
    v1::RecordEventRequest sold;
    *sold.mutable_unit() = units[i].unit();
    sold.set_action(v1::LIFECYCLE_ACTION_SOLD);
    sold.set_request_id(absl::StrCat("sale-", i));
    v1::UnitRecord rec;
    ASSERT_TRUE(life->RecordEvent(h->Context(t::kRetailer).get(), sold, &rec).ok());
    EXPECT_EQ(rec.status(), v1::UNIT_STATUS_SOLD);
  }
  v1::RecallRequest recall;
  recall.set_gtin(units[5].unit().gtin());
  recall.set_lot("L1");
  recall.set_reason("cluster");
  recall.set_request_id("cluster-recall");
  v1::RecallResponse recalled;
  ASSERT_TRUE(life->Recall(h->Context(t::kIssuer).get(), recall, &recalled).ok());
  EXPECT_EQ(recalled.affected(), 4u);
  EXPECT_EQ(Verify(*h, units[5].digital_link(), &s), v1::VERDICT_RECALLED);
}

TEST_F(SharedClusterTest, SlotMigrationUnderLoadLosesAndDuplicatesNothing) {
  std::unique_ptr<t::ServerHarness> h = StartServer();
  ASSERT_NE(h, nullptr);
  const std::string gtin = BrandGtin(7);
  const int slot = SlotOf(gtin);
  absl::StatusOr<int> from = cluster_->MasterOf(slot);
  ASSERT_THAT(from, IsOk());
  absl::StatusOr<std::vector<int>> masters = cluster_->Masters();
  ASSERT_THAT(masters, IsOk());
  int to = -1;
  for (int m : *masters) {
    if (m != *from) to = m;
  }
  ASSERT_GE(to, 0);
  std::vector<v1::IssuedUnit> seed;
  ASSERT_TRUE(Issue(*h, gtin, 200, "before", &seed).ok());

  std::atomic<bool> stop{false};
  std::atomic<int> unclean{0};
  std::vector<std::string> request_ids;
  std::vector<v1::IssuedUnit> issued;
  std::thread issuer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string id = absl::StrCat("load-", i);
      request_ids.push_back(id);
      grpc::Status s = Issue(*h, gtin, 20, id, &issued);
      if (!s.ok() && s.error_code() != grpc::StatusCode::UNAVAILABLE) ++unclean;
    }
  });
  std::atomic<int> verified{0};
  std::thread verifier([&] {
    for (size_t i = 0; !stop.load(); ++i) {
      grpc::Status s;
      const v1::Verdict v = Verify(*h, seed[i % seed.size()].digital_link(), &s);
      if (s.ok() && v != v1::VERDICT_AUTHENTIC) ++unclean;
      if (!s.ok() && s.error_code() != grpc::StatusCode::UNAVAILABLE) ++unclean;
      if (s.ok()) ++verified;
    }
  });
  // A second GTIN of the same slot, first issued while the slot is MIGRATING: the call waits
  // (TRYAGAIN, retried) until the slot has moved, then creates its keys on the new master.
  std::string sibling;
  for (int item = 1000; sibling.empty(); ++item) {
    if (SlotOf(BrandGtin(item)) == slot && BrandGtin(item) != gtin) sibling = BrandGtin(item);
  }
  std::vector<v1::IssuedUnit> asked;
  std::thread sibling_issuer;
  absl::SleepFor(absl::Milliseconds(300));
  // A few keys per MIGRATE: the GTIN is split over both nodes for a while.
  ASSERT_THAT(cluster_->MigrateSlot(slot, to,
                                    [&] {
                                      sibling_issuer = std::thread([&] {
                                        grpc::Status s = Issue(*h, sibling, 30, "asked", &asked);
                                        EXPECT_TRUE(s.ok()) << s.error_message();
                                      });
                                      absl::SleepFor(absl::Milliseconds(300));
                                    },
                                    /*keys_per_migrate=*/3),
              IsOk());
  sibling_issuer.join();
  absl::SleepFor(absl::Milliseconds(500));
  stop = true;
  issuer.join();
  verifier.join();
  EXPECT_EQ(unclean.load(), 0) << "every call succeeded or failed with UNAVAILABLE";
  EXPECT_GT(verified.load(), 0);
  ASSERT_EQ(*cluster_->MasterOf(slot), to);
  EXPECT_EQ(cluster_->node(to).Command({"EXISTS", "hm:{" + gtin + "}"}).value_or(""), "1");
  EXPECT_EQ(cluster_->node(*from)
                .Command({"CLUSTER", "COUNTKEYSINSLOT", absl::StrCat(slot)})
                .value_or(""),
            "0")
      << "nothing was written on the old master during or after the move";

  // Repeating every request (a client's retry) completes those that failed; then every unit
  // is registered once: nothing lost, nothing twice.
  std::vector<v1::IssuedUnit> all = seed;
  for (const std::string& id : request_ids) {
    ASSERT_TRUE(Issue(*h, gtin, 20, id, &all).ok()) << id;
  }
  std::set<std::string> serials;
  for (const v1::IssuedUnit& u : all) serials.insert(u.unit().serial());
  EXPECT_EQ(serials.size(), all.size()) << "no serial handed out twice";
  EXPECT_EQ(Count(gtin), static_cast<int64_t>(all.size()));
  for (const v1::IssuedUnit& u : issued) {
    EXPECT_TRUE(serials.count(u.unit().serial())) << "an acknowledged unit is still there";
  }
  EXPECT_EQ(Count(sibling), 30);
  ASSERT_EQ(asked.size(), 30u);
  grpc::Status s;
  EXPECT_EQ(Verify(*h, asked[0].digital_link(), &s), v1::VERDICT_AUTHENTIC);
  for (size_t i = 0; i < all.size(); i += 37) {
    EXPECT_EQ(Verify(*h, all[i].digital_link(), &s), v1::VERDICT_AUTHENTIC);
    EXPECT_TRUE(s.ok());
  }
}

TEST_F(ClusterTest, AFailedMasterIsReplacedByItsReplicaWithoutARestart) {
  std::unique_ptr<t::ServerHarness> h = StartServer();
  ASSERT_NE(h, nullptr);
  const std::string gtin = BrandGtin(11);
  std::vector<v1::IssuedUnit> units;
  ASSERT_TRUE(Issue(*h, gtin, 50, "before-failover", &units).ok());
  absl::StatusOr<int> master = cluster_->MasterOf(SlotOf(gtin));
  ASSERT_THAT(master, IsOk());
  // No waiting for replication here: the server acknowledged the units only once the replica
  // had them (--redis_replicas, 1 on a cluster).
  cluster_->Kill(*master);
  ASSERT_THAT(cluster_->WaitForNewMaster(SlotOf(gtin), *master, absl::Seconds(30)), IsOk());
  absl::StatusOr<int> promoted = cluster_->MasterOf(SlotOf(gtin));
  ASSERT_THAT(promoted, IsOk());
  EXPECT_NE(*promoted, *master);

  // The same server follows the new topology: its calls succeed again within seconds.
  const absl::Time until = absl::Now() + absl::Seconds(20);
  grpc::Status s;
  v1::Verdict v = v1::VERDICT_UNSPECIFIED;
  while (absl::Now() < until) {
    v = Verify(*h, units[0].digital_link(), &s);
    if (s.ok()) break;
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(v, v1::VERDICT_AUTHENTIC);
  for (const v1::IssuedUnit& u : units) {
    EXPECT_EQ(Verify(*h, u.digital_link(), &s), v1::VERDICT_AUTHENTIC);
  }
  // The promoted master has no replica: writes wait (refused UNAVAILABLE) until the old master
  // is back, as its replica.
  std::vector<v1::IssuedUnit> more;
  EXPECT_EQ(Issue(*h, gtin, 10, "after-failover", &more).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  ASSERT_THAT(cluster_->Restart(*master), IsOk());
  ASSERT_THAT(cluster_->WaitForReplicas(*promoted, 1, absl::Seconds(30)), IsOk());
  grpc::Status issued;
  for (const absl::Time until = absl::Now() + absl::Seconds(20); absl::Now() < until;) {
    more.clear();
    issued = Issue(*h, gtin, 10, "after-failover", &more);
    if (issued.ok()) break;
    EXPECT_EQ(issued.error_code(), grpc::StatusCode::UNAVAILABLE) << issued.error_message();
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_TRUE(issued.ok()) << issued.error_message();
  EXPECT_EQ(Count(gtin), 60);
}

// The routing client by itself: after a failover it drops the dead master's connection, and
// frees it (no connections pile up over refreshes).
TEST_F(ClusterTest, TheClientFollowsAFailoverAndFreesTheOldConnection) {
  std::unique_ptr<redis::ClusterRedisClient> client =
      StartClient(absl::Milliseconds(200), /*replicas=*/1);
  ASSERT_NE(client, nullptr);
  redis::ClusterRedisClient& c = *client;
  auto run = [&c](std::vector<std::string> argv) { return Run(c, std::move(argv)); };
  const std::string key = "failover-key";
  // Acknowledged once the replica has it (a WAIT on the write's own connection: a WAIT sent on
  // another connection covers none of this one's writes).
  absl::StatusOr<redis::RedisReply> set = t::Await<redis::RedisReply>([&](auto done) {
    c.ExecuteWrite({"SET", key, "1"}, absl::Now() + absl::Seconds(5), std::move(done));
  });
  ASSERT_THAT(set, IsOk());
  ASSERT_FALSE(set->is_error()) << set->str;
  absl::StatusOr<int> master = cluster_->MasterOf(redis::HashSlot(key));
  ASSERT_THAT(master, IsOk());
  cluster_->Kill(*master);
  ASSERT_THAT(cluster_->WaitForNewMaster(redis::HashSlot(key), *master, absl::Seconds(30)),
              IsOk());

  absl::StatusOr<redis::RedisReply> got = absl::UnavailableError("not tried");
  for (const absl::Time until = absl::Now() + absl::Seconds(20); absl::Now() < until;) {
    got = run({"GET", key});
    if (got.ok() && !got->is_error()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->str, "1");
  // The dead master's connection was retired when the new map came; a later refresh frees it.
  const int64_t seen = c.refreshes();
  for (const absl::Time until = absl::Now() + absl::Seconds(20); absl::Now() < until;) {
    if (c.refreshes() >= seen + 2 && c.retired_connections() == 0) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_GE(c.refreshes(), seen + 2);
  EXPECT_EQ(c.retired_connections(), 0u);
}

// Scaling out: a slot moves to a master that had none. While it is IMPORTING, CLUSTER SLOTS
// does not list that master, yet ASK redirections go to it: the client must keep that one
// connection through its refreshes instead of closing it under calls in flight.
TEST_F(ClusterTest, ReshardingOntoANewEmptyMasterKeepsItsConnection) {
  absl::StatusOr<int> fresh = cluster_->AddEmptyMaster();
  ASSERT_THAT(fresh, IsOk());
  std::unique_ptr<redis::ClusterRedisClient> client = StartClient(absl::Milliseconds(100));
  ASSERT_NE(client, nullptr);
  redis::ClusterRedisClient& c = *client;

  // A key that does not exist: the migrating owner answers ASK, the new master nil.
  const std::string key = "{scale-out}missing";
  const int slot = redis::HashSlot(key);
  int errors = 0, calls = 0;
  std::string first_error;
  int64_t opened_before = 0, refreshes_before = 0;
  ASSERT_THAT(cluster_->MigrateSlot(slot, *fresh, [&] {
    opened_before = c.connections_opened();
    refreshes_before = c.refreshes();
    const absl::Time until = absl::Now() + absl::Seconds(3);
    while (absl::Now() < until || c.refreshes() < refreshes_before + 5) {
      absl::StatusOr<redis::RedisReply> r = Run(c, {"GET", key});
      ++calls;
      if (!r.ok() || r->is_error()) {
        if (errors++ == 0) first_error = r.ok() ? r->str : r.status().ToString();
      }
    }
  }), IsOk());
  EXPECT_GT(calls, 0);
  EXPECT_EQ(errors, 0) << first_error;
  EXPECT_GE(c.refreshes(), refreshes_before + 5);  // refreshes did happen meanwhile
  EXPECT_EQ(c.connections_opened(), opened_before + 1);  // the new master, once
}

TEST_F(SharedClusterTest, TwoServerProcessesIssueSequentialSerialsWithoutDuplicates) {
  absl::StatusOr<t::Deployment> d = t::WriteDeployment(tmp_.path());
  ASSERT_THAT(d, IsOk());
  std::vector<t::Subprocess> servers;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < 2; ++i) {
    const std::string socket = JoinPath(tmp_.path(), absl::StrCat("server", i, ".sock"));
    absl::StatusOr<t::Subprocess> p = t::Subprocess::Start(
        {HALLMARK_BINARY_DIR "/server/hallmark-server", "--listen=unix:" + socket,
         "--redis=" + cluster_->address(), "--keys_dir=" + d->keys_dir,
         "--principals=" + d->principals, "--log_rpcs=false"},
        JoinPath(tmp_.path(), absl::StrCat("server", i, ".log")));
    ASSERT_THAT(p, IsOk());
    servers.push_back(*std::move(p));
    channels.push_back(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
    ASSERT_TRUE(channels.back()->WaitForConnected(absl::ToChronoTime(absl::Now() +
                                                                     absl::Seconds(20))))
        << servers.back().Log();
  }
  const std::string gtin = BrandGtin(21);
  std::vector<std::vector<std::string>> serials(2);
  std::vector<std::thread> clients;
  std::atomic<int> failures{0};
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back([&, i] {
      auto stub = v1::Issuance::NewStub(channels[i]);
      for (int k = 0; k < 20; ++k) {
        v1::IssueSerialsRequest r;
        r.set_gtin(gtin);
        r.set_format(v1::SERIAL_FORMAT_SEQUENTIAL);
        r.set_count(100);
        r.set_request_id(absl::StrCat("server", i, "-", k));
        v1::IssueSerialsResponse resp;
        grpc::ClientContext ctx;
        ctx.AddMetadata("authorization", "Bearer " + d->tokens.at(t::kIssuer));
        ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
        if (!stub->IssueSerials(&ctx, r, &resp).ok()) {
          ++failures;
          continue;
        }
        for (const v1::IssuedUnit& u : resp.units()) serials[i].push_back(u.unit().serial());
      }
    });
  }
  for (std::thread& c : clients) c.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<std::string> all(serials[0].begin(), serials[0].end());
  all.insert(serials[1].begin(), serials[1].end());
  EXPECT_EQ(serials[0].size() + serials[1].size(), 4000u);
  EXPECT_EQ(all.size(), 4000u) << "no serial issued twice by the two servers";
  EXPECT_EQ(Count(gtin), 4000);
}

TEST(ClusterDurabilityTest, EveryMasterMustBeDurable) {
  t::TempDir tmp;
  // Three masters that would acknowledge writes before they are on disk.
  auto cluster = t::RedisCluster::Start(tmp.path(), 3, 0,
                                        "appendfsync everysec\nmin-replicas-to-write 0");
  ASSERT_THAT(cluster, IsOk());
  t::ServerHarness::Options o;
  o.redis_address = (*cluster)->address();
  o.configure = [](api::ServerConfig* c) { c->redis_startup_timeout = absl::Seconds(10); };
  auto refused = t::ServerHarness::Start(o);
  EXPECT_THAT(refused, ::hallmark::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                                     ::testing::HasSubstr("appendfsync")));
  o.configure = [](api::ServerConfig* c) { c->allow_volatile_redis = true; };
  EXPECT_THAT(t::ServerHarness::Start(o), IsOk()) << "explicitly allowed";
}

}  // namespace
}  // namespace hallmark
