#include "server/registry/redis_lifecycle_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/registry/redis_registry.h"
#include "server/registry/reply_util.h"

namespace hallmark::registry {
namespace {

using internal::Call;
using internal::ToInt;
using internal::ToUint;
using redis::RedisReply;

// Fields of the lifecycle hash ("r:..." fields are request ids, handled in Lua).
constexpr char kSale[] = "so";          // at \n organisation \n principal
constexpr char kWarranty[] = "w";       // starts \n ends \n months \n closed
constexpr char kRegistration[] = "cr";  // hash \n at
constexpr char kDecommission[] = "dc";  // at \n organisation \n reason \n prior status

// Splits "a\nb\n..." into exactly n parts (missing ones empty).
std::vector<std::string> Parts(absl::string_view text, size_t n) {
  std::vector<std::string> parts = absl::StrSplit(text, '\n');
  parts.resize(n);
  return parts;
}

int64_t Int(const std::string& s) {
  int64_t v = 0;
  return absl::SimpleAtoi(s, &v) ? v : 0;
}

void ParseField(const std::string& name, const std::string& value, LifecycleFields* f) {
  if (name == kSale) {
    std::vector<std::string> p = Parts(value, 3);
    f->sale = Sale{Int(p[0]), p[1], p[2]};
  } else if (name == kWarranty) {
    std::vector<std::string> p = Parts(value, 4);
    f->warranty = WarrantyRecord{Int(p[0]), Int(p[1]), static_cast<uint32_t>(Int(p[2])), p[3]};
  } else if (name == kRegistration) {
    std::vector<std::string> p = Parts(value, 2);
    f->registration = Registration{p[0], Int(p[1])};
  } else if (name == kDecommission) {
    std::vector<std::string> p = Parts(value, 4);
    f->decommission =
        Decommission{Int(p[0]), p[1], static_cast<int>(Int(p[2])), static_cast<int>(Int(p[3]))};
  }
}

// Field/value pairs to set and field names to delete for `f`.
void SerializeFields(const LifecycleFields& f, std::vector<std::string>* set,
                     std::vector<std::string>* del) {
  auto put = [&](const char* name, bool present, std::string value) {
    if (present) {
      set->push_back(name);
      set->push_back(std::move(value));
    } else {
      del->push_back(name);
    }
  };
  put(kSale, f.sale.has_value(),
      f.sale ? absl::StrCat(f.sale->at, "\n", f.sale->organisation, "\n", f.sale->principal) : "");
  put(kWarranty, f.warranty.has_value(),
      f.warranty ? absl::StrCat(f.warranty->starts_at, "\n", f.warranty->ends_at, "\n",
                                f.warranty->months, "\n", f.warranty->closed)
                 : "");
  put(kRegistration, f.registration.has_value(),
      f.registration ? absl::StrCat(f.registration->hash_hex, "\n", f.registration->at) : "");
  put(kDecommission, f.decommission.has_value(),
      f.decommission ? absl::StrCat(f.decommission->at, "\n", f.decommission->organisation, "\n",
                                    f.decommission->reason, "\n", f.decommission->prior_status)
                     : "");
}

std::string SerializeEvent(const LifecycleEvent& e) {
  return absl::StrJoin(
      {e.action, absl::StrCat(e.at), absl::StrCat(e.recorded_at), e.principal, e.organisation,
       e.reference, e.location, absl::StrCat(e.status), absl::StrJoin(e.flags, ","), e.detail},
      "\n");
}

LifecycleEvent ParseEvent(const std::string& text) {
  std::vector<std::string> p = Parts(text, 10);
  LifecycleEvent e;
  e.action = p[0];
  e.at = Int(p[1]);
  e.recorded_at = Int(p[2]);
  e.principal = p[3];
  e.organisation = p[4];
  e.reference = p[5];
  e.location = p[6];
  e.status = static_cast<int>(Int(p[7]));
  if (!p[8].empty()) e.flags = absl::StrSplit(p[8], ',');
  e.detail = p[9];
  return e;
}

std::optional<uint32_t> Months(const RedisReply& r) {
  if (r.str.empty()) return std::nullopt;
  return static_cast<uint32_t>(ToUint(r));
}

std::optional<LotRecall> ParseLotRecall(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::vector<std::string> p = Parts(text, 4);
  return LotRecall{Int(p[0]), p[1], p[2], p[3]};
}

std::string SerializeLotRecall(const LotRecall& r) {
  return absl::StrJoin({absl::StrCat(r.at), r.principal, r.organisation, r.reason}, "\n");
}

absl::StatusOr<std::optional<UnitLife>> ParseRead(const RedisReply& r) {
  if (!r.is_array() || r.elements.empty()) {
    return absl::InternalError("registry: unexpected reply to hm_life_read");
  }
  if (ToUint(r.elements[0]) == 0) return std::optional<UnitLife>();
  auto rec = internal::ReadRecord(r, kLifeReadReply, "hm_life_read");
  if (!rec.ok()) return rec.status();
  const auto& f = *rec;
  if (!f["fields"].is_array() || !f["events"].is_array() || !f["lot_events"].is_array()) {
    return absl::InternalError("registry: hm_life_read: fields and events must be arrays");
  }
  UnitLife u;
  u.raw_value = f["value"].str;
  const uint64_t value = ToUint(f["value"]);
  u.status = static_cast<int>(value % 8);
  u.unit_recalled = (value & kRecalledBit) != 0;
  u.lot = f["lot"].str;
  u.sku = f["sku"].str;
  u.issued_at = ToInt(f["issued_at"]);
  u.issuer = f["issuer"].str;
  u.lot_recall = ParseLotRecall(f["lot_recall"].str);
  u.stolen = internal::ParseFlag(f["stolen"].str);
  u.sku_months = Months(f["sku_months"]);
  u.default_months = Months(f["default_months"]);
  const std::vector<RedisReply>& fields = f["fields"].elements;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    ParseField(fields[i].str, fields[i + 1].str, &u.fields);
  }
  u.event_count = ToUint(f["event_count"]);
  if (!f["request_hit"].str.empty()) u.request_hit = ParseEvent(f["request_hit"].str);
  for (const RedisReply& ev : f["events"].elements) u.events.push_back(ParseEvent(ev.str));
  u.expiry = f["exp"].str;
  u.production = f["prod"].str;
  for (const RedisReply& ev : f["lot_events"].elements) {
    u.lot_events.push_back(ParseEvent(ev.str));
  }
  return std::optional<UnitLife>(std::move(u));
}

absl::StatusOr<ApplyResult> ParseApply(const RedisReply& r) {
  if (!r.is_array() || r.elements.empty()) {
    return absl::InternalError("registry: unexpected reply to hm_life_apply");
  }
  ApplyResult result;
  const std::string& tag = r.elements[0].str;
  if (tag == "RETRY") return result;
  if (r.elements.size() != 2 || (tag != "OK" && tag != "DUP")) {
    return absl::InternalError("registry: unexpected reply to hm_life_apply");
  }
  result.outcome = tag == "OK" ? ApplyOutcome::kApplied : ApplyOutcome::kDuplicate;
  result.event_number = ToUint(r.elements[1]);
  return result;
}

absl::StatusOr<uint64_t> ParseCount(const RedisReply& r) {
  if (r.type != RedisReply::Type::kInteger) {
    return absl::InternalError("registry: unexpected reply to a recall");
  }
  return ToUint(r);
}

}  // namespace

void RedisLifecycleStore::Read(std::string gtin, std::string serial, std::string request_key,
                               bool all_events, absl::Time deadline,
                               Callback<std::optional<UnitLife>> done) {
  Call<std::optional<UnitLife>>(client_,
                                {"FCALL_RO", "hm_life_read2", "1", MetaKey(gtin), std::move(serial),
                                 std::move(request_key), all_events ? "1" : "0"},
                                deadline, std::move(done), ParseRead);
}

void RedisLifecycleStore::Apply(std::string gtin, std::string serial, const UnitLife& expected,
                                std::string request_key, LifecycleChange change,
                                absl::Time deadline, Callback<ApplyResult> done) {
  uint64_t old_value = 0;
  if (!absl::SimpleAtoi(expected.raw_value, &old_value)) {
    return done(absl::InternalError("registry: unit value is not a number"));
  }
  const uint64_t new_value = (old_value & ~uint64_t{7}) | static_cast<uint64_t>(change.status);
  std::vector<std::string> set, del;
  SerializeFields(change.fields, &set, &del);
  std::vector<std::string> argv = {"FCALL",
                                   "hm_life_apply",
                                   "1",
                                   MetaKey(gtin),
                                   std::move(serial),
                                   expected.raw_value,
                                   absl::StrCat(expected.event_count),
                                   expected.lot_recall ? "1" : "0",
                                   std::move(request_key),
                                   absl::StrCat(new_value),
                                   SerializeEvent(change.event),
                                   absl::StrCat(set.size() / 2)};
  for (std::string& s : set) argv.push_back(std::move(s));
  for (std::string& d : del) argv.push_back(std::move(d));
  Call<ApplyResult>(client_, std::move(argv), deadline, std::move(done), ParseApply);
}

void RedisLifecycleStore::RecallLot(std::string gtin, std::string lot, LotRecall recall,
                                    std::string request_key, absl::Time deadline,
                                    Callback<uint64_t> done) {
  Call<uint64_t>(client_,
                 {"FCALL", "hm_recall_lot", "1", MetaKey(gtin), std::move(lot),
                  SerializeLotRecall(recall), std::move(request_key)},
                 deadline, std::move(done), ParseCount);
}

void RedisLifecycleStore::CorrectLotDates(std::string gtin, std::string lot,
                                          LotDatesCorrection c, std::string request_key,
                                          absl::Time deadline, Callback<LotDatesCorrected> done) {
  Call<LotDatesCorrected>(
      client_,
      {"FCALL", "hm_lot_dates", "1", MetaKey(gtin), std::move(lot), std::move(c.expiry),
       std::move(c.production), absl::StrCat(c.at), std::move(c.principal),
       std::move(c.organisation), std::move(c.reason), std::move(request_key)},
      deadline, std::move(done), [](const RedisReply& r) -> absl::StatusOr<LotDatesCorrected> {
        if (!r.is_array() || r.elements.size() != 3) {
          return absl::InternalError("registry: unexpected reply to hm_lot_dates");
        }
        return LotDatesCorrected{r.elements[0].str, r.elements[1].str, ToUint(r.elements[2])};
      });
}

void RedisLifecycleStore::RecallUnits(std::string gtin, std::vector<std::string> serials,
                                      LotRecall recall, std::string request_key,
                                      absl::Time deadline, Callback<uint64_t> done) {
  std::vector<std::string> argv = {"FCALL",
                                   "hm_recall_units",
                                   "1",
                                   MetaKey(gtin),
                                   absl::StrCat(recall.at),
                                   recall.principal,
                                   recall.organisation,
                                   recall.reason,
                                   std::move(request_key)};
  for (std::string& s : serials) argv.push_back(std::move(s));
  Call<uint64_t>(client_, std::move(argv), deadline, std::move(done), ParseCount);
}

void RedisLifecycleStore::SetWarrantyTerms(std::string gtin, std::string sku, uint32_t months,
                                           absl::Time deadline,
                                           absl::AnyInvocable<void(absl::Status)> done) {
  Call<bool>(
      client_, {"FCALL", "hm_set_terms", "1", MetaKey(gtin), std::move(sku), absl::StrCat(months)},
      deadline, [done = std::move(done)](absl::StatusOr<bool> r) mutable { done(r.status()); },
      [](const RedisReply&) -> absl::StatusOr<bool> { return true; });
}

void RedisLifecycleStore::CountRegistrationAttempt(std::string gtin, std::string serial,
                                                   absl::Duration window, absl::Time deadline,
                                                   Callback<uint64_t> done) {
  Call<uint64_t>(client_,
                 {"FCALL", "hm_attempt", "1", MetaKey(gtin), std::move(serial),
                  absl::StrCat(absl::ToInt64Seconds(window))},
                 deadline, std::move(done),
                 [](const RedisReply& r) -> absl::StatusOr<uint64_t> {
                   if (r.type != RedisReply::Type::kInteger) {
                     return absl::InternalError("hm_attempt: unexpected reply");
                   }
                   return static_cast<uint64_t>(r.integer);
                 });
}

}  // namespace hallmark::registry
