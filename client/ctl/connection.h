// File: client/ctl/connection.h
//
// The connection flags every networked hallmarkctl command shares (--addr, --token, --ca,
// --cert, --key, --timeout, --config, --insecure; each falls back to the environment and the
// config file, see client/client_options.h), and the one-line reporting of call errors.
#ifndef HALLMARK_CLIENT_CTL_CONNECTION_H_
#define HALLMARK_CLIENT_CTL_CONNECTION_H_

#include <memory>
#include <string>

#include "CLI/App.hpp"
#include "absl/status/statusor.h"
#include "client/client_options.h"
#include "client/hallmark_client.h"

namespace hallmark::ctl {

// Adds the connection flags to `cmd`; the values land in *settings.
void AddConnectionFlags(CLI::App* cmd, ClientSettings* settings);

absl::StatusOr<std::unique_ptr<Client>> Connect(const ClientSettings& settings);

// One line on stderr for a failed call, with a hint where it helps (an unreachable server, a
// missing token); returns the exit code for it.
int ReportCallError(const absl::Status& status, const std::string& address);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_CONNECTION_H_
