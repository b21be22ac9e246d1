#include "server/stolen/unit_groups.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gs1/gs1.h"
#include "server/auth/access.h"

namespace hallmark::stolen {

absl::StatusOr<std::vector<UnitGroup>> GroupUnits(
    const google::protobuf::RepeatedPtrField<v1::UnitId>& units, const auth::Principal& caller,
    size_t min, size_t max) {
  const size_t n = units.size();
  if (n < min || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("units: must have ", min, "..", max, " entries, got ", n));
  }
  std::vector<UnitGroup> groups;
  absl::flat_hash_map<std::string, size_t> by_gtin;
  for (size_t i = 0; i < n; ++i) {
    const v1::UnitId& u = units[static_cast<int>(i)];
    absl::StatusOr<std::string> gtin =
        gs1::NormalizeGtin(u.gtin(), absl::StrCat("units[", i, "].gtin"));
    if (!gtin.ok()) return gtin.status();
    if (absl::Status s = gs1::ValidateSerial(u.serial(), absl::StrCat("units[", i, "].serial"));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = auth::CheckGtinAccess(caller, *gtin); !s.ok()) return s;
    auto [it, fresh] = by_gtin.try_emplace(*gtin, groups.size());
    if (fresh) groups.push_back(UnitGroup{*gtin, {}, {}});
    groups[it->second].serials.push_back(u.serial());
    groups[it->second].positions.push_back(i);
  }
  return groups;
}

std::vector<std::string> Gtins(const std::vector<UnitGroup>& groups) {
  std::vector<std::string> out;
  for (const UnitGroup& g : groups) out.push_back(g.gtin);
  return out;
}

}  // namespace hallmark::stolen
