// File: server/wiring/redis_wiring.h
//
// The server's Redis, as the wiring sets it up: one Redis (unix:// or tcp://), a Redis Cluster
// (cluster://), with replicated writes where configured (--redis_replicas), the registry's
// init (functions, durability) on every connection, readiness and durability reported to the
// health service, the metrics and the log. HealthReporter keeps what the health service says.
#ifndef HALLMARK_SERVER_WIRING_REDIS_WIRING_H_
#define HALLMARK_SERVER_WIRING_REDIS_WIRING_H_

#include <grpcpp/health_check_service_interface.h>

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/common/metrics.h"
#include "server/common/timer.h"
#include "server/redis/redis_client.h"
#include "server/redis/replication.h"
#include "server/wiring/server_config.h"

namespace hallmark::api {

// The health service name of writes (hallmark_server.h).
inline constexpr char kWritesHealth[] = "hallmark.writes";

// Readiness as the health service reports it; the Redis client may report before the gRPC
// server exists, so the last state is kept and applied when it does.
class HealthReporter {
 public:
  void SetRedisReady(bool ready) {
    absl::MutexLock lock(&mu_);
    ready_ = ready;
    Apply();
  }
  void SetWritesAccepted(bool accepted) {
    absl::MutexLock lock(&mu_);
    writes_ = accepted;
    Apply();
  }
  void Attach(grpc::HealthCheckServiceInterface* health) {
    absl::MutexLock lock(&mu_);
    health_ = health;
    Apply();
  }
  void Detach() {
    absl::MutexLock lock(&mu_);
    health_ = nullptr;
    detached_ = true;
  }
  // What the health service says for "" (the HTTP front door's /healthz agrees with it).
  bool serving() const {
    absl::MutexLock lock(&mu_);
    return ready_ && !detached_;
  }

 private:
  void Apply() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (health_ == nullptr) return;
    health_->SetServingStatus(ready_);
    health_->SetServingStatus(kWritesHealth, ready_ && writes_);
  }
  mutable absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  bool detached_ ABSL_GUARDED_BY(mu_) = false;  // shutting down
  bool writes_ ABSL_GUARDED_BY(mu_) = false;
  grpc::HealthCheckServiceInterface* health_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// How durable writes are replicated before they are acknowledged (config.redis_replicas).
absl::StatusOr<redis::ReplicationOptions> ReplicationFromConfig(const ServerConfig& config,
                                                                bool cluster, Metrics* metrics);

// Connects and waits (config.redis_startup_timeout) until ready; a misconfigured (not durable)
// Redis is FAILED_PRECONDITION, too few replicas is not (writes wait for them).
absl::StatusOr<std::unique_ptr<redis::RedisConnection>> ConnectRedis(const ServerConfig& config,
                                                                     HealthReporter* health,
                                                                     Metrics* metrics);

// Every second: whether writes are accepted, into health ("hallmark.writes"), the metric and
// the log (on change). Runs on `timer` until the timer goes away.
void WatchWrites(redis::RedisConnection* redis, HealthReporter* health, Metrics* metrics,
                 Timer* timer, std::shared_ptr<absl::Status> last);

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_WIRING_REDIS_WIRING_H_
