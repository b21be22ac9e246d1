// File: client/ctl/issue_command.h
//
// `hallmarkctl issue`: issue signed units and write them as CSV (default) or JSON Lines, to
// stdout or --out. Runs above 10,000 units stream (StreamIssueSerials) with a progress line on
// stderr when it is a terminal. Re-running with the same --request-id and --out resumes an
// interrupted run: the units already in the file are skipped, the rest appended; the server
// hands out the same units, so there is no duplicate and no gap.
//
// `hallmarkctl import`: register supplier serials from a file (one per line, first CSV column;
// a "serial" header is skipped) and write the accepted, signed units like `issue`; each
// rejection goes to stderr with its reason; exit code 3 when anything was rejected.
#ifndef HALLMARK_CLIENT_CTL_ISSUE_COMMAND_H_
#define HALLMARK_CLIENT_CTL_ISSUE_COMMAND_H_

#include "CLI/App.hpp"

namespace hallmark::ctl {

void AddIssueCommand(CLI::App& app, int* exit_code);
void AddImportCommand(CLI::App& app, int* exit_code);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_ISSUE_COMMAND_H_
