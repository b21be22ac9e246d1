#include "server/lifecycle/rules.h"

#include <algorithm>
#include <initializer_list>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"

namespace hallmark::lifecycle {
namespace {

using registry::kStatusActive;
using registry::kStatusDecommissioned;
using registry::kStatusInRepair;
using registry::kStatusInTransit;
using registry::kStatusReturned;
using registry::kStatusSold;

bool OneOf(int status, std::initializer_list<int> allowed) {
  return std::find(allowed.begin(), allowed.end(), status) != allowed.end();
}

absl::Status Refuse(const registry::UnitLife& unit, v1::LifecycleAction action,
                    absl::string_view rule) {
  return absl::FailedPreconditionError(absl::StrCat("unit is ", StatusName(unit.status), ": ",
                                                    absl::AsciiStrToUpper(ActionName(action)), " ",
                                                    rule));
}

// Refuses `action` unless the unit's status is one of `allowed`.
absl::Status RequireStatus(const registry::UnitLife& unit, v1::LifecycleAction action,
                           std::initializer_list<int> allowed) {
  if (OneOf(unit.status, allowed)) return absl::OkStatus();
  std::string names;
  for (int s : allowed) absl::StrAppend(&names, names.empty() ? "" : ", ", StatusName(s));
  return Refuse(unit, action, absl::StrCat("needs ", names));
}

absl::Status RequireNoOverlay(const registry::UnitLife& unit, v1::LifecycleAction action) {
  if (unit.stolen) return Refuse(unit, action, "is refused: the unit is reported stolen");
  if (unit.recalled()) return Refuse(unit, action, "is refused: the unit is recalled");
  return absl::OkStatus();
}

// Closes the open sale (a return or a refurbishment): the warranty ends with `why`.
void CloseSale(registry::LifecycleFields* f, absl::string_view why) {
  f->sale.reset();
  f->registration.reset();
  if (f->warranty && f->warranty->closed.empty()) f->warranty->closed = std::string(why);
}

uint32_t WarrantyMonths(const registry::UnitLife& unit, const Policy& policy) {
  if (unit.sku_months) return *unit.sku_months;
  if (unit.default_months) return *unit.default_months;
  return policy.default_warranty_months;
}

absl::Status Sell(const registry::UnitLife& unit, const EventInput& e, const Actor& actor,
                  absl::Time now, const Policy& policy, registry::LifecycleChange* c) {
  if (absl::Status s = RequireStatus(unit, e.action, {kStatusActive, kStatusReturned}); !s.ok()) {
    return s;
  }
  if (absl::Status s = RequireNoOverlay(unit, e.action); !s.ok()) return s;
  c->status = kStatusSold;
  c->fields.sale = registry::Sale{e.at, actor.organisation, actor.principal};
  const uint32_t months = WarrantyMonths(unit, policy);
  c->fields.warranty = registry::WarrantyRecord{e.at, AddMonths(e.at, months), months, ""};
  c->fields.registration.reset();
  if (e.registration_hash) {
    c->fields.registration = registry::Registration{*e.registration_hash, absl::ToUnixSeconds(now)};
  }
  c->event.detail = absl::StrCat("warranty ", months, " months");
  return absl::OkStatus();
}

absl::Status Return(const registry::UnitLife& unit, const EventInput& e, const Actor& actor,
                    registry::LifecycleChange* c) {
  if (absl::Status s =
          RequireStatus(unit, e.action, {kStatusSold, kStatusActive, kStatusInTransit});
      !s.ok()) {
    return s;
  }
  const std::optional<registry::Sale>& sale = unit.fields.sale;
  if (!sale) {
    c->event.flags.push_back("return_without_sale");
    c->event.detail = "no open sale to match";
  } else if (sale->organisation != actor.organisation) {
    c->event.flags.push_back("return_other_retailer");
    c->event.detail = absl::StrCat("sold by ", sale->organisation);
  } else {
    c->event.detail = "matches the sale";
  }
  c->status = kStatusReturned;
  CloseSale(&c->fields, "returned");
  return absl::OkStatus();
}

absl::Status Decommission(const registry::UnitLife& unit, const EventInput& e, const Actor& actor,
                          absl::Time now, registry::LifecycleChange* c) {
  c->status = kStatusDecommissioned;
  c->fields.decommission =
      registry::Decommission{absl::ToUnixSeconds(now), actor.organisation,
                             static_cast<int>(e.decommission_reason), unit.status};
  std::string reason = v1::DecommissionReason_Name(e.decommission_reason);
  c->event.detail = absl::AsciiStrToLower(absl::StripPrefix(reason, "DECOMMISSION_REASON_"));
  return absl::OkStatus();
}

absl::Status Reactivate(const registry::UnitLife& unit, const EventInput& e, const Actor& actor,
                        absl::Time now, const Policy& policy, registry::LifecycleChange* c) {
  if (unit.status != kStatusDecommissioned || !unit.fields.decommission) {
    return Refuse(unit, e.action, "needs DECOMMISSIONED");
  }
  if (absl::Status s = RequireNoOverlay(unit, e.action); !s.ok()) return s;
  const registry::Decommission& d = *unit.fields.decommission;
  if (d.reason == v1::DECOMMISSION_REASON_DESTROYED) {
    return Refuse(unit, e.action, "is refused: the unit was decommissioned as destroyed");
  }
  if (d.organisation != actor.organisation) {
    return Refuse(
        unit, e.action,
        absl::StrCat("is only for the organisation that decommissioned it (", d.organisation, ")"));
  }
  if (now - absl::FromUnixSeconds(d.at) > policy.reactivation_window) {
    return Refuse(
        unit, e.action,
        absl::StrCat("is only allowed within ", absl::FormatDuration(policy.reactivation_window),
                     " of the decommissioning"));
  }
  c->status = d.prior_status;
  c->fields.decommission.reset();
  c->event.detail = absl::StrCat("back to ", StatusName(d.prior_status));
  return absl::OkStatus();
}

}  // namespace

absl::string_view ActionName(v1::LifecycleAction action) {
  switch (action) {
    case v1::LIFECYCLE_ACTION_SHIPPED:
      return "shipped";
    case v1::LIFECYCLE_ACTION_RECEIVED:
      return "received";
    case v1::LIFECYCLE_ACTION_SOLD:
      return "sold";
    case v1::LIFECYCLE_ACTION_RETURNED:
      return "returned";
    case v1::LIFECYCLE_ACTION_REPAIRED:
      return "repaired";
    case v1::LIFECYCLE_ACTION_REFURBISHED:
      return "refurbished";
    case v1::LIFECYCLE_ACTION_DECOMMISSIONED:
      return "decommissioned";
    case v1::LIFECYCLE_ACTION_REACTIVATED:
      return "reactivated";
    default:
      return "unspecified";
  }
}

v1::UnitStatus PublicStatus(int status) {
  switch (status) {
    case kStatusActive:
      return v1::UNIT_STATUS_ACTIVE;
    case kStatusInTransit:
      return v1::UNIT_STATUS_IN_TRANSIT;
    case kStatusSold:
      return v1::UNIT_STATUS_SOLD;
    case kStatusReturned:
      return v1::UNIT_STATUS_RETURNED;
    case kStatusInRepair:
      return v1::UNIT_STATUS_IN_REPAIR;
    case kStatusDecommissioned:
      return v1::UNIT_STATUS_DECOMMISSIONED;
    default:
      return v1::UNIT_STATUS_UNSPECIFIED;
  }
}

absl::string_view StatusName(int status) {
  switch (status) {
    case kStatusActive:
      return "ACTIVE";
    case kStatusInTransit:
      return "IN_TRANSIT";
    case kStatusSold:
      return "SOLD";
    case kStatusReturned:
      return "RETURNED";
    case kStatusInRepair:
      return "IN_REPAIR";
    case kStatusDecommissioned:
      return "DECOMMISSIONED";
    default:
      return "UNKNOWN";
  }
}

int64_t AddMonths(int64_t at, uint32_t months) {
  const absl::CivilSecond t = absl::ToCivilSecond(absl::FromUnixSeconds(at), absl::UTCTimeZone());
  const absl::CivilMonth target = absl::CivilMonth(t) + months;
  const int last_day = (absl::CivilDay(target + 1) - 1).day();
  const absl::CivilSecond end(target.year(), target.month(), std::min(t.day(), last_day), t.hour(),
                              t.minute(), t.second());
  return absl::ToUnixSeconds(absl::FromCivil(end, absl::UTCTimeZone()));
}

absl::StatusOr<registry::LifecycleChange> Decide(const registry::UnitLife& unit,
                                                 const EventInput& e, const Actor& actor,
                                                 absl::Time now, const Policy& policy) {
  registry::LifecycleChange c;
  c.status = unit.status;
  c.fields = unit.fields;
  c.event.action = std::string(ActionName(e.action));
  c.event.at = e.at;
  c.event.recorded_at = absl::ToUnixSeconds(now);
  c.event.principal = actor.principal;
  c.event.organisation = actor.organisation;
  c.event.reference = e.reference;
  c.event.location = e.location;
  if (unit.status == kStatusDecommissioned && e.action != v1::LIFECYCLE_ACTION_REACTIVATED) {
    return Refuse(unit, e.action, "is refused: only REACTIVATED is allowed");
  }
  absl::Status s;
  switch (e.action) {
    case v1::LIFECYCLE_ACTION_SHIPPED:
      s = RequireStatus(unit, e.action,
                        {kStatusActive, kStatusSold, kStatusReturned, kStatusInRepair});
      c.status = kStatusInTransit;
      break;
    case v1::LIFECYCLE_ACTION_RECEIVED:
      s = RequireStatus(unit, e.action, {kStatusInTransit});
      c.status = unit.fields.sale ? kStatusSold : kStatusActive;
      break;
    case v1::LIFECYCLE_ACTION_SOLD:
      s = Sell(unit, e, actor, now, policy, &c);
      break;
    case v1::LIFECYCLE_ACTION_RETURNED:
      s = Return(unit, e, actor, &c);
      break;
    case v1::LIFECYCLE_ACTION_REPAIRED:
      s = RequireStatus(unit, e.action,
                        {kStatusActive, kStatusSold, kStatusReturned, kStatusInRepair});
      c.status = kStatusInRepair;
      break;
    case v1::LIFECYCLE_ACTION_REFURBISHED:
      s = RequireStatus(unit, e.action, {kStatusActive, kStatusReturned, kStatusInRepair});
      c.status = kStatusActive;
      CloseSale(&c.fields, "refurbished");
      break;
    case v1::LIFECYCLE_ACTION_DECOMMISSIONED:
      s = Decommission(unit, e, actor, now, &c);
      break;
    case v1::LIFECYCLE_ACTION_REACTIVATED:
      s = Reactivate(unit, e, actor, now, policy, &c);
      break;
    default:
      return absl::InvalidArgumentError("action: required");
  }
  if (!s.ok()) return s;
  c.event.status = c.status;
  return c;
}

}  // namespace hallmark::lifecycle
