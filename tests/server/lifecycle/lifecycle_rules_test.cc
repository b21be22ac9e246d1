// The lifecycle rules on their own (server/lifecycle/rules.h, views.h): every transition of the
// table, the overlays (recalled, stolen), returns matching, the reactivation window with an
// explicit clock, warranty dates and the warranty as of a given time.
#include <map>
#include <vector>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/lifecycle/rules.h"
#include "server/lifecycle/views.h"
#include "tests/common/status_matchers.h"

namespace hallmark::lifecycle {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using registry::kStatusActive;
using registry::kStatusDecommissioned;
using registry::kStatusInRepair;
using registry::kStatusInTransit;
using registry::kStatusReturned;
using registry::kStatusSold;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kIssued = 1'780'000'000;  // 2026-05-28

absl::Time At(int y, int m, int d) {
  return absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone());
}

registry::UnitLife Unit(int status) {
  registry::UnitLife u;
  u.status = status;
  u.issued_at = kIssued;
  u.lot = "L1";
  return u;
}

const Actor kShop{"shop", "Shop One"};
const Actor kOtherShop{"shop2", "Shop Two"};
const Actor kBrand{"acme", "ACME"};
const Actor kBrandPlant{"acme-plant2", "ACME"};
const Actor kOtherBrand{"globex", "Globex"};

EventInput Event(v1::LifecycleAction action, int64_t at = kIssued + 100) {
  EventInput e;
  e.action = action;
  e.at = at;
  if (action == v1::LIFECYCLE_ACTION_DECOMMISSIONED) {
    e.decommission_reason = v1::DECOMMISSION_REASON_EXPIRED;
  }
  return e;
}

absl::StatusOr<registry::LifecycleChange> Apply(const registry::UnitLife& u, v1::LifecycleAction a,
                                                const Actor& actor = kBrand,
                                                absl::Time now = absl::FromUnixSeconds(kIssued +
                                                                                       200)) {
  return Decide(u, Event(a), actor, now, Policy{});
}

// The unit after the change.
registry::UnitLife After(registry::UnitLife u, const registry::LifecycleChange& c) {
  u.status = c.status;
  u.fields = c.fields;
  u.events.push_back(c.event);
  ++u.event_count;
  return u;
}

constexpr v1::LifecycleAction kAllActions[] = {
    v1::LIFECYCLE_ACTION_SHIPPED,        v1::LIFECYCLE_ACTION_RECEIVED,
    v1::LIFECYCLE_ACTION_SOLD,           v1::LIFECYCLE_ACTION_RETURNED,
    v1::LIFECYCLE_ACTION_REPAIRED,       v1::LIFECYCLE_ACTION_REFURBISHED,
    v1::LIFECYCLE_ACTION_DECOMMISSIONED, v1::LIFECYCLE_ACTION_REACTIVATED};
constexpr int kAllStatuses[] = {kStatusActive,   kStatusInTransit, kStatusSold,
                                kStatusReturned, kStatusInRepair,  kStatusDecommissioned};

TEST(LifecycleRulesTest, TheWholeTransitionTable) {
  // action -> (from -> to); every pair not listed is refused.
  const std::map<v1::LifecycleAction, std::map<int, int>> table = {
      {v1::LIFECYCLE_ACTION_SHIPPED,
       {{kStatusActive, kStatusInTransit},
        {kStatusSold, kStatusInTransit},
        {kStatusReturned, kStatusInTransit},
        {kStatusInRepair, kStatusInTransit}}},
      {v1::LIFECYCLE_ACTION_RECEIVED, {{kStatusInTransit, kStatusActive}}},
      {v1::LIFECYCLE_ACTION_SOLD, {{kStatusActive, kStatusSold}, {kStatusReturned, kStatusSold}}},
      {v1::LIFECYCLE_ACTION_RETURNED,
       {{kStatusSold, kStatusReturned},
        {kStatusActive, kStatusReturned},
        {kStatusInTransit, kStatusReturned}}},
      {v1::LIFECYCLE_ACTION_REPAIRED,
       {{kStatusActive, kStatusInRepair},
        {kStatusSold, kStatusInRepair},
        {kStatusReturned, kStatusInRepair},
        {kStatusInRepair, kStatusInRepair}}},
      {v1::LIFECYCLE_ACTION_REFURBISHED,
       {{kStatusActive, kStatusActive},
        {kStatusReturned, kStatusActive},
        {kStatusInRepair, kStatusActive}}},
      {v1::LIFECYCLE_ACTION_DECOMMISSIONED,
       {{kStatusActive, kStatusDecommissioned},
        {kStatusInTransit, kStatusDecommissioned},
        {kStatusSold, kStatusDecommissioned},
        {kStatusReturned, kStatusDecommissioned},
        {kStatusInRepair, kStatusDecommissioned}}},
      {v1::LIFECYCLE_ACTION_REACTIVATED, {}},  // needs a decommission record: tested below
  };
  for (v1::LifecycleAction action : kAllActions) {
    for (int from : kAllStatuses) {
      absl::StatusOr<registry::LifecycleChange> c = Apply(Unit(from), action);
      const auto& allowed = table.at(action);
      auto it = allowed.find(from);
      const std::string what = absl::StrCat(ActionName(action), " from ", StatusName(from));
      if (it == allowed.end()) {
        EXPECT_THAT(c, StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr(absl::StrCat("unit is ", StatusName(from)))))
            << what;
      } else {
        ASSERT_THAT(c, IsOk()) << what;
        EXPECT_EQ(c->status, it->second) << what;
        EXPECT_EQ(c->event.status, it->second) << what;
        EXPECT_EQ(c->event.action, ActionName(action)) << what;
      }
    }
  }
}

TEST(LifecycleRulesTest, EventRecordsWhoWhenAndWhere) {
  EventInput e = Event(v1::LIFECYCLE_ACTION_SHIPPED, kIssued + 50);
  e.reference = "DN-42";
  e.location = "4012345000009";
  absl::StatusOr<registry::LifecycleChange> c =
      Decide(Unit(kStatusActive), e, kShop, absl::FromUnixSeconds(kIssued + 60), Policy{});
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->event.at, kIssued + 50);
  EXPECT_EQ(c->event.recorded_at, kIssued + 60);
  EXPECT_EQ(c->event.principal, "shop");
  EXPECT_EQ(c->event.organisation, "Shop One");
  EXPECT_EQ(c->event.reference, "DN-42");
  EXPECT_EQ(c->event.location, "4012345000009");
}

TEST(LifecycleRulesTest, SaleStartsTheWarrantyAndReceivingBringsItBackToTheOwner) {
  absl::StatusOr<registry::LifecycleChange> sold =
      Apply(Unit(kStatusActive), v1::LIFECYCLE_ACTION_SOLD, kShop);
  ASSERT_THAT(sold, IsOk());
  ASSERT_TRUE(sold->fields.sale.has_value());
  EXPECT_EQ(sold->fields.sale->organisation, "Shop One");
  ASSERT_TRUE(sold->fields.warranty.has_value());
  EXPECT_EQ(sold->fields.warranty->starts_at, kIssued + 100);
  EXPECT_EQ(sold->fields.warranty->months, 12u);
  EXPECT_EQ(sold->fields.warranty->ends_at, AddMonths(kIssued + 100, 12));
  // Sold -> repair -> shipped back -> received: the owner has it again, warranty unchanged.
  registry::UnitLife u = After(Unit(kStatusActive), *sold);
  for (v1::LifecycleAction a : {v1::LIFECYCLE_ACTION_REPAIRED, v1::LIFECYCLE_ACTION_SHIPPED,
                                v1::LIFECYCLE_ACTION_RECEIVED}) {
    absl::StatusOr<registry::LifecycleChange> c = Apply(u, a, kBrand);
    ASSERT_THAT(c, IsOk()) << ActionName(a);
    u = After(u, *c);
  }
  EXPECT_EQ(u.status, kStatusSold);
  EXPECT_EQ(u.fields.warranty->ends_at, sold->fields.warranty->ends_at);
  // A second sale needs a return first.
  EXPECT_THAT(Apply(u, v1::LIFECYCLE_ACTION_SOLD, kShop),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("unit is SOLD")));
}

TEST(LifecycleRulesTest, WarrantyLengthComesFromTheSkuThenTheGtinThenThePolicy) {
  registry::UnitLife u = Unit(kStatusActive);
  u.default_months = 24;
  EXPECT_EQ(Apply(u, v1::LIFECYCLE_ACTION_SOLD)->fields.warranty->months, 24u);
  u.sku_months = 36;
  EXPECT_EQ(Apply(u, v1::LIFECYCLE_ACTION_SOLD)->fields.warranty->months, 36u);
  u.sku_months.reset();
  u.default_months.reset();
  Policy p;
  p.default_warranty_months = 6;
  EXPECT_EQ(
      Decide(u, Event(v1::LIFECYCLE_ACTION_SOLD), kShop, absl::Now(), p)->fields.warranty->months,
      6u);
}

TEST(LifecycleRulesTest, CustomerRegistrationIsStoredOnlyAsGiven) {
  EventInput e = Event(v1::LIFECYCLE_ACTION_SOLD);
  e.registration_hash = "ab12";
  absl::StatusOr<registry::LifecycleChange> c =
      Decide(Unit(kStatusActive), e, kShop, absl::FromUnixSeconds(kIssued + 300), Policy{});
  ASSERT_THAT(c, IsOk());
  ASSERT_TRUE(c->fields.registration.has_value());
  EXPECT_EQ(c->fields.registration->hash_hex, "ab12");
  EXPECT_EQ(c->fields.registration->at, kIssued + 300);
}

TEST(LifecycleRulesTest, ReturnsAreMatchedAgainstTheSale) {
  registry::UnitLife sold =
      After(Unit(kStatusActive), *Apply(Unit(kStatusActive), v1::LIFECYCLE_ACTION_SOLD, kShop));
  // At the seller: matched, no flag; the sale closes and the warranty ends as "returned".
  absl::StatusOr<registry::LifecycleChange> same =
      Apply(sold, v1::LIFECYCLE_ACTION_RETURNED, kShop);
  ASSERT_THAT(same, IsOk());
  EXPECT_THAT(same->event.flags, IsEmpty());
  EXPECT_FALSE(same->fields.sale.has_value());
  EXPECT_EQ(same->fields.warranty->closed, "returned");
  // At another retailer: accepted, flagged, naming the seller.
  absl::StatusOr<registry::LifecycleChange> other =
      Apply(sold, v1::LIFECYCLE_ACTION_RETURNED, kOtherShop);
  ASSERT_THAT(other, IsOk());
  EXPECT_THAT(other->event.flags, ElementsAre("return_other_retailer"));
  EXPECT_THAT(other->event.detail, HasSubstr("Shop One"));
  EXPECT_EQ(other->status, kStatusReturned);
  // Never sold: accepted, flagged.
  absl::StatusOr<registry::LifecycleChange> unsold =
      Apply(Unit(kStatusActive), v1::LIFECYCLE_ACTION_RETURNED, kShop);
  ASSERT_THAT(unsold, IsOk());
  EXPECT_THAT(unsold->event.flags, ElementsAre("return_without_sale"));
  // Returned, then resold: a new sale with a new warranty.
  registry::UnitLife back = After(sold, *same);
  absl::StatusOr<registry::LifecycleChange> resold =
      Decide(back, Event(v1::LIFECYCLE_ACTION_SOLD, kIssued + 5000), kOtherShop,
             absl::FromUnixSeconds(kIssued + 6000), Policy{});
  ASSERT_THAT(resold, IsOk());
  EXPECT_EQ(resold->fields.sale->organisation, "Shop Two");
  EXPECT_EQ(resold->fields.warranty->starts_at, kIssued + 5000);
  EXPECT_EQ(resold->fields.warranty->closed, "");
}

TEST(LifecycleRulesTest, RefurbishingClosesTheSale) {
  registry::UnitLife sold =
      After(Unit(kStatusActive), *Apply(Unit(kStatusActive), v1::LIFECYCLE_ACTION_SOLD, kShop));
  registry::UnitLife repair = After(sold, *Apply(sold, v1::LIFECYCLE_ACTION_REPAIRED));
  EXPECT_TRUE(repair.fields.sale.has_value()) << "a repair keeps the owner";
  absl::StatusOr<registry::LifecycleChange> c = Apply(repair, v1::LIFECYCLE_ACTION_REFURBISHED);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->status, kStatusActive);
  EXPECT_FALSE(c->fields.sale.has_value());
  EXPECT_EQ(c->fields.warranty->closed, "refurbished");
}

TEST(LifecycleRulesTest, RecalledOrStolenUnitsCannotBeSoldOrReactivated) {
  registry::UnitLife recalled = Unit(kStatusActive);
  recalled.lot_recall = registry::LotRecall{kIssued, "acme", "ACME", "battery"};
  EXPECT_THAT(Apply(recalled, v1::LIFECYCLE_ACTION_SOLD),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("recalled")));
  registry::UnitLife unit_recalled = Unit(kStatusReturned);
  unit_recalled.unit_recalled = true;
  EXPECT_THAT(Apply(unit_recalled, v1::LIFECYCLE_ACTION_SOLD),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("recalled")));
  registry::UnitLife stolen = Unit(kStatusActive);
  stolen.stolen = registry::StolenFlag{"CASE-1", "Police", kIssued, "police"};
  EXPECT_THAT(Apply(stolen, v1::LIFECYCLE_ACTION_SOLD),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("stolen")));
  // Other movements of a recalled unit (bringing it back, destroying it) go on.
  EXPECT_THAT(Apply(recalled, v1::LIFECYCLE_ACTION_SHIPPED), IsOk());
  EXPECT_THAT(Apply(recalled, v1::LIFECYCLE_ACTION_DECOMMISSIONED), IsOk());
  for (registry::UnitLife u : {recalled, stolen}) {
    registry::UnitLife d = After(u, *Apply(u, v1::LIFECYCLE_ACTION_DECOMMISSIONED));
    EXPECT_THAT(Apply(d, v1::LIFECYCLE_ACTION_REACTIVATED),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("REACTIVATED")));
  }
}

TEST(LifecycleRulesTest, DecommissionedUnitsAcceptOnlyReactivation) {
  registry::UnitLife u = Unit(kStatusSold);
  absl::StatusOr<registry::LifecycleChange> d = Apply(u, v1::LIFECYCLE_ACTION_DECOMMISSIONED);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->event.detail, "expired");
  EXPECT_EQ(d->fields.decommission->prior_status, kStatusSold);
  registry::UnitLife gone = After(u, *d);
  for (v1::LifecycleAction a : kAllActions) {
    if (a == v1::LIFECYCLE_ACTION_REACTIVATED) continue;
    EXPECT_THAT(Apply(gone, a), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         HasSubstr("unit is DECOMMISSIONED")))
        << ActionName(a);
  }
}

TEST(LifecycleRulesTest, ReactivationWindowOrganisationAndReason) {
  const absl::Time decommissioned_at = At(2026, 6, 1);
  registry::UnitLife u = Unit(kStatusSold);
  absl::StatusOr<registry::LifecycleChange> d =
      Decide(u, Event(v1::LIFECYCLE_ACTION_DECOMMISSIONED), kBrand, decommissioned_at, Policy{});
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->fields.decommission->at, absl::ToUnixSeconds(decommissioned_at));
  registry::UnitLife gone = After(u, *d);
  const EventInput reactivate = Event(v1::LIFECYCLE_ACTION_REACTIVATED);
  // Same organisation (another principal of it), on the last second of the 10 days: allowed,
  // and the unit is back to what it was.
  absl::StatusOr<registry::LifecycleChange> back =
      Decide(gone, reactivate, kBrandPlant, decommissioned_at + absl::Hours(240), Policy{});
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->status, kStatusSold);
  EXPECT_FALSE(back->fields.decommission.has_value());
  // One second later: refused.
  EXPECT_THAT(Decide(gone, reactivate, kBrand,
                     decommissioned_at + absl::Hours(240) + absl::Seconds(1), Policy{}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("within")));
  // Another organisation, inside the window: refused.
  EXPECT_THAT(Decide(gone, reactivate, kOtherBrand, decommissioned_at + absl::Hours(1), Policy{}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("(ACME)")));
  // Destroyed: never.
  EventInput destroy = Event(v1::LIFECYCLE_ACTION_DECOMMISSIONED);
  destroy.decommission_reason = v1::DECOMMISSION_REASON_DESTROYED;
  registry::UnitLife destroyed = After(u, *Decide(u, destroy, kBrand, decommissioned_at, Policy{}));
  EXPECT_THAT(Decide(destroyed, reactivate, kBrand, decommissioned_at + absl::Minutes(1), Policy{}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("destroyed")));
  // The window is a policy.
  Policy short_window;
  short_window.reactivation_window = absl::Hours(1);
  EXPECT_THAT(Decide(gone, reactivate, kBrand, decommissioned_at + absl::Hours(2), short_window),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(LifecycleRulesTest, AddMonthsClampsToTheEndOfTheMonth) {
  auto at = [](int y, int m, int d) { return absl::ToUnixSeconds(At(y, m, d)); };
  EXPECT_EQ(AddMonths(at(2026, 1, 31), 1), at(2026, 2, 28));
  EXPECT_EQ(AddMonths(at(2028, 1, 31), 1), at(2028, 2, 29));
  EXPECT_EQ(AddMonths(at(2026, 3, 15), 12), at(2027, 3, 15));
  EXPECT_EQ(AddMonths(at(2026, 11, 30), 3), at(2027, 2, 28));
  EXPECT_EQ(AddMonths(at(2026, 5, 5), 0), at(2026, 5, 5));
}

TEST(LifecycleRulesTest, WarrantyAsOfAGivenTime) {
  registry::UnitLife u = Unit(kStatusActive);
  EXPECT_EQ(WarrantyView(u, At(2026, 7, 1)).reason(), "not_sold");
  EventInput sale = Event(v1::LIFECYCLE_ACTION_SOLD, absl::ToUnixSeconds(At(2026, 6, 10)));
  registry::UnitLife sold = After(u, *Decide(u, sale, kShop, At(2026, 6, 10), Policy{}));
  v1::Warranty w = WarrantyView(sold, At(2027, 6, 9));
  EXPECT_TRUE(w.active());
  EXPECT_EQ(w.starts_at().seconds(), absl::ToUnixSeconds(At(2026, 6, 10)));
  EXPECT_EQ(w.ends_at().seconds(), absl::ToUnixSeconds(At(2027, 6, 10)));
  EXPECT_EQ(w.months(), 12u);
  EXPECT_FALSE(WarrantyView(sold, At(2027, 6, 10)).active());
  EXPECT_EQ(WarrantyView(sold, At(2027, 6, 10)).reason(), "expired");
  registry::UnitLife stolen = sold;
  stolen.stolen = registry::StolenFlag{"C", "A", 0, "p"};
  EXPECT_EQ(WarrantyView(stolen, At(2026, 7, 1)).reason(), "stolen");
  registry::UnitLife gone = After(sold, *Apply(sold, v1::LIFECYCLE_ACTION_DECOMMISSIONED));
  EXPECT_EQ(WarrantyView(gone, At(2026, 7, 1)).reason(), "decommissioned");
  registry::UnitLife zero = Unit(kStatusActive);
  zero.default_months = 0;
  zero = After(zero, *Decide(zero, sale, kShop, At(2026, 6, 10), Policy{}));
  EXPECT_EQ(WarrantyView(zero, At(2026, 6, 11)).reason(), "no_warranty");
}

TEST(LifecycleRulesTest, RecordShowsTheRecallOverlayAndHistoryPlacesTheLotRecall) {
  registry::UnitLife u = Unit(kStatusActive);
  registry::UnitLife shipped = After(u, *Apply(u, v1::LIFECYCLE_ACTION_SHIPPED));
  shipped.events.back().recorded_at = kIssued + 10;
  shipped.lot_recall = registry::LotRecall{kIssued + 20, "acme", "ACME", "battery"};
  v1::UnitRecord r;
  FillRecord("09506000134352", "S1", shipped, absl::FromUnixSeconds(kIssued + 30), &r);
  EXPECT_EQ(r.status(), v1::UNIT_STATUS_RECALLED);
  EXPECT_EQ(r.physical_status(), v1::UNIT_STATUS_IN_TRANSIT);
  EXPECT_TRUE(r.recalled());
  std::vector<registry::LifecycleEvent> h = History(shipped);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].action, "commissioned");
  EXPECT_EQ(h[1].action, "shipped");
  EXPECT_EQ(h[2].action, "recalled");
  EXPECT_EQ(h[2].detail, "battery");
  EXPECT_EQ(h[2].status, kStatusInTransit);
  // A decommissioned unit reads DECOMMISSIONED even when recalled.
  registry::UnitLife gone = After(shipped, *Apply(shipped, v1::LIFECYCLE_ACTION_DECOMMISSIONED));
  FillRecord("09506000134352", "S1", gone, absl::FromUnixSeconds(kIssued + 30), &r);
  EXPECT_EQ(r.status(), v1::UNIT_STATUS_DECOMMISSIONED);
}

}  // namespace
}  // namespace hallmark::lifecycle
