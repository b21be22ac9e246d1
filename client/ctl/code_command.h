// File: client/ctl/code_command.h
//
// `hallmarkctl code sign|inspect`: make a signed unit code offline, and take any scanned code
// apart (and verify it, given a keys directory).
#ifndef HALLMARK_CLIENT_CTL_CODE_COMMAND_H_
#define HALLMARK_CLIENT_CTL_CODE_COMMAND_H_

#include "CLI/App.hpp"

namespace hallmark::ctl {

void AddCodeCommands(CLI::App& app, int* exit_code);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_CODE_COMMAND_H_
