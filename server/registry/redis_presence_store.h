// File: server/registry/redis_presence_store.h
//
// RedisPresenceStore: which replicas served a principal recently (hm_rl_presence), so that a
// principal's rate limits hold across replicas (see server/api/replica_shares.h). Best effort:
// not refused while Redis is not durable.
#ifndef HALLMARK_SERVER_REGISTRY_REDIS_PRESENCE_STORE_H_
#define HALLMARK_SERVER_REGISTRY_REDIS_PRESENCE_STORE_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "server/redis/redis_client.h"
#include "server/registry/registry.h"

namespace hallmark::registry {

class RedisPresenceStore {
 public:
  explicit RedisPresenceStore(redis::RedisClient* client) : client_(client) {}

  // Records that `replica` serves `principal` now; `done` gets the number of replicas that did
  // within `window` (this one included).
  void Report(const std::string& principal, const std::string& replica, absl::Duration window,
              absl::Time deadline, Callback<uint64_t> done) const;

 private:
  redis::RedisClient* const client_;
};

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_REDIS_PRESENCE_STORE_H_
