// File: server/stolen/unit_groups.h
//
// Validates a list of UnitIds and groups them by GTIN (one registry call per GTIN, since a
// GTIN's units share one Redis slot), remembering each unit's position in the request so
// answers come back in request order.
#ifndef HALLMARK_SERVER_STOLEN_UNIT_GROUPS_H_
#define HALLMARK_SERVER_STOLEN_UNIT_GROUPS_H_

#include <string>
#include <vector>

#include <google/protobuf/repeated_ptr_field.h>

#include "absl/status/statusor.h"
#include "hallmark/v1/unit.pb.h"
#include "server/auth/principals.h"

namespace hallmark::stolen {

struct UnitGroup {
  std::string gtin;                  // 14 digits
  std::vector<std::string> serials;
  std::vector<size_t> positions;     // index of each serial in the request
};

// INVALID_ARGUMENT naming units[i].gtin / units[i].serial or the count (min..max);
// PERMISSION_DENIED when an issuer names a GTIN outside its prefixes. Nothing partial.
absl::StatusOr<std::vector<UnitGroup>> GroupUnits(
    const google::protobuf::RepeatedPtrField<v1::UnitId>& units, const auth::Principal& caller,
    size_t min, size_t max);

// The GTINs of `groups`.
std::vector<std::string> Gtins(const std::vector<UnitGroup>& groups);

}  // namespace hallmark::stolen

#endif  // HALLMARK_SERVER_STOLEN_UNIT_GROUPS_H_
