// AsyncRedisClient against a real redis-server: replies, pipelining, deadlines, outages and
// reconnection.
#include "server/redis/async_redis_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "tests/common/await.h"
#include "gtest/gtest.h"
#include "tests/common/redis_server.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark::redis {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

// Runs one command and waits for its callback.
absl::StatusOr<RedisReply> Exec(RedisClient& client, std::vector<std::string> argv,
                                absl::Duration timeout = absl::Seconds(2)) {
  return testing::Await<RedisReply>([&](auto done) {
    client.Execute(std::move(argv), absl::Now() + timeout, std::move(done));
  });
}

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start(tmp_.path());
    ASSERT_THAT(redis, IsOk());
    redis_ = *std::move(redis);
  }

  std::unique_ptr<AsyncRedisClient> Connect(AsyncRedisClient::Options o = {}) {
    o.address = redis_->address();
    o.reconnect_max = absl::Milliseconds(200);
    auto client = AsyncRedisClient::Start(std::move(o));
    EXPECT_THAT(client, IsOk());
    EXPECT_THAT((*client)->WaitUntilReady(absl::Seconds(10)), IsOk());
    return *std::move(client);
  }

  testing::TempDir tmp_;
  std::unique_ptr<testing::RedisServer> redis_;
};

TEST_F(RedisClientTest, RepliesOfEveryType) {
  auto client = Connect();
  EXPECT_EQ(Exec(*client, {"SET", "k", std::string("a\0b", 3)})->str, "OK");
  auto get = Exec(*client, {"GET", "k"});
  ASSERT_THAT(get, IsOk());
  EXPECT_EQ(get->type, RedisReply::Type::kString);
  EXPECT_EQ(get->str, std::string("a\0b", 3));
  EXPECT_TRUE(Exec(*client, {"GET", "missing"})->is_nil());
  EXPECT_EQ(Exec(*client, {"INCRBY", "n", "41"})->integer, 41);
  auto arr = Exec(*client, {"MGET", "k", "missing"});
  ASSERT_TRUE(arr->is_array());
  EXPECT_EQ(arr->elements.size(), 2u);
  auto err = Exec(*client, {"INCR", "k"});
  ASSERT_THAT(err, IsOk());
  EXPECT_TRUE(err->is_error());
}

TEST_F(RedisClientTest, ArgumentsAreSentByteForByte) {
  // The client encodes commands itself: RESP's own framing bytes, empty and large arguments
  // must arrive as they were given.
  auto client = Connect();
  const std::string framing = "*1\r\n$3\r\nFOO\r\n\n\r$-1\r\n";
  const std::string large(1 << 20, 'x');
  ASSERT_EQ(Exec(*client, {"HSET", "h", framing, "", "", framing, "big", large})->integer, 3);
  auto got = Exec(*client, {"HMGET", "h", framing, "", "big"});
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->elements.size(), 3u);
  EXPECT_EQ(got->elements[0].str, "");
  EXPECT_EQ(got->elements[1].str, framing);
  EXPECT_EQ(got->elements[2].str, large);
  EXPECT_EQ(Exec(*client, {"HLEN", "h"})->integer, 3);
}

TEST_F(RedisClientTest, ManyConcurrentCommandsAllComplete) {
  auto client = Connect();
  constexpr int kN = 5000;
  std::atomic<int> ok{0};
  absl::Notification all;
  std::atomic<int> left{kN};
  for (int i = 0; i < kN; ++i) {
    client->Execute({"INCR", "counter"}, absl::Now() + absl::Seconds(10),
                    [&](absl::StatusOr<RedisReply> r) {
                      if (r.ok() && r->type == RedisReply::Type::kInteger) ++ok;
                      if (--left == 0) all.Notify();
                    });
  }
  all.WaitForNotification();
  EXPECT_EQ(ok.load(), kN);
  EXPECT_EQ(Exec(*client, {"GET", "counter"})->str, std::to_string(kN));
}

TEST_F(RedisClientTest, PausedRedisFailsWithinTheDeadline) {
  auto client = Connect();
  redis_->Pause();
  const absl::Time start = absl::Now();
  auto r = Exec(*client, {"PING"}, absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("deadline")));
  EXPECT_LT(took, absl::Seconds(2));  // generous: only "it does not hang" matters here
  redis_->Resume();
  EXPECT_EQ(Exec(*client, {"PING"})->str, "PONG");
}

TEST_F(RedisClientTest, KilledRedisIsUnavailableAndClientReconnectsByItself) {
  std::atomic<int> changes{0};
  AsyncRedisClient::Options o;
  o.on_state_change = [&](bool, const absl::Status&) { ++changes; };
  auto client = Connect(std::move(o));
  ASSERT_EQ(Exec(*client, {"SET", "durable", "1"})->str, "OK");
  redis_->Kill();
  // The next command fails: either the loss is noticed in flight or it fails fast.
  EXPECT_THAT(Exec(*client, {"PING"}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(client->ready());
  ASSERT_THAT(redis_->Restart(), IsOk());
  ASSERT_THAT(client->WaitUntilReady(absl::Seconds(10)), IsOk());
  EXPECT_EQ(Exec(*client, {"GET", "durable"})->str, "1");  // appendfsync always kept it
  EXPECT_GE(changes.load(), 2);
}

// A peer that accepts the connection (the kernel does, from the backlog) and never answers:
// every handshake times out. Each time out drops a connection with its init command still in
// flight, which once freed that command twice.
TEST(RedisClientStalledPeerTest, HandshakesThatNeverFinishFailCleanlyAgainAndAgain) {
  testing::TempDir tmp;
  const std::string path = tmp.path() + "/stalled.sock";
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 64), 0);

  std::atomic<int> became_ready{0};
  AsyncRedisClient::Options o;
  o.address = "unix://" + path;
  o.init_commands = {{"PING"}, {"PING"}};
  o.handshake_timeout = absl::Milliseconds(50);
  o.reconnect_min = absl::Milliseconds(10);
  o.reconnect_max = absl::Milliseconds(10);
  o.on_state_change = [&](bool ready, const absl::Status&) { became_ready += ready ? 1 : 0; };
  auto client = AsyncRedisClient::Start(std::move(o));
  ASSERT_THAT(client, IsOk());
  for (int i = 0; i < 5; ++i) {  // several connect / time-out cycles
    EXPECT_THAT((*client)->WaitUntilReady(absl::Milliseconds(100)),
                StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_THAT(Exec(**client, {"PING"}, absl::Milliseconds(100)),
                StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_EQ(became_ready.load(), 0);
  client->reset();
  close(fd);
}

TEST_F(RedisClientTest, FailingInitCheckKeepsClientNotReady) {
  AsyncRedisClient::Options o;
  o.address = redis_->address();
  o.init_commands = {{"PING"}};
  o.check_init = [](const std::vector<RedisReply>&) {
    return absl::FailedPreconditionError("not durable");
  };
  auto client = AsyncRedisClient::Start(std::move(o));
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT((*client)->WaitUntilReady(absl::Milliseconds(500)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not durable")));
  EXPECT_THAT(Exec(**client, {"PING"}), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(RedisAddressTest, ParsesUnixAndTcp) {
  EXPECT_EQ(ParseRedisAddress("unix:///run/r.sock")->unix_path, "/run/r.sock");
  auto tcp = ParseRedisAddress("tcp://10.0.0.1:6380");
  ASSERT_THAT(tcp, IsOk());
  EXPECT_EQ(tcp->host, "10.0.0.1");
  EXPECT_EQ(tcp->port, 6380);
  for (const char* bad : {"redis://h:1", "unix://rel", "tcp://h", "tcp://h:0", "tcp://:1",
                          "tcp://h:99999"}) {
    EXPECT_THAT(ParseRedisAddress(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace hallmark::redis
