#include "server/issuance/issue_plan.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/status_macros.h"
#include "gs1/gs1.h"
#include "crypto/prf.h"
#include "server/auth/access.h"
#include "server/common/text_fields.h"

namespace hallmark::issuance {
namespace {

using crypto::SerialFormat;

constexpr size_t kMaxRequestIdLength = 128;
constexpr size_t kMaxSkuLength = 64;
constexpr size_t kMaxSupplierLength = 64;

absl::StatusOr<SerialFormat> FromProto(v1::SerialFormat f) {
  switch (f) {
    case v1::SERIAL_FORMAT_UNSPECIFIED:
    case v1::SERIAL_FORMAT_RANDOM:
      return SerialFormat::kRandom;
    case v1::SERIAL_FORMAT_SEQUENTIAL:
      return SerialFormat::kSequential;
    case v1::SERIAL_FORMAT_DATE_ENCODED:
      return SerialFormat::kDateEncoded;
    case v1::SERIAL_FORMAT_PLANT_ENCODED:
      return SerialFormat::kPlantEncoded;
    default:
      return absl::InvalidArgumentError("format: unknown serial format");
  }
}

// Shared checks of both request kinds: GTIN, ownership, lot and its dates, SKU, request id.
template <typename Request>
absl::Status CheckCommon(const Request& r, const auth::Principal& issuer,
                         registry::BatchSpec* spec) {
  const std::string& lot = r.lot();
  const std::string& sku = r.sku();
  const std::string& request_id = r.request_id();
  HALLMARK_ASSIGN_OR_RETURN(spec->gtin, gs1::NormalizeGtin(r.gtin(), "gtin"));
  HALLMARK_RETURN_IF_ERROR(auth::CheckGtinAccess(issuer, spec->gtin));
  if (!lot.empty()) HALLMARK_RETURN_IF_ERROR(gs1::ValidateLot(lot, "lot"));
  HALLMARK_RETURN_IF_ERROR(gs1::ValidateLotDates(r.expiry_date(), r.production_date()));
  if (lot.empty() && !(r.expiry_date().empty() && r.production_date().empty())) {
    return absl::InvalidArgumentError(absl::StrCat(
        r.expiry_date().empty() ? "production_date" : "expiry_date",
        ": dates belong to a lot; give the lot too"));
  }
  spec->expiry = r.expiry_date();
  spec->production = r.production_date();
  if (!sku.empty()) HALLMARK_RETURN_IF_ERROR(ValidatePrintable(sku, 1, kMaxSkuLength, "sku", true));
  if (request_id.empty()) {
    return absl::InvalidArgumentError("request_id: required (an idempotency key, e.g. a UUID)");
  }
  HALLMARK_RETURN_IF_ERROR(
      ValidatePrintable(request_id, 1, kMaxRequestIdLength, "request_id", false));
  spec->issuer = issuer.name();
  spec->request_id = std::string(request_id);
  spec->lot = std::string(lot);
  spec->sku = std::string(sku);
  return absl::OkStatus();
}

// Format-specific fields and the counter to allocate from.
absl::Status PlanFormat(const v1::IssueSerialsRequest& r, SerialFormat format, absl::Time now,
                        registry::BatchSpec* spec) {
  const bool counter = format != SerialFormat::kRandom;
  if (!r.prefix().empty() && format != SerialFormat::kSequential) {
    return absl::InvalidArgumentError("prefix: only allowed with SEQUENTIAL");
  }
  if (!r.plant().empty() && format != SerialFormat::kPlantEncoded) {
    return absl::InvalidArgumentError("plant: only allowed with PLANT_ENCODED");
  }
  switch (format) {
    case SerialFormat::kRandom: {
      HALLMARK_ASSIGN_OR_RETURN(std::string seed, crypto::RandomBytes(32));
      spec->seed = absl::BytesToHexString(seed);
      break;
    }
    case SerialFormat::kSequential:
      HALLMARK_RETURN_IF_ERROR(crypto::ValidateSequentialPrefix(r.prefix()));
      spec->prefix = r.prefix();
      spec->counter_field = "seq";
      spec->max_counter = crypto::kMaxSequentialCounter;
      break;
    case SerialFormat::kDateEncoded: {
      const absl::Time made = r.has_manufactured_at()
                                  ? absl::FromUnixSeconds(r.manufactured_at().seconds())
                                  : now;
      const absl::CivilDay day = absl::ToCivilDay(made, absl::UTCTimeZone());
      if (day.year() < 2000 || day.year() > 9999) {
        return absl::InvalidArgumentError("manufactured_at: year must be within 2000..9999");
      }
      spec->day = absl::StrFormat("%04d%02d%02d", day.year(), day.month(), day.day());
      spec->counter_field = "d:" + spec->day;
      spec->max_counter = crypto::kMaxDateCounter;
      break;
    }
    case SerialFormat::kPlantEncoded:
      if (r.plant().empty()) {
        return absl::InvalidArgumentError("plant: required for PLANT_ENCODED");
      }
      HALLMARK_RETURN_IF_ERROR(crypto::ValidatePlant(r.plant()));
      spec->plant = r.plant();
      spec->counter_field = "pl:" + spec->plant;
      spec->max_counter = crypto::kMaxSequentialCounter;
      break;
  }
  if (counter && spec->count > spec->max_counter) {
    return absl::InvalidArgumentError("count: larger than the format's counter range");
  }
  return absl::OkStatus();
}

std::string Fingerprint(absl::string_view text) {
  return absl::BytesToHexString(crypto::Sha256(text)).substr(0, 32);
}

}  // namespace

absl::string_view FormatName(SerialFormat format) {
  switch (format) {
    case SerialFormat::kRandom: return "RANDOM";
    case SerialFormat::kSequential: return "SEQUENTIAL";
    case SerialFormat::kDateEncoded: return "DATE_ENCODED";
    case SerialFormat::kPlantEncoded: return "PLANT_ENCODED";
  }
  return "RANDOM";
}

absl::StatusOr<SerialFormat> ParseFormatName(absl::string_view name) {
  for (SerialFormat f : {SerialFormat::kRandom, SerialFormat::kSequential,
                         SerialFormat::kDateEncoded, SerialFormat::kPlantEncoded}) {
    if (name == FormatName(f)) return f;
  }
  return absl::InternalError(absl::StrCat("registry: unknown stored format '", name, "'"));
}

absl::StatusOr<IssuePlan> PlanIssue(const v1::IssueSerialsRequest& request,
                                    const auth::Principal& issuer, uint32_t max_count,
                                    absl::Time now, absl::string_view key_id) {
  IssuePlan plan;
  registry::BatchSpec& spec = plan.spec;
  HALLMARK_RETURN_IF_ERROR(CheckCommon(request, issuer, &spec));
  if (request.count() == 0 || request.count() > max_count) {
    return absl::InvalidArgumentError(
        absl::StrCat("count: must be 1..", max_count, ", got ", request.count()));
  }
  HALLMARK_ASSIGN_OR_RETURN(plan.format, FromProto(request.format()));
  spec.kind = "issue";
  spec.format = std::string(FormatName(plan.format));
  spec.count = request.count();
  spec.key_id = std::string(key_id);
  spec.issued_at = absl::ToUnixSeconds(now);
  HALLMARK_RETURN_IF_ERROR(PlanFormat(request, plan.format, now, &spec));
  // What the client sent (not what was derived from the clock), so a retry on another day
  // without manufactured_at is still the same request.
  spec.fingerprint = Fingerprint(absl::StrCat(
      "issue\n", spec.gtin, "\n", spec.format, "\n", spec.count, "\n", spec.lot, "\n", spec.sku,
      "\n", spec.plant, "\n", spec.prefix, "\n",
      request.has_manufactured_at() ? absl::StrCat(request.manufactured_at().seconds()) : "-"));
  return plan;
}

absl::StatusOr<ImportPlan> PlanImport(const v1::ImportSerialsRequest& request,
                                      const auth::Principal& issuer, absl::Time now,
                                      absl::string_view key_id) {
  ImportPlan plan;
  registry::BatchSpec& spec = plan.spec;
  HALLMARK_RETURN_IF_ERROR(CheckCommon(request, issuer, &spec));
  if (request.serials().empty() || static_cast<size_t>(request.serials_size()) > kMaxImportSerials) {
    return absl::InvalidArgumentError(absl::StrCat("serials: must have 1..", kMaxImportSerials,
                                                   " entries, got ", request.serials_size()));
  }
  if (!request.supplier().empty()) {
    HALLMARK_RETURN_IF_ERROR(
        ValidatePrintable(request.supplier(), 1, kMaxSupplierLength, "supplier", true));
  }
  absl::flat_hash_map<absl::string_view, size_t> first_seen;
  for (int i = 0; i < request.serials_size(); ++i) {
    const std::string& serial = request.serials(i);
    v1::RejectedSerial rejected;
    rejected.set_serial(serial);
    const absl::Status valid = gs1::ValidateSerial(serial, absl::StrCat("serials[", i, "]"));
    auto [it, fresh] = first_seen.try_emplace(serial, i);
    if (!valid.ok()) {
      rejected.set_reason(v1::REJECT_REASON_INVALID);
      rejected.set_detail(std::string(valid.message()));
    } else if (!fresh) {
      rejected.set_reason(v1::REJECT_REASON_DUPLICATE);
      rejected.set_detail(absl::StrCat("repeats serials[", it->second, "] of this request"));
    } else {
      plan.candidates.push_back(i);
      continue;
    }
    plan.invalid.push_back(std::move(rejected));
    plan.invalid_index.push_back(i);
  }
  spec.kind = "import";
  spec.format = "IMPORT";
  spec.count = plan.candidates.size();
  spec.key_id = std::string(key_id);
  spec.issued_at = absl::ToUnixSeconds(now);
  spec.fingerprint = Fingerprint(ImportFingerprintInput(spec, request));
  return plan;
}

std::string ImportFingerprintInput(const registry::BatchSpec& spec,
                                   const v1::ImportSerialsRequest& request) {
  // Newline-joined, as the first versions stored it, while no field holds a newline: then the
  // joining is unambiguous and a retry after an upgrade still matches its batch.
  std::vector<absl::string_view> fields = {"import", spec.gtin, spec.lot, spec.sku,
                                           request.supplier()};
  for (const std::string& serial : request.serials()) fields.push_back(serial);
  bool plain = true;
  for (absl::string_view f : fields) plain = plain && f.find('\n') == absl::string_view::npos;
  if (plain) return absl::StrJoin(fields, "\n");
  // Otherwise (invalid serials may hold anything) every field carries its length, so
  // ["A\nB", "C"] and ["A", "B\nC"] are different requests.
  std::string out = "import-v2";
  for (absl::string_view f : fields) absl::StrAppend(&out, ";", f.size(), ":", f);
  return out;
}

absl::Status CompareWithStored(const registry::BatchSpec& requested,
                               const registry::BatchSpec& stored) {
  const struct {
    const char* name;
    std::string was;
    std::string now;
  } fields[] = {
      {"kind", stored.kind, requested.kind},
      {"format", stored.format, requested.format},
      {"count", absl::StrCat(stored.count), absl::StrCat(requested.count)},
      {"lot", stored.lot, requested.lot},
      {"expiry_date", stored.expiry, requested.expiry},
      {"production_date", stored.production, requested.production},
      {"sku", stored.sku, requested.sku},
      {"plant", stored.plant, requested.plant},
      {"prefix", stored.prefix, requested.prefix},
      {"parameters", stored.fingerprint, requested.fingerprint},
  };
  for (const auto& f : fields) {
    if (f.was != f.now) {
      const bool opaque = std::string(f.name) == "parameters";
      return absl::AlreadyExistsError(absl::StrCat(
          "request_id '", requested.request_id, "' was already used with different ",
          opaque ? (requested.kind == "import" ? "serials or supplier" : "parameters")
                 : absl::StrCat(f.name, " (first request: '", f.was, "', this one: '", f.now,
                                "')")));
    }
  }
  return absl::OkStatus();
}

}  // namespace hallmark::issuance
