#include "server/verification/scan_context.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "crypto/prf.h"

namespace hallmark::verification {
namespace {

absl::Status CheckPrintable(absl::string_view value, size_t max, absl::string_view field) {
  if (value.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": at most ", max, " characters"));
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": printable ASCII only"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateScanContext(const v1::ScanContext& c, absl::string_view field) {
  if (!c.country().empty()) {
    const std::string& cc = c.country();
    if (cc.size() != 2 || !absl::ascii_isalpha(static_cast<unsigned char>(cc[0])) ||
        !absl::ascii_isalpha(static_cast<unsigned char>(cc[1]))) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".country: an ISO 3166-1 alpha-2 code, e.g. DE"));
    }
  }
  if (absl::Status s = CheckPrintable(c.location(), 64, absl::StrCat(field, ".location"));
      !s.ok()) {
    return s;
  }
  return CheckPrintable(c.channel(), 32, absl::StrCat(field, ".channel"));
}

std::optional<uint32_t> LocationFingerprint(const v1::ScanContext& c) {
  if (c.country().empty() && c.location().empty()) return std::nullopt;
  const std::string digest =
      crypto::Sha256(absl::StrCat(absl::AsciiStrToUpper(c.country()), "/", c.location()));
  uint32_t fp;
  std::memcpy(&fp, digest.data(), sizeof(fp));
  return fp;
}

}  // namespace hallmark::verification
