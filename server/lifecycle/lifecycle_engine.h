// File: server/lifecycle/lifecycle_engine.h
//
// LifecycleEngine: the hallmark.v1.Lifecycle use cases, free of gRPC.
//
//   RecordEvent         validates the event, checks who may record it, reads the unit,
//                       decides with rules.h and applies the change with its history entry in
//                       one atomic compare-and-set (re-reading and deciding again, up to 8
//                       times, when the unit changed meanwhile). A repeated request_id returns
//                       the unit's record without recording anything again.
//   GetHistory          the unit's record and its whole history.
//   Recall              a lot (one write, however many units) or up to 1000 units of one GTIN
//                       (all or nothing).
//   GetWarranty         the warranty as of now.
//   SetWarrantyTerms    an issuer's warranty length for a SKU (or the GTIN's default).
//   VerifyRegistration  whether a customer reference is the one registered with the sale.
//
// Who may do what (the service checks the role per method first):
//   issuers: everything, for their own GTINs;
//   retailers: RecordEvent with SHIPPED, RECEIVED, SOLD, RETURNED (for the brands of their
//     gs1_company_prefixes when they have any), GetWarranty;
//   law enforcement: GetHistory, GetWarranty; verifiers: GetWarranty.
//
// Thread-safe; callbacks run on a Redis thread. The clock is injectable for tests.
#ifndef HALLMARK_SERVER_LIFECYCLE_LIFECYCLE_ENGINE_H_
#define HALLMARK_SERVER_LIFECYCLE_LIFECYCLE_ENGINE_H_

#include <functional>
#include <memory>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "hallmark/v1/lifecycle.pb.h"
#include "server/auth/principals.h"
#include "server/common/metrics.h"
#include "server/lifecycle/registration.h"
#include "server/lifecycle/rules.h"
#include "server/registry/lifecycle_store.h"

namespace hallmark::lifecycle {

inline constexpr size_t kMaxRecallUnits = 1000;

struct LifecycleOptions {
  Policy policy;
  absl::Duration redis_timeout = absl::Seconds(2);
  Metrics* metrics = nullptr;                     // optional
  std::function<absl::Time()> clock = absl::Now;  // tests inject their own
  // Events may say they happened up to this far in the future (clock skew of the caller).
  absl::Duration max_clock_skew = absl::Minutes(5);
  // The unit of a scanned code whose signature verifies with the server's keys, else
  // NOT_FOUND (GetWarranty for verifiers). Unset: verifiers' GetWarranty is NOT_FOUND.
  std::function<absl::StatusOr<v1::UnitId>(absl::string_view code)> unit_of_code;
  // VerifyRegistration: checks of one unit's customer registration allowed per window, so a
  // short reference (a 4-digit number) cannot be guessed by trying them all.
  uint32_t registration_attempts = 10;
  absl::Duration registration_window = absl::Hours(1);
};

class LifecycleEngine {
 public:
  // Without `hasher` (no registration key), SOLD with a customer registration and
  // VerifyRegistration are FAILED_PRECONDITION.
  LifecycleEngine(registry::LifecycleStore* store, std::optional<RegistrationHasher> hasher,
                  LifecycleOptions options);

  using Done = absl::AnyInvocable<void(absl::Status)>;

  void RecordEvent(const auth::Principal& caller, const v1::RecordEventRequest& request,
                   absl::Time call_deadline, v1::UnitRecord* out, Done done);
  void GetHistory(const auth::Principal& caller, const v1::GetHistoryRequest& request,
                  absl::Time call_deadline, v1::UnitHistory* out, Done done);
  void Recall(const auth::Principal& caller, const v1::RecallRequest& request,
              absl::Time call_deadline, v1::RecallResponse* out, Done done);
  // A lot's dates changed by its issuer, with an event in every unit's history.
  void CorrectLotDates(const auth::Principal& caller, const v1::CorrectLotDatesRequest& request,
                       absl::Time call_deadline, v1::CorrectLotDatesResponse* out, Done done);
  void GetWarranty(const auth::Principal& caller, const v1::GetWarrantyRequest& request,
                   absl::Time call_deadline, v1::Warranty* out, Done done);
  void SetWarrantyTerms(const auth::Principal& caller, const v1::SetWarrantyTermsRequest& request,
                        absl::Time call_deadline, v1::WarrantyTerms* out, Done done);
  void VerifyRegistration(const auth::Principal& caller,
                          const v1::VerifyRegistrationRequest& request, absl::Time call_deadline,
                          v1::VerifyRegistrationResponse* out, Done done);

  // What the brand said when it recalled the unit: its lot's recall reason, else the reason
  // of the unit's latest recall; "" when it is not recalled. For the consumer page: no caller
  // check (a recall is public), `gtin` is 14 digits.
  void RecallReason(const std::string& gtin, const std::string& serial, absl::Time call_deadline,
                    absl::AnyInvocable<void(absl::StatusOr<std::string>)> done);

 private:
  // VerifyRegistration after its attempt was counted.
  void CheckRegistration(const auth::Principal& caller,
                         const v1::VerifyRegistrationRequest& request, absl::Time call_deadline,
                         v1::VerifyRegistrationResponse* out, Done done);
  struct Attempt;
  void TryRecord(std::shared_ptr<Attempt> attempt);
  void Recorded(const Attempt& attempt, const registry::LifecycleChange& change) const;
  struct UnitRead {
    std::string gtin;
    std::string serial;
    registry::UnitLife life;
  };
  // For the read-only methods: validates `unit`, checks the caller may read its GTIN, reads
  // it. NOT_FOUND when it is not registered.
  void ReadUnit(const auth::Principal& caller, const v1::UnitId& unit, bool all_events,
                absl::Time call_deadline,
                absl::AnyInvocable<void(absl::StatusOr<UnitRead>)> done);
  absl::Time Deadline(absl::Time call_deadline) const;

  registry::LifecycleStore* const store_;
  const std::optional<RegistrationHasher> hasher_;
  const LifecycleOptions options_;
};

}  // namespace hallmark::lifecycle

#endif  // HALLMARK_SERVER_LIFECYCLE_LIFECYCLE_ENGINE_H_
