// File: tests/common/cluster_units.h
//
// What the cluster tests share: GTINs of the harness brand spread over the slots, and the
// registered count of a GTIN read straight from the master that serves it.
#ifndef HALLMARK_TESTS_COMMON_CLUSTER_UNITS_H_
#define HALLMARK_TESTS_COMMON_CLUSTER_UNITS_H_

#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gs1/gs1.h"
#include "server/redis/cluster_slots.h"
#include "tests/common/redis_cluster.h"

namespace hallmark::testing {

// A 14-digit GTIN under the brand's prefix 950600; item references are spread (x 7919) so
// that consecutive `item`s land in slots all over the cluster.
inline std::string BrandGtin(int item) {
  const std::string body =
      absl::StrCat("0950600", absl::StrFormat("%06d", item * 7919 % 1000000));
  return body + gs1::Gs1CheckDigit(body);
}

inline int SlotOf(const std::string& gtin) { return redis::HashSlot(gtin); }

// Units registered for `gtin`, asked of the GTIN's master; -1 when that fails.
inline int64_t RegisteredCount(RedisCluster& cluster, const std::string& gtin) {
  absl::StatusOr<int> master = cluster.MasterOf(SlotOf(gtin));
  if (!master.ok()) return -1;
  absl::StatusOr<std::string> n =
      cluster.node(*master).Command({"FCALL_RO", "hm_count", "1", "hm:{" + gtin + "}"});
  int64_t v = -1;
  return n.ok() && absl::SimpleAtoi(*n, &v) ? v : -1;
}

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_CLUSTER_UNITS_H_
