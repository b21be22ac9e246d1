// File: server/registry/stolen_store.h
//
// StolenStore: stolen flags, cases and their audit log. Every flag change is written in the
// same atomic call as its audit event, so a crash can never leave one without the other.
// Per-GTIN calls (all of a GTIN's keys share one slot); the case index lives in the case's own
// slot and is written before the flags (see server/registry/lua/).
#ifndef HALLMARK_SERVER_REGISTRY_STOLEN_STORE_H_
#define HALLMARK_SERVER_REGISTRY_STOLEN_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/registry/registry.h"

namespace hallmark::registry {

enum class FlagOutcome : char {
  kDone = 'k',      // flagged / cleared now
  kAlready = 'o',   // already flagged under this case (report is idempotent)
  kNotFound = 'n',  // no such registered unit
  kConflict = 'c',  // flagged under another case (report) / not in this case (clear)
};

struct CaseChange {
  std::string case_id;
  std::string agency;
  std::string principal;
  std::string note;
  int64_t now = 0;
};

struct ClearResult {
  std::vector<FlagOutcome> outcomes;
  std::vector<std::string> serials;  // the serials the outcomes are for
};

struct StolenCheck {
  bool registered = false;
  std::optional<StolenFlag> stolen;
};

struct CaseIndex {
  std::string agency;  // empty: no such case
  std::string owner;   // organisation of the principal that opened it (see OwnerOf)
  std::vector<std::string> gtins;
};

struct AuditRecord {
  std::string id;  // Redis stream id "<ms>-<seq>": orders events
  std::string action;
  std::string serial;
  std::string principal;
  std::string note;
  int64_t at = 0;
};

struct CaseGtin {
  std::vector<std::pair<std::string, StolenFlag>> units;  // serial, flag
  std::vector<AuditRecord> events;                        // in order
};

class StolenStore {
 public:
  virtual ~StolenStore() = default;

  // Opens the case for `agency`, owned by `owner` (FAILED_PRECONDITION if the id is another
  // agency's or owner's), and indexes the GTINs it is about to touch.
  virtual void OpenCase(std::string case_id, std::string agency, std::string owner, int64_t now,
                        std::vector<std::string> gtins, absl::Time deadline,
                        absl::AnyInvocable<void(absl::Status)> done) = 0;
  virtual void ReportStolen(std::string gtin, CaseChange change, std::vector<std::string> serials,
                            absl::Time deadline, Callback<std::vector<FlagOutcome>> done) = 0;
  // With `all`, clears every unit of the case under `gtin` and ignores `serials`.
  virtual void ClearStolen(std::string gtin, CaseChange change, bool all,
                           std::vector<std::string> serials, absl::Time deadline,
                           Callback<ClearResult> done) = 0;
  virtual void CheckStolen(std::string gtin, std::vector<std::string> serials,
                           absl::Time deadline, Callback<std::vector<StolenCheck>> done) = 0;
  virtual void GetCaseIndex(std::string case_id, absl::Time deadline,
                            Callback<CaseIndex> done) = 0;
  virtual void GetCaseGtin(std::string gtin, std::string case_id, absl::Time deadline,
                           Callback<CaseGtin> done) = 0;
};

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_STOLEN_STORE_H_
