// The Lifecycle service end to end, through a real server and a real Redis: recording events
// with their rules, retries, concurrency, the reactivation window (with the server's injectable
// clock), recall by lot at 100,000 units staying O(1), recall by units, what Verify answers,
// customer registrations stored only as keyed hashes, access per role, and Redis down.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "gs1/digital_link.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/lifecycle.grpc.pb.h"
#include "hallmark/v1/stolen_registry.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "tests/common/metrics_scrape.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
namespace t = ::hallmark::testing;

constexpr absl::Duration kDay = absl::Hours(24);

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(""); }

  // (Re)starts the deployment; `registration_key` overrides the key file path. With
  // `metrics`, it serves /metrics too (its listener takes up to 2 s to stop: only the test
  // that scrapes asks for it).
  void StartServer(const std::string& registration_key, bool metrics = false) {
    h_.reset();
    t::ServerHarness::Options o;
    std::atomic<int64_t>* offset = &offset_seconds_;
    o.configure = [offset, registration_key, metrics](api::ServerConfig* c) {
      c->lifecycle_clock = [offset] { return absl::Now() + absl::Seconds(offset->load()); };
      if (metrics) c->metrics_listen = "127.0.0.1:0";
      if (!registration_key.empty()) c->registration_key = registration_key;
    };
    auto h = t::ServerHarness::Start(o);
    ASSERT_THAT(h, IsOk());
    h_ = *std::move(h);
    life_ = v1::Lifecycle::NewStub(h_->channel());
    verify_ = v1::Verification::NewStub(h_->channel());
  }

  void Advance(absl::Duration d) { offset_seconds_ += absl::ToInt64Seconds(d); }

  std::vector<v1::IssuedUnit> Issue(int count, const std::string& lot = "L1",
                                    const std::string& sku = "") {
    v1::IssueSerialsRequest r;
    r.set_gtin(t::kBrandGtin);
    r.set_lot(lot);
    r.set_sku(sku);
    r.set_count(count);
    r.set_request_id(absl::StrCat("issue-", ++issued_));
    v1::IssueSerialsResponse resp;
    grpc::Status s =
        v1::Issuance::NewStub(h_->channel())->IssueSerials(h_->Context(t::kIssuer).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.units().begin(), resp.units().end()};
  }

  grpc::Status Record(const std::string& who, const v1::UnitId& unit, v1::LifecycleAction action,
                      v1::UnitRecord* out = nullptr,
                      const std::function<void(v1::RecordEventRequest*)>& edit = nullptr) {
    v1::RecordEventRequest r;
    *r.mutable_unit() = unit;
    r.set_action(action);
    r.set_request_id(absl::StrCat("rq-", ++requests_));
    if (action == v1::LIFECYCLE_ACTION_DECOMMISSIONED) {
      r.set_decommission_reason(v1::DECOMMISSION_REASON_EXPIRED);
    }
    if (edit) edit(&r);
    v1::UnitRecord ignored;
    return life_->RecordEvent(h_->Context(who).get(), r, out ? out : &ignored);
  }

  v1::UnitHistory History(const v1::UnitId& unit, const std::string& who = t::kIssuer) {
    v1::GetHistoryRequest r;
    *r.mutable_unit() = unit;
    v1::UnitHistory h;
    grpc::Status s = life_->GetHistory(h_->Context(who).get(), r, &h);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return h;
  }

  std::vector<std::string> Actions(const v1::UnitId& unit) {
    std::vector<std::string> out;
    const v1::UnitHistory h = History(unit);
    for (const v1::AuditEvent& e : h.events()) out.push_back(e.action());
    return out;
  }

  v1::VerifyResponse Verify(const std::string& code) {
    v1::VerifyRequest r;
    r.set_code(code);
    v1::VerifyResponse resp;
    grpc::Status s = verify_->Verify(h_->Context(t::kVerifier).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status Recall(v1::RecallRequest r, v1::RecallResponse* out) {
    if (r.reason().empty()) r.set_reason("battery may overheat");
    if (r.request_id().empty()) r.set_request_id(absl::StrCat("recall-", ++requests_));
    return life_->Recall(h_->Context(t::kIssuer).get(), r, out);
  }

  std::atomic<int64_t> offset_seconds_{0};
  std::unique_ptr<t::ServerHarness> h_;
  std::unique_ptr<v1::Lifecycle::Stub> life_;
  std::unique_ptr<v1::Verification::Stub> verify_;
  int issued_ = 0;
  int requests_ = 0;
};

TEST_F(LifecycleTest, ASaleStartsTheWarrantyAndAReturnElsewhereIsFlagged) {
  StartServer("", /*metrics=*/true);
  const v1::IssuedUnit u = Issue(1)[0];
  v1::UnitRecord rec;
  ASSERT_TRUE(Record(t::kIssuer, u.unit(), v1::LIFECYCLE_ACTION_SHIPPED, &rec).ok());
  EXPECT_EQ(rec.status(), v1::UNIT_STATUS_IN_TRANSIT);
  ASSERT_TRUE(Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_RECEIVED, &rec).ok());
  EXPECT_EQ(rec.status(), v1::UNIT_STATUS_ACTIVE);
  const absl::Time sold_at = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) - 120);
  ASSERT_TRUE(Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_SOLD, &rec,
                     [&](v1::RecordEventRequest* r) {
                       r->mutable_at()->set_seconds(absl::ToUnixSeconds(sold_at));
                       r->set_reference("RCPT-1");
                       r->set_location("Store 12");
                     })
                  .ok());
  EXPECT_EQ(rec.status(), v1::UNIT_STATUS_SOLD);
  EXPECT_EQ(rec.sold_by(), "Shop One");
  EXPECT_TRUE(rec.warranty().active());
  EXPECT_EQ(rec.warranty().starts_at().seconds(), absl::ToUnixSeconds(sold_at));
  EXPECT_EQ(rec.warranty().months(), 12u);
  EXPECT_EQ(rec.last_event().action(), "sold");
  EXPECT_EQ(rec.last_event().reference(), "RCPT-1");

  // Anyone may ask about the warranty (a verifier app with the scanned code); it ends 12
  // calendar months after the sale.
  v1::GetWarrantyRequest wr;
  *wr.mutable_unit() = u.unit();
  v1::Warranty w;
  ASSERT_TRUE(life_->GetWarranty(h_->Context(t::kRetailer).get(), wr, &w).ok());
  EXPECT_TRUE(w.active());
  wr.set_code(u.digital_link());
  ASSERT_TRUE(life_->GetWarranty(h_->Context(t::kVerifier).get(), wr, &w).ok());
  EXPECT_TRUE(w.active());
  const absl::CivilSecond start = absl::ToCivilSecond(sold_at, absl::UTCTimeZone());
  const absl::CivilSecond end(start.year() + 1, start.month(), start.day(), start.hour(),
                              start.minute(), start.second());
  if (!(start.month() == 2 && start.day() == 29)) {
    EXPECT_EQ(w.ends_at().seconds(),
              absl::ToUnixSeconds(absl::FromCivil(end, absl::UTCTimeZone())));
  }
  Advance(400 * kDay);
  ASSERT_TRUE(life_->GetWarranty(h_->Context(t::kVerifier).get(), wr, &w).ok());
  EXPECT_FALSE(w.active());
  EXPECT_EQ(w.reason(), "expired");
  Advance(-400 * kDay);

  // Returned at another retailer: accepted, flagged in history and metrics.
  ASSERT_TRUE(Record(t::kRetailer2, u.unit(), v1::LIFECYCLE_ACTION_RETURNED, &rec).ok());
  EXPECT_EQ(rec.status(), v1::UNIT_STATUS_RETURNED);
  EXPECT_THAT(rec.last_event().flags(), ElementsAre("return_other_retailer"));
  EXPECT_THAT(rec.last_event().detail(), HasSubstr("Shop One"));
  EXPECT_EQ(rec.warranty().reason(), "returned");
  EXPECT_EQ(rec.sold_by(), "");
  // A unit never sold, returned: accepted, flagged.
  const v1::IssuedUnit never = Issue(1)[0];
  ASSERT_TRUE(Record(t::kRetailer, never.unit(), v1::LIFECYCLE_ACTION_RETURNED, &rec).ok());
  EXPECT_THAT(rec.last_event().flags(), ElementsAre("return_without_sale"));

  EXPECT_THAT(Actions(u.unit()),
              ElementsAre("commissioned", "shipped", "received", "sold", "returned"));
  const std::string metrics = t::ScrapeMetrics(h_->server().metrics_port());
  EXPECT_THAT(metrics,
              HasSubstr("hallmark_security_events_total{event=\"return_other_retailer\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("hallmark_security_events_total{event=\"return_without_sale\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("hallmark_lifecycle_events_total{action=\"sold\",flag=\"\"} 1"));
}

TEST_F(LifecycleTest, AnInvalidTransitionIsRefusedNamingTheStatusAndChangesNothing) {
  const v1::IssuedUnit u = Issue(1)[0];
  ASSERT_TRUE(Record(t::kIssuer, u.unit(), v1::LIFECYCLE_ACTION_DECOMMISSIONED).ok());
  const v1::UnitHistory before = History(u.unit());
  grpc::Status s = Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_SOLD);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("unit is DECOMMISSIONED"));
  s = Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_RECEIVED);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  const v1::UnitHistory after = History(u.unit());
  EXPECT_EQ(after.events_size(), before.events_size());
  EXPECT_EQ(after.record().status(), v1::UNIT_STATUS_DECOMMISSIONED);
}

TEST_F(LifecycleTest, ReactivationOnlyWithinTenDaysOnTheInjectedClock) {
  const std::vector<v1::IssuedUnit> units = Issue(2);
  for (const v1::IssuedUnit& u : units) {
    ASSERT_TRUE(Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_SOLD).ok());
    ASSERT_TRUE(Record(t::kIssuer, u.unit(), v1::LIFECYCLE_ACTION_DECOMMISSIONED).ok());
  }
  Advance(10 * kDay - absl::Minutes(1));
  v1::UnitRecord rec;
  // Another principal of the same organisation, inside the window: back to SOLD.
  ASSERT_TRUE(Record(t::kIssuer2, units[0].unit(), v1::LIFECYCLE_ACTION_REACTIVATED, &rec).ok());
  EXPECT_EQ(rec.status(), v1::UNIT_STATUS_SOLD);
  EXPECT_TRUE(rec.warranty().active());
  Advance(absl::Minutes(2));
  grpc::Status s = Record(t::kIssuer, units[1].unit(), v1::LIFECYCLE_ACTION_REACTIVATED, &rec);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("within 240h"));
  EXPECT_EQ(History(units[1].unit()).record().status(), v1::UNIT_STATUS_DECOMMISSIONED);
}

TEST_F(LifecycleTest, RetriesWithTheSameRequestIdRecordOnce) {
  const v1::IssuedUnit u = Issue(1)[0];
  auto same_id = [](v1::RecordEventRequest* r) { r->set_request_id("ship-once"); };
  v1::UnitRecord first, second;
  ASSERT_TRUE(Record(t::kIssuer, u.unit(), v1::LIFECYCLE_ACTION_SHIPPED, &first, same_id).ok());
  ASSERT_TRUE(Record(t::kIssuer, u.unit(), v1::LIFECYCLE_ACTION_SHIPPED, &second, same_id).ok());
  EXPECT_EQ(second.status(), v1::UNIT_STATUS_IN_TRANSIT);
  EXPECT_THAT(Actions(u.unit()), ElementsAre("commissioned", "shipped"));
  // The same id for a different event is a caller bug, not a retry.
  grpc::Status s = Record(t::kIssuer, u.unit(), v1::LIFECYCLE_ACTION_RECEIVED, nullptr, same_id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));
  // Request ids are per principal: another principal's "ship-once" is its own.
  EXPECT_TRUE(Record(t::kIssuer2, u.unit(), v1::LIFECYCLE_ACTION_RECEIVED, nullptr, same_id).ok());
}

TEST_F(LifecycleTest, ConcurrentSalesOfOneUnitSellItOnce) {
  const v1::IssuedUnit u = Issue(1)[0];
  constexpr int kThreads = 8;
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      v1::RecordEventRequest r;
      *r.mutable_unit() = u.unit();
      r.set_action(v1::LIFECYCLE_ACTION_SOLD);
      r.set_request_id(absl::StrCat("race-", i));
      v1::UnitRecord out;
      grpc::Status s =
          life_->RecordEvent(h_->Context(i % 2 ? t::kRetailer : t::kRetailer2).get(), r, &out);
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_THAT(Actions(u.unit()), ElementsAre("commissioned", "sold"));
}

// INFO commandstats as {command -> calls}.
std::map<std::string, long> CommandCalls(t::RedisServer& redis) {  // NOLINT(runtime/int)
  std::map<std::string, long> calls;                               // NOLINT(runtime/int)
  absl::StatusOr<std::string> info = redis.Command({"INFO", "commandstats"});
  if (!info.ok()) return calls;
  for (absl::string_view line : absl::StrSplit(*info, '\n')) {
    // cmdstat_hset:calls=3,usec=...
    if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::ByAnyChar(":=,"));
    long n = 0;  // NOLINT(runtime/int)
    if (parts.size() >= 3 && absl::SimpleAtoi(parts[2], &n)) calls[std::string(parts[0])] = n;
  }
  return calls;
}

TEST_F(LifecycleTest, RecallByLotOf100000UnitsIsOneWriteAndVerifySaysRecalled) {
  constexpr int kUnits = 100000;
  v1::IssueSerialsRequest r;
  r.set_gtin(t::kBrandGtin);
  r.set_lot("BIG");
  r.set_count(kUnits);
  r.set_request_id("big-lot");
  auto ctx = h_->Context(t::kIssuer, absl::Minutes(5));
  auto reader = v1::Issuance::NewStub(h_->channel())->StreamIssueSerials(ctx.get(), r);
  std::vector<std::string> sample;
  v1::IssuedUnit unit;
  int n = 0;
  while (reader->Read(&unit)) {
    if (n++ % 20000 == 0) sample.push_back(unit.digital_link());
  }
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(n, kUnits);
  const v1::IssuedUnit other_lot = Issue(1, "SMALL")[0];

  ASSERT_THAT(h_->redis().Command({"CONFIG", "RESETSTAT"}), IsOk());
  absl::StatusOr<std::string> keys_before = h_->redis().Command({"DBSIZE"});
  v1::RecallRequest recall;
  recall.set_gtin(t::kBrandGtin);
  recall.set_lot("BIG");
  recall.set_request_id("recall-big");
  v1::RecallResponse resp;
  ASSERT_TRUE(Recall(recall, &resp).ok());
  EXPECT_EQ(resp.affected(), static_cast<uint64_t>(kUnits));
  // O(1): the recall wrote the lot's recall record and its request id, nothing per unit.
  std::map<std::string, long> calls = CommandCalls(h_->redis());  // NOLINT(runtime/int)
  long writes = 0;                                                // NOLINT(runtime/int)
  for (const auto& [cmd, count] : calls) {
    if (cmd != "fcall" && cmd != "info" && cmd != "config" && cmd != "dbsize" &&
        cmd.rfind("h", 0) == 0 && cmd != "hget" && cmd != "hgetall" && cmd != "hmget" &&
        cmd != "hexists") {
      writes += count;
    }
  }
  EXPECT_EQ(calls["fcall"], 1);
  EXPECT_LE(writes, 2);
  for (const char* per_unit : {"rpush", "xadd", "sadd", "set"}) EXPECT_EQ(calls[per_unit], 0);
  absl::StatusOr<std::string> keys_after = h_->redis().Command({"DBSIZE"});
  ASSERT_THAT(keys_after, IsOk());
  int64_t before = 0, after = 0;
  ASSERT_TRUE(absl::SimpleAtoi(*keys_before, &before) && absl::SimpleAtoi(*keys_after, &after));
  EXPECT_LE(after - before, 2);

  for (const std::string& code : sample) {
    const v1::VerifyResponse v = Verify(code);
    EXPECT_EQ(v.verdict(), v1::VERDICT_RECALLED);
    EXPECT_THAT(v.reasons(), ElementsAre("recalled"));
    EXPECT_EQ(v.status(), v1::UNIT_STATUS_RECALLED);
  }
  EXPECT_EQ(Verify(other_lot.digital_link()).verdict(), v1::VERDICT_AUTHENTIC);
  // A retry answers the same; a new recall of the same lot affects nothing new.
  ASSERT_TRUE(Recall(recall, &resp).ok());
  EXPECT_EQ(resp.affected(), static_cast<uint64_t>(kUnits));
  recall.set_request_id("recall-big-again");
  ASSERT_TRUE(Recall(recall, &resp).ok());
  EXPECT_EQ(resp.affected(), 0u);
  // Units of the lot cannot be sold any more, and their history shows the recall.
  absl::StatusOr<gs1::UnitCode> parsed = gs1::ParseDigitalLink(sample[0]);
  ASSERT_THAT(parsed, IsOk());
  v1::UnitId id;
  id.set_gtin(parsed->gtin);
  id.set_serial(parsed->serial);
  EXPECT_EQ(Record(t::kRetailer, id, v1::LIFECYCLE_ACTION_SOLD).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(Actions(id), ElementsAre("commissioned", "recalled"));
  // An unknown lot is NOT_FOUND.
  recall.set_lot("NO-SUCH-LOT");
  recall.set_request_id("recall-none");
  EXPECT_EQ(Recall(recall, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(LifecycleTest, RecallByUnitsIsAllOrNothing) {
  const std::vector<v1::IssuedUnit> units = Issue(3);
  v1::RecallRequest r;
  *r.add_units() = units[0].unit();
  v1::UnitId* unknown = r.add_units();
  unknown->set_gtin(t::kBrandGtin);
  unknown->set_serial("NOT-ISSUED");
  v1::RecallResponse resp;
  grpc::Status s = Recall(r, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("units[1]"));
  EXPECT_EQ(Verify(units[0].digital_link()).verdict(), v1::VERDICT_AUTHENTIC);

  r.clear_units();
  *r.add_units() = units[0].unit();
  *r.add_units() = units[1].unit();
  r.set_request_id("recall-two");
  ASSERT_TRUE(Recall(r, &resp).ok());
  EXPECT_EQ(resp.affected(), 2u);
  ASSERT_TRUE(Recall(r, &resp).ok());
  EXPECT_EQ(resp.affected(), 2u) << "a retry answers the same";
  r.set_request_id("recall-two-again");
  ASSERT_TRUE(Recall(r, &resp).ok());
  EXPECT_EQ(resp.affected(), 0u);
  EXPECT_EQ(Verify(units[0].digital_link()).verdict(), v1::VERDICT_RECALLED);
  EXPECT_EQ(Verify(units[2].digital_link()).verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_THAT(Actions(units[1].unit()), ElementsAre("commissioned", "recalled"));

  // Validation: one GTIN per recall, each unit once, lot xor units, a reason.
  v1::RecallRequest twice;
  *twice.add_units() = units[2].unit();
  *twice.add_units() = units[2].unit();
  s = Recall(twice, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("units[1]: listed twice"));
  v1::UnitId* foreign = r.add_units();
  foreign->set_gtin(t::kForeignGtin);
  foreign->set_serial("X1");
  s = Recall(r, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("units[2].gtin"));
  r.clear_units();
  EXPECT_EQ(Recall(r, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  *r.add_units() = units[2].unit();
  r.set_lot("L1");
  EXPECT_EQ(Recall(r, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(LifecycleTest, ARecallRequestIdIsBoundToItsRequest) {
  const std::vector<v1::IssuedUnit> units = Issue(3, "LOT-R");
  v1::RecallRequest first;
  *first.add_units() = units[0].unit();
  first.set_request_id("recall-once");
  v1::RecallResponse resp;
  ASSERT_TRUE(Recall(first, &resp).ok());
  EXPECT_EQ(resp.affected(), 1u);
  ASSERT_TRUE(Recall(first, &resp).ok());
  EXPECT_EQ(resp.affected(), 1u) << "the same request again answers the same";

  // The same request_id for other units, another reason or a lot: refused, nothing recalled.
  v1::RecallRequest other_units = first;
  *other_units.mutable_units(0) = units[1].unit();
  v1::RecallRequest other_reason = first;
  other_reason.set_reason("another defect");
  v1::RecallRequest a_lot;
  a_lot.set_gtin(t::kBrandGtin);
  a_lot.set_lot("LOT-R");
  a_lot.set_request_id("recall-once");
  for (const v1::RecallRequest& r : {other_units, other_reason, a_lot}) {
    grpc::Status s = Recall(r, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(s.error_message(), HasSubstr("request_id: already used for a different recall"));
  }
  EXPECT_EQ(Verify(units[1].digital_link()).verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(Verify(units[2].digital_link()).verdict(), v1::VERDICT_AUTHENTIC);

  // A lot recall under its own id; units already recalled through their lot are not counted
  // again by a unit recall, nor recalled twice in their history.
  a_lot.set_request_id("recall-lot-r");
  ASSERT_TRUE(Recall(a_lot, &resp).ok());
  EXPECT_EQ(resp.affected(), 3u);
  v1::RecallRequest by_units;
  *by_units.add_units() = units[1].unit();
  *by_units.add_units() = units[2].unit();
  ASSERT_TRUE(Recall(by_units, &resp).ok());
  EXPECT_EQ(resp.affected(), 0u);
  EXPECT_THAT(Actions(units[1].unit()), ElementsAre("commissioned", "recalled"));
}

TEST_F(LifecycleTest, VerifyAnswersDecommissionedThenSuspectClone) {
  const v1::IssuedUnit u = Issue(1)[0];
  ASSERT_TRUE(Record(t::kIssuer, u.unit(), v1::LIFECYCLE_ACTION_SOLD).ok());
  v1::VerifyResponse v = Verify(u.digital_link());
  EXPECT_EQ(v.verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(v.status(), v1::UNIT_STATUS_SOLD);
  ASSERT_TRUE(Record(t::kIssuer, u.unit(), v1::LIFECYCLE_ACTION_DECOMMISSIONED).ok());
  v = Verify(u.digital_link());
  EXPECT_EQ(v.verdict(), v1::VERDICT_DECOMMISSIONED);
  EXPECT_EQ(v.status(), v1::UNIT_STATUS_DECOMMISSIONED);
  v = Verify(u.digital_link());
  EXPECT_EQ(v.verdict(), v1::VERDICT_SUSPECT_CLONE);
  EXPECT_THAT(v.reasons(), ElementsAre("decommissioned", "clone_scanned_after_decommission"));
  // Reactivated, then decommissioned again: only scans since the new decommissioning count.
  ASSERT_TRUE(Record(t::kIssuer, u.unit(), v1::LIFECYCLE_ACTION_REACTIVATED).ok());
  EXPECT_EQ(Verify(u.digital_link()).verdict(), v1::VERDICT_AUTHENTIC);
  ASSERT_TRUE(Record(t::kIssuer, u.unit(), v1::LIFECYCLE_ACTION_DECOMMISSIONED).ok());
  EXPECT_EQ(Verify(u.digital_link()).verdict(), v1::VERDICT_DECOMMISSIONED);
  EXPECT_EQ(Verify(u.digital_link()).verdict(), v1::VERDICT_SUSPECT_CLONE);
}

TEST_F(LifecycleTest, HistoryCarriesStolenReportsAndIsForIssuersAndPolice) {
  const v1::IssuedUnit u = Issue(1)[0];
  ASSERT_TRUE(Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_SOLD).ok());
  v1::ReportStolenRequest report;
  report.set_case_id("CASE-77");
  report.set_agency("Metro Police");
  *report.add_units() = u.unit();
  v1::ReportStolenResponse reported;
  ASSERT_TRUE(v1::StolenRegistry::NewStub(h_->channel())
                  ->ReportStolen(h_->Context(t::kPolice).get(), report, &reported)
                  .ok());
  const v1::UnitHistory h = History(u.unit(), t::kPolice);
  ASSERT_EQ(h.events_size(), 3);
  EXPECT_EQ(h.events(2).action(), "report_stolen");
  EXPECT_EQ(h.events(2).reference(), "CASE-77");
  EXPECT_EQ(h.events(2).organisation(), "Metro Police");
  EXPECT_EQ(h.events(2).status(), v1::UNIT_STATUS_SOLD);
  EXPECT_TRUE(h.record().stolen());
  EXPECT_EQ(h.record().warranty().reason(), "stolen");
  // A stolen unit cannot be sold on.
  ASSERT_TRUE(Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_RETURNED).ok());
  grpc::Status s = Record(t::kRetailer2, u.unit(), v1::LIFECYCLE_ACTION_SOLD);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("stolen"));

  v1::GetHistoryRequest r;
  *r.mutable_unit() = u.unit();
  v1::UnitHistory out;
  EXPECT_EQ(life_->GetHistory(h_->Context(t::kRetailer).get(), r, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(life_->GetHistory(h_->Context(t::kVerifier).get(), r, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(life_->GetHistory(h_->Context(t::kForeignIssuer).get(), r, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(LifecycleTest, RetailersRecordOnlyTradeEventsAndOnlyForTheirBrands) {
  const v1::IssuedUnit u = Issue(1)[0];
  for (v1::LifecycleAction a :
       {v1::LIFECYCLE_ACTION_REPAIRED, v1::LIFECYCLE_ACTION_REFURBISHED,
        v1::LIFECYCLE_ACTION_DECOMMISSIONED, v1::LIFECYCLE_ACTION_REACTIVATED}) {
    grpc::Status s = Record(t::kRetailer, u.unit(), a);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << a;
    EXPECT_THAT(s.error_message(), HasSubstr("retailer"));
  }
  // globex-store carries Globex only (GS1 prefix 400638): not this brand's units.
  grpc::Status s = Record(t::kBrandRetailer, u.unit(), v1::LIFECYCLE_ACTION_SOLD);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("globex-store"));
  EXPECT_EQ(Record(t::kForeignIssuer, u.unit(), v1::LIFECYCLE_ACTION_SHIPPED).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Record(t::kPolice, u.unit(), v1::LIFECYCLE_ACTION_SHIPPED).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Record(t::kVerifier, u.unit(), v1::LIFECYCLE_ACTION_SHIPPED).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(Actions(u.unit()), ElementsAre("commissioned"));
}

TEST_F(LifecycleTest, CustomerRegistrationIsAKeyedHashTheBrandCanVerify) {
  const v1::IssuedUnit u = Issue(1)[0];
  const std::string customer = "alice@example.com";
  ASSERT_TRUE(Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_SOLD, nullptr,
                     [&](v1::RecordEventRequest* r) { r->set_customer_registration(customer); })
                  .ok());
  // Nowhere in Redis in the clear.
  absl::StatusOr<std::string> keys = h_->redis().Command({"KEYS", "*"});
  ASSERT_THAT(keys, IsOk());
  for (absl::string_view key : absl::StrSplit(*keys, '\n')) {
    absl::StatusOr<std::string> type = h_->redis().Command({"TYPE", std::string(key)});
    if (!type.ok() || *type != "hash") continue;
    absl::StatusOr<std::string> all = h_->redis().Command({"HGETALL", std::string(key)});
    ASSERT_THAT(all, IsOk());
    EXPECT_THAT(*all, Not(HasSubstr("alice"))) << key;
  }
  auto check = [&](const std::string& who, const std::string& reference,
                   v1::VerifyRegistrationResponse* out) {
    v1::VerifyRegistrationRequest r;
    *r.mutable_unit() = u.unit();
    r.set_customer_registration(reference);
    return life_->VerifyRegistration(h_->Context(who).get(), r, out);
  };
  v1::VerifyRegistrationResponse v;
  ASSERT_TRUE(check(t::kIssuer, customer, &v).ok());
  EXPECT_TRUE(v.registered());
  EXPECT_TRUE(v.matches());
  ASSERT_TRUE(check(t::kIssuer, "  " + customer + " ", &v).ok());
  EXPECT_TRUE(v.matches()) << "surrounding spaces are ignored";
  ASSERT_TRUE(check(t::kIssuer, "bob@example.com", &v).ok());
  EXPECT_TRUE(v.registered());
  EXPECT_FALSE(v.matches());
  EXPECT_EQ(check(t::kRetailer, customer, &v).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(check(t::kIssuer, "", &v).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status blank = check(t::kIssuer, "   ", &v);
  EXPECT_EQ(blank.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(blank.error_message(), HasSubstr("customer_registration: only white space"));
  // A sale cannot register a blank reference either (it would match any blank one).
  const v1::IssuedUnit other = Issue(1)[0];
  blank = Record(t::kRetailer, other.unit(), v1::LIFECYCLE_ACTION_SOLD, nullptr,
                 [](v1::RecordEventRequest* r) { r->set_customer_registration("    "); });
  EXPECT_EQ(blank.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(blank.error_message(), HasSubstr("customer_registration: only white space"));
  EXPECT_THAT(Actions(other.unit()), ElementsAre("commissioned"));
  // The registration belongs to the sale: a return ends it.
  ASSERT_TRUE(Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_RETURNED).ok());
  ASSERT_TRUE(check(t::kIssuer, customer, &v).ok());
  EXPECT_FALSE(v.registered());
  EXPECT_FALSE(v.matches());
}

// Observed: ~1,000 VerifyRegistration guesses a second recovered a 4-digit reference in 7 s.
// Checks are limited per unit (10 an hour by default), whatever their outcome.
TEST_F(LifecycleTest, RegistrationChecksAreLimitedPerUnit) {
  const std::vector<v1::IssuedUnit> units = Issue(2);
  for (const v1::IssuedUnit& u : units) {
    ASSERT_TRUE(Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_SOLD, nullptr,
                       [](v1::RecordEventRequest* r) { r->set_customer_registration("4711"); })
                    .ok());
  }
  auto check = [&](const v1::IssuedUnit& u, const std::string& reference) {
    v1::VerifyRegistrationRequest r;
    *r.mutable_unit() = u.unit();
    r.set_customer_registration(reference);
    v1::VerifyRegistrationResponse out;
    grpc::Status s = life_->VerifyRegistration(h_->Context(t::kIssuer).get(), r, &out);
    return std::make_pair(s, out.matches());
  };
  for (int i = 0; i < 10; ++i) {
    auto [s, matches] = check(units[0], absl::StrCat("000", i));
    ASSERT_TRUE(s.ok()) << i << " " << s.error_message();
    EXPECT_FALSE(matches);
  }
  auto [refused, matched] = check(units[0], "4711");  // the right one, too late
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("at most 10 checks of one unit per 1 h"));
  EXPECT_FALSE(matched);
  auto [other, other_matches] = check(units[1], "4711");  // another unit: its own budget
  EXPECT_TRUE(other.ok());
  EXPECT_TRUE(other_matches);
}

TEST_F(LifecycleTest, WithoutARegistrationKeyRegistrationsAreRefusedButSalesWork) {
  StartServer("/nonexistent/registration.key");
  const v1::IssuedUnit u = Issue(1)[0];
  grpc::Status s = Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_SOLD, nullptr,
                          [](v1::RecordEventRequest* r) { r->set_customer_registration("alice"); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("registration key"));
  EXPECT_TRUE(Record(t::kRetailer, u.unit(), v1::LIFECYCLE_ACTION_SOLD).ok());
}

TEST_F(LifecycleTest, WarrantyTermsPerSkuApplyToLaterSales) {
  const v1::IssuedUnit gadget = Issue(1, "L1", "GADGET")[0];
  const v1::IssuedUnit plain = Issue(1, "L1", "PLAIN")[0];
  v1::SetWarrantyTermsRequest terms;
  terms.set_gtin(t::kBrandGtin);
  terms.set_sku("GADGET");
  terms.set_months(36);
  v1::WarrantyTerms set;
  ASSERT_TRUE(life_->SetWarrantyTerms(h_->Context(t::kIssuer).get(), terms, &set).ok());
  terms.set_sku("");
  terms.set_months(6);
  ASSERT_TRUE(life_->SetWarrantyTerms(h_->Context(t::kIssuer).get(), terms, &set).ok());
  terms.set_months(241);
  EXPECT_EQ(life_->SetWarrantyTerms(h_->Context(t::kIssuer).get(), terms, &set).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  terms.set_months(12);
  EXPECT_EQ(life_->SetWarrantyTerms(h_->Context(t::kRetailer).get(), terms, &set).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::UnitRecord rec;
  ASSERT_TRUE(Record(t::kRetailer, gadget.unit(), v1::LIFECYCLE_ACTION_SOLD, &rec).ok());
  EXPECT_EQ(rec.warranty().months(), 36u);
  ASSERT_TRUE(Record(t::kRetailer, plain.unit(), v1::LIFECYCLE_ACTION_SOLD, &rec).ok());
  EXPECT_EQ(rec.warranty().months(), 6u);
}

TEST_F(LifecycleTest, BadInputIsRefusedNamingTheFieldAndRecordsNothing) {
  const v1::IssuedUnit u = Issue(1)[0];
  struct Case {
    v1::LifecycleAction action;
    std::function<void(v1::RecordEventRequest*)> edit;
    const char* field;
  };
  const std::vector<Case> cases = {
      {v1::LIFECYCLE_ACTION_UNSPECIFIED, nullptr, "action"},
      {v1::LIFECYCLE_ACTION_SHIPPED, [](auto* r) { r->clear_request_id(); }, "request_id"},
      {v1::LIFECYCLE_ACTION_SHIPPED, [](auto* r) { r->set_reference("a\nb"); }, "reference"},
      {v1::LIFECYCLE_ACTION_SHIPPED, [](auto* r) { r->set_location(std::string(200, 'x')); },
       "location"},
      {v1::LIFECYCLE_ACTION_SHIPPED,
       [](auto* r) { r->mutable_at()->set_seconds(absl::ToUnixSeconds(absl::Now()) + 86400); },
       "at: in the future"},
      {v1::LIFECYCLE_ACTION_SHIPPED, [](auto* r) { r->mutable_at()->set_seconds(1000); },
       "at: before the unit was issued"},
      {v1::LIFECYCLE_ACTION_SHIPPED, [](auto* r) { r->set_customer_registration("x"); },
       "customer_registration"},
      {v1::LIFECYCLE_ACTION_DECOMMISSIONED,
       [](auto* r) { r->set_decommission_reason(v1::DECOMMISSION_REASON_UNSPECIFIED); },
       "decommission_reason"},
      {v1::LIFECYCLE_ACTION_SHIPPED,
       [](auto* r) { r->set_decommission_reason(v1::DECOMMISSION_REASON_SAMPLE); },
       "decommission_reason"},
      {v1::LIFECYCLE_ACTION_SHIPPED, [](auto* r) { r->mutable_unit()->set_gtin("123"); },
       "unit.gtin"},
  };
  for (const Case& c : cases) {
    grpc::Status s = Record(t::kIssuer, u.unit(), c.action, nullptr, c.edit);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_THAT(s.error_message(), HasSubstr(c.field));
  }
  v1::UnitId unknown = u.unit();
  unknown.set_serial("NEVER-ISSUED");
  grpc::Status s = Record(t::kIssuer, unknown, v1::LIFECYCLE_ACTION_SHIPPED);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(Actions(u.unit()), ElementsAre("commissioned"));
}

TEST_F(LifecycleTest, RedisDownIsUnavailable) {
  const v1::IssuedUnit u = Issue(1)[0];
  h_->redis().Stop();
  EXPECT_EQ(Record(t::kIssuer, u.unit(), v1::LIFECYCLE_ACTION_SHIPPED).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  v1::GetWarrantyRequest r;
  r.set_code(u.digital_link());
  v1::Warranty w;
  EXPECT_EQ(life_->GetWarranty(h_->Context(t::kVerifier).get(), r, &w).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// Observed: a verifier calling GetWarranty on guessed serials learnt which exist (OK vs
// NOT_FOUND) and their warranty dates. A verifier must present a validly signed code; a bare
// serial, a forged code and an unregistered unit all read the same.
TEST_F(LifecycleTest, AVerifierCannotProbeSerialsThroughWarranties) {
  const v1::IssuedUnit u = Issue(1)[0];
  auto ask = [&](const std::function<void(v1::GetWarrantyRequest*)>& fill) {
    v1::GetWarrantyRequest r;
    fill(&r);
    v1::Warranty w;
    const grpc::Status s = life_->GetWarranty(h_->Context(t::kVerifier).get(), r, &w);
    return std::make_pair(s.error_code(), s.error_message());
  };
  const auto bare = ask([&](v1::GetWarrantyRequest* r) { *r->mutable_unit() = u.unit(); });
  const auto forged = ask([&](v1::GetWarrantyRequest* r) {
    r->set_code(absl::StrCat("(01)", u.unit().gtin(), "(21)", u.unit().serial(),
                             "(8030)AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  });
  const auto unknown = ask([&](v1::GetWarrantyRequest* r) {
    r->set_code("(01)09506000134352(21)NOSUCHSERIAL");
  });
  EXPECT_EQ(bare.first, grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(bare, forged);
  EXPECT_EQ(bare, unknown);
  EXPECT_EQ(ask([&](v1::GetWarrantyRequest* r) { r->set_code(u.digital_link()); }).first,
            grpc::StatusCode::OK);
}

}  // namespace
}  // namespace hallmark
