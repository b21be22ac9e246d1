// File: server/registry/redis_lifecycle_store.h
//
// RedisLifecycleStore: LifecycleStore on the Redis Functions of server/registry/lua/ (hm_life_read,
// hm_life_apply, hm_recall_lot, hm_recall_units, hm_set_terms). The encoding of the lifecycle
// hash and of history entries lives here and in server/registry/lua/ only.
#ifndef HALLMARK_SERVER_REGISTRY_REDIS_LIFECYCLE_STORE_H_
#define HALLMARK_SERVER_REGISTRY_REDIS_LIFECYCLE_STORE_H_

#include <string>
#include <vector>

#include "server/redis/redis_client.h"
#include "server/registry/lifecycle_store.h"

namespace hallmark::registry {

class RedisLifecycleStore final : public LifecycleStore {
 public:
  explicit RedisLifecycleStore(redis::RedisClient* client) : client_(client) {}

  void Read(std::string gtin, std::string serial, std::string request_key, bool all_events,
            absl::Time deadline, Callback<std::optional<UnitLife>> done) override;
  void Apply(std::string gtin, std::string serial, const UnitLife& expected,
             std::string request_key, LifecycleChange change, absl::Time deadline,
             Callback<ApplyResult> done) override;
  void RecallLot(std::string gtin, std::string lot, LotRecall recall, std::string request_key,
                 absl::Time deadline, Callback<uint64_t> done) override;
  void RecallUnits(std::string gtin, std::vector<std::string> serials, LotRecall recall,
                   std::string request_key, absl::Time deadline,
                   Callback<uint64_t> done) override;
  void CorrectLotDates(std::string gtin, std::string lot, LotDatesCorrection correction,
                       std::string request_key, absl::Time deadline,
                       Callback<LotDatesCorrected> done) override;
  void CountRegistrationAttempt(std::string gtin, std::string serial, absl::Duration window,
                                absl::Time deadline, Callback<uint64_t> done) override;
  void SetWarrantyTerms(std::string gtin, std::string sku, uint32_t months, absl::Time deadline,
                        absl::AnyInvocable<void(absl::Status)> done) override;

 private:
  redis::RedisClient* const client_;
};

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_REDIS_LIFECYCLE_STORE_H_
