#include "client/ctl/connection.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/ctl/ctl_common.h"

namespace hallmark::ctl {

void AddConnectionFlags(CLI::App* cmd, ClientSettings* s) {
  cmd->add_option_function<std::string>(
         "--addr", [s](const std::string& v) { s->address = v; },
         "Server address (env HALLMARK_ADDR; default 127.0.0.1:50051)")
      ->group("Connection");
  cmd->add_option_function<std::string>(
         "--token", [s](const std::string& v) { s->token = v; }, "Bearer token (env HALLMARK_TOKEN)")
      ->group("Connection");
  cmd->add_option_function<std::string>(
         "--ca", [s](const std::string& v) { s->ca_file = v; }, "CA bundle for TLS (env HALLMARK_CA)")
      ->group("Connection");
  cmd->add_option_function<std::string>(
         "--cert", [s](const std::string& v) { s->cert_file = v; },
         "Client certificate for mutual TLS (env HALLMARK_CERT)")
      ->group("Connection");
  cmd->add_option_function<std::string>(
         "--key", [s](const std::string& v) { s->key_file = v; },
         "Client private key for mutual TLS (env HALLMARK_KEY)")
      ->group("Connection");
  cmd->add_option_function<std::string>(
         "--timeout", [s](const std::string& v) { s->timeout = v; },
         "Per-call deadline, e.g. 30s (env HALLMARK_TIMEOUT)")
      ->group("Connection");
  cmd->add_option_function<std::string>(
         "--config", [s](const std::string& v) { s->config = v; },
         "Config file (env HALLMARK_CONFIG; default ~/.config/hallmark/client.conf)")
      ->group("Connection");
  cmd->add_flag_function(
         "--insecure", [s](int64_t) { s->insecure = true; },
         "Allow plaintext to a non-loopback address (test setups only)")
      ->group("Connection");
}

absl::StatusOr<std::unique_ptr<Client>> Connect(const ClientSettings& settings) {
  absl::StatusOr<ClientOptions> options = ResolveClientOptions(settings);
  if (!options.ok()) return options.status();
  return Client::Connect(*options);
}

int ReportCallError(const absl::Status& s, const std::string& address) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
      return ReportError(absl::UnavailableError(
          absl::StrCat("cannot reach hallmark-server at ", address, " (", s.message(), ")")));
    case absl::StatusCode::kDeadlineExceeded:
      return ReportError(absl::DeadlineExceededError(absl::StrCat(
          "no answer from ", address, " in time (raise --timeout?): ", s.message())));
    case absl::StatusCode::kUnimplemented:
      return ReportError(absl::UnimplementedError(absl::StrCat(
          "hallmark-server at ", address, " does not offer this call (an older version?)")));
    case absl::StatusCode::kUnauthenticated:
      return ReportError(absl::UnauthenticatedError(
          absl::StrCat(s.message(), " (set --token or HALLMARK_TOKEN)")));
    default:
      return ReportError(s);
  }
}

}  // namespace hallmark::ctl
