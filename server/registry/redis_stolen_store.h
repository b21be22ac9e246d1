// File: server/registry/redis_stolen_store.h
//
// RedisStolenStore: StolenStore on the Redis Functions of server/registry/lua/ (hm_report_stolen,
// hm_clear_stolen, hm_check_stolen, hm_case_open, hm_case, hm_case_gtin).
#ifndef HALLMARK_SERVER_REGISTRY_REDIS_STOLEN_STORE_H_
#define HALLMARK_SERVER_REGISTRY_REDIS_STOLEN_STORE_H_

#include <string>
#include <vector>

#include "server/redis/redis_client.h"
#include "server/registry/stolen_store.h"

namespace hallmark::registry {

// "hc:{<case_id>}": the case index key, in the case's own slot.
std::string CaseKey(absl::string_view case_id);

class RedisStolenStore final : public StolenStore {
 public:
  explicit RedisStolenStore(redis::RedisClient* client) : client_(client) {}

  void OpenCase(std::string case_id, std::string agency, std::string owner, int64_t now,
                std::vector<std::string> gtins, absl::Time deadline,
                absl::AnyInvocable<void(absl::Status)> done) override;
  void ReportStolen(std::string gtin, CaseChange change, std::vector<std::string> serials,
                    absl::Time deadline, Callback<std::vector<FlagOutcome>> done) override;
  void ClearStolen(std::string gtin, CaseChange change, bool all,
                   std::vector<std::string> serials, absl::Time deadline,
                   Callback<ClearResult> done) override;
  void CheckStolen(std::string gtin, std::vector<std::string> serials, absl::Time deadline,
                   Callback<std::vector<StolenCheck>> done) override;
  void GetCaseIndex(std::string case_id, absl::Time deadline, Callback<CaseIndex> done) override;
  void GetCaseGtin(std::string gtin, std::string case_id, absl::Time deadline,
                   Callback<CaseGtin> done) override;

 private:
  redis::RedisClient* const client_;
};

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_REDIS_STOLEN_STORE_H_
