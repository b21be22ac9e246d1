// File: server/web/unit_route.h
//
// UnitRoute: the answer to a GS1 Digital Link request (<any prefix>/01/{gtin}[/22/..]
// [/10/{lot}][/21/{serial}][?8030=..&linkType=..]), without any HTTP machinery: the front door
// reads what it needs from the request into a UnitRequest and sends the HttpAnswer back.
//
//  - Limits first: the client's token bucket, then everyone's; over either, 429.
//  - A unit link (with /21/) is verified by the verification engine as the anonymous "web"
//    principal (a code whose signature fails never reaches Redis); a product link (no serial)
//    is not a claim about any unit and gets the "product link" page.
//  - The brand's entries (server/links/) are read only where they may be shown: every level
//    for a genuine or recalled unit; the product's (GTIN, company prefix) for an unsigned code
//    or a product link; none for anything else — a counterfeit gets no brand link, not even
//    through a redirect.
//  - A recalled unit's page says the brand's reason for the recall (a recall is public).
//  - ?linkType=gs1:xxx redirects (307) to the brand's link of that type, in the reader's
//    language where there is one; without one, the page answers (Hallmark's default link).
//  - Otherwise, by negotiation: the page (text/html, default), the verdict as JSON
//    (application/json: no scan counts, no case ids), or the linkset.
//
// Thread-safe; Answer's callback runs once, on any thread.
#ifndef HALLMARK_SERVER_WEB_UNIT_ROUTE_H_
#define HALLMARK_SERVER_WEB_UNIT_ROUTE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "server/auth/access.h"
#include "server/lifecycle/lifecycle_engine.h"
#include "server/links/links_engine.h"
#include "server/verification/verification_engine.h"
#include "server/web/messages.h"

namespace hallmark::web {

struct UnitRequest {
  std::string uri;              // path and query, as received
  std::string accept;           // Accept
  std::string accept_language;  // Accept-Language
  std::string client;           // the client address believed (trusted proxies considered)
  std::string country;          // ISO 3166 alpha-2 from a trusted proxy's header, or ""
};

struct HttpAnswer {
  int code = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string image_origin;  // the page shows an image from here (for the CSP)
};

struct UnitRouteConfig {
  std::string public_base;  // "https://id.brand.example"
  auth::RateLimitSpec per_client{10, 30};
  auth::RateLimitSpec global{2000, 4000};
  absl::Duration verify_timeout = absl::Seconds(3);
};

class UnitRoute {
 public:
  // `links` and `lifecycle` may be null (no brand links; no recall reasons).
  UnitRoute(UnitRouteConfig config, verification::VerificationEngine* engine,
            links::LinksEngine* links, lifecycle::LifecycleEngine* lifecycle,
            auth::RateLimiter* limiter, const Messages* messages)
      : config_(std::move(config)), engine_(engine), links_(links), lifecycle_(lifecycle),
        limiter_(limiter), messages_(messages) {}

  void Answer(UnitRequest request, absl::AnyInvocable<void(HttpAnswer)> done) const;

  struct Call;  // one request's state (unit_route.cc)

 private:
  void Verify(Call* call) const;
  // `pairs`: the path's AI/value pairs (no AI 21 among them).
  void ProductLink(Call* call,
                   const std::vector<std::pair<std::string, std::string>>& pairs) const;
  // The brand's entries (and, for a recalled unit, the recall's reason), then Finish.
  void Resolve(Call* call, const std::string& gtin, const std::string& lot,
               const std::string& serial, bool unit_levels) const;
  void Finish(Call* call) const;

  const UnitRouteConfig config_;
  verification::VerificationEngine* const engine_;
  links::LinksEngine* const links_;
  lifecycle::LifecycleEngine* const lifecycle_;
  auth::RateLimiter* const limiter_;
  const Messages* const messages_;
};

// "%41b" -> "Ab"; nullopt for a malformed escape or %00.
std::optional<std::string> PercentDecode(absl::string_view text);

}  // namespace hallmark::web

#endif  // HALLMARK_SERVER_WEB_UNIT_ROUTE_H_
