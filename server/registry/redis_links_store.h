// File: server/registry/redis_links_store.h
//
// RedisLinksStore: LinksStore on the Redis Functions hm_links_set, hm_links_delete,
// hm_links_get and hm_links_scan (server/registry/lua/4_links.lua, which documents the keys).
// Writes are durable (acknowledged once Redis has them on disk, and replicated where that is
// configured); reads may be served by replicas.
#ifndef HALLMARK_SERVER_REGISTRY_REDIS_LINKS_STORE_H_
#define HALLMARK_SERVER_REGISTRY_REDIS_LINKS_STORE_H_

#include <string>
#include <vector>

#include "server/redis/redis_client.h"
#include "server/registry/links_store.h"

namespace hallmark::registry {

class RedisLinksStore final : public LinksStore {
 public:
  explicit RedisLinksStore(redis::RedisClient* client) : client_(client) {}

  void Put(const LinkPlace& place, std::string entry, size_t max_per_gtin, absl::Time deadline,
           Callback<bool> done) override;
  void Delete(const LinkPlace& place, absl::Time deadline, Callback<bool> done) override;
  void GetUnitLevels(std::string gtin, std::string lot, std::string serial, absl::Time deadline,
                     Callback<std::vector<std::optional<std::string>>> done) override;
  void GetPrefixes(std::vector<std::string> prefixes, absl::Time deadline,
                   Callback<std::vector<std::optional<std::string>>> done) override;
  void ScanGtin(std::string gtin, std::string cursor, uint32_t count, absl::Time deadline,
                Callback<LinkPage> done) override;

 private:
  redis::RedisClient* const client_;
};

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_REDIS_LINKS_STORE_H_
