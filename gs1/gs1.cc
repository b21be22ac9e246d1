#include "gs1/gs1.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

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

}  // namespace hallmark::gs1
