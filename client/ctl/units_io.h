// File: client/ctl/units_io.h
//
// Reading and writing what hallmarkctl exchanges with files and pipes:
//   * issued units as CSV (gtin,serial,lot,key_id,digsig,digital_link,element_string; RFC 4180
//     quoting) or JSON Lines;
//   * unit lists ("GTIN,SERIAL" per line — so an issued-units CSV works too —, or any scanned
//     code per line; a "gtin,..." header and blank lines are skipped).
#ifndef HALLMARK_CLIENT_CTL_UNITS_IO_H_
#define HALLMARK_CLIENT_CTL_UNITS_IO_H_

#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hallmark/v1/issuance.pb.h"
#include "hallmark/v1/unit.pb.h"

namespace hallmark::ctl {

inline constexpr char kUnitsCsvHeader[] = "gtin,serial,lot,key_id,digsig,digital_link,element_string";

std::string UnitCsvLine(const v1::IssuedUnit& unit);   // without the newline
std::string UnitJsonLine(const v1::IssuedUnit& unit);  // without the newline

// Parses one CSV line of issued units (as written by UnitCsvLine).
absl::StatusOr<v1::IssuedUnit> ParseUnitCsvLine(absl::string_view line);

// A unit from "GTIN,SERIAL" or a scanned code. INVALID_ARGUMENT says why.
absl::StatusOr<v1::UnitId> ParseUnitArg(absl::string_view text);

// Every unit of a unit list; errors name the line.
absl::StatusOr<std::vector<v1::UnitId>> ReadUnitList(std::istream& in);

// The units named on the command line (`args`), then those listed in `file` ("" for none,
// "-" for stdin); errors name the argument or the file and line.
absl::StatusOr<std::vector<v1::UnitId>> CollectUnits(const std::vector<std::string>& args,
                                                     const std::string& file);

// Splits a CSV line into fields (RFC 4180 quotes).
std::vector<std::string> SplitCsv(absl::string_view line);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_UNITS_IO_H_
