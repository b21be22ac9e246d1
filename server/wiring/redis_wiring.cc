#include "server/wiring/redis_wiring.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/common/log.h"
#include "server/redis/async_redis_client.h"
#include "server/redis/cluster_client.h"
#include "server/redis/replicated_connection.h"
#include "server/registry/redis_registry.h"

namespace hallmark::api {

// How durable writes are replicated before they are acknowledged (redis_replicas).
absl::StatusOr<redis::ReplicationOptions> ReplicationFromConfig(const ServerConfig& config,
                                                                bool cluster, Metrics* metrics) {
  redis::ReplicationOptions r;
  r.replicas = config.redis_replicas >= 0 ? config.redis_replicas : (cluster ? 1 : 0);
  if (config.redis_replicas < -1 || r.replicas > 16) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--redis_replicas: must be 0..16 (or -1: 1 on a cluster, 0 on one Redis), got ",
        config.redis_replicas));
  }
  if (config.redis_replica_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--redis_replica_timeout: must be positive");
  }
  if (r.replicas > 0 && config.allow_volatile_redis) {
    log::Warn("--allow_volatile_redis: acknowledged writes wait for replicas, but neither they "
              "nor the master need keep them on disk");
  }
  r.timeout = config.redis_replica_timeout;
  r.allow_fewer = config.allow_unreplicated_writes;
  r.on_check = [metrics](const std::string& master, const redis::ReplicationInfo& info) {
    metrics->Replicas(master, info.replicas_online, info.max_lag_bytes);
  };
  r.on_wait = [metrics](absl::Duration latency, int wanted, int confirmed) {
    metrics->ReplicaAck(latency, confirmed >= wanted);
  };
  return r;
}

// One Redis (unix:// or tcp://) or a Redis Cluster (cluster://host:port,...): every
// connection loads the functions and checks durability (on each master of a cluster).
absl::StatusOr<std::unique_ptr<redis::RedisConnection>> ConnectRedis(const ServerConfig& config,
                                                                     HealthReporter* health,
                                                                     Metrics* metrics) {
  redis::AsyncRedisClient::Options o;
  o.address = config.redis;
  registry::UseRegistryInit(&o, config.allow_volatile_redis);
  o.probe_interval = config.redis_probe_interval;
  o.probe_timeout = config.redis_probe_timeout;
  o.recheck_interval = config.redis_recheck_interval;
  o.on_durability_change = [metrics](const absl::Status& durability) {
    metrics->RedisDurable(durability.ok());
    if (durability.ok()) {
      log::Info("redis durable: writes accepted");
    } else {
      log::Error("redis NOT durable: writes refused until it is",
                 {{"why", std::string(durability.message())}});
    }
  };
  o.on_command_done = [metrics](absl::Duration latency, bool ok) {
    metrics->RedisCall(latency, ok);
  };
  auto on_state_change = [health, metrics](bool ready, const absl::Status& why) {
    health->SetRedisReady(ready);
    metrics->RedisReady(ready);
    if (ready) {
      log::Info("redis ready");
    } else {
      log::Warn("redis not ready", {{"why", std::string(why.message())}});
    }
  };
  const bool cluster = absl::StartsWith(config.redis, "cluster://");
  HALLMARK_ASSIGN_OR_RETURN(redis::ReplicationOptions replication,
                            ReplicationFromConfig(config, cluster, metrics));
  std::unique_ptr<redis::RedisConnection> client;
  if (cluster) {
    redis::ClusterRedisClient::Options c;
    HALLMARK_ASSIGN_OR_RETURN(c.seeds, redis::ParseClusterSeeds(config.redis));
    c.node = std::move(o);
    c.node.on_state_change = nullptr;
    c.on_state_change = std::move(on_state_change);
    c.replication = std::move(replication);
    HALLMARK_ASSIGN_OR_RETURN(client, redis::ClusterRedisClient::Start(std::move(c)));
  } else if (replication.replicas > 0) {
    o.on_state_change = std::move(on_state_change);
    HALLMARK_ASSIGN_OR_RETURN(
        client, redis::ReplicatedConnection::Start(std::move(o), std::move(replication)));
  } else {
    o.on_state_change = std::move(on_state_change);
    HALLMARK_ASSIGN_OR_RETURN(client, redis::AsyncRedisClient::Start(std::move(o)));
  }
  HALLMARK_RETURN_IF_ERROR(client->WaitUntilReady(config.redis_startup_timeout));
  // A deployment that starts on a non-durable Redis is misconfigured: refuse to serve. Later
  // losses of durability (CONFIG SET at run time) refuse writes only, and are logged. Too few
  // replicas (UNAVAILABLE) is a state, not a configuration: the server starts, verification
  // serves, writes wait for the replicas (health "hallmark.writes" NOT_SERVING meanwhile).
  if (absl::Status durable = client->durability(); absl::IsFailedPrecondition(durable)) {
    client->Stop();
    return durable;
  }
  return client;
}

// Every second: are writes accepted (hallmark_server.h)? Health, metric, and a log line when
// that changes. Re-arms itself on the server's timer until the timer goes away.
void WatchWrites(redis::RedisConnection* redis, HealthReporter* health, Metrics* metrics,
                 Timer* timer, std::shared_ptr<absl::Status> last) {
  absl::Status now = redis->ready() ? redis->durability()
                                    : absl::UnavailableError("redis not ready");
  health->SetWritesAccepted(now.ok());
  metrics->WritesAccepted(now.ok());
  if (now.ok() != last->ok() || (!now.ok() && now.message() != last->message())) {
    if (now.ok()) {
      log::Info("writes accepted");
    } else {
      log::Warn("writes refused", {{"why", std::string(now.message())}});
    }
    *last = now;
  }
  timer->After(absl::Seconds(1), [redis, health, metrics, timer, last] {
    WatchWrites(redis, health, metrics, timer, last);
  });
}

}  // namespace hallmark::api
