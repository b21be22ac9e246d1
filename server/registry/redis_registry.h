// File: server/registry/redis_registry.h
//
// RedisRegistry: Registry on Redis Functions (server/registry/lua/, the only place
// that knows the key layout beyond the per-GTIN hash tag built by MetaKey()). Stateless apart
// from the client, so any number of servers can share one Redis.
//
// UseRegistryInit() sets what the Redis client runs after every connect and every recheck:
// ask the loaded library's version (FCALL_RO hm_library_version), load the library
// (FUNCTION LOAD REPLACE) only when it is missing or of another version (a reload writes ~30 KB
// to the AOF), and check that the server is durable (appendonly yes, appendfsync always,
// no-appendfsync-on-rewrite no) unless volatility was explicitly allowed.
#ifndef HALLMARK_SERVER_REGISTRY_REDIS_REGISTRY_H_
#define HALLMARK_SERVER_REGISTRY_REDIS_REGISTRY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/redis/async_redis_client.h"
#include "server/redis/redis_client.h"
#include "server/registry/registry.h"

namespace hallmark::registry {

// "hm:{<gtin14>}": the GTIN's meta key; its hash tag puts all of a GTIN's keys in one slot.
std::string MetaKey(absl::string_view gtin14);

// The Lua library source.
absl::string_view FunctionLibrary();

// The version of the embedded library (a digest of its source), as hm_library_version says.
absl::string_view FunctionLibraryVersion();

std::vector<std::vector<std::string>> InitCommands();
// FUNCTION LOAD REPLACE when the replies to InitCommands() show the library missing or of
// another version; nothing otherwise.
std::vector<std::vector<std::string>> InitFollowup(const std::vector<redis::RedisReply>& replies);
// Internal when the library is neither there nor loaded by the follow-up.
absl::Status CheckFunctions(const std::vector<redis::RedisReply>& replies);
// FailedPrecondition naming the setting when Redis is not durable (and `allow_volatile` is
// false).
absl::Status CheckDurable(const std::vector<redis::RedisReply>& replies, bool allow_volatile);
// Both checks: a client that must not become ready on a non-durable Redis (tools, tests).
absl::Status CheckInit(const std::vector<redis::RedisReply>& replies, bool allow_volatile);
// Fills `o`'s init commands, follow-up and checks (functions decide readiness, durability is
// reported apart so reads go on while writes are refused).
void UseRegistryInit(redis::AsyncRedisClient::Options* o, bool allow_volatile);

class RedisRegistry final : public Registry {
 public:
  explicit RedisRegistry(redis::RedisClient* client) : client_(client) {}

  void BeginBatch(BatchSpec spec, absl::Time deadline, Callback<Batch> done) override;
  void Register(std::string gtin, uint64_t batch, std::vector<std::string> serials,
                bool all_or_nothing, absl::Time deadline,
                Callback<RegisterResult> done) override;
  void Unregister(std::string gtin, uint64_t batch, std::vector<std::string> serials,
                  absl::Time deadline, Callback<uint64_t> done) override;
  void DropEmptyBatch(std::string gtin, uint64_t batch, std::string issuer,
                      std::string request_id, absl::Time deadline,
                      absl::AnyInvocable<void(absl::Status)> done) override;
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
