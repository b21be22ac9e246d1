// File: server/registry/registry.h
//
// Registry: the store of issued units, as the issuance and verification logic sees it. All
// operations are asynchronous (the callback runs on the store's I/O thread and must be short)
// and carry a deadline; every state change is atomic inside the store.
//
// A *batch* is one issuance or import request: its parameters, lot, SKU, signing key and
// issue time are stored once per batch; each unit records only its batch and status. That is
// what makes a retried request idempotent (the batch is found by issuer + request id, and the
// units it registered are recognised as its own) and keeps the memory per unit small.
//
// Example:
//   registry.BeginBatch(spec, deadline, [](absl::StatusOr<Batch> b) { ... });
#ifndef HALLMARK_SERVER_REGISTRY_REGISTRY_H_
#define HALLMARK_SERVER_REGISTRY_REGISTRY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace hallmark::registry {

template <typename T>
using Callback = absl::AnyInvocable<void(absl::StatusOr<T>)>;

// What defines a request. A repeated request (same issuer, GTIN and request id) must carry the
// same values; BeginBatch returns the stored ones so the caller can compare.
struct BatchSpec {
  std::string gtin;         // 14 digits
  std::string issuer;       // principal name
  std::string request_id;
  std::string kind;         // "issue" or "import"
  std::string format;       // "RANDOM", "SEQUENTIAL", "DATE_ENCODED", "PLANT_ENCODED", "IMPORT"
  uint64_t count = 0;
  std::string lot;
  std::string sku;
  std::string key_id;       // the signing key when the batch was created
  int64_t issued_at = 0;    // unix seconds
  std::string seed;         // hex; RANDOM serials derive from it
  std::string plant;
  std::string prefix;
  std::string day;          // YYYYMMDD for DATE_ENCODED
  std::string fingerprint;  // hex digest of everything the client sent
  // The lot's dates, GS1 YYMMDD or empty (only with a lot): AI (17) expiry, AI (11) production.
  // The first batch of a lot fixes them; a later batch with other dates is FAILED_PRECONDITION.
  std::string expiry;
  std::string production;
  // Counter to allocate `count` values from ("" for none), and its maximum.
  std::string counter_field;
  uint64_t max_counter = 0;
};

struct Batch {
  uint64_t id = 0;
  bool existed = false;        // true when the request had been seen before
  BatchSpec stored;            // as stored at creation (for a repeat: the first attempt's)
  uint64_t counter_start = 0;  // first allocated counter value (counter formats)
};

enum class RegisterOutcome : char {
  kNew = 'n',       // registered now
  kOwn = 'o',       // already registered to this batch (a retry)
  kConflict = 'c',  // registered to another batch, or repeated in the same call
};

struct RegisterResult {
  bool written = false;  // false when all_or_nothing refused because of a conflict
  std::vector<RegisterOutcome> outcomes;  // one per serial, in order
};

// Physical status values stored with each unit (low 3 bits of its value; see server/registry/lua/).
inline constexpr int kStatusActive = 0;
inline constexpr int kStatusInTransit = 1;
inline constexpr int kStatusSold = 2;
inline constexpr int kStatusReturned = 3;
inline constexpr int kStatusInRepair = 4;
inline constexpr int kStatusDecommissioned = 7;
// Set in the unit value when the unit itself (not its lot) is recalled.
inline constexpr int kRecalledBit = 8;

struct UnitRecord {
  int status = kStatusActive;  // the physical status (Lookup: plus kRecalledBit)
  uint64_t batch = 0;
  std::string lot;
  std::string sku;
  std::string key_id;
  int64_t issued_at = 0;
  std::string expiry;      // the lot's dates as registered now (YYMMDD or empty)
  std::string production;
};

// A stolen flag as stored: which case, reported by whom and when.
struct StolenFlag {
  std::string case_id;
  std::string agency;
  int64_t reported_at = 0;  // unix seconds
  std::string principal;
};

// One scan, as Verify records it.
struct ScanInput {
  std::string gtin;
  std::string serial;
  int64_t now = 0;                  // unix seconds
  std::optional<uint32_t> location;  // fingerprint of country/location; none if unknown
  int64_t since = 0;                // count distinct locations seen at or after this time
  // Who scanned: a nonzero 30-bit fingerprint of the caller's organisation (one caller's
  // declared locations count once), and the weight of its word (2 a store, a brand or the
  // police; 1 an app's self-declared location).
  uint32_t caller = 0;
  uint32_t weight = 2;
  // False: a look, not a scan (a registry match that is not a scan of a printed code, or a
  // second look at a code whose signature failed): the stored record as it is, this call
  // counted nowhere (scan_recorded false).
  bool record = true;
};

// The registry side of a Verify: the unit (if registered) and its scan history, this scan
// included.
struct VerifyRecord {
  bool registered = false;
  UnitRecord unit;
  std::optional<StolenFlag> stolen;
  uint64_t scan_count = 0;
  int64_t first_seen = 0;
  int64_t last_seen = 0;
  // Since ScanInput::since: the distinct locations of independent callers, each weighted by
  // its strongest caller (see ScanInput::weight).
  uint32_t clone_evidence = 0;
  uint32_t scans_after_decommission = 0;
  bool recalled = false;  // the unit or its lot
  // The lot's former expiry dates (corrections since issue), oldest first.
  std::vector<std::string> former_expiries;
  // False when Redis refused to write the scan record (maxmemory): the answer stands on the
  // stored record; the scan counts and the clone rule did not see this scan.
  bool scan_recorded = true;
};

class Registry {
 public:
  virtual ~Registry() = default;

  // Creates the batch of a new request (allocating its counter range) or finds the batch of
  // a repeated one. OUT_OF_RANGE when the counter would be exhausted.
  virtual void BeginBatch(BatchSpec spec, absl::Time deadline, Callback<Batch> done) = 0;

  // Registers `serials` of `gtin` to `batch`. With all_or_nothing, any conflict means nothing
  // is written.
  virtual void Register(std::string gtin, uint64_t batch, std::vector<std::string> serials,
                        bool all_or_nothing, absl::Time deadline,
                        Callback<RegisterResult> done) = 0;

  // Removes units `serials` that `batch` registered and never handed out (still as
  // registered); `done` gets how many were removed.
  virtual void Unregister(std::string gtin, uint64_t batch, std::vector<std::string> serials,
                          absl::Time deadline, Callback<uint64_t> done) = 0;

  // Forgets batch `batch` of (`issuer`, `request_id`), which registered nothing: its record and
  // its request entry.
  virtual void DropEmptyBatch(std::string gtin, uint64_t batch, std::string issuer,
                              std::string request_id, absl::Time deadline,
                              absl::AnyInvocable<void(absl::Status)> done) = 0;

  // The unit's record, or nullopt when it is not registered.
  virtual void Lookup(std::string gtin, std::string serial, absl::Time deadline,
                      Callback<std::optional<UnitRecord>> done) = 0;

  // Units registered for `gtin`.
  virtual void CountUnits(std::string gtin, absl::Time deadline, Callback<uint64_t> done) = 0;

  // Looks the unit up, reads its stolen flag and records the scan, in one atomic call.
  virtual void VerifyUnit(ScanInput scan, absl::Time deadline, Callback<VerifyRecord> done) = 0;
};

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_REGISTRY_H_
