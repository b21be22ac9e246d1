// File: crypto/key_directory.h
//
// KeyDirectory changes a keys directory (see crypto/key_ring.h for its layout): generate a new
// signing key, retire a key, revoke a key. Every change holds an exclusive lock on the
// directory (flock on ".lock"), writes new key files before the manifest, and replaces the
// manifest atomically, so a crash leaves either the old or the new key set.
//
// Lifecycle: generate -> ACTIVE; the previous ACTIVE key becomes RETIRED. RETIRED and REVOKED
// keys never sign again, so their private key file (or their token reference) is deleted when
// they leave ACTIVE; a key inside a token stays in the token (destroy it with the token's own
// tools). A
// revoked ACTIVE key leaves the directory without a signing key until the next generate.
//
// Example:
//   absl::StatusOr<KeyDirectory> dir = KeyDirectory::Open("keys", /*create=*/true);
//   absl::StatusOr<KeyInfo> key = dir->Generate(Algorithm::kEs256, absl::Now());
#ifndef HALLMARK_CRYPTO_KEY_DIRECTORY_H_
#define HALLMARK_CRYPTO_KEY_DIRECTORY_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/key_manifest.h"

namespace hallmark::crypto {

// The keyed-hash key of customer registrations (server/lifecycle/registration.h), kept with
// the signing keys because it is as secret and every server replica needs the same one.
inline constexpr char kRegistrationKeyFile[] = "registration.key";

// The 32-byte registration key in `path` (e.g. <keys_dir>/registration.key); NOT_FOUND when the
// file does not exist.
absl::StatusOr<std::string> ReadRegistrationKeyFile(const std::string& path);

class KeyDirectory {
 public:
  // Reads the manifest; with `create`, makes the directory (mode 0700) and an empty manifest
  // when missing.
  static absl::StatusOr<KeyDirectory> Open(const std::string& path, bool create);

  const std::vector<KeyInfo>& keys() const { return keys_; }
  const std::string& path() const { return path_; }

  absl::StatusOr<KeyInfo> Generate(Algorithm algorithm, absl::Time now);
  // The same, but the key is made inside the PKCS#11 token `token_uri` names (the private key
  // never leaves it): the directory gets its public key and `<id>.key.pkcs11` holding the URI
  // (mode 0600) instead of a private key file. UNIMPLEMENTED for Ed25519 on a token without
  // EdDSA.
  absl::StatusOr<KeyInfo> GenerateInToken(absl::string_view token_uri, absl::Time now,
                                          Algorithm algorithm = Algorithm::kEs256);
  // Creates the registration key (kRegistrationKeyFile: 32 random bytes as hex, mode 0600)
  // unless it exists. Generate() calls it, so every keys directory with a key has one.
  absl::Status EnsureRegistrationKey();
  // ACTIVE -> RETIRED. Refused for a REVOKED key.
  absl::Status Retire(KeyId id);
  // ACTIVE or RETIRED -> REVOKED at `now`. Idempotent for a REVOKED key.
  absl::Status Revoke(KeyId id, absl::Time now);

 private:
  explicit KeyDirectory(std::string path) : path_(std::move(path)) {}
  absl::Status Reload();
  absl::Status Commit(const std::vector<KeyInfo>& keys);
  // Retire and Revoke: under the lock, on the reloaded keys; `change` edits the key and says
  // whether it changed (an error refuses the change).
  absl::Status ChangeState(KeyId id, const std::function<absl::StatusOr<bool>(KeyInfo&)>& change);
  // Generate's common part: `make` writes the new key's files for `info`.
  absl::StatusOr<KeyInfo> AddActiveKey(Algorithm algorithm, absl::Time now,
                                       const std::function<absl::Status(const KeyInfo&)>& make);

  std::string path_;
  std::vector<KeyInfo> keys_;
};

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_KEY_DIRECTORY_H_
