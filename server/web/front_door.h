// File: server/web/front_door.h
//
// FrontDoor: the HTTP/1.1 listener of hallmark-server (--http_listen), for the URL printed on
// every label. It shares the server's verification engine, key ring and rate limiter: no
// extra network hop. libevent's evhttp parses HTTP (keep-alive, header and body limits,
// timeouts for slow requests); `threads` event loops accept on one socket.
//
// Routes (docs/resolver.md), GET and HEAD only:
//   <any prefix>/01/{gtin}[/22/..][/10/{lot}][/21/{serial}][?8030=...&linkType=...]
//        the unit's verdict, content-negotiated: the consumer page (text/html, the default),
//        application/json (the VerifyResponse's JSON mapping), or an RFC 9264 linkset
//        (application/linkset+json, or ?linkType=linkset); a Link header on every answer
//   /.well-known/jwks.json     the key ring as a JWK Set (cacheable)
//   /.well-known/hallmark-trust-list.jws  the signed trust list, when there is one
//   /.well-known/gs1resolver   the resolver description
//   /healthz                   200 while the server is SERVING, else 503
//   <any prefix>/gtin/{gtin}/lot/{lot}/ser/{serial}?exp=..&linkType=verificationService
//   (or /01/../10/../21/..?17=..&linkType=gs1:verificationService, without 8030)
//        the GS1 verification message for trading partners (verification_service.h), with
//        their bearer token; only with --responder_gln
//
// The internet as caller: every Digital Link request takes a token from its client's bucket
// (the client address believed from X-Forwarded-For only behind --trusted_proxies; IPv6 by
// /64; 4096 buckets at most) and from one global bucket; over either it is 429 with
// Retry-After. A code whose signature fails never reaches Redis (the engine's rule). Web scans
// count for the clone rule as the anonymous principal "web" (the weakest weight); their
// location is a country from `country_header` when the request came through a trusted proxy,
// never from the client. Scan counts and case ids are never shown.
//
// No handler blocks its loop: a Digital Link request goes to UnitRoute (the verification
// engine, then the brand's links), whose answer is posted back to the loop that took the
// request. Destruction refuses new requests (503) and waits for those in flight.
#ifndef HALLMARK_SERVER_WEB_FRONT_DOOR_H_
#define HALLMARK_SERVER_WEB_FRONT_DOOR_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/key_ring.h"
#include "crypto/trust_list.h"
#include "server/auth/access.h"
#include "server/auth/client_address.h"
#include "server/common/metrics.h"
#include "server/common/snapshot.h"
#include "server/verification/verification_engine.h"
#include "server/links/links_engine.h"
#include "server/web/messages.h"
#include "server/web/tls_context.h"
#include "server/web/unit_route.h"
#include "server/web/verification_service.h"

namespace hallmark::web {

struct FrontDoorOptions {
  std::string listen;  // "host:port" ("[::]:8080", ":0" for any free port)
  // The public origin labels point at ("https://id.brand.example"): anchors of links.
  std::string public_base;
  std::vector<auth::Cidr> trusted_proxies;
  std::string country_header;  // e.g. "CF-IPCountry"; only from trusted proxies
  int threads = 2;
  auth::RateLimitSpec per_client{10, 30};
  auth::RateLimitSpec global{2000, 4000};
  absl::Duration request_timeout = absl::Seconds(10);  // to read a request, or write a reply
  size_t max_header_bytes = 8 << 10;
  size_t max_uri_bytes = 2048;
  // Open keep-alive connections, all loops together: at the cap a loop stops accepting (new
  // clients wait in the kernel's backlog) until a tenth of its share has closed. A connection
  // that never sends a request is closed after request_timeout.
  int max_connections = 10000;
  absl::Duration verify_timeout = absl::Seconds(3);
  // HTTPS on `listen` with this certificate chain and key (PEM files, re-read every
  // tls_refresh); plaintext when empty. Served over TLS, every answer carries HSTS.
  std::string tls_cert;
  std::string tls_key;
  absl::Duration tls_refresh = absl::Seconds(10);
  // The GLN answered as responderGLN by the GS1 verification service; the service is off
  // without one.
  std::string responder_gln;
};

struct FrontDoorDeps {
  verification::VerificationEngine* engine;
  links::LinksEngine* links = nullptr;  // optional: the brand's presentation and links
  lifecycle::LifecycleEngine* lifecycle = nullptr;  // optional: recall reasons
  const Snapshot<crypto::KeyRing>* keys;
  const Snapshot<crypto::SignedTrustList>* trust_list = nullptr;  // optional
  auth::RateLimiter* limiter;
  // The principals whose bearer tokens the verification service accepts (with responder_gln).
  const Snapshot<auth::PrincipalStore>* principals = nullptr;
  Metrics* metrics = nullptr;       // optional
  std::function<bool()> serving;    // /healthz
};

class FrontDoor {
 public:
  static absl::StatusOr<std::unique_ptr<FrontDoor>> Start(FrontDoorOptions options,
                                                          FrontDoorDeps deps);
  ~FrontDoor();  // stops serving; waits for the loops

  int port() const { return port_; }

  struct Worker;
  struct InFlight;

 private:
  FrontDoor() = default;
  std::unique_ptr<FrontDoorOptions> options_;
  std::unique_ptr<FrontDoorDeps> deps_;
  std::unique_ptr<Messages> messages_;
  std::unique_ptr<InFlight> in_flight_;
  std::unique_ptr<UnitRoute> route_;
  std::unique_ptr<VerificationService> verification_service_;  // with responder_gln
  std::unique_ptr<TlsContext> tls_;
  std::vector<std::unique_ptr<Worker>> workers_;  // after what they point at: freed first
  int port_ = 0;
};

}  // namespace hallmark::web

#endif  // HALLMARK_SERVER_WEB_FRONT_DOOR_H_
