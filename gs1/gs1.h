// File: gs1/gs1.h
//
// GS1 identifier rules shared by every code form: GTIN check digits and normalisation, the
// character-set rules of the serial (AI 21) and lot (AI 10) fields, and the dates of AI (11)
// production and AI (17) expiry.
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
#include "absl/time/civil_time.h"

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

// AI (11) production date and AI (17) expiry date: YYMMDD, a real calendar date, or DD = 00
// for a date given to the month (GS1 General Specifications 3.4.2-3.4.6).
//
// The century follows GS1's sliding window (General Specifications 7.12) around
// `reference_year`: YY more than 50 years ahead of it is in the previous century, more than 49
// behind in the next. DD = 00 stands for the month's last day.
absl::StatusOr<absl::CivilDay> Gs1DateDay(absl::string_view yymmdd, absl::CivilYear reference_year,
                                          absl::string_view field);
// Gs1DateDay around the current year (UTC).
absl::StatusOr<absl::CivilDay> Gs1DateDay(absl::string_view yymmdd, absl::string_view field);
absl::Status ValidateGs1Date(absl::string_view yymmdd, absl::string_view field);

// A lot's dates (either may be empty): each a valid GS1 date, and the expiry not before the
// production. Errors name `expiry_field` or `production_field`.
absl::Status ValidateLotDates(absl::string_view expiry, absl::string_view production,
                              absl::string_view expiry_field = "expiry_date",
                              absl::string_view production_field = "production_date");

// "2026-12-31" for a GS1 date (DD = 00: the month's last day); `yymmdd` must be valid.
std::string Gs1DateIso(absl::string_view yymmdd);

}  // namespace hallmark::gs1

#endif  // HALLMARK_GS1_GS1_H_
