#include "crypto/jwk.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "crypto/internal/ssl_util.h"

namespace hallmark::crypto {
namespace {

std::string B64Url(const unsigned char* data, size_t n) {
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(data), n));  // no padding
}

absl::StatusOr<std::string> Coordinate(EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
    return absl::InvalidArgumentError("jwk: not an EC public key");
  }
  internal::BignumPtr bn(raw);
  unsigned char out[32];
  if (BN_bn2binpad(bn.get(), out, sizeof(out)) != sizeof(out)) {
    return absl::InvalidArgumentError("jwk: coordinate longer than 32 bytes");
  }
  return B64Url(out, sizeof(out));
}

}  // namespace

absl::StatusOr<PublicJwk> ToPublicJwk(Algorithm algorithm, absl::string_view spki_der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(spki_der.data());
  internal::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (key == nullptr) return absl::InvalidArgumentError("jwk: unreadable public key");
  PublicJwk jwk;
  if (algorithm == Algorithm::kEd25519) {
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
      return absl::InvalidArgumentError("jwk: not an Ed25519 key");
    }
    unsigned char raw[32];
    size_t n = sizeof(raw);
    if (EVP_PKEY_get_raw_public_key(key.get(), raw, &n) != 1 || n != sizeof(raw)) {
      return absl::InvalidArgumentError("jwk: unreadable Ed25519 key");
    }
    jwk.kty = "OKP";
    jwk.crv = "Ed25519";
    jwk.x = B64Url(raw, n);
    return jwk;
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC) {
    return absl::InvalidArgumentError("jwk: not an EC key");
  }
  jwk.kty = "EC";
  jwk.crv = "P-256";
  absl::StatusOr<std::string> x = Coordinate(key.get(), OSSL_PKEY_PARAM_EC_PUB_X);
  if (!x.ok()) return x.status();
  absl::StatusOr<std::string> y = Coordinate(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
  if (!y.ok()) return y.status();
  jwk.x = *std::move(x);
  jwk.y = *std::move(y);
  return jwk;
}

absl::StatusOr<std::string> SpkiFromRawPublicKey(Algorithm algorithm, absl::string_view raw) {
  // The fixed DER prefixes of a P-256 and an Ed25519 SubjectPublicKeyInfo (RFC 5480, 8410).
  static constexpr unsigned char kP256Prefix[] = {
      0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
      0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
  static constexpr unsigned char kEd25519Prefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                     0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  const bool ed = algorithm == Algorithm::kEd25519;
  if (raw.size() != (ed ? 32u : 65u) || (!ed && raw[0] != 0x04)) {
    return absl::InvalidArgumentError(absl::StrCat("not a raw ", AlgorithmName(algorithm),
                                                   " public key"));
  }
  std::string der = ed ? std::string(reinterpret_cast<const char*>(kEd25519Prefix),
                                     sizeof(kEd25519Prefix))
                       : std::string(reinterpret_cast<const char*>(kP256Prefix),
                                     sizeof(kP256Prefix));
  der.append(raw.data(), raw.size());
  // OpenSSL decides whether it is a key at all (an EC point must lie on the curve).
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  internal::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (key == nullptr) return absl::InvalidArgumentError("not a valid public key");
  return der;
}

absl::StatusOr<std::string> FromPublicJwk(Algorithm algorithm, const PublicJwk& jwk) {
  std::string x, y;
  if (!absl::WebSafeBase64Unescape(jwk.x, &x) ||
      (!jwk.y.empty() && !absl::WebSafeBase64Unescape(jwk.y, &y))) {
    return absl::InvalidArgumentError("jwk: x or y is not base64url");
  }
  const bool ed = algorithm == Algorithm::kEd25519;
  if (ed && (jwk.kty != "OKP" || jwk.crv != "Ed25519" || x.size() != 32 || !jwk.y.empty())) {
    return absl::InvalidArgumentError("jwk: not an Ed25519 key (kty OKP, crv Ed25519, x)");
  }
  if (!ed && (jwk.kty != "EC" || jwk.crv != "P-256" || x.size() != 32 || y.size() != 32)) {
    return absl::InvalidArgumentError("jwk: not a P-256 key (kty EC, crv P-256, x, y)");
  }
  absl::StatusOr<std::string> der = SpkiFromRawPublicKey(algorithm, ed ? x : "\x04" + x + y);
  if (!der.ok()) return absl::InvalidArgumentError(absl::StrCat("jwk: ", der.status().message()));
  return der;
}

}  // namespace hallmark::crypto
