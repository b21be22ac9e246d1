// File: server/web/verification_service.h
//
// The GS1 Lightweight Messaging Standard for Verification of Product Identifiers (release
// 1.0.2; GS1 US DSCSA implementation guideline 1.3), as pharma partners and the DSCSA
// verification router services speak it, on the front door:
//
//   GET <any prefix>/gtin/{gtin}[/lot/{lot}]/ser/{serial}?exp=YYMMDD&linkType=verificationService
//       &context=dscsaSaleableReturn&reqGLN={13 digits}&corrUUID={uuid}
//   (or the numeric Digital Link form /01/{gtin}/10/{lot}/21/{serial}?17=YYMMDD&linkType=...;
//   linkType verificationService, gs1:verificationService or its https://gs1.org/voc/ URI)
//   Authorization: Bearer <a principal's token>
//
// answered 200 application/json:
//   {"verificationTimestamp":"2026-12-01T10:00:00.000Z","responderGLN":"...",
//    "data":{"verified":true|false[,"verificationFailureReason":"..."][,"additionalInfo":"..."]}
//    [,"corrUUID":"<echoed>"]}
// with the decision of verification/identifier_check.h (a registry match on GTIN, serial, lot
// and expiry; these requests carry no DIGSIG). Not answered with JSON, as the guideline says
// (only a 200 has a payload): 400 a malformed request (a plain-text line names the parameter),
// 401 no or an unknown bearer token (WWW-Authenticate: Bearer), 403 a consumer app's token or
// an issuer asking about another brand's GTIN, 429 over the principal's rate limit (the
// bucket its gRPC calls draw from; or, for a client address failing authentication again and
// again, past the web door's per-client rate), 503 the registry unavailable.
//
// Partners only: retailers (pharmacies, wholesalers, the router acting for them), law
// enforcement, and issuers for their own GTINs. A check stores no scan. Thread-safe.
#ifndef HALLMARK_SERVER_WEB_VERIFICATION_SERVICE_H_
#define HALLMARK_SERVER_WEB_VERIFICATION_SERVICE_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/auth/access.h"
#include "server/auth/principals.h"
#include "server/common/snapshot.h"
#include "server/verification/identifier_check.h"
#include "server/verification/verification_engine.h"
#include "server/web/unit_route.h"

namespace hallmark::web {

// A request for the verification service: linkType names it, and it carries no DIGSIG (a
// scanned Hallmark code with ?8030= and this linkType gets the unit's page).
bool IsVerificationServiceRequest(absl::string_view uri);

struct VerificationQuery {
  verification::ProductIdentifier pi;
  std::string context;    // e.g. dscsaSaleableReturn
  std::string req_gln;    // the requester's GLN, 13 digits
  std::string corr_uuid;  // echoed in the answer
};

// Parses the path and query; INVALID_ARGUMENT naming the parameter and the rule.
absl::StatusOr<VerificationQuery> ParseVerificationQuery(absl::string_view uri);

// The response body for `check`.
std::string VerificationResponseJson(const verification::IdentifierCheck& check,
                                     absl::string_view responder_gln,
                                     absl::string_view corr_uuid, absl::Time now);

struct VerificationRequest {
  std::string uri;
  std::string authorization;  // the Authorization header, as received
  std::string client;         // the client address believed (trusted proxies considered)
};

class VerificationService {
 public:
  // `responder_gln`: 13 digits with a valid check digit (Validate checks it).
  // `strangers`: the rate at which one client address may fail authentication (the web door's
  // per-client limit); past it, 429 instead of 401.
  VerificationService(std::string responder_gln, verification::VerificationEngine* engine,
                      const Snapshot<auth::PrincipalStore>* principals,
                      auth::RateLimiter* limiter, auth::RateLimitSpec strangers,
                      absl::Duration timeout)
      : responder_gln_(std::move(responder_gln)), engine_(engine), principals_(principals),
        limiter_(limiter), strangers_(strangers), timeout_(timeout) {}

  static absl::Status ValidateGln(absl::string_view gln, absl::string_view field);

  void Answer(VerificationRequest request, absl::AnyInvocable<void(HttpAnswer)> done) const;

 private:
  const std::string responder_gln_;
  verification::VerificationEngine* const engine_;
  const Snapshot<auth::PrincipalStore>* const principals_;
  // 401 for a request without a valid token, or 429 when its address failed too often.
  HttpAnswer Unauthenticated(const std::string& client, absl::string_view why) const;

  auth::RateLimiter* const limiter_;
  const auth::RateLimitSpec strangers_;
  const absl::Duration timeout_;
};

}  // namespace hallmark::web

#endif  // HALLMARK_SERVER_WEB_VERIFICATION_SERVICE_H_
