#include "server/issuance/issuance_engine.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "crypto/digsig.h"
#include "server/issuance/issue_stream.h"

namespace hallmark::issuance {
namespace {

PrintedLot LotOf(const registry::Batch& batch) {
  return {batch.stored.lot, batch.stored.expiry, batch.stored.production};
}

}  // namespace

IssuanceEngine::IssuanceEngine(registry::Registry* registry, WorkPool* pool,
                               const Snapshot<crypto::KeyRing>* keys, EngineOptions options)
    : registry_(registry), pool_(pool), keys_(keys), options_(std::move(options)),
      writer_(registry, pool), maker_(pool, options_.resolver_host) {}

absl::Time IssuanceEngine::RedisDeadline(absl::Time call_deadline) const {
  return std::min(call_deadline, absl::Now() + options_.redis_timeout);
}

void IssuanceEngine::InBulkGate(
    absl::AnyInvocable<void(absl::AnyInvocable<void()> leave)> work) const {
  AsyncGate* gate = options_.bulk;
  if (gate == nullptr) return work([] {});
  gate->Enter([gate, work = std::move(work)]() mutable { work([gate] { gate->Leave(); }); });
}

std::string IssuanceEngine::ActiveKeyId() const {
  std::shared_ptr<const crypto::KeyRing> ring = keys_->Get();
  return ring->active() != nullptr ? crypto::FormatKeyId(ring->active()->info.id) : "";
}

void IssuanceEngine::BeginBatch(registry::BatchSpec spec, absl::Time call_deadline,
                                registry::Callback<registry::Batch> done) {
  registry::BatchSpec requested = spec;
  registry_->BeginBatch(std::move(spec), RedisDeadline(call_deadline),
                        [requested = std::move(requested), done = std::move(done)](
                            absl::StatusOr<registry::Batch> batch) mutable {
                          if (batch.ok() && batch->existed) {
                            absl::Status same = CompareWithStored(requested, batch->stored);
                            if (!same.ok()) return done(same);
                          }
                          done(std::move(batch));
                        });
}

void IssuanceEngine::Issue(const auth::Principal& issuer, const v1::IssueSerialsRequest& request,
                           absl::Time call_deadline, v1::IssueSerialsResponse* out,
                           absl::AnyInvocable<void(absl::Status)> done) {
  std::shared_ptr<const crypto::KeyRing> ring = keys_->Get();
  if (ring->active() == nullptr) {
    return done(absl::FailedPreconditionError("no ACTIVE signing key loaded"));
  }
  absl::StatusOr<IssuePlan> plan =
      PlanIssue(request, issuer, kMaxUnaryCount, absl::Now(), ActiveKeyId());
  if (!plan.ok()) return done(plan.status());
  const std::string gtin = plan->spec.gtin;
  BeginBatch(std::move(plan->spec), call_deadline,
             [this, gtin, ring, call_deadline, out, done = std::move(done)](
                 absl::StatusOr<registry::Batch> batch) mutable {
    if (!batch.ok()) return done(batch.status());
    absl::StatusOr<SerialSource> source = SerialSource::ForBatch(*batch);
    if (!source.ok()) return done(source.status());
    const PrintedLot lot = LotOf(*batch);
    auto shared_source = std::make_shared<const SerialSource>(*std::move(source));
    const uint64_t count = batch->stored.count, id = batch->id;
    InBulkGate([this, gtin, lot, ring, out, shared_source, count, id, call_deadline,
                done = std::move(done)](absl::AnyInvocable<void()> leave) mutable {
      writer_.WriteRange(
          shared_source, gtin, id, 0, count, RedisDeadline(call_deadline),
          [this, gtin, lot, ring, out, done = std::move(done), leave = std::move(leave)](
              absl::StatusOr<std::vector<std::string>> serials) mutable {
            leave();
            if (!serials.ok()) return done(serials.status());
            auto units = std::make_shared<std::vector<v1::IssuedUnit>>();
            units->reserve(serials->size());
            for (std::string& s : *serials) units->push_back(BlankUnit(gtin, std::move(s), lot));
            maker_.Make(ring, units.get(),
                        [units, out, done = std::move(done)](absl::Status s) mutable {
                          if (s.ok()) {
                            out->mutable_units()->Reserve(static_cast<int>(units->size()));
                            for (v1::IssuedUnit& u : *units) out->add_units()->Swap(&u);
                          }
                          done(s);
                        });
          });
    });
  });
}

void IssuanceEngine::Import(const auth::Principal& issuer,
                            const v1::ImportSerialsRequest& request, absl::Time call_deadline,
                            v1::ImportSerialsResponse* out,
                            absl::AnyInvocable<void(absl::Status)> done) {
  std::shared_ptr<const crypto::KeyRing> ring = keys_->Get();
  if (ring->active() == nullptr) {
    return done(absl::FailedPreconditionError("no ACTIVE signing key loaded"));
  }
  absl::StatusOr<ImportPlan> planned = PlanImport(request, issuer, absl::Now(), ActiveKeyId());
  if (!planned.ok()) return done(planned.status());
  auto plan = std::make_shared<ImportPlan>(*std::move(planned));
  auto finish = [out](const ImportPlan& plan, std::vector<v1::IssuedUnit> accepted,
                               std::vector<std::pair<size_t, v1::RejectedSerial>> dupes) {
    // Rejections in request order: merge the pre-checked ones with the registry's.
    std::vector<std::pair<size_t, v1::RejectedSerial>> all = std::move(dupes);
    for (size_t i = 0; i < plan.invalid.size(); ++i) {
      all.emplace_back(plan.invalid_index[i], plan.invalid[i]);
    }
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [index, r] : all) *out->add_rejected() = std::move(r);
    for (v1::IssuedUnit& u : accepted) out->add_accepted()->Swap(&u);
  };
  if (plan->candidates.empty()) {
    finish(*plan, {}, {});
    return done(absl::OkStatus());
  }
  std::vector<std::string> serials;
  for (size_t i : plan->candidates) serials.push_back(request.serials(static_cast<int>(i)));
  const std::string gtin = plan->spec.gtin;
  BeginBatch(plan->spec, call_deadline,
             [this, plan, gtin, ring, call_deadline, serials = std::move(serials), finish,
              done = std::move(done)](absl::StatusOr<registry::Batch> batch) mutable {
    if (!batch.ok()) return done(batch.status());
    const PrintedLot lot = LotOf(*batch);
    const uint64_t id = batch->id;
    const bool fresh = !batch->existed;
    InBulkGate([this, plan, gtin, lot, ring, call_deadline, id, fresh,
                serials = std::move(serials), finish,
                done = std::move(done)](absl::AnyInvocable<void()> leave) mutable {
      std::vector<std::string> to_register = serials;
      registry_->Register(
          gtin, id, std::move(to_register), /*all_or_nothing=*/false,
          RedisDeadline(call_deadline),
          [this, plan, gtin, lot, ring, serials, finish, id, fresh, call_deadline,
           done = std::move(done),
           leave = std::move(leave)](absl::StatusOr<registry::RegisterResult> r) mutable {
            leave();
            if (!r.ok()) return done(r.status());
            auto accepted = std::make_shared<std::vector<v1::IssuedUnit>>();
            std::vector<std::pair<size_t, v1::RejectedSerial>> dupes;
            for (size_t k = 0; k < serials.size(); ++k) {
              if (r->outcomes[k] == registry::RegisterOutcome::kConflict) {
                v1::RejectedSerial rej;
                rej.set_serial(serials[k]);
                rej.set_reason(v1::REJECT_REASON_DUPLICATE);
                rej.set_detail("already registered for this GTIN");
                dupes.emplace_back(plan->candidates[k], std::move(rej));
              } else {
                accepted->push_back(BlankUnit(gtin, serials[k], lot));
              }
            }
            if (fresh && accepted->empty()) {
              // Every serial was taken: the request leaves no empty batch or request entry
              // behind (a retry runs again and is refused the same way).
              registry_->DropEmptyBatch(
                  gtin, id, plan->spec.issuer, plan->spec.request_id, RedisDeadline(call_deadline),
                  [plan, finish, dupes = std::move(dupes),
                   done = std::move(done)](absl::Status s) mutable {
                    if (s.ok()) finish(*plan, {}, std::move(dupes));
                    done(s);
                  });
              return;
            }
            maker_.Make(ring, accepted.get(),
                        [plan, accepted, dupes = std::move(dupes), finish,
                         done = std::move(done)](absl::Status s) mutable {
                          if (s.ok()) finish(*plan, std::move(*accepted), std::move(dupes));
                          done(s);
                        });
          });
    });
  });
}

std::shared_ptr<IssueStream> IssuanceEngine::Stream(const auth::Principal& issuer,
                                                    const v1::IssueSerialsRequest& request,
                                                    absl::Time call_deadline,
                                                    std::shared_ptr<StreamPolicy> policy,
                                                    absl::AnyInvocable<void()> on_progress) {
  return IssueStream::Start(this, issuer, request, call_deadline, std::move(policy),
                            std::move(on_progress));
}

}  // namespace hallmark::issuance
