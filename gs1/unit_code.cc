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
  if (absl::StartsWithIgnoreCase(scanned, "http://") ||
      absl::StartsWithIgnoreCase(scanned, "https://")) {
    return ParseDigitalLink(scanned);
  }
  return ParseElementString(scanned);
}

}  // namespace hallmark::gs1
