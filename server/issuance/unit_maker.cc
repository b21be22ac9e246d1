#include "server/issuance/unit_maker.h"

#include <utility>

#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "crypto/code_signing.h"
#include "gs1/digital_link.h"
#include "gs1/element_string.h"

namespace hallmark::issuance {
namespace {

constexpr size_t kSignGrain = 128;

}  // namespace

v1::IssuedUnit BlankUnit(const std::string& gtin, std::string serial, const PrintedLot& lot) {
  v1::IssuedUnit u;
  u.mutable_unit()->set_gtin(gtin);
  u.mutable_unit()->set_serial(std::move(serial));
  u.set_lot(lot.lot);
  u.set_expiry_date(lot.expiry);
  u.set_production_date(lot.production);
  return u;
}

absl::Status UnitMaker::MakeOne(const crypto::KeyRing& ring, v1::IssuedUnit* unit) const {
  gs1::UnitCode code;
  code.gtin = unit->unit().gtin();
  code.serial = unit->unit().serial();
  code.lot = unit->lot();
  code.expiry = unit->expiry_date();
  code.production = unit->production_date();
  HALLMARK_ASSIGN_OR_RETURN(code.digsig, crypto::SignUnit(ring, code));
  HALLMARK_ASSIGN_OR_RETURN(std::string link, gs1::FormatDigitalLink(resolver_host_, code));
  unit->set_key_id(crypto::FormatKeyId(ring.active()->info.id));
  unit->set_digital_link(std::move(link));
  unit->set_element_string(gs1::FormatBracketedElementString(code));
  unit->set_digsig(std::move(code.digsig));
  return absl::OkStatus();
}

void UnitMaker::Make(std::shared_ptr<const crypto::KeyRing> ring,
                     std::vector<v1::IssuedUnit>* units,
                     absl::AnyInvocable<void(absl::Status)> done) const {
  if (ring == nullptr || ring->active() == nullptr) {
    done(absl::FailedPreconditionError(
        "no ACTIVE signing key loaded; generate one and reload the server"));
    return;
  }
  struct Shared {
    absl::Mutex mu;
    absl::Status first_error;
  };
  auto shared = std::make_shared<Shared>();
  pool_->ParallelFor(
      units->size(), kSignGrain,
      [this, ring, units, shared](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
          absl::Status s = MakeOne(*ring, &(*units)[i]);
          if (!s.ok()) {
            absl::MutexLock lock(&shared->mu);
            if (shared->first_error.ok()) shared->first_error = s;
          }
        }
      },
      [shared, done = std::move(done)]() mutable {
        absl::Status s;
        {
          absl::MutexLock lock(&shared->mu);
          s = shared->first_error;
        }
        done(s);
      });
}

}  // namespace hallmark::issuance
