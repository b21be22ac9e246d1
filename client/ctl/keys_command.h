// File: client/ctl/keys_command.h
//
// `hallmarkctl keys generate|list|export|retire|revoke`: offline management of a keys
// directory (see crypto/key_ring.h). Private keys are written with mode 0600 and never printed.
#ifndef HALLMARK_CLIENT_CTL_KEYS_COMMAND_H_
#define HALLMARK_CLIENT_CTL_KEYS_COMMAND_H_

#include "CLI/App.hpp"

namespace hallmark::ctl {

// Adds the `keys` subcommand tree to `app`; the chosen command stores its exit code in
// *exit_code.
void AddKeysCommands(CLI::App& app, int* exit_code);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_KEYS_COMMAND_H_
