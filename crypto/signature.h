// File: crypto/signature.h
//
// The two primitives every code signature rests on, Tink-style: PublicKeySign and
// PublicKeyVerify, with no OpenSSL type in sight. Implementations live in crypto/subtle/ and are
// created from a KeyMaterial (crypto/key_material.h).
//
// Signatures are always the fixed-size raw form printed in a DIGSIG: 64 bytes for both
// algorithms (ES256: r || s, big-endian, 32 bytes each, s normalised to the lower half of the
// group order; Ed25519: R || S as in RFC 8032).
//
// Example:
//   absl::StatusOr<std::string> sig = signer.Sign(message);
//   if (verifier.Verify(*sig, message) == SignatureCheck::kValid) { ... }
#ifndef HALLMARK_CRYPTO_SIGNATURE_H_
#define HALLMARK_CRYPTO_SIGNATURE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::crypto {

// Values are the DIGSIG header's algorithm nibble: never renumber.
enum class Algorithm : uint8_t {
  kEs256 = 1,    // ECDSA over P-256 with SHA-256 (the default)
  kEd25519 = 2,  // PureEdDSA over edwards25519 (RFC 8032)
};

inline constexpr size_t kSignatureLength = 64;

// "ES256" / "Ed25519", the names used in manifests, flags and the API.
absl::string_view AlgorithmName(Algorithm algorithm);
// Accepts the names above, case-insensitively.
absl::StatusOr<Algorithm> ParseAlgorithm(absl::string_view name);

enum class SignatureCheck {
  kValid,
  kInvalid,       // wrong length, bad signature, or data that was not signed by this key
  kNonCanonical,  // ES256 only: a high-S (malleated) signature; Hallmark never produces one
};

// Signs messages with one private key. Thread-safe.
class PublicKeySign {
 public:
  virtual ~PublicKeySign() = default;
  // Returns the 64-byte raw signature of `data`.
  virtual absl::StatusOr<std::string> Sign(absl::string_view data) const = 0;
};

// Verifies signatures under one public key. Thread-safe.
class PublicKeyVerify {
 public:
  virtual ~PublicKeyVerify() = default;
  virtual SignatureCheck Verify(absl::string_view signature, absl::string_view data) const = 0;
};

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_SIGNATURE_H_
