// File: crypto/subtle/ed25519.h
//
// Ed25519 (PureEdDSA, RFC 8032) over 64-byte signatures, on OpenSSL 3.
//
// Each thread keeps an EVP_MD_CTX initialised once for the key, and runs every one-shot
// EVP_DigestSign/EVP_DigestVerify on a fresh copy of it (EVP_MD_CTX_copy_ex): OpenSSL's
// contract forbids a second one-shot call on a used context, and 3.2 and later enforce it
// (OpenSSL issue 23075). The copy costs ~0.1 µs a signature here; initialising again per
// operation cost 2.5-3.7 µs (crypto_bench, OpenSSL 3.0). OpenSSL rejects non-canonical S
// (S >= L) itself.
#ifndef HALLMARK_CRYPTO_SUBTLE_ED25519_H_
#define HALLMARK_CRYPTO_SUBTLE_ED25519_H_

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "crypto/internal/per_thread.h"
#include "crypto/internal/ssl_util.h"
#include "crypto/signature.h"

namespace hallmark::crypto::subtle {

struct Ed25519Context;

class Ed25519Sign final : public PublicKeySign {
 public:
  // `key` must be an Ed25519 private key; ownership is shared.
  static absl::StatusOr<std::unique_ptr<PublicKeySign>> New(EVP_PKEY* key);
  absl::StatusOr<std::string> Sign(absl::string_view data) const override;

 private:
  explicit Ed25519Sign(internal::EvpPkeyPtr key);
  const internal::EvpPkeyPtr key_;
  const internal::PerThread<Ed25519Context> contexts_;
};

class Ed25519Verify final : public PublicKeyVerify {
 public:
  static absl::StatusOr<std::unique_ptr<PublicKeyVerify>> New(EVP_PKEY* key);
  SignatureCheck Verify(absl::string_view signature, absl::string_view data) const override;

 private:
  explicit Ed25519Verify(internal::EvpPkeyPtr key);
  const internal::EvpPkeyPtr key_;
  const internal::PerThread<Ed25519Context> contexts_;
};

}  // namespace hallmark::crypto::subtle

#endif  // HALLMARK_CRYPTO_SUBTLE_ED25519_H_
