// File: client/ctl/stolen_command.h
//
// `hallmarkctl stolen report|clear|check|case`: the stolen registry for law enforcement and
// brands. Units are given as arguments or in --file (one per line: "GTIN,SERIAL" or any
// scanned code; "-" reads stdin), e.g. the contents of a seized shipment.
//
// Exit codes: report/clear 0 when every unit's outcome is OK, 3 otherwise; check 0 when every
// unit is registered and not stolen, 3 otherwise; 1/2 as for every command.
#ifndef HALLMARK_CLIENT_CTL_STOLEN_COMMAND_H_
#define HALLMARK_CLIENT_CTL_STOLEN_COMMAND_H_

#include "CLI/App.hpp"

namespace hallmark::ctl {

void AddStolenCommands(CLI::App& app, int* exit_code);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_STOLEN_COMMAND_H_
