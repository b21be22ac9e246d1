#include "server/lifecycle/lifecycle_engine.h"

#include <google/protobuf/util/time_util.h>

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gs1/gs1.h"
#include "server/auth/access.h"
#include "server/common/log.h"
#include "server/common/text_fields.h"
#include "server/lifecycle/views.h"

namespace hallmark::lifecycle {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kMaxAttempts = 8;
constexpr size_t kMaxReference = 128;
constexpr size_t kMaxRegistration = 256;
constexpr size_t kMaxReason = 512;
constexpr size_t kMaxRequestId = 128;
constexpr size_t kMaxSku = 64;
constexpr uint32_t kMaxWarrantyMonths = 240;

struct UnitKey {
  std::string gtin;
  std::string serial;
};

// A customer reference is hashed without its surrounding white space, so one that is only
// white space would register (and later match) the empty reference.
absl::Status ValidateRegistration(absl::string_view value, bool required) {
  if (absl::Status s =
          ValidateText(value, required ? 1 : 0, kMaxRegistration, "customer_registration");
      !s.ok()) {
    return s;
  }
  if (!value.empty() && absl::StripAsciiWhitespace(value).empty()) {
    return absl::InvalidArgumentError("customer_registration: only white space");
  }
  return absl::OkStatus();
}

absl::StatusOr<UnitKey> ValidateUnit(const v1::UnitId& unit, absl::string_view field) {
  absl::StatusOr<std::string> gtin =
      gs1::NormalizeGtin(unit.gtin(), absl::StrCat(field, ".gtin"));
  if (!gtin.ok()) return gtin.status();
  if (absl::Status s = gs1::ValidateSerial(unit.serial(), absl::StrCat(field, ".serial"));
      !s.ok()) {
    return s;
  }
  return UnitKey{*std::move(gtin), unit.serial()};
}

std::string Organisation(const auth::Principal& p) {
  return p.organisation().empty() ? p.name() : p.organisation();
}

std::string RequestKey(const auth::Principal& p, absl::string_view request_id) {
  return absl::StrCat(p.name(), "\n", request_id);
}

bool IsRetailerAction(v1::LifecycleAction a) {
  return a == v1::LIFECYCLE_ACTION_SHIPPED || a == v1::LIFECYCLE_ACTION_RECEIVED ||
         a == v1::LIFECYCLE_ACTION_SOLD || a == v1::LIFECYCLE_ACTION_RETURNED;
}

absl::Status CheckEventAccess(const auth::Principal& caller, const std::string& gtin,
                              v1::LifecycleAction action) {
  switch (caller.role()) {
    case admin::ROLE_ISSUER:
      return auth::CheckGtinAccess(caller, gtin);
    case admin::ROLE_RETAILER:
      if (!IsRetailerAction(action)) {
        return absl::PermissionDeniedError(
            absl::StrCat("role retailer may record SHIPPED, RECEIVED, SOLD and RETURNED only, not ",
                         absl::AsciiStrToUpper(ActionName(action))));
      }
      if (caller.gs1_company_prefixes_size() > 0 && !auth::OwnsGtin(caller, gtin)) {
        return absl::PermissionDeniedError(absl::StrCat(
            "GTIN ", gtin, " is outside the brands (GS1 company prefixes) of retailer ",
            caller.name()));
      }
      return absl::OkStatus();
    default:
      return absl::PermissionDeniedError("only issuers and retailers record lifecycle events");
  }
}

absl::StatusOr<EventInput> ValidateEvent(const v1::RecordEventRequest& r, absl::Time now,
                                         absl::Duration skew) {
  EventInput e;
  if (r.action() == v1::LIFECYCLE_ACTION_UNSPECIFIED || !v1::LifecycleAction_IsValid(r.action())) {
    return absl::InvalidArgumentError(
        "action: required, one of SHIPPED, RECEIVED, SOLD, RETURNED, REPAIRED, REFURBISHED, "
        "DECOMMISSIONED, REACTIVATED");
  }
  e.action = r.action();
  if (absl::Status s = ValidateText(r.reference(), 0, kMaxReference, "reference"); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateText(r.location(), 0, kMaxReference, "location"); !s.ok()) return s;
  if (absl::Status s = ValidatePrintable(r.request_id(), 1, kMaxRequestId, "request_id", false);
      !s.ok()) {
    return s;
  }
  e.reference = r.reference();
  e.location = r.location();
  e.at = absl::ToUnixSeconds(now);
  if (r.has_at()) {
    if (r.at().seconds() < 0 || r.at().seconds() > TimeUtil::kTimestampMaxSeconds ||
        r.at().nanos() < 0 || r.at().nanos() > 999999999) {
      return absl::InvalidArgumentError("at: not a valid timestamp");
    }
    if (absl::FromUnixSeconds(r.at().seconds()) > now + skew) {
      return absl::InvalidArgumentError("at: in the future");
    }
    e.at = r.at().seconds();
  }
  const bool sold = e.action == v1::LIFECYCLE_ACTION_SOLD;
  if (!r.customer_registration().empty() && !sold) {
    return absl::InvalidArgumentError("customer_registration: only with SOLD");
  }
  if (absl::Status s = ValidateRegistration(r.customer_registration(), /*required=*/false);
      !s.ok()) {
    return s;
  }
  const bool decommission = e.action == v1::LIFECYCLE_ACTION_DECOMMISSIONED;
  const bool has_reason = r.decommission_reason() != v1::DECOMMISSION_REASON_UNSPECIFIED;
  if (decommission && (!has_reason || !v1::DecommissionReason_IsValid(r.decommission_reason()))) {
    return absl::InvalidArgumentError(
        "decommission_reason: required with DECOMMISSIONED (DESTROYED, EXPIRED, SAMPLE, "
        "EXPORTED)");
  }
  if (!decommission && has_reason) {
    return absl::InvalidArgumentError("decommission_reason: only with DECOMMISSIONED");
  }
  e.decommission_reason = r.decommission_reason();
  return e;
}

// The GTIN `text`, normalised, when `caller` may act on it (an issuer: its own prefixes).
absl::StatusOr<std::string> AccessibleGtin(const auth::Principal& caller, absl::string_view text) {
  absl::StatusOr<std::string> gtin = gs1::NormalizeGtin(text, "gtin");
  if (!gtin.ok()) return gtin.status();
  if (absl::Status s = auth::CheckGtinAccess(caller, *gtin); !s.ok()) return s;
  return gtin;
}

// The reason and request id every issuer action (recall, lot-date correction) requires.
absl::Status ValidateReasonAndRequestId(absl::string_view reason, absl::string_view request_id) {
  if (absl::Status s = ValidateText(reason, 1, kMaxReason, "reason"); !s.ok()) return s;
  return ValidatePrintable(request_id, 1, kMaxRequestId, "request_id", false);
}

absl::Status NotRegistered(const std::string& gtin, const std::string& serial) {
  return absl::NotFoundError(
      absl::StrCat("unit: GTIN ", gtin, " serial ", serial, " is not registered"));
}

}  // namespace

struct LifecycleEngine::Attempt {
  UnitKey unit;
  EventInput event;
  Actor actor;
  std::string request_key;
  std::optional<std::string> registration;  // the customer's reference, hashed per unit
  absl::Time call_deadline;
  v1::UnitRecord* out = nullptr;
  Done done;
  int tries = 0;
};

LifecycleEngine::LifecycleEngine(registry::LifecycleStore* store,
                                 std::optional<RegistrationHasher> hasher, LifecycleOptions options)
    : store_(store), hasher_(std::move(hasher)), options_(std::move(options)) {}

absl::Time LifecycleEngine::Deadline(absl::Time call_deadline) const {
  return std::min(call_deadline, absl::Now() + options_.redis_timeout);
}

void LifecycleEngine::RecordEvent(const auth::Principal& caller,
                                  const v1::RecordEventRequest& request, absl::Time call_deadline,
                                  v1::UnitRecord* out, Done done) {
  absl::StatusOr<UnitKey> unit = ValidateUnit(request.unit(), "unit");
  if (!unit.ok()) return done(unit.status());
  absl::StatusOr<EventInput> event =
      ValidateEvent(request, options_.clock(), options_.max_clock_skew);
  if (!event.ok()) return done(event.status());
  if (absl::Status s = CheckEventAccess(caller, unit->gtin, event->action); !s.ok()) {
    return done(s);
  }
  auto attempt = std::make_shared<Attempt>();
  if (!request.customer_registration().empty()) {
    if (!hasher_) {
      return done(absl::FailedPreconditionError(
          "customer_registration: this server has no registration key (see docs/lifecycle.md)"));
    }
    event->registration_hash =
        hasher_->Hash(unit->gtin, unit->serial, request.customer_registration());
  }
  attempt->unit = *std::move(unit);
  attempt->event = *std::move(event);
  attempt->actor = Actor{caller.name(), Organisation(caller)};
  attempt->request_key = RequestKey(caller, request.request_id());
  attempt->call_deadline = call_deadline;
  attempt->out = out;
  attempt->done = std::move(done);
  TryRecord(std::move(attempt));
}

void LifecycleEngine::TryRecord(std::shared_ptr<Attempt> a) {
  store_->Read(a->unit.gtin, a->unit.serial, a->request_key, /*all_events=*/false,
               Deadline(a->call_deadline),
               [this, a](absl::StatusOr<std::optional<registry::UnitLife>> read) mutable {
                 if (!read.ok()) return a->done(read.status());
                 if (!read->has_value())
                   return a->done(NotRegistered(a->unit.gtin, a->unit.serial));
                 registry::UnitLife& unit = **read;
                 const absl::Time now = options_.clock();
                 if (unit.request_hit) {
                   // A retry of an applied request: answer with the unit as it is now.
                   if (unit.request_hit->action != ActionName(a->event.action)) {
                     return a->done(absl::FailedPreconditionError(
                         absl::StrCat("request_id: already used for a different event (",
                                      unit.request_hit->action, ")")));
                   }
                   FillRecord(a->unit.gtin, a->unit.serial, unit, now, a->out);
                   return a->done(absl::OkStatus());
                 }
                 if (absl::FromUnixSeconds(a->event.at) + options_.max_clock_skew <
                     absl::FromUnixSeconds(unit.issued_at)) {
                   return a->done(absl::InvalidArgumentError("at: before the unit was issued"));
                 }
                 absl::StatusOr<registry::LifecycleChange> change =
                     Decide(unit, a->event, a->actor, now, options_.policy);
                 if (!change.ok()) return a->done(change.status());
                 registry::LifecycleChange decided = *change;
                 // The callback gets its own copy: `unit` is read by Apply as the expected state.
                 registry::UnitLife after = unit;
                 store_->Apply(
                     a->unit.gtin, a->unit.serial, unit, a->request_key, *std::move(change),
                     Deadline(a->call_deadline),
                     [this, a, unit = std::move(after), decided = std::move(decided),
                      now](absl::StatusOr<registry::ApplyResult> applied) mutable {
                       if (!applied.ok()) return a->done(applied.status());
                       if (applied->outcome != registry::ApplyOutcome::kApplied) {
                         // Changed meanwhile, or a concurrent retry of this request won: read
                         // again.
                         if (++a->tries >= kMaxAttempts) {
                           return a->done(absl::AbortedError(
                               "unit: changed concurrently too often; retry the request"));
                         }
                         return TryRecord(a);
                       }
                       unit.status = decided.status;
                       unit.fields = decided.fields;
                       unit.events = {decided.event};
                       ++unit.event_count;
                       FillRecord(a->unit.gtin, a->unit.serial, unit, now, a->out);
                       Recorded(*a, decided);
                       a->done(absl::OkStatus());
                     });
               });
}

void LifecycleEngine::Recorded(const Attempt& a, const registry::LifecycleChange& change) const {
  Metrics* metrics = options_.metrics;
  if (metrics != nullptr) {
    metrics->LifecycleEvent(change.event.action,
                            change.event.flags.empty() ? "" : change.event.flags.front());
  }
  for (const std::string& flag : change.event.flags) {
    if (metrics != nullptr) metrics->SecurityEvent(flag);
    log::Warn("security: flagged return", {{"event", flag},
                                           {"gtin", a.unit.gtin},
                                           {"serial", a.unit.serial},
                                           {"principal", a.actor.principal},
                                           {"detail", change.event.detail}});
  }
}

void LifecycleEngine::ReadUnit(const auth::Principal& caller, const v1::UnitId& id,
                               bool all_events, absl::Time call_deadline,
                               absl::AnyInvocable<void(absl::StatusOr<UnitRead>)> done) {
  absl::StatusOr<UnitKey> key = ValidateUnit(id, "unit");
  if (!key.ok()) return done(key.status());
  if (absl::Status s = auth::CheckGtinAccess(caller, key->gtin); !s.ok()) return done(s);
  store_->Read(key->gtin, key->serial, "", all_events, Deadline(call_deadline),
               [key = *key, done = std::move(done)](
                   absl::StatusOr<std::optional<registry::UnitLife>> read) mutable {
                 if (!read.ok()) return done(read.status());
                 if (!read->has_value()) return done(NotRegistered(key.gtin, key.serial));
                 done(UnitRead{key.gtin, key.serial, **std::move(read)});
               });
}

void LifecycleEngine::RecallReason(const std::string& gtin, const std::string& serial,
                                   absl::Time call_deadline,
                                   absl::AnyInvocable<void(absl::StatusOr<std::string>)> done) {
  store_->Read(gtin, serial, "", /*all_events=*/true, Deadline(call_deadline),
               [done = std::move(done)](
                   absl::StatusOr<std::optional<registry::UnitLife>> read) mutable {
                 if (!read.ok()) return done(read.status());
                 if (!read->has_value()) return done(std::string());
                 const registry::UnitLife& life = **read;
                 if (life.lot_recall.has_value()) return done(life.lot_recall->reason);
                 for (auto e = life.events.rbegin(); e != life.events.rend(); ++e) {
                   if (e->action == "recalled") return done(e->detail);
                 }
                 done(std::string());
               });
}

void LifecycleEngine::GetHistory(const auth::Principal& caller,
                                 const v1::GetHistoryRequest& request, absl::Time call_deadline,
                                 v1::UnitHistory* out, Done done) {
  ReadUnit(caller, request.unit(), /*all_events=*/true, call_deadline,
           [this, caller, out, done = std::move(done)](absl::StatusOr<UnitRead> u) mutable {
             if (!u.ok()) return done(u.status());
             for (registry::LifecycleEvent& e : u->life.events) RedactPoliceEvent(caller, &e);
             FillRecord(u->gtin, u->serial, u->life, options_.clock(), out->mutable_record());
             for (const registry::LifecycleEvent& e : History(u->life)) {
               FillEvent(u->gtin, u->serial, e, out->add_events());
             }
             done(absl::OkStatus());
           });
}

void LifecycleEngine::Recall(const auth::Principal& caller, const v1::RecallRequest& request,
                             absl::Time call_deadline, v1::RecallResponse* out, Done done) {
  const bool by_lot = !request.lot().empty();
  const bool by_units = request.units_size() > 0;
  if (by_lot == by_units) {
    return done(absl::InvalidArgumentError(by_lot ? "lot, units: give one of them, not both"
                                                  : "lot or units: one is required"));
  }
  if (absl::Status s = ValidateReasonAndRequestId(request.reason(), request.request_id());
      !s.ok()) {
    return done(s);
  }
  std::string gtin_text = request.gtin();
  if (gtin_text.empty() && by_units) gtin_text = request.units(0).gtin();
  absl::StatusOr<std::string> gtin = AccessibleGtin(caller, gtin_text);
  if (!gtin.ok()) return done(gtin.status());
  std::vector<std::string> serials;
  if (by_lot) {
    if (absl::Status s = gs1::ValidateLot(request.lot(), "lot"); !s.ok()) return done(s);
  } else {
    if (static_cast<size_t>(request.units_size()) > kMaxRecallUnits) {
      return done(absl::InvalidArgumentError(absl::StrCat("units: must have 1..", kMaxRecallUnits,
                                                          " entries, got ", request.units_size())));
    }
    absl::flat_hash_set<std::string> listed;
    for (int i = 0; i < request.units_size(); ++i) {
      absl::StatusOr<UnitKey> unit = ValidateUnit(request.units(i), absl::StrCat("units[", i, "]"));
      if (!unit.ok()) return done(unit.status());
      if (unit->gtin != *gtin) {
        return done(absl::InvalidArgumentError(absl::StrCat(
            "units[", i, "].gtin: a recall covers one GTIN (", *gtin, "), got ", unit->gtin)));
      }
      if (!listed.insert(unit->serial).second) {
        return done(absl::InvalidArgumentError(absl::StrCat("units[", i, "]: listed twice")));
      }
      serials.push_back(unit->serial);
    }
  }
  const registry::LotRecall recall{absl::ToUnixSeconds(options_.clock()), caller.name(),
                                   Organisation(caller), request.reason()};
  auto finish = [this, out, gtin = *gtin, lot = request.lot(), principal = caller.name(),
                 how = by_lot ? "lot" : "units",
                 done = std::move(done)](absl::StatusOr<uint64_t> affected) mutable {
    if (!affected.ok()) return done(affected.status());
    out->set_affected(*affected);
    if (options_.metrics != nullptr) options_.metrics->LifecycleEvent("recalled", how);
    log::Info("recall", {{"gtin", gtin},
                         {"lot", lot},
                         {"by", how},
                         {"affected", absl::StrCat(*affected)},
                         {"principal", principal}});
    done(absl::OkStatus());
  };
  const std::string request_key = RequestKey(caller, request.request_id());
  if (by_lot) {
    return store_->RecallLot(*gtin, request.lot(), recall, request_key, Deadline(call_deadline),
                             std::move(finish));
  }
  store_->RecallUnits(*gtin, std::move(serials), recall, request_key, Deadline(call_deadline),
                      std::move(finish));
}

void LifecycleEngine::CorrectLotDates(const auth::Principal& caller,
                                      const v1::CorrectLotDatesRequest& request,
                                      absl::Time call_deadline, v1::CorrectLotDatesResponse* out,
                                      Done done) {
  absl::StatusOr<std::string> gtin = AccessibleGtin(caller, request.gtin());
  if (!gtin.ok()) return done(gtin.status());
  if (absl::Status s = gs1::ValidateLot(request.lot(), "lot"); !s.ok()) return done(s);
  if (absl::Status s = gs1::ValidateLotDates(request.expiry_date(), request.production_date());
      !s.ok()) {
    return done(s);
  }
  if (absl::Status s = ValidateReasonAndRequestId(request.reason(), request.request_id());
      !s.ok()) {
    return done(s);
  }
  registry::LotDatesCorrection correction{request.expiry_date(), request.production_date(),
                                          absl::ToUnixSeconds(options_.clock()), caller.name(),
                                          Organisation(caller), request.reason()};
  store_->CorrectLotDates(
      *gtin, request.lot(), std::move(correction),
      RequestKey(caller, request.request_id()), Deadline(call_deadline),
      [out, gtin = *gtin, request, principal = caller.name(),
       done = std::move(done)](absl::StatusOr<registry::LotDatesCorrected> r) mutable {
        if (!r.ok()) return done(r.status());
        out->set_previous_expiry_date(r->old_expiry);
        out->set_previous_production_date(r->old_production);
        log::Info("lot_dates_corrected",
                  {{"gtin", gtin},
                   {"lot", request.lot()},
                   {"from", absl::StrCat(r->old_expiry, "|", r->old_production)},
                   {"to", absl::StrCat(request.expiry_date(), "|", request.production_date())},
                   {"principal", principal}});
        done(absl::OkStatus());
      });
}

void LifecycleEngine::GetWarranty(const auth::Principal& caller,
                                  const v1::GetWarrantyRequest& request, absl::Time call_deadline,
                                  v1::Warranty* out, Done done) {
  v1::UnitId unit = request.unit();
  if (caller.role() == admin::ROLE_VERIFIER) {
    // A verifier (a public app) learns a warranty only for a code it can present: a bare
    // serial, or a code that does not verify, reads like an unregistered unit.
    const auto unknown = [] {
      return absl::NotFoundError("unit: no warranty for this code (is it genuine and registered?)");
    };
    if (request.code().empty() || !options_.unit_of_code) return done(unknown());
    absl::StatusOr<v1::UnitId> scanned = options_.unit_of_code(request.code());
    if (!scanned.ok()) return done(unknown());
    unit = *std::move(scanned);
    ReadUnit(caller, unit, /*all_events=*/false, call_deadline,
             [this, unknown, out, done = std::move(done)](absl::StatusOr<UnitRead> u) mutable {
               if (!u.ok()) return done(absl::IsNotFound(u.status()) ? unknown() : u.status());
               *out = WarrantyView(u->life, options_.clock());
               done(absl::OkStatus());
             });
    return;
  }
  ReadUnit(caller, unit, /*all_events=*/false, call_deadline,
           [this, out, done = std::move(done)](absl::StatusOr<UnitRead> u) mutable {
             if (!u.ok()) return done(u.status());
             *out = WarrantyView(u->life, options_.clock());
             done(absl::OkStatus());
           });
}

void LifecycleEngine::SetWarrantyTerms(const auth::Principal& caller,
                                       const v1::SetWarrantyTermsRequest& request,
                                       absl::Time call_deadline, v1::WarrantyTerms* out,
                                       Done done) {
  absl::StatusOr<std::string> gtin = AccessibleGtin(caller, request.gtin());
  if (!gtin.ok()) return done(gtin.status());
  if (absl::Status s = ValidatePrintable(request.sku(), 0, kMaxSku, "sku"); !s.ok()) {
    return done(s);
  }
  if (request.months() > kMaxWarrantyMonths) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("months: at most ", kMaxWarrantyMonths, ", got ", request.months())));
  }
  out->set_gtin(*gtin);
  out->set_sku(request.sku());
  out->set_months(request.months());
  store_->SetWarrantyTerms(*gtin, request.sku(), request.months(), Deadline(call_deadline),
                           std::move(done));
}

void LifecycleEngine::VerifyRegistration(const auth::Principal& caller,
                                         const v1::VerifyRegistrationRequest& request,
                                         absl::Time call_deadline,
                                         v1::VerifyRegistrationResponse* out, Done done) {
  if (absl::Status s = ValidateRegistration(request.customer_registration(), /*required=*/true);
      !s.ok()) {
    return done(s);
  }
  if (!hasher_) {
    return done(absl::FailedPreconditionError(
        "customer_registration: this server has no registration key (see docs/lifecycle.md)"));
  }
  absl::StatusOr<UnitKey> key = ValidateUnit(request.unit(), "unit");
  if (!key.ok()) return done(key.status());
  if (absl::Status s = auth::CheckGtinAccess(caller, key->gtin); !s.ok()) return done(s);
  // Counted before the check, whatever its outcome: a guesser pays for every try.
  store_->CountRegistrationAttempt(
      key->gtin, key->serial, options_.registration_window, Deadline(call_deadline),
      [this, caller, request, call_deadline, out,
       done = std::move(done)](absl::StatusOr<uint64_t> attempts) mutable {
        if (!attempts.ok()) return done(attempts.status());
        if (*attempts > options_.registration_attempts) {
          return done(auth::RetryLater(
              absl::StrCat("customer_registration: at most ", options_.registration_attempts,
                           " checks of one unit per ",
                           auth::FormatWait(options_.registration_window)),
              options_.registration_window));
        }
        CheckRegistration(caller, request, call_deadline, out, std::move(done));
      });
}

void LifecycleEngine::CheckRegistration(const auth::Principal& caller,
                                        const v1::VerifyRegistrationRequest& request,
                                        absl::Time call_deadline,
                                        v1::VerifyRegistrationResponse* out, Done done) {
  ReadUnit(caller, request.unit(), /*all_events=*/false, call_deadline,
           [this, reference = request.customer_registration(), out,
            done = std::move(done)](absl::StatusOr<UnitRead> u) mutable {
             if (!u.ok()) return done(u.status());
             const std::optional<registry::Registration>& r = u->life.fields.registration;
             out->set_registered(r.has_value());
             if (r) {
               out->set_matches(hasher_->Matches(u->gtin, u->serial, reference, r->hash_hex));
               *out->mutable_registered_at() = TimeUtil::SecondsToTimestamp(r->at);
             }
             done(absl::OkStatus());
           });
}

}  // namespace hallmark::lifecycle
