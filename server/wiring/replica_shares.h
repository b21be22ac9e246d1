// File: server/wiring/replica_shares.h
//
// ReplicaShares: makes each principal's rate limits hold across the replicas that share one
// Redis. Every `interval`, for each principal this replica charged since the last round, it
// records in Redis that it serves the principal (hm_rl_presence) and learns how many replicas
// did within 3 intervals, N; the local limiter then grants that principal 1/N of its limits.
// A principal whose calls all reach one replica (one HTTP/2 connection through an L4 balancer)
// keeps its whole budget there; one spread over three replicas gets a third on each, so the
// sum stays at its budget. The Verify path makes no extra Redis call: reports are batched per
// principal and interval, on the timer. If Redis does not answer, shares stay as they were.
#ifndef HALLMARK_SERVER_WIRING_REPLICA_SHARES_H_
#define HALLMARK_SERVER_WIRING_REPLICA_SHARES_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/auth/access.h"
#include "server/common/timer.h"
#include "server/registry/redis_presence_store.h"

namespace hallmark::api {

class ReplicaShares : public std::enable_shared_from_this<ReplicaShares> {
 public:
  // Starts the rounds on `timer`; they stop when the timer is destroyed.
  static std::shared_ptr<ReplicaShares> Start(auth::RateLimiter* limiter,
                                              const registry::RedisPresenceStore* store,
                                              Timer* timer, absl::Duration interval);

  // How many replicas served `principal` at the last round (1 when unknown).
  int Replicas(const std::string& principal) const;
  const std::string& replica_id() const { return id_; }

 private:
  ReplicaShares(auth::RateLimiter* limiter, const registry::RedisPresenceStore* store,
                Timer* timer, absl::Duration interval, std::string id);
  void Round();
  void Learned(const std::string& principal, uint64_t replicas);

  auth::RateLimiter* const limiter_;
  const registry::RedisPresenceStore* const store_;
  Timer* const timer_;
  const absl::Duration interval_;
  const std::string id_;
  mutable absl::Mutex mu_;
  struct Seen {
    int replicas = 1;
    absl::Time active;  // last round in which this replica charged the principal
  };
  absl::flat_hash_map<std::string, Seen> seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_WIRING_REPLICA_SHARES_H_
