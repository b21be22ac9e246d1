// File: server/common/text_fields.h
//
// Validation of the free-text fields of requests (references, notes, request ids), with
// INVALID_ARGUMENT errors that name the field and the rule.
#ifndef HALLMARK_SERVER_COMMON_TEXT_FIELDS_H_
#define HALLMARK_SERVER_COMMON_TEXT_FIELDS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hallmark {

// min..max bytes of printable ASCII (0x20..0x7e; without the space unless `allow_space`).
absl::Status ValidatePrintable(absl::string_view value, size_t min, size_t max,
                               absl::string_view field, bool allow_space = true);

// min..max bytes of text without control characters (UTF-8 allowed).
absl::Status ValidateText(absl::string_view value, size_t min, size_t max,
                          absl::string_view field);

}  // namespace hallmark

#endif  // HALLMARK_SERVER_COMMON_TEXT_FIELDS_H_
