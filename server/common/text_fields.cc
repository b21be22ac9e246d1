#include "server/common/text_fields.h"

#include "absl/strings/str_cat.h"

namespace hallmark {
namespace {

absl::Status CheckLength(absl::string_view value, size_t min, size_t max, absl::string_view field) {
  if (value.size() >= min && value.size() <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": must have ", min, "..", max, " characters, got ", value.size()));
}

}  // namespace

absl::Status ValidatePrintable(absl::string_view value, size_t min, size_t max,
                               absl::string_view field, bool allow_space) {
  if (absl::Status s = CheckLength(value, min, max, field); !s.ok()) return s;
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c > 0x7e || c < 0x20 || (c == ' ' && !allow_space)) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": character at position ", i + 1,
                                                     " is not printable ASCII",
                                                     allow_space ? "" : " (no spaces)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view value, size_t min, size_t max,
                          absl::string_view field) {
  if (absl::Status s = CheckLength(value, min, max, field); !s.ok()) return s;
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": control character at position ", i + 1));
    }
  }
  return absl::OkStatus();
}

}  // namespace hallmark
