#include "client/ctl/units_io.h"

#include <fstream>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/json.h"
#include "gs1/gs1.h"
#include "gs1/unit_code.h"

namespace hallmark::ctl {
namespace {

std::string Csv(absl::string_view s) {
  if (s.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(s);
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\"", "\"\""}}), "\"");
}

}  // namespace

std::string UnitCsvLine(const v1::IssuedUnit& u) {
  return absl::StrCat(Csv(u.unit().gtin()), ",", Csv(u.unit().serial()), ",", Csv(u.lot()), ",",
                      u.key_id(), ",", u.digsig(), ",", Csv(u.digital_link()), ",",
                      Csv(u.element_string()));
}

std::string UnitJsonLine(const v1::IssuedUnit& u) {
  return JsonObject()
      .Add("gtin", u.unit().gtin())
      .Add("serial", u.unit().serial())
      .Add("lot", u.lot())
      .Add("expiry_date", u.expiry_date())
      .Add("production_date", u.production_date())
      .Add("key_id", u.key_id())
      .Add("digsig", u.digsig())
      .Add("digital_link", u.digital_link())
      .Add("element_string", u.element_string())
      .Build();
}

std::vector<std::string> SplitCsv(absl::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back().push_back(c);
    }
  }
  return fields;
}

absl::StatusOr<v1::IssuedUnit> ParseUnitCsvLine(absl::string_view line) {
  const std::vector<std::string> f = SplitCsv(line);
  if (f.size() != 7) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected 7 fields (", kUnitsCsvHeader, "), got ", f.size()));
  }
  v1::IssuedUnit u;
  u.mutable_unit()->set_gtin(f[0]);
  u.mutable_unit()->set_serial(f[1]);
  u.set_lot(f[2]);
  u.set_key_id(f[3]);
  u.set_digsig(f[4]);
  u.set_digital_link(f[5]);
  u.set_element_string(f[6]);
  return u;
}

absl::StatusOr<v1::UnitId> ParseUnitArg(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  v1::UnitId unit;
  const std::vector<std::string> f = SplitCsv(text);
  // "GTIN,SERIAL", or a line of an issued-units CSV (whose first two columns are these).
  if (f.size() >= 2 && !absl::StartsWithIgnoreCase(text, "http")) {
    absl::StatusOr<std::string> gtin = gs1::NormalizeGtin(f[0]);
    if (!gtin.ok()) return gtin.status();
    if (absl::Status s = gs1::ValidateSerial(f[1]); !s.ok()) return s;
    unit.set_gtin(*gtin);
    unit.set_serial(f[1]);
    return unit;
  }
  absl::StatusOr<gs1::UnitCode> code = gs1::ParseScannedCode(text);
  if (!code.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is neither GTIN,SERIAL nor a code: ", code.status().message()));
  }
  unit.set_gtin(code->gtin);
  unit.set_serial(code->serial);
  return unit;
}

absl::StatusOr<std::vector<v1::UnitId>> ReadUnitList(std::istream& in) {
  std::vector<v1::UnitId> units;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const absl::string_view t = absl::StripAsciiWhitespace(line);
    if (t.empty() || absl::StartsWithIgnoreCase(t, "gtin,")) continue;
    absl::StatusOr<v1::UnitId> unit = ParseUnitArg(t);
    if (!unit.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", n, ": ", unit.status().message()));
    }
    units.push_back(*std::move(unit));
  }
  return units;
}

absl::StatusOr<std::vector<v1::UnitId>> CollectUnits(const std::vector<std::string>& args,
                                                     const std::string& file) {
  std::vector<v1::UnitId> out;
  for (const std::string& arg : args) {
    absl::StatusOr<v1::UnitId> u = ParseUnitArg(arg);
    if (!u.ok()) return u.status();
    out.push_back(*std::move(u));
  }
  if (file.empty()) return out;
  std::ifstream f;
  std::istream* in = &std::cin;
  if (file != "-") {
    f.open(file);
    if (!f) return absl::InvalidArgumentError(absl::StrCat("--file ", file, ": cannot open"));
    in = &f;
  }
  absl::StatusOr<std::vector<v1::UnitId>> listed = ReadUnitList(*in);
  if (!listed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(file, " ", listed.status().message()));
  }
  out.insert(out.end(), listed->begin(), listed->end());
  return out;
}

}  // namespace hallmark::ctl
