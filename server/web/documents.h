// File: server/web/documents.h
//
// The JSON documents the front door serves, built with protobuf's Struct and JSON printer
// (no string splicing):
//   VerdictJson   a VerifyResponse in protobuf's JSON mapping (the gRPC API's names)
//   Jwks          the key ring as a JWK Set (RFC 7517): kid = the 4-hex-digit key id, alg,
//                 use "sig", and "hallmark_state" (ACTIVE, RETIRED, REVOKED); a REVOKED key
//                 stays listed so an offline verifier learns to reject its codes
//   Linkset       an RFC 9264 linkset for a unit (application/linkset+json)
//   ResolverDescription  /.well-known/gs1resolver (GS1 Resolver standard 1.1, §5)
#ifndef HALLMARK_SERVER_WEB_DOCUMENTS_H_
#define HALLMARK_SERVER_WEB_DOCUMENTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/key_ring.h"
#include "hallmark/v1/links.pb.h"
#include "hallmark/v1/verification.pb.h"

namespace hallmark::web {

std::string VerdictJson(const v1::VerifyResponse& response);
absl::StatusOr<std::string> Jwks(const crypto::KeyRing& ring);
// `base` is the public origin ("https://id.brand.example"); `path` the Digital Link path
// ("/01/09506000134352/21/ABC") and `query` its query without linkType ("8030=..."), so the
// verification link verifies the code that was asked about. `brand` are the brand's links
// (GS1 link types as "gs1:pip"), after Hallmark's own: gs1:verificationService and
// gs1:recallStatus (the verdict page, which tells a recall) and the keys (JWKS).
std::string Linkset(absl::string_view base, absl::string_view path, absl::string_view query,
                    const std::vector<v1::Link>& brand);
// The value of the Link header every Digital Link response carries: where its linkset is.
std::string LinksetHeader(absl::string_view base, absl::string_view path);
std::string ResolverDescription(absl::string_view base);

}  // namespace hallmark::web

#endif  // HALLMARK_SERVER_WEB_DOCUMENTS_H_
