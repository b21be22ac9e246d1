// File: server/stolen/stolen_engine.h
//
// StolenRegistryEngine: the stolen-goods registry use cases, free of gRPC.
//
//   Report  flags registered units under a case: per unit OK (also when already flagged under
//           this case: idempotent), NOT_FOUND (no such unit) or CONFLICT (another case).
//   Clear   recovers units of a case (all of them when none are named): OK, NOT_FOUND, or
//           CONFLICT (not flagged under this case).
//   Check   1..1000 units, in order: registered, stolen, case, agency, time. The case and
//           agency are shown to law enforcement and to issuers, not to retailers.
//   GetCase the case's flagged units and its whole audit history, in order.
//
// Every flag change is atomic with its audit event (one Redis Function call per GTIN). The
// case index is written before the flags. Thread-safe; callbacks run on a Redis thread.
#ifndef HALLMARK_SERVER_STOLEN_STOLEN_ENGINE_H_
#define HALLMARK_SERVER_STOLEN_STOLEN_ENGINE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "hallmark/v1/stolen_registry.pb.h"
#include "server/auth/principals.h"
#include "server/registry/stolen_store.h"
#include "server/stolen/unit_groups.h"

namespace hallmark::stolen {

inline constexpr size_t kMaxUnits = 1000;

class StolenRegistryEngine {
 public:
  StolenRegistryEngine(registry::StolenStore* store, absl::Duration redis_timeout)
      : store_(store), redis_timeout_(redis_timeout) {}

  using Done = absl::AnyInvocable<void(absl::Status)>;

  void Report(const auth::Principal& caller, const v1::ReportStolenRequest& request,
              absl::Time call_deadline, v1::ReportStolenResponse* out, Done done);
  void Clear(const auth::Principal& caller, const v1::ClearStolenRequest& request,
             absl::Time call_deadline, v1::ClearStolenResponse* out, Done done);
  void Check(const auth::Principal& caller, const v1::CheckStolenRequest& request,
             absl::Time call_deadline, v1::CheckStolenResponse* out, Done done);
  void GetCase(const auth::Principal& caller, const v1::GetCaseRequest& request,
               absl::Time call_deadline, v1::StolenCase* out, Done done);

 private:
  absl::Time Deadline(absl::Time call_deadline) const;
  // The caller's organisation's case `public_id`: its stored id and index, or NOT_FOUND (also
  // for another organisation's case). Falls back to a case opened before ids were scoped.
  using Found = absl::AnyInvocable<void(absl::StatusOr<std::pair<std::string, registry::CaseIndex>>)>;
  void FindCase(const auth::Principal& caller, const std::string& public_id,
                absl::Time call_deadline, Found found);
  // Opens (or extends) the case of `owner` and flags the units of `groups`.
  void Flag(std::string owner, registry::CaseChange change,
            std::shared_ptr<std::vector<UnitGroup>> groups, absl::Time call_deadline,
            v1::ReportStolenResponse* out, Done done);
  // After the case's owner was checked: every flag of the case, or the listed units (into
  // `out`'s results, one per requested unit, already added).
  void ClearWholeCase(const auth::Principal& caller, registry::CaseChange change,
                      const registry::CaseIndex& index, absl::Time call_deadline,
                      v1::ClearStolenResponse* out, Done done);
  void ClearUnits(registry::CaseChange change, std::vector<UnitGroup> groups,
                  absl::Time call_deadline, v1::ClearStolenResponse* out, Done done);

  registry::StolenStore* const store_;
  const absl::Duration redis_timeout_;
};

// Case ids: 1..64 of A-Z a-z 0-9 . _ : / - (agencies' references, e.g. "LE-2026/00417").
absl::Status ValidateCaseId(absl::string_view case_id);

}  // namespace hallmark::stolen

#endif  // HALLMARK_SERVER_STOLEN_STOLEN_ENGINE_H_
