// File: crypto/serial.h
//
// Serial numbers (AI 21) in the four formats Hallmark issues. Counter-based formats take their
// counter from the caller: the registry owns the atomic counters, this library only formats
// and validates.
//
//   RANDOM         16 characters of Crockford's base32 alphabet (0-9 A-Z without I L O U):
//                  80 bits from OpenSSL's CSPRNG, e.g. "7KQ2M9XC4RTB0W8N". Uppercase only,
//                  no look-alikes, within character set 82. See docs/code-format.md for the
//                  guessing odds (10^10 units: 8.3e-15 per guess).
//   SEQUENTIAL     optional prefix (0..10 chars of set 82) + 10-digit zero-padded counter.
//   DATE_ENCODED   "YYYYMMDD-NNNNNN": manufacturing day + 6-digit counter for that GTIN and day.
//   PLANT_ENCODED  plant code (1..8 of A-Z 0-9) + "-" + 10-digit zero-padded counter.
//
// Example:
//   absl::StatusOr<std::string> s = GenerateRandomSerial();
//   absl::StatusOr<std::string> q = FormatSequentialSerial("LINE7-", 42);  // "LINE7-0000000042"
#ifndef HALLMARK_CRYPTO_SERIAL_H_
#define HALLMARK_CRYPTO_SERIAL_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace hallmark::crypto {

enum class SerialFormat { kRandom, kSequential, kDateEncoded, kPlantEncoded };

inline constexpr size_t kRandomSerialBytes = 10;   // 80 bits
inline constexpr size_t kRandomSerialLength = 16;  // 80 bits / 5 bits per character
inline constexpr absl::string_view kRandomSerialAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

inline constexpr size_t kMaxSequentialPrefixLength = 10;
inline constexpr uint64_t kMaxSequentialCounter = 9'999'999'999;   // 10 digits
inline constexpr uint64_t kMaxDateCounter = 999'999;                // 6 digits
inline constexpr size_t kMaxPlantLength = 8;

// Maps 80 bits to 16 characters, 5 bits each, most significant first: uniform, no bias.
std::string RandomSerialFromBytes(const std::array<uint8_t, kRandomSerialBytes>& bytes);

// A fresh RANDOM serial from RAND_bytes. Fails only when the CSPRNG fails (Internal).
absl::StatusOr<std::string> GenerateRandomSerial();

absl::Status ValidateSequentialPrefix(absl::string_view prefix);
absl::Status ValidatePlant(absl::string_view plant);

// Counters start at 1. Out-of-range counters and invalid prefixes/plants are InvalidArgument
// (OutOfRange for an exhausted counter).
absl::StatusOr<std::string> FormatSequentialSerial(absl::string_view prefix, uint64_t counter);
absl::StatusOr<std::string> FormatDateEncodedSerial(absl::CivilDay day, uint64_t counter);
absl::StatusOr<std::string> FormatPlantEncodedSerial(absl::string_view plant, uint64_t counter);

// True when `serial` is a well-formed serial of `format` (prefix/plant are not known here, so
// SEQUENTIAL checks the trailing counter only).
bool MatchesSerialFormat(SerialFormat format, absl::string_view serial);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_SERIAL_H_
