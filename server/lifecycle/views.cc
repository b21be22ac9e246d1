#include "server/lifecycle/views.h"

#include "server/auth/access.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "server/lifecycle/rules.h"

namespace hallmark::lifecycle {
namespace {

using google::protobuf::util::TimeUtil;

registry::LifecycleEvent Commissioned(const registry::UnitLife& unit) {
  registry::LifecycleEvent e;
  e.action = "commissioned";
  e.at = unit.issued_at;
  e.recorded_at = unit.issued_at;
  e.principal = unit.issuer;
  e.status = registry::kStatusActive;
  if (!unit.lot.empty()) e.detail = "lot " + unit.lot;
  return e;
}

registry::LifecycleEvent LotRecalled(const registry::UnitLife& unit, const registry::LotRecall& r) {
  registry::LifecycleEvent e;
  e.action = "recalled";
  e.at = r.at;
  e.recorded_at = r.at;
  e.principal = r.principal;
  e.organisation = r.organisation;
  e.reference = "lot " + unit.lot;
  e.detail = r.reason;
  e.status = -1;  // filled in from the events around it
  return e;
}

}  // namespace

v1::Warranty WarrantyView(const registry::UnitLife& unit, absl::Time now) {
  v1::Warranty w;
  const std::optional<registry::WarrantyRecord>& r = unit.fields.warranty;
  if (!r) {
    w.set_reason("not_sold");
    return w;
  }
  *w.mutable_starts_at() = TimeUtil::SecondsToTimestamp(r->starts_at);
  *w.mutable_ends_at() = TimeUtil::SecondsToTimestamp(r->ends_at);
  w.set_months(r->months);
  if (unit.status == registry::kStatusDecommissioned) {
    w.set_reason("decommissioned");
  } else if (unit.stolen) {
    w.set_reason("stolen");
  } else if (!r->closed.empty()) {
    w.set_reason(r->closed);
  } else if (r->months == 0) {
    w.set_reason("no_warranty");
  } else if (absl::ToUnixSeconds(now) >= r->ends_at) {
    w.set_reason("expired");
  } else {
    w.set_active(true);
  }
  return w;
}

void FillEvent(const std::string& gtin, const std::string& serial,
               const registry::LifecycleEvent& e, v1::AuditEvent* out) {
  *out->mutable_at() = TimeUtil::SecondsToTimestamp(e.at);
  *out->mutable_recorded_at() = TimeUtil::SecondsToTimestamp(e.recorded_at);
  out->set_principal(e.principal);
  out->set_organisation(e.organisation);
  out->set_action(e.action);
  out->mutable_unit()->set_gtin(gtin);
  out->mutable_unit()->set_serial(serial);
  out->set_reference(e.reference);
  out->set_location(e.location);
  out->set_status(PublicStatus(e.status));
  for (const std::string& f : e.flags) out->add_flags(f);
  out->set_detail(e.detail);
}

void FillRecord(const std::string& gtin, const std::string& serial, const registry::UnitLife& unit,
                absl::Time now, v1::UnitRecord* out) {
  out->mutable_unit()->set_gtin(gtin);
  out->mutable_unit()->set_serial(serial);
  out->set_physical_status(PublicStatus(unit.status));
  const bool recalled = unit.recalled();
  out->set_status(recalled && unit.status != registry::kStatusDecommissioned
                      ? v1::UNIT_STATUS_RECALLED
                      : PublicStatus(unit.status));
  out->set_recalled(recalled);
  out->set_stolen(unit.stolen.has_value());
  FillEvent(gtin, serial, unit.events.empty() ? Commissioned(unit) : unit.events.back(),
            out->mutable_last_event());
  *out->mutable_warranty() = WarrantyView(unit, now);
  out->set_lot(unit.lot);
  out->set_expiry_date(unit.expiry);
  out->set_production_date(unit.production);
  out->set_sku(unit.sku);
  *out->mutable_issued_at() = TimeUtil::SecondsToTimestamp(unit.issued_at);
  if (unit.fields.sale) out->set_sold_by(unit.fields.sale->organisation);
  out->set_customer_registered(unit.fields.registration.has_value());
  if (unit.fields.decommission) {
    out->set_decommission_reason(
        static_cast<v1::DecommissionReason>(unit.fields.decommission->reason));
  }
}

void RedactPoliceEvent(const auth::Principal& reader, registry::LifecycleEvent* event) {
  if (event->action != "report_stolen" && event->action != "clear_stolen") return;
  if (auth::OwnsCase(reader, event->reference)) {
    event->reference = std::string(auth::PublicCaseId(event->reference));
    return;
  }
  event->principal.clear();
  event->organisation.clear();
  event->reference.clear();
  event->detail.clear();
}

std::vector<registry::LifecycleEvent> History(const registry::UnitLife& unit) {
  std::vector<registry::LifecycleEvent> out;
  out.push_back(Commissioned(unit));
  out.insert(out.end(), unit.events.begin(), unit.events.end());
  // The lot's events are placed by the time they were recorded; they change no physical
  // status.
  const auto place = [&out](registry::LifecycleEvent e) {
    auto pos = std::upper_bound(
        out.begin() + 1, out.end(), e.recorded_at,
        [](int64_t t, const registry::LifecycleEvent& x) { return t < x.recorded_at; });
    e.status = std::prev(pos)->status;
    out.insert(pos, std::move(e));
  };
  if (unit.lot_recall) place(LotRecalled(unit, *unit.lot_recall));
  // A correction before the unit was issued is not part of its history (it was issued with
  // the corrected dates).
  for (const registry::LifecycleEvent& e : unit.lot_events) {
    if (e.recorded_at >= unit.issued_at) place(e);
  }
  return out;
}

}  // namespace hallmark::lifecycle
