// File: client/ctl/principals_command.h
//
// `hallmarkctl principals add|list|disable`: manage hallmark-server's principals file. `add`
// creates a bearer token, stores only its SHA-256 in the file and prints the token once.
#ifndef HALLMARK_CLIENT_CTL_PRINCIPALS_COMMAND_H_
#define HALLMARK_CLIENT_CTL_PRINCIPALS_COMMAND_H_

#include "CLI/App.hpp"

namespace hallmark::ctl {

void AddPrincipalsCommands(CLI::App& app, int* exit_code);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_PRINCIPALS_COMMAND_H_
