// File: gs1/unit_code.h
//
// UnitCode is what a label carries: the unit's identity (GTIN + serial), its lot, expiry and
// production dates when printed, and the DIGSIG (AI 8030) that signs them. ParseScannedCode accepts every printed form Hallmark
// supports, exactly as a scanner or camera app delivers it.
//
// Example:
//   absl::StatusOr<UnitCode> code = ParseScannedCode(
//       "https://id.brand.example/01/09506000134352/10/L42/21/ABC123?8030=AQ...");
//   if (code.ok()) Lookup(code->gtin, code->serial);
#ifndef HALLMARK_GS1_UNIT_CODE_H_
#define HALLMARK_GS1_UNIT_CODE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::gs1 {

struct UnitCode {
  std::string gtin;    // AI (01), always normalised to 14 digits with a valid check digit
  std::string serial;  // AI (21), 1..20 characters of GS1 character set 82
  std::string lot;     // AI (10), empty when the code carries no lot
  std::string digsig;  // AI (8030), empty when the code carries no signature
  std::string expiry;      // AI (17) YYMMDD, a valid GS1 date; empty when not printed
  std::string production;  // AI (11) YYMMDD, a valid GS1 date; empty when not printed

  friend bool operator==(const UnitCode& a, const UnitCode& b) {
    return a.gtin == b.gtin && a.serial == b.serial && a.lot == b.lot && a.digsig == b.digsig &&
           a.expiry == b.expiry && a.production == b.production;
  }
  friend bool operator!=(const UnitCode& a, const UnitCode& b) { return !(a == b); }
};

// Longest scanned input any parser accepts; longer input is rejected before parsing.
inline constexpr size_t kMaxScannedCodeLength = 512;

// Parses a GS1 Digital Link URI (http:// or https://, any host) or a GS1 element string
// (bracketed, or raw with GS separators and an optional symbology identifier). A trailing CR/LF,
// as many keyboard-wedge scanners append, is ignored. Errors are InvalidArgument and say why.
absl::StatusOr<UnitCode> ParseScannedCode(absl::string_view scanned);

}  // namespace hallmark::gs1

#endif  // HALLMARK_GS1_UNIT_CODE_H_
