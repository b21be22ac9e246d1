// RedisRegistry and its Lua functions against a real, durable redis-server.
#include "server/registry/redis_registry.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "tests/common/await.h"
#include "gtest/gtest.h"
#include "server/redis/async_redis_client.h"
#include "tests/common/redis_server.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark::registry {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kGtin[] = "09506000134352";


class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { StartAll(""); }

  void StartAll(const std::string& extra_redis_config, bool allow_volatile = false,
                absl::Duration wait = absl::Seconds(10)) {
    registry_.reset();
    client_.reset();
    redis_.reset();
    auto redis = testing::RedisServer::Start(tmp_.path(), extra_redis_config);
    ASSERT_THAT(redis, IsOk());
    redis_ = *std::move(redis);
    redis::AsyncRedisClient::Options o;
    o.address = redis_->address();
    UseRegistryInit(&o, allow_volatile);
    auto client = redis::AsyncRedisClient::Start(std::move(o));
    ASSERT_THAT(client, IsOk());
    client_ = *std::move(client);
    ready_ = client_->WaitUntilReady(wait);
    registry_ = std::make_unique<RedisRegistry>(client_.get());
  }

  BatchSpec Spec(const std::string& request_id, uint64_t count, const std::string& counter = "") {
    BatchSpec s;
    s.gtin = kGtin;
    s.issuer = "acme";
    s.request_id = request_id;
    s.kind = "issue";
    s.format = counter.empty() ? "RANDOM" : "SEQUENTIAL";
    s.count = count;
    s.lot = "L1";
    s.sku = "SKU-1";
    s.key_id = "7e57";
    s.issued_at = 1795000000;
    s.seed = "00ff";
    s.fingerprint = "fp-" + request_id;
    s.counter_field = counter;
    s.max_counter = 100;
    return s;
  }

  absl::StatusOr<Batch> Begin(BatchSpec spec) {
    return testing::Await<Batch>([&](auto cb) {
      registry_->BeginBatch(std::move(spec), absl::Now() + absl::Seconds(5), std::move(cb));
    });
  }
  absl::StatusOr<RegisterResult> Register(uint64_t batch, std::vector<std::string> serials,
                                          bool all_or_nothing) {
    return testing::Await<RegisterResult>([&](auto cb) {
      registry_->Register(kGtin, batch, std::move(serials), all_or_nothing,
                          absl::Now() + absl::Seconds(10), std::move(cb));
    });
  }
  absl::StatusOr<std::optional<UnitRecord>> Lookup(const std::string& serial) {
    return testing::Await<std::optional<UnitRecord>>([&](auto cb) {
      registry_->Lookup(kGtin, serial, absl::Now() + absl::Seconds(5), std::move(cb));
    });
  }
  uint64_t Count() {
    return *testing::Await<uint64_t>([&](auto cb) {
      registry_->CountUnits(kGtin, absl::Now() + absl::Seconds(5), std::move(cb));
    });
  }

  std::string Outcomes(const RegisterResult& r) {
    std::string s;
    for (RegisterOutcome o : r.outcomes) s.push_back(static_cast<char>(o));
    return s;
  }

  testing::TempDir tmp_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<redis::AsyncRedisClient> client_;
  std::unique_ptr<RedisRegistry> registry_;
  absl::Status ready_;
};

TEST_F(RegistryTest, BeginBatchIsIdempotentPerIssuerAndRequest) {
  ASSERT_THAT(ready_, IsOk());
  auto first = Begin(Spec("r1", 5));
  ASSERT_THAT(first, IsOk());
  EXPECT_FALSE(first->existed);
  BatchSpec changed = Spec("r1", 7);
  changed.fingerprint = "other";
  auto again = Begin(changed);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->existed);
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->stored.count, 5u);  // the first attempt's parameters, for the caller to compare
  EXPECT_EQ(again->stored.fingerprint, "fp-r1");
  EXPECT_EQ(again->stored.lot, "L1");
  EXPECT_EQ(again->stored.issued_at, 1795000000);
  BatchSpec other_issuer = Spec("r1", 5);
  other_issuer.issuer = "globex";
  auto other = Begin(other_issuer);
  ASSERT_THAT(other, IsOk());
  EXPECT_FALSE(other->existed);
  EXPECT_NE(other->id, first->id);
}

// A lot's dates: claimed by its first batch, refused to a batch with others, read with the unit.
TEST_F(RegistryTest, ALotsFirstBatchClaimsItsDates) {
  BatchSpec dated = Spec("dated", 2);
  dated.expiry = "281130";
  dated.production = "261115";
  absl::StatusOr<Batch> b = Begin(dated);
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->stored.expiry, "281130");
  ASSERT_THAT(Register(b->id, {"S1"}, true), IsOk());
  absl::StatusOr<std::optional<UnitRecord>> u = Lookup("S1");
  ASSERT_THAT(u, IsOk());
  ASSERT_TRUE(u->has_value());
  EXPECT_EQ((*u)->expiry, "281130");
  EXPECT_EQ((*u)->production, "261115");
  BatchSpec other = Spec("other", 1);
  other.expiry = "281231";
  EXPECT_THAT(Begin(other), StatusIs(absl::StatusCode::kFailedPrecondition,
                                     HasSubstr("lot L1 has expiry 281130, production 261115")));
  // Nothing of the refused batch was written: its request id is free.
  EXPECT_EQ(*redis_->Command({"HGET", "hm:{" + std::string(kGtin) + "}:req", "acme\nother"}), "");
  // A batch refused for its counter claims no dates for its lot.
  BatchSpec exhausted = Spec("exhausted", 1000, "seq");
  exhausted.lot = "L2";
  exhausted.expiry = "281130";
  EXPECT_THAT(Begin(exhausted), StatusIs(absl::StatusCode::kOutOfRange));
  BatchSpec l2 = Spec("l2", 1, "seq");
  l2.lot = "L2";
  l2.expiry = "290101";
  EXPECT_THAT(Begin(l2), IsOk());
}

// During a rolling upgrade, a server of the previous version (no dates) shares this Redis: the
// function names it calls keep its reply shapes, and its batches are dateless.
TEST_F(RegistryTest, APreviousVersionsServerKeepsItsCallShapes) {
  BatchSpec dated = Spec("dated", 1);
  dated.expiry = "281130";
  absl::StatusOr<Batch> b = Begin(dated);
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT(Register(b->id, {"S1"}, true), IsOk());
  const std::string meta = "hm:{" + std::string(kGtin) + "}";
  const auto fields = [](const absl::StatusOr<std::string>& reply) {
    return reply.ok() ? std::vector<std::string>(absl::StrSplit(*reply, '\n')).size() : 0;
  };
  EXPECT_EQ(fields(redis_->Command({"FCALL_RO", "hm_lookup", "1", meta, "S1"})), 6u);
  EXPECT_EQ(fields(redis_->Command({"FCALL_RO", "hm_lookup2", "1", meta, "S1"})), 8u);
  EXPECT_EQ(fields(redis_->Command(
                {"FCALL", "hm_verify", "1", meta, "S1", "1790000000", "", "0", "1", "2"})),
            13u);
  // The previous version's hm_begin_batch: 15 batch fields in, 2 + 15 out; a dateless batch of
  // a new lot is fine, of the dated lot refused.
  std::vector<std::string> old = {"FCALL", "hm_begin_batch", "1", meta, "", "0", "acme", "old",
                                  "issue", "RANDOM", "1", "L9", "", "k", "0", "", "seed", "",
                                  "", "", "fp"};
  EXPECT_EQ(fields(redis_->Command(old)), 17u);
  old[7] = "old2";
  old[11] = "L1";
  EXPECT_THAT(redis_->Command(old), StatusIs(absl::StatusCode::kInternal, HasSubstr("HM_LOT_DATES")));
}

TEST_F(RegistryTest, CountersAreAllocatedAtomicallyAndNeverPastTheMaximum) {
  auto a = Begin(Spec("a", 40, "seq"));
  auto b = Begin(Spec("b", 40, "seq"));
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a->counter_start, 1u);
  EXPECT_EQ(b->counter_start, 41u);
  EXPECT_EQ(Begin(Spec("a", 40, "seq"))->counter_start, 1u);  // a retry keeps its range
  EXPECT_THAT(Begin(Spec("c", 21, "seq")),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("seq")));
  EXPECT_EQ(Begin(Spec("d", 20, "seq"))->counter_start, 81u);  // the failed one took nothing
}

TEST_F(RegistryTest, RegisterRecognisesOwnUnitsAndRefusesOthers) {
  const uint64_t b1 = Begin(Spec("r1", 3))->id;
  const uint64_t b2 = Begin(Spec("r2", 3))->id;
  EXPECT_EQ(Outcomes(*Register(b1, {"A", "B", "C"}, true)), "nnn");
  EXPECT_EQ(Outcomes(*Register(b1, {"A", "B", "C"}, true)), "ooo");
  auto refused = Register(b2, {"D", "B"}, true);
  EXPECT_FALSE(refused->written);
  EXPECT_EQ(Outcomes(*refused), "nc");
  EXPECT_FALSE(Lookup("D")->has_value());  // all or nothing: D was not written
  auto partial = Register(b2, {"D", "B", "D"}, false);
  EXPECT_TRUE(partial->written);
  EXPECT_EQ(Outcomes(*partial), "ncc");
  EXPECT_TRUE(Lookup("D")->has_value());
  EXPECT_EQ(Count(), 4u);

  auto unit = Lookup("B");
  ASSERT_THAT(unit, IsOk());
  ASSERT_TRUE(unit->has_value());
  EXPECT_EQ((*unit)->batch, b1);
  EXPECT_EQ((*unit)->status, 0);
  EXPECT_EQ((*unit)->lot, "L1");
  EXPECT_EQ((*unit)->sku, "SKU-1");
  EXPECT_EQ((*unit)->key_id, "7e57");
  EXPECT_EQ((*unit)->issued_at, 1795000000);
}

TEST_F(RegistryTest, EveryUnitStaysFindableAcrossBucketSplits) {
  const uint64_t b = Begin(Spec("big", 20000))->id;
  std::vector<std::string> serials;
  for (int i = 0; i < 20000; ++i) serials.push_back(absl::StrCat("S", i * 7919));
  for (size_t i = 0; i < serials.size(); i += 2000) {
    std::vector<std::string> chunk(serials.begin() + i, serials.begin() + i + 2000);
    ASSERT_EQ(Outcomes(*Register(b, chunk, true)), std::string(2000, 'n'));
  }
  EXPECT_EQ(Count(), 20000u);
  // Re-registering finds every unit where linear hashing says it is.
  EXPECT_EQ(Outcomes(*Register(b, serials, true)), std::string(20000, 'o'));
  EXPECT_FALSE(Lookup("S1")->has_value());
}

// The largest unary write (10,000 units) to a GTIN that has none yet: its first bucket split
// moves ~5,000 units at once (more values than one Lua unpack takes).
TEST_F(RegistryTest, TenThousandUnitsInOneWriteToANewGtin) {
  const uint64_t b = Begin(Spec("one-write", 10000))->id;
  std::vector<std::string> serials;
  for (int i = 0; i < 10000; ++i) serials.push_back(absl::StrCat("T", i * 104729));
  absl::StatusOr<RegisterResult> r = Register(b, serials, true);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(Outcomes(*r), std::string(10000, 'n'));
  EXPECT_EQ(Count(), 10000u);
  for (const std::string& s : {serials.front(), serials[4999], serials.back()}) {
    absl::StatusOr<std::optional<UnitRecord>> unit = Lookup(s);
    ASSERT_THAT(unit, IsOk());
    EXPECT_TRUE(unit->has_value()) << s;
  }
  EXPECT_EQ(Outcomes(*Register(b, serials, true)), std::string(10000, 'o'));
  // The lot's unit count (what a lot recall reports) and later writes are fine too.
  EXPECT_EQ(*redis_->Command({"HGET", "hm:{" + std::string(kGtin) + "}:lots", "L1"}), "10000");
  EXPECT_EQ(Outcomes(*Register(b, {"LATER-1", "LATER-2"}, true)), "nn");
}

TEST_F(RegistryTest, MemoryPerUnitIsWithinBudget) {
  const uint64_t b = Begin(Spec("mem", 100000))->id;
  const long long before = *redis_->UsedMemory();  // NOLINT(runtime/int)
  for (int c = 0; c < 100; ++c) {
    std::vector<std::string> chunk;
    for (int i = 0; i < 1000; ++i) chunk.push_back(absl::StrCat("7KQ2M9XC", 10000000 + c * 1000 + i));
    ASSERT_TRUE(Register(b, chunk, true)->written);
  }
  const long long after = *redis_->UsedMemory();  // NOLINT(runtime/int)
  const double per_unit = static_cast<double>(after - before) / 100000;
  RecordProperty("bytes_per_unit", absl::StrCat(per_unit));
  EXPECT_LE(per_unit, 48.0);
}

TEST_F(RegistryTest, NonDurableRedisRefusesWritesButServesReads) {
  StartAll("appendfsync everysec", false, absl::Seconds(10));
  ASSERT_THAT(ready_, IsOk());  // reads (verification) go on
  EXPECT_THAT(client_->durability(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("appendfsync is 'everysec', need 'always'")));
  EXPECT_THAT(Begin(Spec("volatile", 10)),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("writes are refused while Redis is not durable")));
  EXPECT_EQ(Count(), 0u);                            // reads answer
  EXPECT_THAT(Lookup("NOSUCHSERIAL"), IsOk());
}

TEST_F(RegistryTest, NonDurableRedisIsAcceptedWhenAllowed) {
  StartAll("appendonly no", /*allow_volatile=*/true);
  ASSERT_THAT(ready_, IsOk());
  EXPECT_THAT(client_->durability(), IsOk()) << "allowed: not reported as a failure";
  // Writes go through (the same write NonDurableRedisRefusesWritesButServesReads is refused).
  absl::StatusOr<Batch> batch = Begin(Spec("volatile-allowed", 2));
  ASSERT_THAT(batch, IsOk());
  ASSERT_THAT(Register(batch->id, {"VOLA1", "VOLA2"}, true), IsOk());
  EXPECT_EQ(Count(), 2u);
}

TEST(RedisErrorTest, MapsToRetryableOrNot) {
  EXPECT_THAT(RedisErrorToStatus("OOM command not allowed"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(RedisErrorToStatus("LOADING Redis is loading"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(RedisErrorToStatus("HM_EXHAUSTED counter seq"),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(RedisErrorToStatus("ERR unknown"), StatusIs(absl::StatusCode::kInternal));
  // Another version's library loaded (an upgrade in progress): retried, not a bug.
  EXPECT_THAT(RedisErrorToStatus("ERR Function not found"),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace hallmark::registry
