// File: client/ctl/trust_list_command.h
//
// The signed trust list (docs/code-format.md §7), from the shell:
//   hallmarkctl keys trust-list new-root --out DIR [--algorithm ES256|Ed25519]
//       a root key pair: DIR/root.key.pem (keep it offline) and DIR/root.pub.pem (pin it)
//   hallmarkctl keys trust-list sign --keys_dir D --root DIR/root.key.pem --out FILE
//                                    [--seq N] [--valid 720h] [--root_id HEX]
//       signs the keys of D; the sequence is the signing time in Unix seconds (or the previous
//       FILE's + 1 if higher), never lower than FILE's
//   hallmarkctl keys trust-list verify --root root.pub.pem (--in FILE | --from_server)
//                                      [--state FILE] [--at TIME]
//       what an offline verifier does: signature, expiry, and with --state no rollback (the
//       sequence and digest of the list accepted last are kept there); exit 3 when refused
//   hallmarkctl keys trust-list show (--in FILE | --from_server)
#ifndef HALLMARK_CLIENT_CTL_TRUST_LIST_COMMAND_H_
#define HALLMARK_CLIENT_CTL_TRUST_LIST_COMMAND_H_

#include "CLI/App.hpp"

namespace hallmark::ctl {

void AddTrustListCommands(CLI::App* keys, int* exit_code);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_TRUST_LIST_COMMAND_H_
