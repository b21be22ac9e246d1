#include "server/stolen/stolen_engine.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "server/auth/access.h"
#include "server/common/text_fields.h"
#include "server/common/fan_in.h"
#include "server/stolen/unit_groups.h"

namespace hallmark::stolen {
namespace {

using google::protobuf::util::TimeUtil;
using registry::FlagOutcome;

void SetUnit(const std::string& gtin, const std::string& serial, v1::UnitId* unit) {
  unit->set_gtin(gtin);
  unit->set_serial(serial);
}

void SetResult(FlagOutcome o, bool report, v1::UnitResult* r) {
  switch (o) {
    case FlagOutcome::kDone:
      r->set_outcome(v1::UNIT_OUTCOME_OK);
      break;
    case FlagOutcome::kAlready:
      r->set_outcome(v1::UNIT_OUTCOME_OK);
      r->set_detail("already flagged under this case");
      break;
    case FlagOutcome::kNotFound:
      r->set_outcome(v1::UNIT_OUTCOME_NOT_FOUND);
      r->set_detail("no such registered unit");
      break;
    case FlagOutcome::kConflict:
      r->set_outcome(v1::UNIT_OUTCOME_CONFLICT);
      r->set_detail(report ? "already flagged under another case" : "not flagged under this case");
      break;
  }
}

// A flag as `caller` may see it: that the unit is stolen and since when; the case id and the
// agency only when the caller's organisation owns the case (nobody learns another
// organisation's cases).
void SetStatus(const std::optional<registry::StolenFlag>& flag, const auth::Principal& caller,
               v1::StolenStatus* s) {
  s->set_stolen(flag.has_value());
  if (!flag) return;
  *s->mutable_reported_at() = TimeUtil::SecondsToTimestamp(flag->reported_at);
  if (auth::OwnsCase(caller, flag->case_id)) {
    s->set_case_id(std::string(auth::PublicCaseId(flag->case_id)));
    s->set_agency(flag->agency);
  }
}

absl::Status NoSuchCase(absl::string_view case_id) {
  return absl::NotFoundError(absl::StrCat("case_id: no case '", case_id, "'"));
}

// Stream ids "<ms>-<seq>" as comparable numbers.
std::pair<uint64_t, uint64_t> StreamOrder(const std::string& id) {
  std::pair<absl::string_view, absl::string_view> p = absl::StrSplit(id, '-');
  uint64_t ms = 0, seq = 0;
  absl::SimpleAtoi(p.first, &ms);
  absl::SimpleAtoi(p.second, &seq);
  return {ms, seq};
}


}  // namespace

absl::Status ValidateCaseId(absl::string_view case_id) {
  bool ok = !case_id.empty() && case_id.size() <= 64;
  for (char c : case_id) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                c == ':' || c == '/' || c == '-');
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        "case_id: 1..64 characters of A-Z a-z 0-9 . _ : / - (required)");
  }
  return absl::OkStatus();
}

void StolenRegistryEngine::FindCase(const auth::Principal& caller, const std::string& public_id,
                                    absl::Time call_deadline, Found found) {
  const std::string scoped = auth::ScopedCaseId(caller, public_id);
  store_->GetCaseIndex(
      scoped, Deadline(call_deadline),
      [this, caller, scoped, public_id, call_deadline,
       found = std::move(found)](absl::StatusOr<registry::CaseIndex> index) mutable {
        if (!index.ok()) return found(index.status());
        if (!index->agency.empty() && index->owner == auth::OwnerId(caller)) {
          return found(std::make_pair(scoped, *std::move(index)));
        }
        // A case opened before ids were scoped, by the caller's organisation as it was written
        // then (an organisation name that poses as "principal:..." never matches).
        const std::string legacy_owner = caller.organisation().empty()
                                             ? absl::StrCat("principal:", caller.name())
                                             : caller.organisation();
        if (absl::StartsWith(caller.organisation(), "principal:")) {
          return found(NoSuchCase(public_id));
        }
        store_->GetCaseIndex(
            public_id, Deadline(call_deadline),
            [public_id, legacy_owner, found = std::move(found)](
                absl::StatusOr<registry::CaseIndex> legacy) mutable {
              if (!legacy.ok()) return found(legacy.status());
              if (legacy->agency.empty() || legacy->owner != legacy_owner) {
                return found(NoSuchCase(public_id));
              }
              found(std::make_pair(public_id, *std::move(legacy)));
            });
      });
}

absl::Time StolenRegistryEngine::Deadline(absl::Time call_deadline) const {
  return std::min(call_deadline, absl::Now() + redis_timeout_);
}

void StolenRegistryEngine::Report(const auth::Principal& caller,
                                  const v1::ReportStolenRequest& request,
                                  absl::Time call_deadline, v1::ReportStolenResponse* out,
                                  Done done) {
  if (absl::Status s = ValidateCaseId(request.case_id()); !s.ok()) return done(s);
  if (absl::Status s = ValidateText(request.agency(), 1, 128, "agency"); !s.ok()) return done(s);
  if (absl::Status s = ValidateText(request.note(), 0, 1024, "note"); !s.ok()) return done(s);
  absl::StatusOr<std::vector<UnitGroup>> groups = GroupUnits(request.units(), caller, 1, kMaxUnits);
  if (!groups.ok()) return done(groups.status());
  for (int i = 0; i < request.units_size(); ++i) out->add_results();
  registry::CaseChange change{auth::ScopedCaseId(caller, request.case_id()),
                              request.agency(), caller.name(), request.note(),
                              absl::ToUnixSeconds(absl::Now())};
  auto shared = std::make_shared<std::vector<UnitGroup>>(*std::move(groups));
  // A report that could flag nothing opens no case: the units are looked up first.
  auto registered = std::make_shared<std::vector<std::vector<registry::StolenCheck>>>(shared->size());
  auto join = FanIn::Create(
      shared->size(), [this, caller, shared, registered, change, call_deadline, out,
                       done = std::move(done)](absl::Status s) mutable {
        if (!s.ok()) return done(s);
        bool any = false;
        for (size_t g = 0; g < shared->size(); ++g) {
          for (size_t k = 0; k < (*shared)[g].serials.size(); ++k) {
            if ((*registered)[g][k].registered) {
              any = true;
              continue;
            }
            v1::UnitResult* res = out->mutable_results(static_cast<int>((*shared)[g].positions[k]));
            SetUnit((*shared)[g].gtin, (*shared)[g].serials[k], res->mutable_unit());
            SetResult(FlagOutcome::kNotFound, /*report=*/true, res);
          }
        }
        if (!any) return done(absl::OkStatus());
        // The caller's existing case of that id (a case opened before ids were scoped keeps its
        // old id), else a new one of its organisation.
        FindCase(caller, std::string(auth::PublicCaseId(change.case_id)), call_deadline,
                 [this, caller, change, shared, call_deadline, out, done = std::move(done)](
                     absl::StatusOr<std::pair<std::string, registry::CaseIndex>> found) mutable {
                   if (!found.ok() && !absl::IsNotFound(found.status())) {
                     return done(found.status());
                   }
                   std::string owner = auth::OwnerId(caller);
                   if (found.ok()) {
                     change.case_id = found->first;
                     owner = found->second.owner;
                   }
                   Flag(std::move(owner), change, shared, call_deadline, out, std::move(done));
                 });
      });
  for (size_t g = 0; g < shared->size(); ++g) {
    store_->CheckStolen((*shared)[g].gtin, (*shared)[g].serials, Deadline(call_deadline),
                        [join, registered, g](absl::StatusOr<std::vector<registry::StolenCheck>> r) {
                          if (r.ok()) (*registered)[g] = *std::move(r);
                          join->Done(r.status());
                        });
  }
}

void StolenRegistryEngine::Flag(std::string owner, registry::CaseChange change,
                                std::shared_ptr<std::vector<UnitGroup>> shared,
                                absl::Time call_deadline, v1::ReportStolenResponse* out,
                                Done done) {
  // The index first: a crash after it leaves an empty index entry, never a hidden flag.
  store_->OpenCase(
      change.case_id, change.agency, std::move(owner), change.now, Gtins(*shared),
      Deadline(call_deadline),
      [this, shared, change, call_deadline, out, done = std::move(done)](absl::Status s) mutable {
        if (!s.ok()) return done(s);
        auto join = FanIn::Create(shared->size(), std::move(done));
        for (const UnitGroup& g : *shared) {
          store_->ReportStolen(
              g.gtin, change, g.serials, Deadline(call_deadline),
              [join, &g, shared, out](absl::StatusOr<std::vector<FlagOutcome>> r) {
                if (r.ok()) {
                  for (size_t k = 0; k < g.serials.size(); ++k) {
                    v1::UnitResult* res = out->mutable_results(static_cast<int>(g.positions[k]));
                    SetUnit(g.gtin, g.serials[k], res->mutable_unit());
                    SetResult((*r)[k], /*report=*/true, res);
                  }
                }
                join->Done(r.status());
              });
        }
      });
}

void StolenRegistryEngine::Clear(const auth::Principal& caller,
                                 const v1::ClearStolenRequest& request, absl::Time call_deadline,
                                 v1::ClearStolenResponse* out, Done done) {
  if (absl::Status s = ValidateCaseId(request.case_id()); !s.ok()) return done(s);
  if (absl::Status s = ValidateText(request.note(), 0, 1024, "note"); !s.ok()) return done(s);
  registry::CaseChange change{"", "", caller.name(), request.note(),
                              absl::ToUnixSeconds(absl::Now())};  // case_id: as found below
  std::optional<std::vector<UnitGroup>> groups;
  if (!request.units().empty()) {
    absl::StatusOr<std::vector<UnitGroup>> g = GroupUnits(request.units(), caller, 1, kMaxUnits);
    if (!g.ok()) return done(g.status());
    groups = *std::move(g);
    for (int i = 0; i < request.units_size(); ++i) out->add_results();
  }
  // Only the organisation that opened a case clears its flags (a stolen unit must never be
  // cleared by someone who merely learnt the case id): the id is looked up under the caller's
  // own organisation, so another's case is simply not there.
  FindCase(
      caller, request.case_id(), call_deadline,
      [this, caller, change, groups = std::move(groups), call_deadline, out,
       done = std::move(done)](
          absl::StatusOr<std::pair<std::string, registry::CaseIndex>> found) mutable {
        if (!found.ok()) return done(found.status());
        change.case_id = found->first;
        const registry::CaseIndex& index = found->second;
        if (!groups) {
          return ClearWholeCase(caller, change, index, call_deadline, out, std::move(done));
        }
        ClearUnits(change, *std::move(groups), call_deadline, out, std::move(done));
      });
}

void StolenRegistryEngine::ClearUnits(registry::CaseChange change, std::vector<UnitGroup> groups,
                                      absl::Time call_deadline, v1::ClearStolenResponse* out,
                                      Done done) {
  auto shared = std::make_shared<std::vector<UnitGroup>>(std::move(groups));
  auto join = FanIn::Create(shared->size(), std::move(done));
  for (const UnitGroup& g : *shared) {
    store_->ClearStolen(g.gtin, change, /*all=*/false, g.serials, Deadline(call_deadline),
                        [join, &g, shared, out](absl::StatusOr<registry::ClearResult> r) {
                          if (r.ok()) {
                            for (size_t k = 0; k < g.serials.size(); ++k) {
                              v1::UnitResult* res =
                                  out->mutable_results(static_cast<int>(g.positions[k]));
                              SetUnit(g.gtin, g.serials[k], res->mutable_unit());
                              SetResult(r->outcomes[k], /*report=*/false, res);
                            }
                          }
                          join->Done(r.status());
                        });
  }
}

void StolenRegistryEngine::ClearWholeCase(const auth::Principal& caller,
                                          registry::CaseChange change,
                                          const registry::CaseIndex& index,
                                          absl::Time call_deadline, v1::ClearStolenResponse* out,
                                          Done done) {
  for (const std::string& gtin : index.gtins) {
    if (absl::Status s = auth::CheckGtinAccess(caller, gtin); !s.ok()) return done(s);
  }
  auto per_gtin = std::make_shared<std::vector<registry::ClearResult>>(index.gtins.size());
  auto gtins = std::make_shared<std::vector<std::string>>(index.gtins);
  auto join = FanIn::Create(gtins->size(), [per_gtin, gtins, out,
                                            done = std::move(done)](absl::Status s) mutable {
    for (size_t g = 0; s.ok() && g < gtins->size(); ++g) {
      const registry::ClearResult& r = (*per_gtin)[g];
      for (size_t k = 0; k < r.serials.size(); ++k) {
        v1::UnitResult* res = out->add_results();
        SetUnit((*gtins)[g], r.serials[k], res->mutable_unit());
        SetResult(r.outcomes[k], /*report=*/false, res);
      }
    }
    done(s);
  });
  for (size_t g = 0; g < gtins->size(); ++g) {
    store_->ClearStolen((*gtins)[g], change, /*all=*/true, {}, Deadline(call_deadline),
                        [join, per_gtin, g](absl::StatusOr<registry::ClearResult> r) {
                          if (r.ok()) (*per_gtin)[g] = *std::move(r);
                          join->Done(r.status());
                        });
  }
}

void StolenRegistryEngine::Check(const auth::Principal& caller,
                                 const v1::CheckStolenRequest& request, absl::Time call_deadline,
                                 v1::CheckStolenResponse* out, Done done) {
  absl::StatusOr<std::vector<UnitGroup>> groups = GroupUnits(request.units(), caller, 1, kMaxUnits);
  if (!groups.ok()) return done(groups.status());
  for (int i = 0; i < request.units_size(); ++i) out->add_statuses();
  auto shared = std::make_shared<std::vector<UnitGroup>>(*std::move(groups));
  auto join = FanIn::Create(shared->size(), std::move(done));
  for (const UnitGroup& g : *shared) {
    store_->CheckStolen(
        g.gtin, g.serials, Deadline(call_deadline),
        [join, &g, shared, out, caller](absl::StatusOr<std::vector<registry::StolenCheck>> r) {
          if (r.ok()) {
            for (size_t k = 0; k < g.serials.size(); ++k) {
              v1::StolenStatus* s = out->mutable_statuses(static_cast<int>(g.positions[k]));
              SetUnit(g.gtin, g.serials[k], s->mutable_unit());
              s->set_registered((*r)[k].registered);
              SetStatus((*r)[k].stolen, caller, s);
            }
          }
          join->Done(r.status());
        });
  }
}

void StolenRegistryEngine::GetCase(const auth::Principal& caller,
                                   const v1::GetCaseRequest& request, absl::Time call_deadline,
                                   v1::StolenCase* out, Done done) {
  if (absl::Status s = ValidateCaseId(request.case_id()); !s.ok()) return done(s);
  // Looked up under the caller's own organisation: another organisation's case reads exactly
  // like one that does not exist.
  FindCase(
      caller, request.case_id(), call_deadline,
      [this, caller, public_id = request.case_id(), call_deadline, out,
       done = std::move(done)](
          absl::StatusOr<std::pair<std::string, registry::CaseIndex>> found) mutable {
        if (!found.ok()) return done(found.status());
        const std::string case_id = found->first;
        const registry::CaseIndex* index = &found->second;
        out->set_case_id(public_id);
        out->set_agency(index->agency);
        auto gtins = std::make_shared<std::vector<std::string>>(index->gtins);
        auto parts = std::make_shared<std::vector<registry::CaseGtin>>(gtins->size());
        auto join = FanIn::Create(gtins->size(), [gtins, parts, out, caller,
                                                  done = std::move(done)](absl::Status s) mutable {
          struct Event {
            std::pair<uint64_t, uint64_t> order;
            size_t gtin;
            const registry::AuditRecord* record;
          };
          std::vector<Event> events;
          for (size_t g = 0; s.ok() && g < gtins->size(); ++g) {
            for (const auto& [serial, flag] : (*parts)[g].units) {
              v1::StolenStatus* u = out->add_units();
              SetUnit((*gtins)[g], serial, u->mutable_unit());
              u->set_registered(true);
              SetStatus(flag, caller, u);
            }
            for (const registry::AuditRecord& a : (*parts)[g].events) {
              events.push_back({StreamOrder(a.id), g, &a});
            }
          }
          std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
            return std::tie(a.order, a.gtin) < std::tie(b.order, b.gtin);
          });
          for (const Event& e : events) {
            v1::AuditEvent* h = out->add_history();
            *h->mutable_at() = TimeUtil::SecondsToTimestamp(e.record->at);
            h->set_principal(e.record->principal);
            h->set_action(e.record->action);
            SetUnit((*gtins)[e.gtin], e.record->serial, h->mutable_unit());
            h->set_detail(e.record->note);
          }
          done(s);
        });
        for (size_t g = 0; g < gtins->size(); ++g) {
          store_->GetCaseGtin((*gtins)[g], case_id, Deadline(call_deadline),
                              [join, parts, g](absl::StatusOr<registry::CaseGtin> r) {
                                if (r.ok()) (*parts)[g] = *std::move(r);
                                join->Done(r.status());
                              });
        }
      });
}

}  // namespace hallmark::stolen
