#include "client/ctl/labels_command.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/ctl/ctl_common.h"
#include "client/ctl/units_io.h"
#include "client/labels/label.h"
#include "common/files.h"

namespace hallmark::ctl {
namespace {

struct LabelsOptions {
  std::string in, out, format = "png";
  bool datamatrix = false;
  int scale = 4;
};

std::string FileName(const v1::IssuedUnit& u, const std::string& ext) {
  std::string name = absl::StrCat(u.unit().gtin(), "_");
  for (char c : u.unit().serial()) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') {
      name.push_back(c);
    } else {
      absl::StrAppend(&name, absl::StrFormat("_%02X", static_cast<unsigned char>(c)));
    }
  }
  return absl::StrCat(name, ".", ext);
}

int Labels(const LabelsOptions& o) {
  if (o.format != "svg" && o.format != "png") {
    return ReportError(absl::InvalidArgumentError("--format: svg or png"));
  }
  if (o.scale < 1 || o.scale > 40) {
    return ReportError(absl::InvalidArgumentError("--scale: 1..40 pixels per module"));
  }
  std::ifstream in(o.in);
  if (!in) return ReportError(absl::InvalidArgumentError(absl::StrCat("--in ", o.in, ": cannot open")));
  if (::mkdir(o.out.c_str(), 0755) != 0 && errno != EEXIST) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("--out ", o.out, ": ", std::strerror(errno))));
  }
  std::string line;
  int n = 0, written = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || absl::StartsWith(line, "gtin,")) continue;
    absl::StatusOr<v1::IssuedUnit> unit = ParseUnitCsvLine(line);
    if (!unit.ok()) {
      return ReportError(absl::InvalidArgumentError(
          absl::StrCat(o.in, " line ", n, ": ", unit.status().message())));
    }
    absl::StatusOr<labels::Label> label = labels::Label::Make(*unit, o.datamatrix);
    if (!label.ok()) {
      return ReportError(absl::InvalidArgumentError(
          absl::StrCat(o.in, " line ", n, ": ", label.status().message())));
    }
    const std::string path = JoinPath(o.out, FileName(*unit, o.format));
    const absl::Status s = o.format == "svg"
                               ? WriteFileAtomically(path, label->Svg(o.scale))
                               : label->WritePng(path, o.scale);
    if (!s.ok()) return ReportError(s);
    ++written;
  }
  std::cerr << "wrote " << written << " labels to " << o.out << "\n";
  return kExitOk;
}

}  // namespace

void AddLabelsCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<LabelsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "labels", "One printable label per unit: QR of the Digital Link (+ GS1 DataMatrix) and "
                "the human-readable line");
  cmd->add_option("--in", o->in, "Units CSV written by `issue` or `import`")->required();
  cmd->add_option("--out", o->out, "Output directory")->required();
  cmd->add_option("--format", o->format, "svg or png")->capture_default_str();
  cmd->add_flag("--datamatrix", o->datamatrix, "Add a GS1 DataMatrix of the element string");
  cmd->add_option("--scale", o->scale, "Pixels per module")->capture_default_str();
  cmd->callback([o, exit_code] { *exit_code = Labels(*o); });
}

}  // namespace hallmark::ctl
