// File: client/ctl/issue_command.h
//
// `hallmarkctl issue`: issue signed units on a hallmark-server and write them as CSV
// (gtin,serial,lot,key_id,digsig,digital_link,element_string). Counts above 10,000 use
// StreamIssueSerials. Connection: --addr (or HALLMARK_ADDR), --token (or HALLMARK_TOKEN).
#ifndef HALLMARK_CLIENT_CTL_ISSUE_COMMAND_H_
#define HALLMARK_CLIENT_CTL_ISSUE_COMMAND_H_

#include "CLI/App.hpp"

namespace hallmark::ctl {

void AddIssueCommand(CLI::App& app, int* exit_code);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_ISSUE_COMMAND_H_
