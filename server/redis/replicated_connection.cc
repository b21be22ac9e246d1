#include "server/redis/replicated_connection.h"

#include <utility>

#include "absl/time/clock.h"

namespace hallmark::redis {

absl::StatusOr<std::unique_ptr<ReplicatedConnection>> ReplicatedConnection::Start(
    AsyncRedisClient::Options reads, ReplicationOptions replication) {
  if (replication.replicas <= 0) {
    return absl::InvalidArgumentError("redis: a replicated connection needs replicas > 0");
  }
  AsyncRedisClient::Options writes = WriteConnectionOptions(reads, std::move(replication));
  absl::StatusOr<std::unique_ptr<AsyncRedisClient>> r = AsyncRedisClient::Start(std::move(reads));
  if (!r.ok()) return r.status();
  absl::StatusOr<std::unique_ptr<AsyncRedisClient>> w = AsyncRedisClient::Start(std::move(writes));
  if (!w.ok()) return w.status();
  return std::unique_ptr<ReplicatedConnection>(
      new ReplicatedConnection(*std::move(r), *std::move(w)));
}

absl::Status ReplicatedConnection::durability() const {
  if (absl::Status s = reads_->durability(); !s.ok()) return s;
  return writes_->durability();
}

absl::Status ReplicatedConnection::WaitUntilReady(absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  if (absl::Status s = reads_->WaitUntilReady(timeout); !s.ok()) return s;
  return writes_->WaitUntilReady(until - absl::Now());
}

void ReplicatedConnection::Stop() {
  writes_->Stop();
  reads_->Stop();
}

}  // namespace hallmark::redis
