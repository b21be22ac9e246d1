// File: server/issuance/unit_maker.h
//
// UnitMaker: turns registered units (GTIN, serial, lot and its dates) into the IssuedUnit a
// printer needs:
// the DIGSIG signed with the key ring's ACTIVE key, the Digital Link on the brand's resolver
// host and the bracketed element string. Signing is the expensive part (one public-key
// operation per unit), so Make() spreads it over the work pool.
#ifndef HALLMARK_SERVER_ISSUANCE_UNIT_MAKER_H_
#define HALLMARK_SERVER_ISSUANCE_UNIT_MAKER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "crypto/key_ring.h"
#include "hallmark/v1/issuance.pb.h"
#include "server/common/work_pool.h"

namespace hallmark::issuance {

// What every unit of a batch prints beside its serial: the lot and the lot's dates.
struct PrintedLot {
  std::string lot;
  std::string expiry;      // GS1 YYMMDD or empty
  std::string production;  // GS1 YYMMDD or empty
};

// A unit to make: GTIN, serial and the batch's lot fields set.
v1::IssuedUnit BlankUnit(const std::string& gtin, std::string serial, const PrintedLot& lot);

class UnitMaker {
 public:
  UnitMaker(WorkPool* pool, std::string resolver_host)
      : pool_(pool), resolver_host_(std::move(resolver_host)) {}

  // Fills `units` (already holding gtin, serial, lot and dates: BlankUnit) with key id, DIGSIG, Digital Link and
  // element string, then calls `done` (on a pool thread). FAILED_PRECONDITION without an
  // ACTIVE key. `ring` and `units` must stay alive until `done`.
  void Make(std::shared_ptr<const crypto::KeyRing> ring, std::vector<v1::IssuedUnit>* units,
            absl::AnyInvocable<void(absl::Status)> done) const;

  // One unit, on the calling thread.
  absl::Status MakeOne(const crypto::KeyRing& ring, v1::IssuedUnit* unit) const;

 private:
  WorkPool* const pool_;
  const std::string resolver_host_;
};

}  // namespace hallmark::issuance

#endif  // HALLMARK_SERVER_ISSUANCE_UNIT_MAKER_H_
