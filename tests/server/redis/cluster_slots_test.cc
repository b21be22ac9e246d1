// Redis Cluster routing as pure functions: CRC16 and slots (with Redis's own examples), which
// key a command is routed by, CLUSTER SLOTS parsing, MOVED/ASK parsing, cluster:// seeds.
#include "server/redis/cluster_slots.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/redis/cluster_client.h"
#include "tests/common/status_matchers.h"

namespace hallmark::redis {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::ElementsAre;

TEST(ClusterSlotsTest, Crc16AndSlotsMatchRedis) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);  // the CRC16/XMODEM check value (Redis cluster spec)
  EXPECT_EQ(HashSlot("foo"), 12182);      // `CLUSTER KEYSLOT foo`
  EXPECT_EQ(HashSlot("bar"), 5061);
  EXPECT_EQ(HashSlot(""), 0);
}

TEST(ClusterSlotsTest, HashTagsPinKeysToOneSlot) {
  const int slot = HashSlot("09506000134352");
  EXPECT_EQ(HashSlot("hm:{09506000134352}"), slot);
  EXPECT_EQ(HashSlot("hm:{09506000134352}:u:17"), slot);
  EXPECT_EQ(HashSlot("hm:{09506000134352}:e:SERIAL}"), slot);
  EXPECT_EQ(HashSlot("{user1000}.following"), HashSlot("{user1000}.followers"));
  // An empty tag is no tag: the whole key counts; only the first "{...}" is a tag.
  EXPECT_EQ(HashSlot("foo{}{bar}"), Crc16("foo{}{bar}") % kClusterSlots);
  EXPECT_EQ(HashSlot("foo{{bar}}zap"), HashSlot("{bar"));
  EXPECT_EQ(HashSlot("foo{bar}{zap}"), HashSlot("bar"));
}

TEST(ClusterSlotsTest, RoutingKeyOfCommands) {
  EXPECT_EQ(RoutingKey({"FCALL", "hm_verify", "1", "hm:{G}", "S"}), "hm:{G}");
  EXPECT_EQ(RoutingKey({"fcall_ro", "hm_count", "1", "hm:{G}"}), "hm:{G}");
  EXPECT_EQ(RoutingKey({"FCALL", "f", "0", "x"}), std::nullopt);
  EXPECT_EQ(RoutingKey({"HGET", "k", "f"}), "k");
  EXPECT_EQ(RoutingKey({"FUNCTION", "LOAD", "REPLACE", "code"}), std::nullopt);
  EXPECT_EQ(RoutingKey({"CONFIG", "GET", "appendonly"}), std::nullopt);
  EXPECT_EQ(RoutingKey({"PING"}), std::nullopt);
}

RedisReply Int(int64_t v) {
  RedisReply r;
  r.type = RedisReply::Type::kInteger;
  r.integer = v;
  return r;
}
RedisReply Str(std::string s) {
  RedisReply r;
  r.type = RedisReply::Type::kString;
  r.str = std::move(s);
  return r;
}
RedisReply Arr(std::vector<RedisReply> e) {
  RedisReply r;
  r.type = RedisReply::Type::kArray;
  r.elements = std::move(e);
  return r;
}

TEST(ClusterSlotsTest, ParsesClusterSlots) {
  const RedisReply reply = Arr({
      Arr({Int(0), Int(5460), Arr({Str("127.0.0.1"), Int(30001), Str("id1")}),
           Arr({Str("127.0.0.1"), Int(30004), Str("id4")})}),
      Arr({Int(5461), Int(10922), Arr({Str("127.0.0.1"), Int(30002), Str("id2")})}),
      Arr({Int(10923), Int(16383), Arr({Str("127.0.0.1"), Int(30003), Str("id3")})}),
  });
  absl::StatusOr<SlotMap> map = ParseClusterSlots(reply);
  ASSERT_THAT(map, IsOk());
  EXPECT_THAT(map->masters, ElementsAre("127.0.0.1:30001", "127.0.0.1:30002", "127.0.0.1:30003"));
  EXPECT_TRUE(map->complete());
  EXPECT_EQ(map->owner[0], 0);
  EXPECT_EQ(map->owner[5461], 1);
  EXPECT_EQ(map->owner[16383], 2);
  // A gap is an incomplete map.
  const RedisReply partial = Arr({Arr({Int(0), Int(100), Arr({Str("h"), Int(1)})})});
  absl::StatusOr<SlotMap> gap = ParseClusterSlots(partial);
  ASSERT_THAT(gap, IsOk());
  EXPECT_FALSE(gap->complete());
  EXPECT_EQ(gap->owner[101], -1);
  EXPECT_THAT(ParseClusterSlots(Arr({Arr({Int(0), Int(99999), Arr({Str("h"), Int(1)})})})),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(ParseClusterSlots(Str("nope")), StatusIs(absl::StatusCode::kInternal));
}

TEST(ClusterSlotsTest, ParsesRedirections) {
  std::optional<Redirect> moved = ParseRedirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(moved.has_value());
  EXPECT_FALSE(moved->ask);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->address, "127.0.0.1:6381");
  std::optional<Redirect> ask = ParseRedirect("ASK 12 10.0.0.2:7000");
  ASSERT_TRUE(ask.has_value());
  EXPECT_TRUE(ask->ask);
  EXPECT_FALSE(ParseRedirect("ERR unknown").has_value());
  EXPECT_FALSE(ParseRedirect("MOVED 99999 h:1").has_value());
  EXPECT_FALSE(ParseRedirect("MOVED 1 nohostport").has_value());
}

TEST(ClusterSlotsTest, ParsesSeeds) {
  absl::StatusOr<std::vector<std::string>> seeds =
      ParseClusterSeeds("cluster://10.0.0.1:7000, redis-1.svc:6379");
  ASSERT_THAT(seeds, IsOk());
  EXPECT_THAT(*seeds, ElementsAre("10.0.0.1:7000", "redis-1.svc:6379"));
  EXPECT_THAT(ParseClusterSeeds("cluster://"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseClusterSeeds("cluster://host"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseClusterSeeds("tcp://h:1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark::redis
