#include "gs1/gs1.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace hallmark::gs1 {
namespace {

std::string Printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return absl::StrCat("'", absl::string_view(&c, 1), "'");
  return absl::StrFormat("0x%02x", u);
}

}  // namespace

char Gs1CheckDigit(absl::string_view digits) {
  // Weights alternate 3,1,3,... starting from the digit next to the check digit.
  int sum = 0;
  int weight = 3;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    sum += (*it - '0') * weight;
    weight = 4 - weight;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

absl::StatusOr<std::string> NormalizeGtin(absl::string_view gtin, absl::string_view field) {
  const size_t n = gtin.size();
  if (n != 8 && n != 12 && n != 13 && n != 14) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": a GTIN has 8, 12, 13 or 14 digits, got ", n, " characters"));
  }
  for (size_t i = 0; i < n; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(gtin[i]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": a GTIN has digits only, found ", Printable(gtin[i]), " at position ", i + 1));
    }
  }
  const char expected = Gs1CheckDigit(gtin.substr(0, n - 1));
  if (gtin[n - 1] != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": GS1 check digit is ", absl::string_view(&gtin[n - 1], 1),
                     ", expected ", absl::string_view(&expected, 1)));
  }
  return absl::StrCat(std::string(kGtinLength - n, '0'), gtin);
}

bool IsCset82(char c) {
  switch (c) {
    case '!': case '"': case '%': case '&': case '\'': case '(': case ')': case '*':
    case '+': case ',': case '-': case '.': case '/': case ':': case ';': case '<':
    case '=': case '>': case '?': case '_':
      return true;
    default:
      return absl::ascii_isalnum(static_cast<unsigned char>(c));
  }
}

absl::Status ValidateCset82(absl::string_view value, size_t max_length,
                            absl::string_view field) {
  if (value.empty() || value.size() > max_length) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must have 1..", max_length,
                                                   " characters, got ", value.size()));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    if (!IsCset82(value[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": character ", Printable(value[i]), " at position ", i + 1,
                       " is not in GS1 character set 82"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSerial(absl::string_view serial, absl::string_view field) {
  return ValidateCset82(serial, kMaxSerialLength, field);
}

absl::Status ValidateLot(absl::string_view lot, absl::string_view field) {
  return ValidateCset82(lot, kMaxLotLength, field);
}

absl::StatusOr<absl::CivilDay> Gs1DateDay(absl::string_view yymmdd, absl::CivilYear reference_year,
                                          absl::string_view field) {
  bool digits = yymmdd.size() == 6;
  for (char c : yymmdd) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (!digits) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": a GS1 date is YYMMDD, six digits"));
  }
  const auto two = [yymmdd](size_t at) { return (yymmdd[at] - '0') * 10 + (yymmdd[at + 1] - '0'); };
  const int yy = two(0), mm = two(2), dd = two(4);
  const int ref = static_cast<int>(reference_year.year());
  const int ref_yy = ref % 100;
  int year = ref - ref_yy + yy;
  if (yy - ref_yy > 50) year -= 100;   // GS1 7.12: more than 50 years ahead: last century
  if (yy - ref_yy < -49) year += 100;  // more than 49 years behind: next century
  if (mm < 1 || mm > 12) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": month ", mm, " is not 01..12"));
  }
  const absl::CivilDay last = absl::CivilDay(absl::CivilMonth(year, mm) + 1) - 1;
  if (dd == 0) return last;
  if (dd > last.day()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %04d-%02d has no day %02d (DD = 00 means the month's last day)", field, year, mm, dd));
  }
  return absl::CivilDay(year, mm, dd);
}

absl::StatusOr<absl::CivilDay> Gs1DateDay(absl::string_view yymmdd, absl::string_view field) {
  return Gs1DateDay(yymmdd, absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()), field);
}

absl::Status ValidateGs1Date(absl::string_view yymmdd, absl::string_view field) {
  return Gs1DateDay(yymmdd, field).status();
}

absl::Status ValidateLotDates(absl::string_view expiry, absl::string_view production,
                              absl::string_view expiry_field, absl::string_view production_field) {
  absl::StatusOr<absl::CivilDay> exp, prod;
  if (!expiry.empty()) {
    exp = Gs1DateDay(expiry, expiry_field);
    if (!exp.ok()) return exp.status();
  }
  if (!production.empty()) {
    prod = Gs1DateDay(production, production_field);
    if (!prod.ok()) return prod.status();
  }
  if (!expiry.empty() && !production.empty() && *exp < *prod) {
    return absl::InvalidArgumentError(absl::StrCat(
        expiry_field, ": ", Gs1DateIso(expiry), " is before the ", production_field, " ",
        Gs1DateIso(production)));
  }
  return absl::OkStatus();
}

std::string Gs1DateIso(absl::string_view yymmdd) {
  absl::StatusOr<absl::CivilDay> day = Gs1DateDay(yymmdd, "date");
  if (!day.ok()) return std::string(yymmdd);
  return absl::FormatCivilTime(*day);
}

}  // namespace hallmark::gs1
