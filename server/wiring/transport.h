// File: server/wiring/transport.h
//
// What the gRPC server listens with: its credentials (TLS from files that are re-read and
// checked, see tls_files.h; or plaintext where that is safe or explicitly allowed) and the
// transport limits every connection gets before any handler runs (docs/security.md).
#ifndef HALLMARK_SERVER_WIRING_TRANSPORT_H_
#define HALLMARK_SERVER_WIRING_TRANSPORT_H_

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <memory>

#include "absl/status/statusor.h"
#include "server/common/metrics.h"
#include "server/wiring/server_config.h"
#include "server/wiring/tls_files.h"

namespace hallmark::api {

// TLS credentials from config's files (*files gets the checked copies gRPC reads), or
// plaintext on loopback or with allow_insecure; INVALID_ARGUMENT / FAILED_PRECONDITION
// otherwise.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const ServerConfig& c, Metrics* metrics, std::unique_ptr<TlsFiles>* files);

// Bounds on what a caller can make gRPC hold before any handler runs.
void ApplyTransportLimits(const ServerConfig& c, grpc::ServerBuilder* builder);

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_WIRING_TRANSPORT_H_
