// File: server/redis/replicated_connection.h
//
// ReplicatedConnection: one Redis (a master with replicas, outside a cluster) over two
// connections: Execute on the read connection, ExecuteWrite on a write connection that
// acknowledges a write only once `replication.replicas` replicas have it (WAIT; see
// async_redis_client.h). ready() while both are; durability() is the first
// failure of the two (the AOF check, then the replica check). For a cluster,
// ClusterRedisClient keeps such a pair per master itself.
#ifndef HALLMARK_SERVER_REDIS_REPLICATED_CONNECTION_H_
#define HALLMARK_SERVER_REDIS_REPLICATED_CONNECTION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/redis/async_redis_client.h"
#include "server/redis/redis_client.h"

namespace hallmark::redis {

class ReplicatedConnection final : public RedisConnection {
 public:
  // `reads` as for AsyncRedisClient; replication.replicas must be > 0.
  static absl::StatusOr<std::unique_ptr<ReplicatedConnection>> Start(
      AsyncRedisClient::Options reads, ReplicationOptions replication);

  void Execute(std::vector<std::string> argv, absl::Time deadline, ReplyCallback done) override {
    reads_->Execute(std::move(argv), deadline, std::move(done));
  }
  void ExecuteWrite(std::vector<std::string> argv, absl::Time deadline,
                    ReplyCallback done) override {
    writes_->Execute(std::move(argv), deadline, std::move(done));
  }
  bool ready() const override { return reads_->ready() && writes_->ready(); }
  absl::Status durability() const override;
  absl::Status WaitUntilReady(absl::Duration timeout) override;
  void Stop() override;

 private:
  ReplicatedConnection(std::unique_ptr<AsyncRedisClient> reads,
                       std::unique_ptr<AsyncRedisClient> writes)
      : reads_(std::move(reads)), writes_(std::move(writes)) {}

  std::unique_ptr<AsyncRedisClient> reads_;
  std::unique_ptr<AsyncRedisClient> writes_;
};

}  // namespace hallmark::redis

#endif  // HALLMARK_SERVER_REDIS_REPLICATED_CONNECTION_H_
