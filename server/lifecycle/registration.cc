#include "server/lifecycle/registration.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "crypto/prf.h"

namespace hallmark::lifecycle {

std::string RegistrationHasher::Hash(absl::string_view gtin14, absl::string_view serial,
                                     absl::string_view reference) const {
  const std::string message = absl::StrCat(
      "hallmark/registration/v1", absl::string_view("\0", 1), gtin14, absl::string_view("\0", 1),
      serial, absl::string_view("\0", 1), absl::StripAsciiWhitespace(reference));
  // 128 bits are ample to match a reference, and keep the stored field under Redis's
  // 64-byte listpack limit (hash-max-listpack-value), so a sold unit's hash stays compact.
  return absl::BytesToHexString(crypto::HmacSha256(key_, message).substr(0, 16));
}

bool RegistrationHasher::Matches(absl::string_view gtin14, absl::string_view serial,
                                 absl::string_view reference, absl::string_view stored_hex) const {
  return crypto::ConstantTimeEquals(Hash(gtin14, serial, reference), stored_hex);
}

}  // namespace hallmark::lifecycle
