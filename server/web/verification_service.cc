#include "server/web/verification_service.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gs1/gs1.h"
#include "server/auth/client_address.h"
#include "server/common/log.h"

namespace hallmark::web {
namespace {

bool IsVerificationLinkType(absl::string_view value) {
  return value == "verificationService" || value == "gs1:verificationService" ||
         value == "https://gs1.org/voc/verificationService" ||
         value == "https://ref.gs1.org/voc/verificationService";
}

std::vector<std::pair<std::string, std::string>> QueryPairs(absl::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  if (query.empty()) return out;
  for (absl::string_view param : absl::StrSplit(query, '&')) {
    if (param.empty()) continue;
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(param, '=');
    out.emplace_back(std::string(kv.first), std::string(kv.second));
  }
  return out;
}

absl::Status Bad(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

bool IsUuid(absl::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !absl::ascii_isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

bool IsContext(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

// The path's key-qualifier pairs after the last GTIN: short names (gtin, lot, ser) or AIs (01,
// 10, 21); anything before is a free prefix.
absl::Status ParsePath(absl::string_view path, verification::ProductIdentifier* pi) {
  const std::vector<absl::string_view> seg = absl::StrSplit(path, '/');
  const auto qualifier = [](absl::string_view k) {
    return k == "lot" || k == "ser" || k == "10" || k == "21";
  };
  size_t i = seg.size();
  while (i >= 2 && qualifier(seg[i - 2])) i -= 2;
  if (i < 2 || (seg[i - 2] != "gtin" && seg[i - 2] != "01")) {
    return Bad("path", "must end with /gtin/{gtin}/lot/{lot}/ser/{serial} (or /01/../10/../21/..)");
  }
  bool have_lot = false, have_serial = false;
  for (size_t k = i - 2; k < seg.size(); k += 2) {
    std::optional<std::string> value = PercentDecode(seg[k + 1]);
    if (!value) return Bad(seg[k], "malformed percent-encoding");
    const absl::string_view key = seg[k];
    if (key == "gtin" || key == "01") {
      absl::StatusOr<std::string> gtin = gs1::NormalizeGtin(*value, "gtin");
      if (!gtin.ok()) return gtin.status();
      pi->gtin = *gtin;
    } else if (key == "lot" || key == "10") {
      if (have_lot) return Bad("lot", "given twice");
      if (absl::Status s = gs1::ValidateLot(*value, "lot"); !s.ok()) return s;
      pi->lot = *value;
      have_lot = true;
    } else {
      if (have_serial) return Bad("ser", "given twice");
      if (absl::Status s = gs1::ValidateSerial(*value, "ser"); !s.ok()) return s;
      pi->serial = *value;
      have_serial = true;
    }
  }
  if (!have_serial) return Bad("ser", "the serial is required");
  return absl::OkStatus();
}

std::string Text(absl::string_view line) { return absl::StrCat(line, "\n"); }

HttpAnswer Plain(int code, absl::string_view text) {
  HttpAnswer a;
  a.code = code;
  a.content_type = "text/plain; charset=utf-8";
  a.body = Text(text);
  a.headers.emplace_back("Cache-Control", "no-store");
  return a;
}

}  // namespace

bool IsVerificationServiceRequest(absl::string_view uri) {
  const size_t q = uri.find('?');
  if (q == absl::string_view::npos) return false;
  bool link_type = false, digsig = false;
  for (const auto& [k, v] : QueryPairs(uri.substr(q + 1))) {
    if (k == "8030") digsig = true;
    if (k == "linkType") link_type = link_type || IsVerificationLinkType(PercentDecode(v).value_or(""));
  }
  return link_type && !digsig;
}

absl::StatusOr<VerificationQuery> ParseVerificationQuery(absl::string_view uri) {
  VerificationQuery q;
  const size_t mark = uri.find('?');
  const absl::string_view path = uri.substr(0, mark);
  if (absl::Status s = ParsePath(path, &q.pi); !s.ok()) return s;
  bool seen_exp = false, seen_link = false, seen_context = false, seen_gln = false,
       seen_uuid = false;
  const auto once = [](bool* seen, absl::string_view name) -> absl::Status {
    if (*seen) return Bad(name, "given twice");
    *seen = true;
    return absl::OkStatus();
  };
  for (const auto& [key, raw] : QueryPairs(mark == absl::string_view::npos
                                               ? absl::string_view()
                                               : uri.substr(mark + 1))) {
    std::optional<std::string> value = PercentDecode(raw);
    if (!value) return Bad(key, "malformed percent-encoding");
    absl::Status s;
    if (key == "exp" || key == "17") {
      if (s = once(&seen_exp, "exp"); !s.ok()) return s;
      if (s = gs1::ValidateGs1Date(*value, "exp"); !s.ok()) return s;
      q.pi.expiry = *value;
    } else if (key == "linkType") {
      if (s = once(&seen_link, "linkType"); !s.ok()) return s;
      if (!IsVerificationLinkType(*value)) return Bad("linkType", "must be verificationService");
    } else if (key == "context") {
      if (s = once(&seen_context, "context"); !s.ok()) return s;
      if (!IsContext(*value)) return Bad("context", "1..64 letters, digits, '_' or '-'");
      q.context = *value;
    } else if (key == "reqGLN") {
      if (s = once(&seen_gln, "reqGLN"); !s.ok()) return s;
      if (s = VerificationService::ValidateGln(*value, "reqGLN"); !s.ok()) return s;
      q.req_gln = *value;
    } else if (key == "corrUUID") {
      if (s = once(&seen_uuid, "corrUUID"); !s.ok()) return s;
      if (!IsUuid(*value)) return Bad("corrUUID", "must be a UUID (8-4-4-4-12 hex digits)");
      q.corr_uuid = *value;
    }
    // Other parameters (GS1 US 1.3's ctrlPossessAtt, email, telephone, ...) are not needed.
  }
  if (!seen_link) return Bad("linkType", "required (verificationService)");
  return q;
}

std::string VerificationResponseJson(const verification::IdentifierCheck& check,
                                     absl::string_view responder_gln,
                                     absl::string_view corr_uuid, absl::Time now) {
  // Every value is validated or ours: digits, a UUID, the standard's codes; nothing to escape.
  std::string data = absl::StrCat("{\"verified\":", check.verified ? "true" : "false");
  if (!check.failure_reason.empty()) {
    absl::StrAppend(&data, ",\"verificationFailureReason\":\"", check.failure_reason, "\"");
  }
  if (!check.additional_info.empty()) {
    absl::StrAppend(&data, ",\"additionalInfo\":\"", check.additional_info, "\"");
  }
  data += "}";
  std::string out = absl::StrCat(
      "{\"verificationTimestamp\":\"",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()),
      "\",\"responderGLN\":\"", responder_gln, "\",\"data\":", data);
  if (!corr_uuid.empty()) absl::StrAppend(&out, ",\"corrUUID\":\"", corr_uuid, "\"");
  return out + "}";
}

absl::Status VerificationService::ValidateGln(absl::string_view gln, absl::string_view field) {
  bool digits = gln.size() == 13;
  for (char c : gln) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (!digits) return Bad(field, "a GLN has 13 digits");
  if (gs1::Gs1CheckDigit(gln.substr(0, 12)) != gln[12]) {
    return Bad(field, "the GLN's GS1 check digit is wrong");
  }
  return absl::OkStatus();
}

HttpAnswer VerificationService::Unauthenticated(const std::string& client,
                                               absl::string_view why) const {
  const std::string key = auth::AddressBucketKey(client, "vrs:", 4096);
  if (!limiter_->Acquire(key, strangers_, 1, absl::Now()).ok()) {
    HttpAnswer a = Plain(429, "too many requests without a valid token");
    a.headers.emplace_back("Retry-After", "1");
    return a;
  }
  if (!why.empty()) {
    log::WriteLimited("auth_failure", "warn", "security: verification service request refused",
                      {{"event", "auth_failure"}, {"why", std::string(why)}});
    HttpAnswer a = Plain(401, "unknown or disabled token");
    a.headers.emplace_back("WWW-Authenticate",
                           "Bearer realm=\"hallmark\", error=\"invalid_token\"");
    return a;
  }
  HttpAnswer a = Plain(401, "authentication required: Authorization: Bearer <token>");
  a.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"hallmark\"");
  return a;
}

void VerificationService::Answer(VerificationRequest request,
                                 absl::AnyInvocable<void(HttpAnswer)> done) const {
  // Who asks first: nothing about the request is read for an unknown caller.
  absl::string_view auth = absl::StripAsciiWhitespace(request.authorization);
  // The scheme is case-insensitive (RFC 9110 11.1).
  const bool bearer = absl::StartsWithIgnoreCase(auth, "Bearer ");
  if (bearer) auth.remove_prefix(7);
  if (!bearer || absl::StripAsciiWhitespace(auth).empty()) {
    return done(Unauthenticated(request.client, ""));
  }
  std::shared_ptr<const auth::PrincipalStore> store = principals_->Get();
  const auth::Principal* who = store->FindByToken(absl::StripAsciiWhitespace(auth));
  if (who == nullptr) return done(Unauthenticated(request.client, "unknown token"));
  if (!auth::RequireRole(*who, {admin::ROLE_RETAILER, admin::ROLE_LAW_ENFORCEMENT,
                                admin::ROLE_ISSUER},
                         "verification service")
           .ok()) {
    log::WriteLimited("auth_failure", "warn", "security: verification service request refused",
                      {{"event", "auth_failure"}, {"principal", who->name()},
                       {"why", "role not allowed"}});
    return done(Plain(403, "the verification service is for trading partners"));
  }
  const absl::Time now = absl::Now();
  if (absl::Status s = limiter_->Acquire(who->name(), store->RateLimitFor(*who), 1, now);
      !s.ok()) {
    HttpAnswer a = Plain(429, "rate limit exceeded");
    a.headers.emplace_back("Retry-After", "1");
    return done(std::move(a));
  }
  absl::StatusOr<VerificationQuery> query = ParseVerificationQuery(request.uri);
  if (!query.ok()) return done(Plain(400, query.status().message()));
  if (who->role() == admin::ROLE_ISSUER && !auth::CheckGtinAccess(*who, query->pi.gtin).ok()) {
    return done(Plain(403, "gtin: not one of this issuer's"));
  }
  std::string gtin = query->pi.gtin, serial = query->pi.serial;  // before `query` moves
  engine_->LookUpUnit(
      std::move(gtin), std::move(serial), now + timeout_,
      [this, query = *std::move(query), store, principal = who->name(),
       done = std::move(done)](absl::StatusOr<registry::VerifyRecord> record) mutable {
        if (!record.ok()) return done(Plain(503, "registry unavailable; retry"));
        const absl::Time at = absl::Now();
        const verification::IdentifierCheck check = verification::CheckIdentifier(
            query.pi, query.context, *record, engine_->clone_policy(),
            absl::ToCivilDay(at, absl::UTCTimeZone()));
        log::Info("verification_service",
                  {{"principal", principal}, {"gtin", query.pi.gtin}, {"serial", query.pi.serial},
                   {"verified", check.verified ? "true" : "false"},
                   {"reason", check.failure_reason}, {"info", check.additional_info},
                   {"context", query.context}, {"req_gln", query.req_gln},
                   {"corr_uuid", query.corr_uuid}});
        HttpAnswer a;
        a.code = 200;
        a.content_type = "application/json";
        a.body = VerificationResponseJson(check, responder_gln_, query.corr_uuid, at);
        a.headers.emplace_back("Cache-Control", "no-store");
        done(std::move(a));
      });
}

}  // namespace hallmark::web
