#include "server/verification/verification_engine.h"

#include <google/protobuf/util/time_util.h>

#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gs1/unit_code.h"
#include "server/auth/access.h"
#include "server/common/fan_in.h"
#include "server/common/log.h"
#include "server/lifecycle/rules.h"
#include "server/verification/scan_context.h"

namespace hallmark::verification {
namespace {


// The caller's organisation as the clone rule counts it: a nonzero 30-bit fingerprint (its
// officers, stores or apps are one caller, however many locations they declare).
// FNV-1a: stable across processes and replicas (absl::Hash is seeded per process).
uint32_t CallerFingerprint(const auth::Principal& caller) {
  uint32_t h = 2166136261u;
  for (unsigned char c : auth::OwnerId(caller)) h = (h ^ c) * 16777619u;
  h &= 0x3fffffffu;
  return h == 0 ? 1 : h;
}

absl::Status CheckCodeSize(absl::string_view code, absl::string_view field) {
  if (code.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": empty"));
  if (code.size() > gs1::kMaxScannedCodeLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", gs1::kMaxScannedCodeLength, " bytes"));
  }
  return absl::OkStatus();
}

void SetUnit(const gs1::UnitCode& code, v1::VerifyResponse* out) {
  out->mutable_unit()->set_gtin(code.gtin);
  out->mutable_unit()->set_serial(code.serial);
  out->set_lot(code.lot);
}

void Fill(const Decision& d, v1::VerifyResponse* out) {
  out->set_verdict(d.verdict);
  for (const std::string& r : d.reasons) out->add_reasons(r);
}

// The registry's view of a registered unit: lot, SKU, issue, scans, status, the case id for the
// organisation that owns the case.
void FillRegistered(const registry::VerifyRecord& record, const std::string& caller_owner,
                    v1::VerifyResponse* out) {
  out->set_lot(record.unit.lot);
  out->set_sku(record.unit.sku);
  *out->mutable_issued_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(record.unit.issued_at);
  out->set_scan_count(record.scan_count);
  out->set_status(record.recalled && record.unit.status != registry::kStatusDecommissioned
                      ? v1::UNIT_STATUS_RECALLED
                      : lifecycle::PublicStatus(record.unit.status));
  if (record.stolen && absl::StartsWith(record.stolen->case_id, caller_owner + "|")) {
    out->set_stolen_case_id(std::string(auth::PublicCaseId(record.stolen->case_id)));
  }
}

// The dates the answer reports, the registry's for a registered unit (the printed ones may be
// forged or outdated), else the signed printed ones; and whether the unit is past its expiry.
void FillDates(const gs1::UnitCode& signed_code, const registry::VerifyRecord& record,
               absl::Time now, v1::VerifyResponse* out) {
  const bool registry = record.registered;
  out->set_expiry_date(registry ? record.unit.expiry : signed_code.expiry);
  out->set_production_date(registry ? record.unit.production : signed_code.production);
  if (Expired(out->expiry_date(), absl::ToCivilDay(now, absl::UTCTimeZone()))) {
    out->set_expired(true);
    out->add_reasons("expired");
  }
}

void LogSecurityEvent(const gs1::UnitCode& code, const Decision& d,
                      const std::string& caller, Metrics* metrics) {
  if (metrics != nullptr && d.verdict == v1::VERDICT_NOT_REGISTERED) {
    metrics->SecurityEvent("not_registered");
  }
  if (metrics != nullptr && d.verdict == v1::VERDICT_SUSPECT_CLONE) {
    metrics->SecurityEvent("clone_suspected");
  }
  if (d.verdict == v1::VERDICT_NOT_REGISTERED) {
    log::WriteLimited("not_registered", "warn",
                      "security: validly signed code not in the registry (key leak or lost data?)",
                      {{"event", "not_registered"}, {"gtin", code.gtin}, {"serial", code.serial},
                       {"principal", caller}});
  } else if (d.verdict == v1::VERDICT_SUSPECT_CLONE) {
    log::WriteLimited("clone_suspected", "warn", "security: suspected cloned code",
                      {{"event", "clone_suspected"}, {"gtin", code.gtin}, {"serial", code.serial},
                       {"reason", d.reasons.back()}, {"principal", caller}});
  }
}

}  // namespace

VerificationEngine::VerificationEngine(registry::Registry* registry, WorkPool* pool,
                                       const Snapshot<CodeChecker>* checker,
                                       VerificationOptions options)
    : registry_(registry), pool_(pool), checker_(checker), options_(options) {}

void VerificationEngine::Verify(const auth::Principal& caller, const v1::VerifyRequest& request,
                                absl::Time call_deadline, v1::VerifyResponse* out,
                                absl::AnyInvocable<void(absl::Status)> done) {
  if (absl::Status s = CheckCodeSize(request.code(), "code"); !s.ok()) return done(s);
  if (absl::Status s = ValidateScanContext(request.context(), "context"); !s.ok()) {
    return done(s);
  }
  VerifyOne(caller, request, call_deadline, out,
            [this, out, done = std::move(done)](absl::Status s) mutable {
              if (s.ok()) CountVerdict(out->verdict());
              done(s);
            });
}

void VerificationEngine::CountVerdict(v1::Verdict verdict) const {
  if (options_.metrics != nullptr) {
    options_.metrics->Verdict(v1::Verdict_Name(verdict).substr(8));  // without "VERDICT_"
  }
}

void VerificationEngine::VerifyOne(const auth::Principal& caller,
                                   const v1::VerifyRequest& request, absl::Time call_deadline,
                                   v1::VerifyResponse* out,
                                   absl::AnyInvocable<void(absl::Status)> done) {
  absl::StatusOr<gs1::UnitCode> code = gs1::ParseScannedCode(request.code());
  if (!code.ok()) {
    Fill({v1::VERDICT_COUNTERFEIT, {"code_unparseable"}}, out);
    return done(absl::OkStatus());
  }
  SetUnit(*code, out);
  const CodeChecker::Result checked = checker_->Get()->Check(*code);
  const crypto::CodeVerification& signature = checked.verification;
  Metrics* metrics = options_.metrics;
  if (metrics != nullptr) {
    metrics->SignatureCheck(checked.cache_hit ? "cache_hit" : signature.ok() ? "verified" : "failed");
  }
  if (!signature.ok()) {
    if (signature.failure == crypto::DigSigFailure::kKeyRevoked) {
      if (metrics != nullptr) metrics->SecurityEvent("revoked_key_used");
      log::WriteLimited("revoked_key_used", "warn", "security: code signed by a revoked key",
                        {{"event", "revoked_key_used"}, {"gtin", code->gtin},
                         {"serial", code->serial},
                         {"key_id", crypto::FormatKeyId(signature.key_id)},
                         {"principal", caller.name()}});
    }
    // Only a code that prints a lot or a date can be a genuine code on an altered label; the
    // looks at them have a budget of their own.
    const bool alterable = !code->lot.empty() || !code->expiry.empty() || !code->production.empty();
    if (signature.failure == crypto::DigSigFailure::kSignatureInvalid && alterable &&
        (options_.limiter == nullptr ||
         options_.limiter->Acquire("verify:altered-looks", options_.altered_looks, 1, absl::Now())
             .ok())) {
      return CheckAltered(caller, *std::move(code), call_deadline, out, std::move(done));
    }
    Fill(CounterfeitDecision(signature), out);
    return done(absl::OkStatus());
  }
  const absl::Time now = absl::Now();
  registry::ScanInput scan{code->gtin, code->serial, absl::ToUnixSeconds(now),
                           LocationFingerprint(request.context()),
                           absl::ToUnixSeconds(now - options_.clone.window)};
  scan.caller = CallerFingerprint(caller);
  scan.weight = caller.role() == admin::ROLE_VERIFIER ? 1 : 2;
  registry_->VerifyUnit(
      std::move(scan), std::min(call_deadline, now + options_.redis_timeout),
      [this, code = *std::move(code), dates_signed = signature.dates_signed,
       caller_owner = auth::OwnerId(caller), caller_name = caller.name(), now, out,
       done = std::move(done)](absl::StatusOr<registry::VerifyRecord> record) mutable {
        if (!record.ok()) return done(record.status());
        // Redis at maxmemory, or a master short of replicas: answered, but not counted.
        if (!record->scan_recorded) {
          if (options_.metrics != nullptr) options_.metrics->SecurityEvent("scan_not_recorded");
          log::WriteLimited("scan_not_recorded", "warn",
                            "redis refused the scan record (maxmemory, or a master short of "
                            "replicas): verdict from the stored record",
                            {{"gtin", code.gtin}});
        }
        // Dates printed beside a code signed without them are label data: compared with the
        // registry's where the lot has dates, never taken for the unit's.
        Decision d = RegistryDecision(
            code, *record, options_.clone, dates_signed ? Printed::kSigned : Printed::kDatesUnsigned);
        if (!dates_signed) d.reasons.push_back("dates_not_signed");
        Fill(d, out);
        if (record->registered) FillRegistered(*record, caller_owner, out);
        gs1::UnitCode signed_code = code;
        if (!dates_signed) signed_code.expiry = signed_code.production = "";
        FillDates(signed_code, *record, now, out);
        LogSecurityEvent(code, d, caller_name, options_.metrics);
        done(absl::OkStatus());
      });
}

void VerificationEngine::CheckAltered(const auth::Principal& caller, gs1::UnitCode code,
                                      absl::Time call_deadline, v1::VerifyResponse* out,
                                      absl::AnyInvocable<void(absl::Status)> done) {
  const absl::Time now = absl::Now();
  registry::ScanInput look{code.gtin, code.serial, absl::ToUnixSeconds(now), std::nullopt,
                           absl::ToUnixSeconds(now - options_.clone.window)};
  look.record = false;  // no scan: the printed code did not verify
  registry_->VerifyUnit(
      std::move(look), std::min(call_deadline, now + options_.redis_timeout),
      [this, code = std::move(code), checker = checker_->Get(),
       caller_owner = auth::OwnerId(caller), caller_name = caller.name(), now, out,
       done = std::move(done)](absl::StatusOr<registry::VerifyRecord> record) mutable {
        std::optional<gs1::UnitCode> as_signed;
        if (record.ok() && record->registered) as_signed = AsRegistered(code, record->unit);
        // One signature check whatever the registry said, so the time of the answer does not
        // tell a forger whether the serial exists (without a registered unit: over the code
        // without its lot and dates, which fails).
        gs1::UnitCode bare = code;
        bare.lot = bare.expiry = bare.production = "";
        const bool genuine = crypto::VerifyUnitCode(checker->ring(), as_signed ? *as_signed : bare)
                                 .ok() && as_signed.has_value();
        // The signature failed: without a registry answer, or if it does not verify over the
        // registry's lot and dates either, the code is counterfeit as any forgery.
        if (!genuine) {
          Fill({v1::VERDICT_COUNTERFEIT, {"signature_invalid"}}, out);
          return done(absl::OkStatus());
        }
        const Decision d = RegistryDecision(code, *record, options_.clone, Printed::kAltered);
        Fill(d, out);
        FillRegistered(*record, caller_owner, out);
        FillDates(*as_signed, *record, now, out);
        if (options_.metrics != nullptr) options_.metrics->SecurityEvent("label_altered");
        log::WriteLimited("label_altered", "warn",
                          "security: a genuine unit's code with another lot or dates printed",
                          {{"event", "label_altered"}, {"gtin", code.gtin},
                           {"serial", code.serial}, {"reasons", absl::StrJoin(d.reasons, ",")},
                           {"principal", caller_name}});
        done(absl::OkStatus());
      });
}

void VerificationEngine::LookUpUnit(std::string gtin, std::string serial,
                                    absl::Time call_deadline,
                                    registry::Callback<registry::VerifyRecord> done) {
  const absl::Time now = absl::Now();
  registry::ScanInput look{std::move(gtin), std::move(serial), absl::ToUnixSeconds(now),
                           std::nullopt, absl::ToUnixSeconds(now - options_.clone.window)};
  look.record = false;
  registry_->VerifyUnit(std::move(look), std::min(call_deadline, now + options_.redis_timeout),
                        std::move(done));
}

void VerificationEngine::VerifyBatch(const auth::Principal& caller,
                                     const v1::VerifyBatchRequest& request,
                                     absl::Time call_deadline, v1::VerifyBatchResponse* out,
                                     absl::AnyInvocable<void(absl::Status)> done) {
  const size_t n = request.requests_size();
  if (n == 0 || n > kMaxBatch) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("requests: must have 1..", kMaxBatch, " entries, got ", n)));
  }
  for (size_t i = 0; i < n; ++i) {
    if (absl::Status s = ValidateScanContext(request.requests(i).context(),
                                             absl::StrCat("requests[", i, "].context"));
        !s.ok()) {
      return done(s);
    }
  }
  for (size_t i = 0; i < n; ++i) out->add_responses();
  auto join = FanIn::Create(n, [this, out, done = std::move(done)](absl::Status s) mutable {
    if (s.ok()) {
      for (const v1::VerifyResponse& r : out->responses()) CountVerdict(r.verdict());
    }
    done(s);
  });
  auto finish_one = [join](absl::Status s) { join->Done(s); };
  // Signature checks are CPU work: spread them over the pool; registry calls pipeline.
  pool_->ParallelFor(
      n, 32,
      [this, caller, &request, call_deadline, out, finish_one](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
          const v1::VerifyRequest& r = request.requests(static_cast<int>(i));
          v1::VerifyResponse* resp = out->mutable_responses(static_cast<int>(i));
          if (!CheckCodeSize(r.code(), "code").ok()) {
            Fill({v1::VERDICT_COUNTERFEIT, {r.code().empty() ? "code_empty" : "code_too_long"}},
                 resp);
            finish_one(absl::OkStatus());
            continue;
          }
          VerifyOne(caller, r, call_deadline, resp, finish_one);
        }
      },
      [] {});
}

}  // namespace hallmark::verification
