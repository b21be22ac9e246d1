#include "gs1/unit_code.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gs1/digital_link.h"
#include "gs1/element_string.h"

namespace hallmark::gs1 {

absl::StatusOr<UnitCode> ParseScannedCode(absl::string_view scanned) {
  while (!scanned.empty() && (scanned.back() == '\n' || scanned.back() == '\r')) {
    scanned.remove_suffix(1);
  }
  if (scanned.empty()) return absl::InvalidArgumentError("code: empty");
  if (scanned.size() > kMaxScannedCodeLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("code: longer than ", kMaxScannedCodeLength, " bytes"));
  }
  // A URI in a QR code or DataMatrix without FNC1: a scanner that reports symbology
  // identifiers sends ]Q1 (QR) or ]d1 (DataMatrix) before it.
  absl::string_view uri = scanned;
  if (absl::StartsWith(uri, "]Q1") || absl::StartsWith(uri, "]d1")) uri.remove_prefix(3);
  if (absl::StartsWithIgnoreCase(uri, "http://") || absl::StartsWithIgnoreCase(uri, "https://")) {
    return ParseDigitalLink(uri);
  }
  return ParseElementString(scanned);
}

}  // namespace hallmark::gs1
