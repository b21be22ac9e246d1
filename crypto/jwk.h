// File: crypto/jwk.h
//
// A public key as a JSON Web Key's members (RFC 7517/7518, RFC 8037 for Ed25519): what a
// phone app needs to check a DIGSIG offline with a standard JOSE library.
//   ES256:   kty "EC",  crv "P-256",   x and y (32 bytes each)
//   Ed25519: kty "OKP", crv "Ed25519", x (32 bytes); y empty
// x and y are base64url without padding. Building the JSON is the caller's (server/web).
#ifndef HALLMARK_CRYPTO_JWK_H_
#define HALLMARK_CRYPTO_JWK_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/signature.h"

namespace hallmark::crypto {

struct PublicJwk {
  std::string kty;
  std::string crv;
  std::string x;
  std::string y;
};

// From a SubjectPublicKeyInfo (DER) of `algorithm`; INVALID_ARGUMENT when it is not one.
absl::StatusOr<PublicJwk> ToPublicJwk(Algorithm algorithm, absl::string_view spki_der);

// The SubjectPublicKeyInfo (DER) of a raw public key: for ES256 the 65-byte uncompressed point
// (0x04 || x || y), for Ed25519 the 32-byte key; checked by OpenSSL (a point must lie on the
// curve). INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> SpkiFromRawPublicKey(Algorithm algorithm, absl::string_view raw);

// The reverse: the SubjectPublicKeyInfo (DER) of a JWK's members, checked to be a valid key of
// `algorithm` (an EC point on P-256; 32 bytes for Ed25519); INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> FromPublicJwk(Algorithm algorithm, const PublicJwk& jwk);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_JWK_H_
