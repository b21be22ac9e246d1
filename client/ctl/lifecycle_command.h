// File: client/ctl/lifecycle_command.h
//
// The unit's life after issue, from the shell:
//   hallmarkctl event ACTION UNIT [--reference R] [--location L] [--at TIME] [--customer C]
//                                 [--reason destroyed|expired|sample|exported] [--request-id ID]
//   hallmarkctl history UNIT [--format text|json|epcis]
//   hallmarkctl recall --gtin G --lot L --reason R         (a whole lot)
//   hallmarkctl recall --reason R UNIT... [--file F]        (units of one GTIN)
//   hallmarkctl warranty UNIT
//   hallmarkctl warranty-terms --gtin G [--sku S] --months M
//   hallmarkctl registration UNIT --customer C
// UNIT is "GTIN,SERIAL" or a scanned code. ACTION is shipped, received, sold, returned,
// repaired, refurbished, decommissioned or reactivated.
//
// Exit codes: warranty 3 when the warranty is not active; registration 3 when the reference
// does not match; 0/1/2 as for every command (a refused transition is 2, with the reason).
#ifndef HALLMARK_CLIENT_CTL_LIFECYCLE_COMMAND_H_
#define HALLMARK_CLIENT_CTL_LIFECYCLE_COMMAND_H_

#include "CLI/App.hpp"

namespace hallmark::ctl {

void AddLifecycleCommands(CLI::App& app, int* exit_code);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_LIFECYCLE_COMMAND_H_
