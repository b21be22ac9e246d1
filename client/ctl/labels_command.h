// File: client/ctl/labels_command.h
//
// `hallmarkctl labels --in units.csv --out DIR --format svg|png [--datamatrix]`: one printable
// label per unit of an `issue`/`import` CSV: the QR code of its Digital Link, with
// --datamatrix a GS1 DataMatrix of its element string, and the human-readable GTIN, serial and
// lot beneath. Files are named <gtin>_<serial>.<format> (characters outside A-Z a-z 0-9 - .
// become _XX).
#ifndef HALLMARK_CLIENT_CTL_LABELS_COMMAND_H_
#define HALLMARK_CLIENT_CTL_LABELS_COMMAND_H_

#include "CLI/App.hpp"

namespace hallmark::ctl {

void AddLabelsCommand(CLI::App& app, int* exit_code);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_LABELS_COMMAND_H_
