// File: server/registry/lifecycle_store.h
//
// LifecycleStore: a unit's life after issue as stored — its physical status, recall, open sale,
// warranty, customer registration hash, decommissioning and event history — plus lot recalls
// and warranty terms. The store knows no rules: the lifecycle engine reads a unit's state,
// decides (server/lifecycle/rules.h) and asks the store to apply the change only if the unit
// is unchanged since the read (compare-and-set), atomically with the event that records it.
#ifndef HALLMARK_SERVER_REGISTRY_LIFECYCLE_STORE_H_
#define HALLMARK_SERVER_REGISTRY_LIFECYCLE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/registry/registry.h"

namespace hallmark::registry {

struct Sale {
  int64_t at = 0;  // unix seconds, when the sale happened
  std::string organisation;
  std::string principal;
};

struct WarrantyRecord {
  int64_t starts_at = 0;
  int64_t ends_at = 0;
  uint32_t months = 0;
  std::string closed;  // why it ended early ("returned", "refurbished"); empty if not
};

struct Registration {
  std::string hash_hex;  // keyed hash of the customer's reference, bound to the unit
  int64_t at = 0;
};

struct Decommission {
  int64_t at = 0;  // server time when recorded (the reactivation window counts from it)
  std::string organisation;
  int reason = 0;        // v1::DecommissionReason
  int prior_status = 0;  // physical status before, restored by a reactivation
};

// The lifecycle fields of a unit (absent until its first event).
struct LifecycleFields {
  std::optional<Sale> sale;
  std::optional<WarrantyRecord> warranty;
  std::optional<Registration> registration;
  std::optional<Decommission> decommission;
};

// One entry of a unit's history.
struct LifecycleEvent {
  std::string action;  // "shipped", ..., "recalled", "report_stolen", "clear_stolen"
  int64_t at = 0;
  int64_t recorded_at = 0;
  std::string principal;
  std::string organisation;
  std::string reference;
  std::string location;
  int status = 0;  // physical status after the event
  std::vector<std::string> flags;
  std::string detail;
};

struct LotRecall {
  int64_t at = 0;
  std::string principal;
  std::string organisation;
  std::string reason;
};

// A unit as the lifecycle sees it.
struct UnitLife {
  std::string raw_value;  // the stored unit value, for compare-and-set
  int status = kStatusActive;
  bool unit_recalled = false;
  std::optional<LotRecall> lot_recall;
  std::optional<StolenFlag> stolen;
  std::string lot;
  std::string sku;
  int64_t issued_at = 0;
  std::string issuer;  // principal that issued or imported the unit
  std::optional<uint32_t> sku_months;      // warranty terms for the unit's SKU...
  std::optional<uint32_t> default_months;  // ...and the GTIN's default
  LifecycleFields fields;
  uint64_t event_count = 0;
  std::optional<LifecycleEvent> request_hit;  // the event of an already applied request
  std::vector<LifecycleEvent> events;    // all of them, or only the last (see Read)
  std::string expiry;      // the lot's dates as registered now (GS1 YYMMDD, or empty)
  std::string production;
  std::vector<LifecycleEvent> lot_events;  // the lot's date corrections (with all events only)

  bool recalled() const { return unit_recalled || lot_recall.has_value(); }
};

// A decided change: the unit's new physical status and fields, and the event recording it.
struct LifecycleChange {
  int status = kStatusActive;
  LifecycleFields fields;
  LifecycleEvent event;
};

// A correction of a lot's dates (GS1 YYMMDD, or empty for none).
struct LotDatesCorrection {
  std::string expiry;
  std::string production;
  int64_t at = 0;
  std::string principal;
  std::string organisation;
  std::string reason;
};

struct LotDatesCorrected {
  std::string old_expiry;
  std::string old_production;
  uint64_t event_number = 0;  // the correction's position in the lot's history
};

enum class ApplyOutcome { kApplied, kDuplicate, kRetry };

struct ApplyResult {
  ApplyOutcome outcome = ApplyOutcome::kRetry;
  uint64_t event_number = 0;  // 1-based position of the event (applied or duplicate)
};

class LifecycleStore {
 public:
  virtual ~LifecycleStore() = default;

  // The unit's state (nullopt: not registered). `request_key` (principal + request id, or "")
  // is looked up among applied requests; `all_events` returns the whole history, otherwise
  // only the last event.
  virtual void Read(std::string gtin, std::string serial, std::string request_key,
                    bool all_events, absl::Time deadline,
                    Callback<std::optional<UnitLife>> done) = 0;

  // Applies `change` if the unit is as `expected` was read; kDuplicate when `request_key` was
  // applied before (nothing changes), kRetry when the unit changed (nothing changes).
  // RESOURCE_EXHAUSTED when the unit's history is full.
  virtual void Apply(std::string gtin, std::string serial, const UnitLife& expected,
                     std::string request_key, LifecycleChange change, absl::Time deadline,
                     Callback<ApplyResult> done) = 0;

  // Recalls every unit of the lot with one write. Units newly recalled (the lot's size; 0 if it
  // was already recalled); a repeated request_key returns its first answer. NOT_FOUND for a lot
  // without registered units.
  virtual void RecallLot(std::string gtin, std::string lot, LotRecall recall,
                         std::string request_key, absl::Time deadline,
                         Callback<uint64_t> done) = 0;

  // Recalls the units (all or nothing: NOT_FOUND naming units[i] when one is unknown).
  virtual void RecallUnits(std::string gtin, std::vector<std::string> serials, LotRecall recall,
                           std::string request_key, absl::Time deadline,
                           Callback<uint64_t> done) = 0;

  // Changes a lot's dates and records the correction as an event of the lot, atomically. A
  // repeated request_key returns its first answer (another change under it:
  // FAILED_PRECONDITION); NOT_FOUND for a lot without units; FAILED_PRECONDITION when the
  // dates are already these.
  virtual void CorrectLotDates(std::string gtin, std::string lot, LotDatesCorrection correction,
                               std::string request_key, absl::Time deadline,
                               Callback<LotDatesCorrected> done) = 0;

  // Counts one attempt at the unit's customer registration within the current `window` (a
  // fixed window); `done` gets the attempts so far, this one included.
  virtual void CountRegistrationAttempt(std::string gtin, std::string serial,
                                        absl::Duration window, absl::Time deadline,
                                        Callback<uint64_t> done) = 0;

  // Warranty term for a SKU of the GTIN ("" = the GTIN's default).
  virtual void SetWarrantyTerms(std::string gtin, std::string sku, uint32_t months,
                                absl::Time deadline,
                                absl::AnyInvocable<void(absl::Status)> done) = 0;
};

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_LIFECYCLE_STORE_H_
