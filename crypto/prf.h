// File: crypto/prf.h
//
// HMAC-SHA256 as a pseudorandom function, and SHA-256 as a digest, for the few places outside
// signatures that need them: deriving reproducible RANDOM serials from a per-request seed,
// fingerprinting request parameters, and hashing bearer tokens.
//
// Example:
//   std::string tag = HmacSha256(seed, "hallmark/serial/v1" + index_bytes);
#ifndef HALLMARK_CRYPTO_PRF_H_
#define HALLMARK_CRYPTO_PRF_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::crypto {

// 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(absl::string_view key, absl::string_view data);

// 32-byte SHA-256 of `data`.
std::string Sha256(absl::string_view data);

// `n` bytes from OpenSSL's CSPRNG. Internal error only if the CSPRNG fails.
absl::StatusOr<std::string> RandomBytes(size_t n);

// Compares two byte strings in time independent of where they differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_PRF_H_
