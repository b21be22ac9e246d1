// File: crypto/key_material.h
//
// KeyMaterial owns one asymmetric key (a private key, or only its public half) and is the only
// way the rest of Hallmark reaches key bytes: it generates keys, reads and writes PEM, exports
// the public key (SPKI DER and PEM), and creates the PublicKeySign/PublicKeyVerify for it.
//
// Private keys are PKCS#8 PEM files created with mode 0600; nothing here logs or returns
// private key bytes except PrivatePem(), which exists for tests and the published test vectors.
//
// Example:
//   absl::StatusOr<std::unique_ptr<KeyMaterial>> key = KeyMaterial::Generate(Algorithm::kEs256);
//   absl::StatusOr<std::unique_ptr<PublicKeySign>> signer = (*key)->NewSigner();
#ifndef HALLMARK_CRYPTO_KEY_MATERIAL_H_
#define HALLMARK_CRYPTO_KEY_MATERIAL_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/signature.h"

namespace hallmark::crypto {

class KeyMaterial {
 public:
  static absl::StatusOr<std::unique_ptr<KeyMaterial>> Generate(Algorithm algorithm);
  // PKCS#8 (or traditional EC) private key PEM; must be of `algorithm`.
  static absl::StatusOr<std::unique_ptr<KeyMaterial>> FromPrivatePem(absl::string_view pem,
                                                                     Algorithm algorithm);
  // SubjectPublicKeyInfo DER; must be of `algorithm`.
  static absl::StatusOr<std::unique_ptr<KeyMaterial>> FromSpkiDer(absl::string_view der,
                                                                   Algorithm algorithm);
  // SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"); must be of `algorithm`.
  static absl::StatusOr<std::unique_ptr<KeyMaterial>> FromPublicPem(absl::string_view pem,
                                                                    Algorithm algorithm);

  ~KeyMaterial();
  KeyMaterial(const KeyMaterial&) = delete;
  KeyMaterial& operator=(const KeyMaterial&) = delete;

  Algorithm algorithm() const { return algorithm_; }
  bool has_private_key() const { return has_private_; }

  // The public key as DER SubjectPublicKeyInfo and as PEM.
  std::string SpkiDer() const;
  std::string PublicPem() const;
  // The private key as unencrypted PKCS#8 PEM. FailedPrecondition without a private key.
  absl::StatusOr<std::string> PrivatePem() const;

  // Writes the private key to a new file `path` (O_EXCL, mode 0600, fsync'd).
  absl::Status WritePrivatePemFile(const std::string& path) const;

  absl::StatusOr<std::unique_ptr<PublicKeySign>> NewSigner() const;
  absl::StatusOr<std::unique_ptr<PublicKeyVerify>> NewVerifier() const;

 private:
  struct Key;  // wraps the EVP_PKEY, keeping OpenSSL out of this header
  KeyMaterial(std::unique_ptr<Key> key, Algorithm algorithm, bool has_private);

  const std::unique_ptr<Key> key_;
  const Algorithm algorithm_;
  const bool has_private_;
};

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_KEY_MATERIAL_H_
