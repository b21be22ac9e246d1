// File: gs1/gs1.h
//
// GS1 identifier rules shared by every code form: GTIN check digits and normalisation, and
// the character-set rules of the serial (AI 21) and lot (AI 10) fields.
//
// Every validator returns absl::InvalidArgumentError whose message starts with the field name
// given by the caller (so a server can say "units[3].gtin: ...") and names the rule broken.
//
// Example:
//   absl::StatusOr<std::string> gtin = NormalizeGtin("9506000134352");  // "09506000134352"
//   absl::Status s = ValidateSerial("ABC 123");  // "serial: character ' ' at position 4 ..."
#ifndef HALLMARK_GS1_GS1_H_
#define HALLMARK_GS1_GS1_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::gs1 {

// Length limits of the variable-length AIs Hallmark uses (GS1 General Specifications).
inline constexpr size_t kMaxSerialLength = 20;  // AI (21)
inline constexpr size_t kMaxLotLength = 20;     // AI (10)
inline constexpr size_t kGtinLength = 14;       // AI (01), normalised

// Returns the GS1 mod-10 check digit ('0'..'9') for `digits`, the identifier without its check
// digit. Precondition: `digits` holds only ASCII digits.
char Gs1CheckDigit(absl::string_view digits);

// Validates a GTIN-8, -12, -13 or -14 (digits only, correct check digit) and returns it
// left-padded with zeros to 14 digits.
absl::StatusOr<std::string> NormalizeGtin(absl::string_view gtin,
                                          absl::string_view field = "gtin");

// True when `c` belongs to GS1 character set 82 (!"%&'()*+,-./0-9:;<=>?A-Z_a-z).
bool IsCset82(char c);

// Validates a value of 1..max_length characters of GS1 character set 82.
absl::Status ValidateCset82(absl::string_view value, size_t max_length,
                            absl::string_view field);

// AI (21) serial and AI (10) lot: 1..20 characters of character set 82.
absl::Status ValidateSerial(absl::string_view serial, absl::string_view field = "serial");
absl::Status ValidateLot(absl::string_view lot, absl::string_view field = "lot");

}  // namespace hallmark::gs1

#endif  // HALLMARK_GS1_GS1_H_
