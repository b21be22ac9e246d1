// File: server/lifecycle/rules.h
//
// The lifecycle rules: given a unit's state and an event, the unit's next state, or why the
// event is refused. Pure functions (no Redis, no gRPC, the clock passed in), so every rule is
// tested on its own; docs/lifecycle.md states the same table.
//
//   action          allowed from                       to
//   SHIPPED         ACTIVE, SOLD, RETURNED, IN_REPAIR  IN_TRANSIT
//   RECEIVED        IN_TRANSIT                         SOLD with an open sale, else ACTIVE
//   SOLD            ACTIVE, RETURNED                   SOLD: opens a sale, starts warranty
//   RETURNED        SOLD (matched with the sale),      RETURNED: closes the sale
//                   ACTIVE, IN_TRANSIT (flagged)
//   REPAIRED        ACTIVE, SOLD, RETURNED, IN_REPAIR  IN_REPAIR (the sale stays open)
//   REFURBISHED     ACTIVE, RETURNED, IN_REPAIR        ACTIVE: closes any open sale
//   DECOMMISSIONED  any but DECOMMISSIONED             DECOMMISSIONED
//   REACTIVATED     DECOMMISSIONED                     the status before decommissioning
//
// Overlays: a recalled unit (itself or its lot) or a stolen unit cannot be SOLD or
// REACTIVATED. A DECOMMISSIONED unit accepts only REACTIVATED, and only by the organisation
// that decommissioned it, within the reactivation window (10 days) of the decommissioning, and
// never when it was decommissioned as destroyed.
//
// Returns are matched against the open sale: returned to an organisation other than the
// seller -> flag "return_other_retailer"; no open sale -> "return_without_sale". Flagged
// returns are accepted (the unit is physically back) and recorded.
//
// Refusals are FAILED_PRECONDITION naming the current status and the rule.
#ifndef HALLMARK_SERVER_LIFECYCLE_RULES_H_
#define HALLMARK_SERVER_LIFECYCLE_RULES_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hallmark/v1/lifecycle.pb.h"
#include "server/registry/lifecycle_store.h"

namespace hallmark::lifecycle {

struct Policy {
  absl::Duration reactivation_window = absl::Hours(24 * 10);
  uint32_t default_warranty_months = 12;
};

// Who records the event.
struct Actor {
  std::string principal;
  std::string organisation;  // the principal's organisation (its name when it has none)
};

// A validated event.
struct EventInput {
  v1::LifecycleAction action = v1::LIFECYCLE_ACTION_UNSPECIFIED;
  int64_t at = 0;  // unix seconds, when it happened
  std::string reference;
  std::string location;
  std::optional<std::string> registration_hash;  // SOLD with a customer registration
  v1::DecommissionReason decommission_reason = v1::DECOMMISSION_REASON_UNSPECIFIED;
};

// The next state of `unit` after `event`, with the history entry recording it.
absl::StatusOr<registry::LifecycleChange> Decide(const registry::UnitLife& unit,
                                                 const EventInput& event, const Actor& actor,
                                                 absl::Time now, const Policy& policy);

// "shipped", "received", ...: the action's name in history and metrics.
absl::string_view ActionName(v1::LifecycleAction action);

// The physical status (registry::kStatus*) as the public enum, and its name ("SOLD").
v1::UnitStatus PublicStatus(int status);
absl::string_view StatusName(int status);

// `at` plus `months` calendar months (UTC), the day clamped to the target month's last day.
int64_t AddMonths(int64_t at, uint32_t months);

}  // namespace hallmark::lifecycle

#endif  // HALLMARK_SERVER_LIFECYCLE_RULES_H_
