// File: client/ctl/verify_command.h
//
// `hallmarkctl verify [CODE...]`: verifies codes given as arguments, or one per line on stdin
// (batched through VerifyBatch), printing one line per code (or JSON Lines with --json).
//
// Exit codes (the most serious verdict among the codes wins):
//   0 every code AUTHENTIC          10 DECOMMISSIONED    11 RECALLED       12 MISMATCH
//   13 NOT_REGISTERED               14 SUSPECT_CLONE     15 COUNTERFEIT    16 STOLEN
//   1 the server could not answer   2 usage error
#ifndef HALLMARK_CLIENT_CTL_VERIFY_COMMAND_H_
#define HALLMARK_CLIENT_CTL_VERIFY_COMMAND_H_

#include "CLI/App.hpp"
#include "hallmark/v1/verification.pb.h"

namespace hallmark::ctl {

void AddVerifyCommand(CLI::App& app, int* exit_code);

// The exit code for one verdict (0 for AUTHENTIC).
int VerdictExitCode(v1::Verdict verdict);
// A unit past its expiry date whose verdict is otherwise AUTHENTIC: must not be dispensed.
inline constexpr int kExitExpired = 9;
// The exit code for one answer: its verdict's, or kExitExpired for an expired AUTHENTIC unit.
int ResponseExitCode(const v1::VerifyResponse& response);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_VERIFY_COMMAND_H_
