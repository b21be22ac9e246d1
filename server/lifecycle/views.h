// File: server/lifecycle/views.h
//
// How a unit's stored lifecycle state reads in the public API: its UnitRecord, its warranty
// as of now, and its history (the stored events plus the two that are not stored per unit:
// "commissioned", from the unit's batch, and a lot recall, from the lot's recall record).
#ifndef HALLMARK_SERVER_LIFECYCLE_VIEWS_H_
#define HALLMARK_SERVER_LIFECYCLE_VIEWS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hallmark/v1/lifecycle.pb.h"
#include "server/auth/principals.h"
#include "server/registry/lifecycle_store.h"

namespace hallmark::lifecycle {

// Active while sold and within the term, not closed early, not decommissioned or stolen.
v1::Warranty WarrantyView(const registry::UnitLife& unit, absl::Time now);

// The record; `last_event` is unit.events.back() when there is one, else "commissioned".
void FillRecord(const std::string& gtin, const std::string& serial, const registry::UnitLife& unit,
                absl::Time now, v1::UnitRecord* out);

// The whole history, oldest first (unit.events must be all of them).
std::vector<registry::LifecycleEvent> History(const registry::UnitLife& unit);

void FillEvent(const std::string& gtin, const std::string& serial,
               const registry::LifecycleEvent& event, v1::AuditEvent* out);

// A stolen report or clear as `reader` may see it in a unit's history: in full (with the case
// id its owner gave it) for the organisation that owns the case; for anyone else (the brand,
// another force) only that the unit was reported stolen or cleared, and when — no case id,
// agency, officer or note.
void RedactPoliceEvent(const auth::Principal& reader, registry::LifecycleEvent* event);

}  // namespace hallmark::lifecycle

#endif  // HALLMARK_SERVER_LIFECYCLE_VIEWS_H_
