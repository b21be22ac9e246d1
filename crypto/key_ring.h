// File: crypto/key_ring.h
//
// KeyRing: the keys a signer or verifier trusts, by key id. At most one key is ACTIVE and
// signs; RETIRED keys verify only; REVOKED keys make every code they signed fail. A ring with
// no ACTIVE key is verify-only.
//
// A keys directory holds keys.manifest (crypto/key_manifest.h), <id>.pub.pem for every key and
// <id>.key.pem (mode 0600) for the ACTIVE key. Keys are parsed and their OpenSSL objects built
// once, at load; a ring is immutable afterwards and safe to share between threads (reload by
// building a new ring and swapping a shared_ptr).
//
// Example:
//   absl::StatusOr<std::unique_ptr<KeyRing>> ring = KeyRing::LoadDirectory("/etc/hallmark/keys");
//   const KeyRing::Key* key = (*ring)->Find(0x7e57);
#ifndef HALLMARK_CRYPTO_KEY_RING_H_
#define HALLMARK_CRYPTO_KEY_RING_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/key_manifest.h"
#include "crypto/key_material.h"
#include "crypto/signature.h"

namespace hallmark::crypto {

class KeyRing {
 public:
  struct Key {
    KeyInfo info;
    std::unique_ptr<KeyMaterial> material;     // public part always; private only if ACTIVE
    std::unique_ptr<PublicKeyVerify> verifier;
    std::unique_ptr<PublicKeySign> signer;     // set only for the ACTIVE key
  };

  // Loads a keys directory. With `require_signing_key`, fails unless an ACTIVE key with its
  // private key is present. A private key that does not match its public key is an error.
  // An ACTIVE key in a PKCS#11 token (`<id>.key.pkcs11`) is opened and logged in now: a module
  // that does not load, a wrong PIN or a token key unlike the public key file is an error.
  static absl::StatusOr<std::unique_ptr<KeyRing>> LoadDirectory(const std::string& dir,
                                                                bool require_signing_key);

  // Builds a ring from keys in memory (tests, tools). The ACTIVE key needs a private key, or
  // a `token_signer` (its private key inside a PKCS#11 token).
  static absl::StatusOr<std::unique_ptr<KeyRing>> New(
      std::vector<std::pair<KeyInfo, std::unique_ptr<KeyMaterial>>> keys,
      std::unique_ptr<PublicKeySign> token_signer = nullptr);

  // nullptr when `id` is not in the ring.
  const Key* Find(KeyId id) const;
  // nullptr for a verify-only ring.
  const Key* active() const { return active_; }
  const std::vector<std::unique_ptr<Key>>& keys() const { return keys_; }

 private:
  explicit KeyRing(std::vector<std::unique_ptr<Key>> keys);
  const std::vector<std::unique_ptr<Key>> keys_;
  const Key* active_ = nullptr;
};

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_KEY_RING_H_
