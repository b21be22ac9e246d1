// File: crypto/trust_list.h
//
// The signed trust list: every public key of a key ring with its state, as one document an
// offline verifier (a retailer's scanner, a phone app) can take from anyone — a man in the
// middle can neither forge it nor roll it back to un-revoke a key.
//
// Format (docs/code-format.md §7): a JWS (RFC 7515) in compact serialization,
//   base64url(header) "." base64url(payload) "." base64url(signature)
// header  = {"alg":"ES256"|"EdDSA","kid":"<root key id, 4 hex>","typ":"hallmark-trust-list"}
// payload = a JWK Set (RFC 7517) with the list's sequence number and validity (JWT NumericDates):
//           {"seq":N,"iat":T,"exp":T,"keys":[{"kty":..,"crv":..,"x":..[,"y":..],"kid":"7e57",
//            "alg":"ES256"|"EdDSA","use":"sig","hallmark_state":"ACTIVE"|"RETIRED"|"REVOKED",
//            "hallmark_created":T[,"hallmark_revoked":T]}, ...]}
// signed by the trust-list root key (ES256: r||s over SHA-256, as JWS; EdDSA: Ed25519), a key
// that signs nothing else and can stay offline.
//
// A verifier pins the root public key and the highest sequence it has accepted; it accepts a
// list only if the signature verifies with the root, the list has not expired, and its
// sequence is higher than the pinned one (the same list again is accepted as unchanged).
//
// Example:
//   absl::StatusOr<std::string> jws = SignTrustList(list, *root_signer, Algorithm::kEs256, 1);
//   absl::StatusOr<TrustList> got =
//       VerifyTrustList(*jws, *root_verifier, Algorithm::kEs256, absl::Now(), {41, digest});
#ifndef HALLMARK_CRYPTO_TRUST_LIST_H_
#define HALLMARK_CRYPTO_TRUST_LIST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/digsig.h"
#include "crypto/key_manifest.h"
#include "crypto/key_material.h"
#include "crypto/key_ring.h"
#include "crypto/signature.h"

namespace hallmark::crypto {

struct TrustListKey {
  KeyId id = 0;
  Algorithm algorithm = Algorithm::kEs256;
  std::string spki_der;
  KeyState state = KeyState::kActive;
  absl::Time created_at;
  absl::Time revoked_at = absl::InfinitePast();  // set only when REVOKED
};

struct TrustList {
  uint64_t sequence = 0;
  absl::Time issued_at;
  absl::Time expires_at;
  std::vector<TrustListKey> keys;
  KeyId root_id = 0;  // filled by VerifyTrustList: the root key that signed it
};

// The keys of `ring` (every state), for a list.
std::vector<TrustListKey> TrustListKeys(const KeyRing& ring);

// The payload exactly as it is signed (members in the order above, no whitespace).
absl::StatusOr<std::string> TrustListPayload(const TrustList& list);

// The compact JWS of `list`, signed by `root` (of `root_algorithm`, known as `root_id`).
absl::StatusOr<std::string> SignTrustList(const TrustList& list, const PublicKeySign& root,
                                          Algorithm root_algorithm, KeyId root_id);

// What a verifier accepted last: the list's sequence and TrustListDigest (none yet: 0, "").
struct AcceptedTrustList {
  uint64_t sequence = 0;
  std::string digest;
};
// The hex SHA-256 of a list as received.
std::string TrustListDigest(absl::string_view jws);

// The list in `jws` if `root` (of `root_algorithm`) signed it, it has not expired at `now`,
// and it is newer than `accepted` — a higher sequence, or the very list accepted (the same
// sequence and digest). INVALID_ARGUMENT for anything malformed or a signature that does not
// verify; FAILED_PRECONDITION for an expired list or an older or different list of an
// accepted sequence (a rollback), each saying which.
absl::StatusOr<TrustList> VerifyTrustList(absl::string_view jws, const PublicKeyVerify& root,
                                          Algorithm root_algorithm, absl::Time now,
                                          const AcceptedTrustList& accepted);

// The list in `jws` without checking anything but its form (to show it).
absl::StatusOr<TrustList> ParseTrustList(absl::string_view jws);

// A public key PEM of either algorithm (ES256 first, then Ed25519): the root as verifiers pin
// it. With `private_pem` the private key instead (to sign).
absl::StatusOr<std::unique_ptr<KeyMaterial>> RootKeyFromPem(absl::string_view pem,
                                                            bool private_pem);

// The default key id of a root: the first two bytes of SHA-256 of its public key (SPKI DER).
KeyId RootKeyIdOf(const KeyMaterial& root);

// A verified list as a server holds it: the document to hand out, and what it says.
struct SignedTrustList {
  std::string jws;
  TrustList list;
};

// Reads the JWS in `list_path` and the root public key PEM in `root_path`, and verifies the
// list (VerifyTrustList at `now`, newer than `accepted`). Errors name the file.
absl::StatusOr<SignedTrustList> LoadTrustList(const std::string& list_path,
                                              const std::string& root_path, absl::Time now,
                                              const AcceptedTrustList& accepted = {});

// Where `list` no longer describes `ring`: a key of the ring it lacks, or lists in another
// state (a revocation not yet signed into a list), one sentence each; empty when it matches.
std::vector<std::string> TrustListDrift(const TrustList& list, const KeyRing& ring);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_TRUST_LIST_H_
