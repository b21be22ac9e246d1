// File: server/registry/redis_registry.h
//
// RedisRegistry: Registry on Redis Functions (server/registry/hallmark.lua, the only place
// that knows the key layout beyond the per-GTIN hash tag built by MetaKey()). Stateless apart
// from the client, so any number of servers can share one Redis.
//
// InitCommands()/CheckInit() are what the Redis client runs after every connect: load the
// function library (FUNCTION LOAD REPLACE) and check that the server is durable
// (appendonly yes, appendfsync always, no-appendfsync-on-rewrite no) unless volatility was
// explicitly allowed.
#ifndef HALLMARK_SERVER_REGISTRY_REDIS_REGISTRY_H_
#define HALLMARK_SERVER_REGISTRY_REDIS_REGISTRY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/redis/redis_client.h"
#include "server/registry/registry.h"

namespace hallmark::registry {

// "hm:{<gtin14>}": the GTIN's meta key; its hash tag puts all of a GTIN's keys in one slot.
std::string MetaKey(absl::string_view gtin14);

// The Lua library source.
absl::string_view FunctionLibrary();

std::vector<std::vector<std::string>> InitCommands();
// Judges the replies to InitCommands(): FailedPrecondition naming the setting when Redis is not
// durable (and `allow_volatile` is false), Internal when the library did not load.
absl::Status CheckInit(const std::vector<redis::RedisReply>& replies, bool allow_volatile);

class RedisRegistry final : public Registry {
 public:
  explicit RedisRegistry(redis::RedisClient* client) : client_(client) {}

  void BeginBatch(BatchSpec spec, absl::Time deadline, Callback<Batch> done) override;
  void Register(std::string gtin, uint64_t batch, std::vector<std::string> serials,
                bool all_or_nothing, absl::Time deadline,
                Callback<RegisterResult> done) override;
  void Lookup(std::string gtin, std::string serial, absl::Time deadline,
              Callback<std::optional<UnitRecord>> done) override;
  void CountUnits(std::string gtin, absl::Time deadline, Callback<uint64_t> done) override;
  void VerifyUnit(ScanInput scan, absl::Time deadline, Callback<VerifyRecord> done) override;

 private:
  redis::RedisClient* const client_;
};

// Maps a Redis error reply to a status: OOM -> RESOURCE_EXHAUSTED; LOADING, BUSY, READONLY,
// MASTERDOWN, TRYAGAIN, CLUSTERDOWN -> UNAVAILABLE; HM_EXHAUSTED -> OUT_OF_RANGE; HM_CASE_AGENCY ->
// FAILED_PRECONDITION; HM_NOT_FOUND -> NOT_FOUND; HM_FULL -> RESOURCE_EXHAUSTED; others ->
// INTERNAL.
absl::Status RedisErrorToStatus(absl::string_view error);

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_REDIS_REGISTRY_H_
