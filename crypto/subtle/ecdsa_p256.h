// File: crypto/subtle/ecdsa_p256.h
//
// ES256 (ECDSA P-256 / SHA-256) over raw 64-byte r || s signatures, on OpenSSL 3.
//
// Speed: SHA-256 and the sign/verify operation run on per-thread contexts initialised once per
// key, so each call costs one digest and one public-key operation, no provider fetch.
//
// Canonical form: Sign() always returns s <= n/2 ("low-S"); Verify() reports a high-S signature
// as kNonCanonical. ECDSA signatures are malleable ((r, s) and (r, n-s) both verify); refusing
// the second form means a printed code has exactly one valid DIGSIG per signing event.
#ifndef HALLMARK_CRYPTO_SUBTLE_ECDSA_P256_H_
#define HALLMARK_CRYPTO_SUBTLE_ECDSA_P256_H_

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "crypto/internal/per_thread.h"
#include "crypto/internal/ssl_util.h"
#include "crypto/signature.h"

namespace hallmark::crypto::subtle {

struct EcdsaContext;

class EcdsaP256Sign final : public PublicKeySign {
 public:
  // `key` must be a P-256 private key; ownership is shared.
  static absl::StatusOr<std::unique_ptr<PublicKeySign>> New(EVP_PKEY* key);
  absl::StatusOr<std::string> Sign(absl::string_view data) const override;

 private:
  explicit EcdsaP256Sign(internal::EvpPkeyPtr key);
  const internal::EvpPkeyPtr key_;
  const internal::PerThread<EcdsaContext> contexts_;
};

class EcdsaP256Verify final : public PublicKeyVerify {
 public:
  // `key` must be a P-256 public (or private) key; ownership is shared.
  static absl::StatusOr<std::unique_ptr<PublicKeyVerify>> New(EVP_PKEY* key);
  SignatureCheck Verify(absl::string_view signature, absl::string_view data) const override;

 private:
  explicit EcdsaP256Verify(internal::EvpPkeyPtr key);
  const internal::EvpPkeyPtr key_;
  const internal::PerThread<EcdsaContext> contexts_;
};

// True when `key` is an EC key on P-256 (prime256v1).
bool IsP256Key(EVP_PKEY* key);

// Maps the s of a raw 64-byte r || s to the low half (s <= n/2) in place, so a signing event
// has one valid form (any signer: OpenSSL here, a PKCS#11 token in crypto/pkcs11).
absl::Status MakeLowS(unsigned char raw[64]);

}  // namespace hallmark::crypto::subtle

#endif  // HALLMARK_CRYPTO_SUBTLE_ECDSA_P256_H_
