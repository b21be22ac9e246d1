// BatchWriter's collision rule against a real Redis: a RANDOM serial already owned by another
// batch moves to its next derivation attempt, and a retry finds exactly the same serials.
#include "server/issuance/batch_writer.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/redis/async_redis_client.h"
#include "server/registry/redis_registry.h"
#include "tests/common/await.h"
#include "tests/common/redis_server.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark::issuance {
namespace {

using ::hallmark::testing::Await;
using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;

constexpr char kGtin[] = "09506000134352";

class BatchWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start(tmp_.path());
    ASSERT_THAT(redis, IsOk());
    redis_ = *std::move(redis);
    redis::AsyncRedisClient::Options o;
    o.address = redis_->address();
    registry::UseRegistryInit(&o, false);
    client_ = *redis::AsyncRedisClient::Start(std::move(o));
    ASSERT_THAT(client_->WaitUntilReady(absl::Seconds(10)), IsOk());
    registry_ = std::make_unique<registry::RedisRegistry>(client_.get());
    writer_ = std::make_unique<BatchWriter>(registry_.get(), &pool_);
  }

  registry::Batch Begin(const std::string& id, const std::string& format,
                        const std::string& counter = "") {
    registry::BatchSpec s;
    s.gtin = kGtin;
    s.issuer = "acme";
    s.request_id = id;
    s.kind = "issue";
    s.format = format;
    s.count = 10;
    s.seed = std::string(64, '7');
    s.prefix = "P-";
    s.counter_field = counter;
    s.max_counter = 1000;
    return *Await<registry::Batch>([&](auto done) {
      registry_->BeginBatch(s, absl::Now() + absl::Seconds(5), std::move(done));
    });
  }

  absl::StatusOr<std::vector<std::string>> Write(const registry::Batch& b) {
    auto source = std::make_shared<const SerialSource>(*SerialSource::ForBatch(b));
    return Await<std::vector<std::string>>([&](auto done) {
      writer_->WriteRange(source, kGtin, b.id, 0, 10, absl::Now() + absl::Seconds(5),
                          std::move(done));
    });
  }

  void Squat(const std::string& serial) {  // another batch takes `serial` first
    const registry::Batch other = Begin("squatter-" + serial, "IMPORT");
    auto r = Await<registry::RegisterResult>([&](auto done) {
      registry_->Register(kGtin, other.id, {serial}, true, absl::Now() + absl::Seconds(5),
                          std::move(done));
    });
    ASSERT_TRUE(r->written);
  }

  testing::TempDir tmp_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<redis::AsyncRedisClient> client_;
  std::unique_ptr<registry::RedisRegistry> registry_;
  WorkPool pool_{2};
  std::unique_ptr<BatchWriter> writer_;
};

TEST_F(BatchWriterTest, RandomCollisionMovesToTheNextAttemptReproducibly) {
  const registry::Batch batch = Begin("r", "RANDOM");
  const SerialSource source = *SerialSource::ForBatch(batch);
  Squat(*source.Serial(3, 0));
  auto first = Write(batch);
  ASSERT_THAT(first, IsOk());
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ((*first)[i], *source.Serial(i, i == 3 ? 1 : 0)) << i;
  }
  auto retry = Write(batch);
  ASSERT_THAT(retry, IsOk());
  EXPECT_EQ(*retry, *first);
}

TEST_F(BatchWriterTest, CounterSerialTakenByAnImportIsFailedPrecondition) {
  const registry::Batch batch = Begin("s", "SEQUENTIAL", "seq");
  Squat("P-0000000004");
  EXPECT_THAT(Write(batch), StatusIs(absl::StatusCode::kFailedPrecondition,
                                     ::testing::HasSubstr("P-0000000004")));
}

}  // namespace
}  // namespace hallmark::issuance
