#include "server/verification/scan_context.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "crypto/prf.h"
#include "server/common/text_fields.h"

namespace hallmark::verification {

absl::Status ValidateScanContext(const v1::ScanContext& c, absl::string_view field) {
  if (!c.country().empty()) {
    const std::string& cc = c.country();
    if (cc.size() != 2 || !absl::ascii_isalpha(static_cast<unsigned char>(cc[0])) ||
        !absl::ascii_isalpha(static_cast<unsigned char>(cc[1]))) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".country: an ISO 3166-1 alpha-2 code, e.g. DE"));
    }
  }
  if (absl::Status s = ValidatePrintable(c.location(), 0, 64, absl::StrCat(field, ".location"));
      !s.ok()) {
    return s;
  }
  return ValidatePrintable(c.channel(), 0, 32, absl::StrCat(field, ".channel"));
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
