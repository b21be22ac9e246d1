// File: crypto/key_manifest.h
//
// The key manifest: the small text file (keys.manifest) beside the PEM files of a keys
// directory that records each key's id, algorithm, state and times. One key per line:
//
//   # key_id algorithm state created_at revoked_at
//   7e57 ES256 ACTIVE 2026-11-28T22:00:00Z -
//   a1b2 Ed25519 REVOKED 2026-01-02T03:04:05Z 2026-06-01T00:00:00Z
//
// Times are RFC 3339 UTC; revoked_at is "-" unless the state is REVOKED. Blank lines and lines
// starting with '#' are ignored. A valid manifest has unique ids and at most one ACTIVE key.
#ifndef HALLMARK_CRYPTO_KEY_MANIFEST_H_
#define HALLMARK_CRYPTO_KEY_MANIFEST_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/digsig.h"
#include "crypto/signature.h"

namespace hallmark::crypto {

enum class KeyState {
  kActive,   // signs new codes, verifies
  kRetired,  // verifies only
  kRevoked,  // codes it signed are rejected
};
absl::string_view KeyStateName(KeyState state);  // "ACTIVE", "RETIRED", "REVOKED"

struct KeyInfo {
  KeyId id = 0;
  Algorithm algorithm = Algorithm::kEs256;
  KeyState state = KeyState::kActive;
  absl::Time created_at;
  absl::Time revoked_at = absl::InfinitePast();  // set only when REVOKED
};

inline constexpr absl::string_view kManifestFileName = "keys.manifest";

absl::StatusOr<std::vector<KeyInfo>> ParseKeyManifest(absl::string_view text);
std::string FormatKeyManifest(const std::vector<KeyInfo>& keys);

// Unique ids, at most one ACTIVE key, revoked_at set exactly for REVOKED keys.
absl::Status ValidateKeySet(const std::vector<KeyInfo>& keys);

// File names inside a keys directory.
std::string PublicKeyFileName(KeyId id);   // "<id>.pub.pem"
std::string PrivateKeyFileName(KeyId id);  // "<id>.key.pem"
// For a key inside a PKCS#11 token instead: the token's RFC 7512 URI (crypto/pkcs11/token.h).
std::string TokenKeyFileName(KeyId id);    // "<id>.key.pkcs11"

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_KEY_MANIFEST_H_
