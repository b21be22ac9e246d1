#include "crypto/serial.h"

#include <openssl/rand.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "gs1/gs1.h"

namespace hallmark::crypto {
namespace {

absl::Status CheckCounter(uint64_t counter, uint64_t max, absl::string_view what) {
  if (counter == 0) return absl::InvalidArgumentError(absl::StrCat(what, ": counter starts at 1"));
  if (counter > max) {
    return absl::OutOfRangeError(absl::StrCat(what, ": counter exhausted (max ", max, ")"));
  }
  return absl::OkStatus();
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

// "YYYYMMDD" naming a real calendar day.
bool IsCalendarDate(absl::string_view yyyymmdd) {
  int y = 0, m = 0, d = 0;
  if (yyyymmdd.size() != 8 || !AllDigits(yyyymmdd) || !absl::SimpleAtoi(yyyymmdd.substr(0, 4), &y) ||
      !absl::SimpleAtoi(yyyymmdd.substr(4, 2), &m) || !absl::SimpleAtoi(yyyymmdd.substr(6, 2), &d)) {
    return false;
  }
  const absl::CivilDay day(y, m, d);  // normalises out-of-range months and days
  return day.month() == m && day.day() == d;
}

}  // namespace

std::string RandomSerialFromBytes(const std::array<uint8_t, kRandomSerialBytes>& bytes) {
  std::string out(kRandomSerialLength, '0');
  // Two 40-bit halves, each yielding 8 characters.
  for (size_t half = 0; half < 2; ++half) {
    uint64_t bits = 0;
    for (size_t i = 0; i < 5; ++i) bits = (bits << 8) | bytes[half * 5 + i];
    for (size_t i = 0; i < 8; ++i) {
      out[half * 8 + 7 - i] = kRandomSerialAlphabet[bits & 31];
      bits >>= 5;
    }
  }
  return out;
}

absl::StatusOr<std::string> GenerateRandomSerial() {
  std::array<uint8_t, kRandomSerialBytes> bytes;
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  return RandomSerialFromBytes(bytes);
}

absl::Status ValidateSequentialPrefix(absl::string_view prefix) {
  if (prefix.empty()) return absl::OkStatus();
  return gs1::ValidateCset82(prefix, kMaxSequentialPrefixLength, "prefix");
}

absl::Status ValidatePlant(absl::string_view plant) {
  bool ok = !plant.empty() && plant.size() <= kMaxPlantLength;
  for (char c : plant) {
    ok = ok && (absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'A' && c <= 'Z'));
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("plant: must be 1..", kMaxPlantLength, " characters of A-Z 0-9"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FormatSequentialSerial(absl::string_view prefix, uint64_t counter) {
  HALLMARK_RETURN_IF_ERROR(ValidateSequentialPrefix(prefix));
  HALLMARK_RETURN_IF_ERROR(CheckCounter(counter, kMaxSequentialCounter, "SEQUENTIAL"));
  return absl::StrFormat("%s%010u", prefix, counter);
}

absl::StatusOr<std::string> FormatDateEncodedSerial(absl::CivilDay day, uint64_t counter) {
  if (day.year() < 2000 || day.year() > 9999) {
    return absl::InvalidArgumentError("manufactured_at: year must be within 2000..9999");
  }
  HALLMARK_RETURN_IF_ERROR(CheckCounter(counter, kMaxDateCounter, "DATE_ENCODED"));
  return absl::StrFormat("%04d%02d%02d-%06u", day.year(), day.month(), day.day(), counter);
}

absl::StatusOr<std::string> FormatPlantEncodedSerial(absl::string_view plant, uint64_t counter) {
  HALLMARK_RETURN_IF_ERROR(ValidatePlant(plant));
  HALLMARK_RETURN_IF_ERROR(CheckCounter(counter, kMaxSequentialCounter, "PLANT_ENCODED"));
  return absl::StrFormat("%s-%010u", plant, counter);
}

bool MatchesSerialFormat(SerialFormat format, absl::string_view serial) {
  switch (format) {
    case SerialFormat::kRandom:
      return serial.size() == kRandomSerialLength &&
             serial.find_first_not_of(kRandomSerialAlphabet) == absl::string_view::npos;
    case SerialFormat::kSequential:
      return serial.size() >= 10 && serial.size() <= 10 + kMaxSequentialPrefixLength &&
             gs1::ValidateSerial(serial).ok() && AllDigits(serial.substr(serial.size() - 10));
    case SerialFormat::kDateEncoded:
      return serial.size() == 15 && serial[8] == '-' && IsCalendarDate(serial.substr(0, 8)) &&
             AllDigits(serial.substr(9));
    case SerialFormat::kPlantEncoded: {
      const size_t dash = serial.rfind('-');
      return dash != absl::string_view::npos && ValidatePlant(serial.substr(0, dash)).ok() &&
             serial.size() - dash - 1 == 10 && AllDigits(serial.substr(dash + 1));
    }
  }
  return false;
}

}  // namespace hallmark::crypto
