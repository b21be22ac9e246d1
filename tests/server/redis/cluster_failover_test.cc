// Acknowledged means replicated (docs/scaling.md): on a real Redis Cluster (3 masters, 3
// replicas, started by the test), a write Hallmark acknowledged survives the loss of its master.
//
//   * Three SIGKILLs of the master of a GTIN, at different points of a stream issuing it and
//     of stolen reports flagging its units; each time the replica is promoted and the dead node
//     rejoins as its replica. Afterwards every unit any attempt received and every flag
//     acknowledged is read back through Hallmark: 0 missing, 0 duplicated, and the resumed
//     stream ends with exactly the requested count.
//   * A partition: the master SIGSTOPped longer than cluster-node-timeout while calls keep
//     arriving (they queue in its socket and run when it wakes); nothing it acknowledged is
//     lost after its replica took over.
//   * A replica that does not confirm in time: the write fails UNAVAILABLE (it exists on the
//     master), and its retry returns the same units without registering more.
//   * A master without replicas: writes refused UNAVAILABLE, reads served, health
//     "hallmark.writes" NOT_SERVING; accepted when explicitly allowed.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/stolen_registry.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "tests/common/cluster_units.h"
#include "tests/common/redis_cluster.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark {
namespace {

using ::grpc::health::v1::HealthCheckResponse;
using ::hallmark::testing::IsOk;
namespace t = ::hallmark::testing;

constexpr char kAgency[] = "Metropolitan Police";

std::string Key(const v1::UnitId& u) { return u.gtin() + "/" + u.serial(); }

v1::IssueSerialsRequest Request(const std::string& gtin, int count,
                                const std::string& request_id) {
  v1::IssueSerialsRequest r;
  r.set_gtin(gtin);
  r.set_lot("L7");
  r.set_count(count);
  r.set_request_id(request_id);
  return r;
}

grpc::Status Issue(t::ServerHarness& h, const v1::IssueSerialsRequest& r,
                   std::vector<v1::IssuedUnit>* out) {
  v1::IssueSerialsResponse resp;
  grpc::Status s =
      v1::Issuance::NewStub(h.channel())->IssueSerials(h.Context(t::kIssuer).get(), r, &resp);
  if (s.ok()) out->assign(resp.units().begin(), resp.units().end());
  return s;
}

// Repeats `r` until it succeeds (UNAVAILABLE while a failover settles, nothing else).
std::vector<v1::IssuedUnit> IssueUntilOk(t::ServerHarness& h, const v1::IssueSerialsRequest& r) {
  std::vector<v1::IssuedUnit> out;
  grpc::Status s;
  for (const absl::Time until = absl::Now() + absl::Seconds(60); absl::Now() < until;) {
    s = Issue(h, r, &out);
    if (s.ok()) return out;
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    absl::SleepFor(absl::Milliseconds(100));
  }
  ADD_FAILURE() << "never issued: " << s.error_message();
  return out;
}

grpc::Status Report(t::ServerHarness& h, const v1::UnitId& unit, const std::string& case_id) {
  v1::ReportStolenRequest r;
  r.set_case_id(case_id);
  r.set_agency(kAgency);
  *r.add_units() = unit;
  v1::ReportStolenResponse resp;
  grpc::Status s = v1::StolenRegistry::NewStub(h.channel())
                       ->ReportStolen(h.Context(t::kPolice, absl::Seconds(10)).get(), r, &resp);
  if (s.ok() && (resp.results_size() != 1 || resp.results(0).outcome() != v1::UNIT_OUTCOME_OK)) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("report refused: ", resp.ShortDebugString()));
  }
  return s;
}

// Every unit of `units` is registered, and flagged stolen under its case where `cases` has
// one, as Hallmark reports it (CheckStolen, 1000 at a time).
void ExpectRegisteredAndFlagged(t::ServerHarness& h, const std::vector<v1::UnitId>& units,
                                const std::map<std::string, std::string>& cases) {
  auto stub = v1::StolenRegistry::NewStub(h.channel());
  int missing = 0, unflagged = 0;
  for (size_t at = 0; at < units.size(); at += 1000) {
    v1::CheckStolenRequest r;
    for (size_t i = at; i < std::min(units.size(), at + 1000); ++i) *r.add_units() = units[i];
    v1::CheckStolenResponse resp;
    grpc::Status s;
    for (int attempt = 0; attempt < 100; ++attempt) {
      resp.Clear();
      s = stub->CheckStolen(h.Context(t::kPolice).get(), r, &resp);
      if (s.ok()) break;
      absl::SleepFor(absl::Milliseconds(100));
    }
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(resp.statuses_size(), r.units_size());
    for (const v1::StolenStatus& st : resp.statuses()) {
      if (!st.registered()) ++missing;
      auto c = cases.find(Key(st.unit()));
      if (c != cases.end() && (!st.stolen() || st.case_id() != c->second)) ++unflagged;
    }
  }
  EXPECT_EQ(missing, 0) << "acknowledged units lost";
  EXPECT_EQ(unflagged, 0) << "acknowledged stolen flags lost";
}

bool WritesServing(t::ServerHarness& h, HealthCheckResponse::ServingStatus want,
                   const std::string& service) {
  auto health = grpc::health::v1::Health::NewStub(h.channel());
  for (const absl::Time until = absl::Now() + absl::Seconds(20); absl::Now() < until;) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    if (health->Check(&ctx, req, &resp).ok() && resp.status() == want) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

// A stream issuing `count` units of one GTIN, resumed (the same request again) after every
// failure until it completes, and a reporter flagging `flaggable` units one call at a time,
// each retried until acknowledged; both in the background. What they were told is kept.
class Traffic {
 public:
  Traffic(t::ServerHarness* h, const std::string& gtin, int count,
          std::vector<v1::IssuedUnit> flaggable)
      : h_(h), request_(Request(gtin, count, "failover-stream")),
        flaggable_(std::move(flaggable)) {
    stream_ = std::thread([this] { Stream(); });
    reporter_ = std::thread([this] { ReportAll(); });
  }
  ~Traffic() { Join(); }

  // Waits for the stream to complete (or give up), then stops the reporter.
  void Join() {
    if (stream_.joinable()) stream_.join();
    done_ = true;
    if (reporter_.joinable()) reporter_.join();
  }

  // Waits until some attempt of the stream has received `n` units.
  bool WaitForProgress(size_t n) {
    for (const absl::Time until = absl::Now() + absl::Seconds(120); absl::Now() < until;) {
      if (progress_.load() >= n) return true;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return false;
  }
  size_t flagged_so_far() {
    absl::MutexLock lock(&mu_);
    return flagged_.size();
  }

  // After Join():
  // The completed attempt has exactly the requested count of distinct units, and includes
  // every unit any attempt received; the registry holds them plus `before`; every unit and
  // every acknowledged flag reads back through Hallmark.
  void ExpectNothingLost(t::ServerHarness& h, t::RedisCluster& cluster, int before,
                         const std::vector<v1::IssuedUnit>& also = {}) {
    ASSERT_TRUE(final_status_.ok()) << final_status_.error_message();
    ASSERT_EQ(final_units_.size(), request_.count());
    std::set<std::string> final_keys;
    std::vector<v1::UnitId> units;
    for (const v1::IssuedUnit& u : final_units_) {
      final_keys.insert(Key(u.unit()));
      units.push_back(u.unit());
    }
    EXPECT_EQ(final_keys.size(), request_.count()) << "a unit handed out twice";
    int changed = 0;
    for (const std::string& k : ever_received_) changed += final_keys.count(k) == 0;
    EXPECT_EQ(changed, 0) << "a resumed stream changed units it had handed out";
    EXPECT_EQ(t::RegisteredCount(cluster, request_.gtin()), request_.count() + before);
    for (const v1::IssuedUnit& u : flaggable_) units.push_back(u.unit());
    for (const v1::IssuedUnit& u : also) units.push_back(u.unit());
    ExpectRegisteredAndFlagged(h, units, flagged_);
    RecordProperty("stream_attempts", attempts_);
    RecordProperty("flags_acknowledged", static_cast<int>(flagged_.size()));
    std::cout << "stream attempts " << attempts_ << ", flags acknowledged " << flagged_.size()
              << "\n";
  }

 private:
  static void RecordProperty(const std::string& key, int value) {
    ::testing::Test::RecordProperty(key, value);
  }

  void Stream() {
    auto stub = v1::Issuance::NewStub(h_->channel());
    for (const absl::Time until = absl::Now() + absl::Seconds(240); absl::Now() < until;) {
      ++attempts_;
      std::vector<v1::IssuedUnit> got;
      auto ctx = h_->Context(t::kIssuer, absl::Seconds(120));
      auto reader = stub->StreamIssueSerials(ctx.get(), request_);
      v1::IssuedUnit u;
      while (reader->Read(&u)) {
        ever_received_.insert(Key(u.unit()));
        got.push_back(u);
        if (got.size() > progress_.load()) progress_.store(got.size());
      }
      final_status_ = reader->Finish();
      if (final_status_.ok()) {
        final_units_ = std::move(got);
        return;
      }
      EXPECT_EQ(final_status_.error_code(), grpc::StatusCode::UNAVAILABLE)
          << final_status_.error_message();
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  void ReportAll() {
    for (size_t i = 0; i < flaggable_.size() && !done_; ++i) {
      const v1::UnitId& unit = flaggable_[i].unit();
      const std::string case_id = absl::StrCat("FAILOVER-", i / 20);
      while (!done_) {
        grpc::Status s = Report(*h_, unit, case_id);
        if (s.ok()) {
          absl::MutexLock lock(&mu_);
          flagged_[Key(unit)] = case_id;
          break;
        }
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
        absl::SleepFor(absl::Milliseconds(50));
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  t::ServerHarness* h_;
  const v1::IssueSerialsRequest request_;
  const std::vector<v1::IssuedUnit> flaggable_;
  std::atomic<size_t> progress_{0};
  std::atomic<bool> done_{false};
  // The stream thread's, read after Join():
  int attempts_ = 0;
  grpc::Status final_status_;
  std::vector<v1::IssuedUnit> final_units_;
  std::set<std::string> ever_received_;
  absl::Mutex mu_;
  std::map<std::string, std::string> flagged_ ABSL_GUARDED_BY(mu_);  // unit -> case, acknowledged
  std::thread stream_;
  std::thread reporter_;
};

class FailoverTest : public ::testing::Test {
 protected:
  void StartCluster(int replicas = 1, const std::string& extra_config = "") {
    auto cluster = t::RedisCluster::Start(tmp_.path(), 3, replicas, extra_config);
    ASSERT_THAT(cluster, IsOk());
    cluster_ = *std::move(cluster);
  }

  std::unique_ptr<t::ServerHarness> StartServer(
      std::function<void(api::ServerConfig*)> configure = nullptr,
      absl::Duration redis_timeout = absl::Seconds(2)) {
    t::ServerHarness::Options o;
    o.redis_address = cluster_->address();
    o.redis_timeout = redis_timeout;
    o.configure = std::move(configure);
    auto h = t::ServerHarness::Start(o);
    EXPECT_THAT(h, IsOk());
    return h.ok() ? *std::move(h) : nullptr;
  }

  void KillMasterAndRecover(const std::string& gtin) {
    absl::StatusOr<int> master = cluster_->MasterOf(t::SlotOf(gtin));
    ASSERT_THAT(master, IsOk());
    cluster_->Kill(*master);
    Recover(gtin, *master);
  }

  // The same with the replica behind when the master dies: the replica is stopped, and 64 MB
  // written to the master (more than the sockets between them hold), so what the master takes
  // next stays in its own output buffer, never sent. Then a unary issue of 50 units: with
  // replicated acknowledgements it fails UNAVAILABLE; without, it would be acknowledged and
  // lost with the master. The units, if acknowledged, are added to `acknowledged`.
  void KillMasterWithReplicaBehind(t::ServerHarness& h, const std::string& gtin,
                                   std::vector<v1::IssuedUnit>* acknowledged) {
    const auto [master, replica] = MasterAndReplica(gtin);
    ASSERT_GE(replica, 0);
    cluster_->Pause(replica);
    ASSERT_THAT(cluster_->node(master).Command(
                    {"SET", absl::StrCat("{", gtin, "}:ballast"), std::string(64 << 20, 'x')}),
                IsOk());
    std::vector<v1::IssuedUnit> units;
    grpc::Status s = Issue(h, Request(gtin, 50, "while-replica-behind"), &units);
    if (s.ok()) {
      acknowledged->insert(acknowledged->end(), units.begin(), units.end());
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    }
    cluster_->Kill(master);
    cluster_->Resume(replica);
    Recover(gtin, master);
  }

  // The master serving `gtin` and its one replica (-1, -1 and a test failure otherwise).
  std::pair<int, int> MasterAndReplica(const std::string& gtin) {
    absl::StatusOr<int> master = cluster_->MasterOf(t::SlotOf(gtin));
    EXPECT_THAT(master, IsOk());
    if (!master.ok()) return {-1, -1};
    absl::StatusOr<std::vector<int>> replicas = cluster_->ReplicasOf(*master);
    EXPECT_THAT(replicas, IsOk());
    if (!replicas.ok() || replicas->size() != 1) {
      ADD_FAILURE() << "master " << *master << " should have exactly one replica online";
      return {-1, -1};
    }
    return {*master, replicas->front()};
  }

  // After the master `dead` of `gtin` was killed: its replica takes over, and the dead node,
  // started again, replicates from it (the shard is whole again).
  void Recover(const std::string& gtin, int dead) {
    ASSERT_THAT(cluster_->WaitForNewMaster(t::SlotOf(gtin), dead, absl::Seconds(30)), IsOk());
    absl::StatusOr<int> promoted = cluster_->MasterOf(t::SlotOf(gtin));
    ASSERT_THAT(promoted, IsOk());
    ASSERT_THAT(cluster_->Restart(dead), IsOk());
    ASSERT_THAT(cluster_->WaitForReplicas(*promoted, 1, absl::Seconds(30)), IsOk());
  }

  t::TempDir tmp_;
  std::unique_ptr<t::RedisCluster> cluster_;
};

TEST_F(FailoverTest, ThreeMasterKillsLoseNoAcknowledgedUnitOrFlag) {
  StartCluster();
  std::unique_ptr<t::ServerHarness> h = StartServer();
  ASSERT_NE(h, nullptr);
  const std::string gtin = t::BrandGtin(31);
  const int kBefore = 400, kCount = 60'000;
  std::vector<v1::IssuedUnit> flaggable = IssueUntilOk(*h, Request(gtin, kBefore, "flaggable"));
  ASSERT_EQ(flaggable.size(), static_cast<size_t>(kBefore));

  Traffic traffic(h.get(), gtin, kCount, flaggable);
  // Three kills at different points of the stream (progress, not time, decides); at the
  // second, the replica is behind.
  std::vector<v1::IssuedUnit> acknowledged;
  ASSERT_TRUE(traffic.WaitForProgress(4'000));
  KillMasterAndRecover(gtin);
  ASSERT_TRUE(traffic.WaitForProgress(24'000));
  KillMasterWithReplicaBehind(*h, gtin, &acknowledged);
  ASSERT_TRUE(traffic.WaitForProgress(44'000));
  KillMasterAndRecover(gtin);
  traffic.Join();
  EXPECT_GT(traffic.flagged_so_far(), 0u);
  traffic.ExpectNothingLost(*h, *cluster_, kBefore + static_cast<int>(acknowledged.size()),
                            acknowledged);
}

// A master stopped longer than cluster-node-timeout is failed over while calls keep coming
// (a long Redis deadline: calls sent to it wait in its socket and run when it wakes, before it
// learns it is no longer a master). Whatever it ran then reached no replica: without WAIT it
// would have been acknowledged and lost; with it, such calls fail UNAVAILABLE and are retried.
TEST_F(FailoverTest, APartitionedMasterLosesNothingItAcknowledged) {
  StartCluster();
  std::unique_ptr<t::ServerHarness> h = StartServer(nullptr, absl::Seconds(10));
  ASSERT_NE(h, nullptr);
  const std::string gtin = t::BrandGtin(32);
  const int kBefore = 300, kCount = 40'000;
  std::vector<v1::IssuedUnit> flaggable = IssueUntilOk(*h, Request(gtin, kBefore, "flaggable"));
  ASSERT_EQ(flaggable.size(), static_cast<size_t>(kBefore));
  absl::StatusOr<int> master = cluster_->MasterOf(t::SlotOf(gtin));
  ASSERT_THAT(master, IsOk());

  Traffic traffic(h.get(), gtin, kCount, flaggable);
  ASSERT_TRUE(traffic.WaitForProgress(5'000));
  cluster_->Pause(*master);
  // cluster-node-timeout is 1 s in the test cluster; the failover takes a little longer.
  ASSERT_THAT(cluster_->WaitForNewMaster(t::SlotOf(gtin), *master, absl::Seconds(30)), IsOk());
  absl::StatusOr<int> promoted = cluster_->MasterOf(t::SlotOf(gtin));
  ASSERT_THAT(promoted, IsOk());
  cluster_->Resume(*master);  // it runs what queued up, then rejoins as a replica
  ASSERT_THAT(cluster_->WaitForReplicas(*promoted, 1, absl::Seconds(30)), IsOk());
  traffic.Join();
  traffic.ExpectNothingLost(*h, *cluster_, kBefore);
}

// The replica does not confirm within --redis_replica_timeout: the write ran on the master
// but is not acknowledged (UNAVAILABLE); repeating the request returns the same units and
// registers nothing more.
TEST_F(FailoverTest, AnUnconfirmedWriteFailsUnavailableAndItsRetryReturnsTheSameUnits) {
  StartCluster();
  std::unique_ptr<t::ServerHarness> h = StartServer(
      [](api::ServerConfig* c) { c->redis_replica_timeout = absl::Milliseconds(300); });
  ASSERT_NE(h, nullptr);
  const std::string gtin = t::BrandGtin(33);
  const auto [master, replica] = MasterAndReplica(gtin);
  ASSERT_GE(replica, 0);

  cluster_->Pause(replica);
  std::vector<v1::IssuedUnit> units;
  grpc::Status s = Issue(*h, Request(gtin, 20, "unconfirmed"), &units);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("replica"));
  EXPECT_TRUE(units.empty());
  // The first write of the call (its request record) ran on the master: it may exist.
  absl::StatusOr<std::string> keys = cluster_->node(master).Command(
      {"CLUSTER", "COUNTKEYSINSLOT", absl::StrCat(t::SlotOf(gtin))});
  ASSERT_THAT(keys, IsOk());
  EXPECT_NE(*keys, "0");
  cluster_->Resume(replica);

  units = IssueUntilOk(*h, Request(gtin, 20, "unconfirmed"));
  ASSERT_EQ(units.size(), 20u);
  EXPECT_EQ(t::RegisteredCount(*cluster_, gtin), 20) << "the retry registered nothing more";
  std::vector<v1::IssuedUnit> again = IssueUntilOk(*h, Request(gtin, 20, "unconfirmed"));
  ASSERT_EQ(again.size(), 20u);
  for (size_t i = 0; i < units.size(); ++i) {
    EXPECT_EQ(again[i].unit().serial(), units[i].unit().serial());
  }
  ExpectRegisteredAndFlagged(*h, {units[0].unit(), units[19].unit()}, {});
}

// Masters without replicas (and min-replicas-to-write off, so Redis itself would take the
// writes): Hallmark refuses them, serves reads, and says so in health; allowed explicitly,
// writes go through.
TEST_F(FailoverTest, MastersWithoutReplicasRefuseWritesUnlessAllowed) {
  StartCluster(/*replicas=*/0, "min-replicas-to-write 0");
  const std::string gtin = t::BrandGtin(34);
  {
    std::unique_ptr<t::ServerHarness> h = StartServer();
    ASSERT_NE(h, nullptr);
    std::vector<v1::IssuedUnit> units;
    grpc::Status s = Issue(*h, Request(gtin, 5, "no-replica"), &units);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    EXPECT_THAT(s.error_message(), ::testing::HasSubstr("0 replica(s) online"));
    EXPECT_EQ(t::RegisteredCount(*cluster_, gtin), 0);
    v1::VerifyRequest r;
    r.set_code("https://id.example.com/01/" + gtin + "/21/NOPE");
    v1::VerifyResponse resp;
    EXPECT_TRUE(v1::Verification::NewStub(h->channel())
                    ->Verify(h->Context(t::kVerifier).get(), r, &resp)
                    .ok())
        << "reads go on";
    EXPECT_TRUE(WritesServing(*h, HealthCheckResponse::SERVING, ""));
    EXPECT_TRUE(WritesServing(*h, HealthCheckResponse::NOT_SERVING, "hallmark.writes"));
  }
  std::unique_ptr<t::ServerHarness> h =
      StartServer([](api::ServerConfig* c) { c->allow_unreplicated_writes = true; });
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(IssueUntilOk(*h, Request(gtin, 5, "allowed")).size(), 5u);
  EXPECT_EQ(t::RegisteredCount(*cluster_, gtin), 5);
  EXPECT_TRUE(WritesServing(*h, HealthCheckResponse::SERVING, "hallmark.writes"));
}

}  // namespace
}  // namespace hallmark
