// File: server/lifecycle/registration.h
//
// Customer registrations are stored only as a keyed hash: HMAC-SHA256 under the deployment's
// registration key (<keys_dir>/registration.key) of the unit and the customer's reference,
// trimmed of surrounding spaces. Bound to the unit, so equal references of two units do not
// link them; keyed, so a copy of Redis alone cannot test guesses (a loyalty id or an e-mail
// address has little entropy). The brand later proves who registered a unit by presenting the
// reference again (VerifyRegistration), compared in constant time.
#ifndef HALLMARK_SERVER_LIFECYCLE_REGISTRATION_H_
#define HALLMARK_SERVER_LIFECYCLE_REGISTRATION_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hallmark::lifecycle {

class RegistrationHasher {
 public:
  // `key`: the 32 raw bytes of the registration key.
  explicit RegistrationHasher(std::string key) : key_(std::move(key)) {}

  // Lowercase hex of the keyed hash of `reference` for the unit (HMAC-SHA256 truncated to
  // 128 bits: 32 hex digits).
  std::string Hash(absl::string_view gtin14, absl::string_view serial,
                   absl::string_view reference) const;

  // Whether `reference` is the one hashed into `stored_hex`, in constant time.
  bool Matches(absl::string_view gtin14, absl::string_view serial, absl::string_view reference,
               absl::string_view stored_hex) const;

 private:
  std::string key_;
};

}  // namespace hallmark::lifecycle

#endif  // HALLMARK_SERVER_LIFECYCLE_REGISTRATION_H_
