// File: client/client_options.h
//
// How a Hallmark client finds its server and credentials. Each setting comes from the first
// place that has it: a flag, then the environment, then a config file, then the default.
//
//   setting     flag          environment        config file key
//   address     --addr        HALLMARK_ADDR      addr       (default 127.0.0.1:50051)
//   token       --token       HALLMARK_TOKEN     token
//   CA bundle   --ca          HALLMARK_CA        ca         (TLS when set)
//   client cert --cert        HALLMARK_CERT      cert       (mutual TLS, with --key)
//   client key  --key         HALLMARK_KEY       key
//   timeout     --timeout     HALLMARK_TIMEOUT   timeout    (per call, e.g. 30s; default 30s)
//   plaintext   --insecure    HALLMARK_INSECURE  insecure   (plaintext off loopback: dev only)
//
// The config file is --config, else $HALLMARK_CONFIG, else ~/.config/hallmark/client.conf if it
// exists: "key = value" lines, '#' comments.
#ifndef HALLMARK_CLIENT_CLIENT_OPTIONS_H_
#define HALLMARK_CLIENT_CLIENT_OPTIONS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/net.h"

namespace hallmark {

struct ClientOptions {
  std::string address = "127.0.0.1:50051";
  std::string token;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  absl::Duration timeout = absl::Seconds(30);
  bool insecure = false;  // allow plaintext to a non-loopback address
  // Retries of UNAVAILABLE for idempotent calls: attempts and exponential backoff with jitter.
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
};

// What the command line said; unset fields fall through to the environment and config file.
struct ClientSettings {
  std::optional<std::string> address, token, ca_file, cert_file, key_file, timeout, config;
  std::optional<bool> insecure;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment.
std::optional<std::string> GetEnv(const std::string& name);

absl::StatusOr<ClientOptions> ResolveClientOptions(const ClientSettings& flags,
                                                   const EnvLookup& env = GetEnv);

// Parses a config file's text; INVALID_ARGUMENT names the line.
absl::StatusOr<std::map<std::string, std::string>> ParseClientConfig(absl::string_view text);

// IsLoopbackAddress (common/net.h) says where plaintext is acceptable.

}  // namespace hallmark

#endif  // HALLMARK_CLIENT_CLIENT_OPTIONS_H_
