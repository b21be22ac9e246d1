// File: crypto/pkcs11/token.h
//
// Pkcs11Token: code-signing keys inside a PKCS#11 token (an HSM, or SoftHSM2 in tests),
// reached through Debian's p11-kit (module loading, RFC 7512 URIs). A key never leaves the
// token: it is generated there as sensitive and non-extractable, and the token signs.
//
// The token is named by an RFC 7512 URI:
//   pkcs11:token=<label>?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/hallmark/pin
// The PIN comes from the `pin-source` file (its first line) or, without one, from the
// environment variable HALLMARK_PKCS11_PIN; never from a command line, never into a message.
// Keys are found by their CKA_ID: the 2 bytes of the DIGSIG key id.
//
// Thread-safe: each signing thread has its own session (PerThread); the login is the
// token's (PKCS#11 logs in an application, not a session).
//
// Example:
//   absl::StatusOr<std::shared_ptr<Pkcs11Token>> token = Pkcs11Token::Open(uri);
//   absl::StatusOr<std::string> spki = (*token)->GenerateEs256(0x4a11, "hallmark-4a11");
//   absl::StatusOr<std::unique_ptr<PublicKeySign>> signer = (*token)->Signer(0x4a11);
#ifndef HALLMARK_CRYPTO_PKCS11_TOKEN_H_
#define HALLMARK_CRYPTO_PKCS11_TOKEN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/digsig.h"
#include "crypto/signature.h"

namespace hallmark::crypto {

class Pkcs11Token : public std::enable_shared_from_this<Pkcs11Token> {
 public:
  // Loads the module, finds the token, logs in. FAILED_PRECONDITION for a module that does not
  // load, NOT_FOUND for no such token, PERMISSION_DENIED for a wrong PIN, INVALID_ARGUMENT for
  // a malformed URI or a missing PIN.
  static absl::StatusOr<std::shared_ptr<Pkcs11Token>> Open(absl::string_view uri);
  ~Pkcs11Token();

  // A new key pair of `algorithm` in the token with CKA_ID `id`: private key sensitive, never
  // extractable, for signing only. Returns its public key (SubjectPublicKeyInfo DER).
  // ALREADY_EXISTS when the token has a key with this id; UNIMPLEMENTED when the token has no
  // such mechanism (Ed25519 needs CKM_EC_EDWARDS_KEY_PAIR_GEN and CKM_EDDSA).
  absl::StatusOr<std::string> Generate(Algorithm algorithm, KeyId id, absl::string_view label);
  absl::StatusOr<std::string> GenerateEs256(KeyId id, absl::string_view label) {
    return Generate(Algorithm::kEs256, id, label);
  }
  // The public key (SPKI DER) of the key pair `id` of `algorithm`; NOT_FOUND without one.
  absl::StatusOr<std::string> PublicKey(KeyId id, Algorithm algorithm = Algorithm::kEs256);
  // A signer for the private key `id`: ES256 is ECDSA over SHA-256, r||s, low-S like every
  // Hallmark signature; Ed25519 is PureEdDSA (CKM_EDDSA). UNAVAILABLE when the token stops
  // answering or has lost the key.
  absl::StatusOr<std::unique_ptr<PublicKeySign>> Signer(KeyId id,
                                                        Algorithm algorithm = Algorithm::kEs256);

  struct Module;

 private:
  Pkcs11Token() = default;
  absl::Status MakeKeyPair(Algorithm algorithm, KeyId id, absl::string_view label);
  std::shared_ptr<Module> module_;
  unsigned long slot_ = 0;
  unsigned long login_session_ = 0;  // kept open: the login lasts while a session does
};

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_PKCS11_TOKEN_H_
