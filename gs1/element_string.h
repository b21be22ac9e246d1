// File: gs1/element_string.h
//
// GS1 element strings: the data of a GS1 DataMatrix / GS1 QR / GS1-128 symbol.
//
// Two forms are handled:
//   * bracketed (human readable): "(01)09506000134352(21)ABC123(10)L42(8030)AQ..."; a literal
//     '(' inside a value is written "\(" (the GS1 Barcode Syntax Engine convention), because
//     character set 82 allows '(' in serials and lots;
//   * raw (what a scanner transmits): AI digits and values run together, variable-length values
//     end with FNC1, transmitted as ASCII 29 (GS), except the last; optionally preceded by a
//     symbology identifier (]d2 DataMatrix, ]Q3 QR, ]C1 GS1-128, ]e0 DataBar, ]J1 DotCode) and/or
//     a leading GS.
//
// (17) expiry and (11) production dates are read into the code (real calendar dates, DD = 00
// allowed); other known AIs are checked for syntax and ignored, as they are not part of a unit's
// identity. Every AI may appear at most once; (01) and (21) are required. Formatting writes
// (01), the dates (17) (11), then (21) (10) (8030): fixed-length AIs first, so the dates need no
// separator.
//
// Example:
//   UnitCode code{.gtin = "09506000134352", .serial = "ABC123"};
//   std::string hri = FormatBracketedElementString(code);   // "(01)09506000134352(21)ABC123"
//   absl::StatusOr<UnitCode> back = ParseElementString(hri);
#ifndef HALLMARK_GS1_ELEMENT_STRING_H_
#define HALLMARK_GS1_ELEMENT_STRING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gs1/unit_code.h"

namespace hallmark::gs1 {

inline constexpr char kGroupSeparator = '\x1d';  // FNC1 in transmitted data

// Parses either form (a leading '(' selects the bracketed form).
absl::StatusOr<UnitCode> ParseElementString(absl::string_view data);

// "(01)...(21)...[(10)...][(8030)...]". Precondition: `code` holds valid fields.
std::string FormatBracketedElementString(const UnitCode& code);

// Raw form: "01...21...<GS>10...<GS>8030...", prefixed with `symbology_id` (e.g. "]d2", or "").
std::string FormatRawElementString(const UnitCode& code, absl::string_view symbology_id = "");

}  // namespace hallmark::gs1

#endif  // HALLMARK_GS1_ELEMENT_STRING_H_
