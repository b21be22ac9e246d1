// File: server/wiring/hallmark_server.h
//
// HallmarkServer: everything hallmark-server runs, wired together: the key ring and principals
// (reloadable), the Redis client and registry, the work pool, the domain engines and the gRPC
// services (plus standard health checking and reflection). main() only parses flags and
// handles signals; tests start the same object in-process on a unix socket.
//
// Health: SERVING while Redis is connected, answers a periodic PING in time and has the
// functions loaded; NOT_SERVING otherwise, so a load balancer stops routing to a server that
// would only fail. A Redis that stops being durable keeps the server SERVING verification while
// every write that promises durability is refused UNAVAILABLE (logged, hallmark_redis_durable 0).
// Writes have their own health service name, "hallmark.writes": SERVING while writes are
// accepted (ready, durable and, where writes are replicated, every master with enough replicas
// online), so a load balancer for issuance and reports can follow it while verification goes on.
#ifndef HALLMARK_SERVER_WIRING_HALLMARK_SERVER_H_
#define HALLMARK_SERVER_WIRING_HALLMARK_SERVER_H_

#include <grpcpp/security/server_credentials.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/wiring/server_config.h"

namespace hallmark::api {

class HallmarkServer {
 public:
  // Loads keys (an ACTIVE key is required) and principals, connects to Redis (waiting up to
  // redis_startup_timeout; a non-durable Redis is refused here), then starts serving.
  static absl::StatusOr<std::unique_ptr<HallmarkServer>> Start(const ServerConfig& config);
  ~HallmarkServer();

  // The TCP port actually bound (for "host:0"), or 0 for unix sockets.
  int port() const;
  // The port the HTTP front door listens on, or 0.
  int http_port() const;
  // The port /metrics is served on, or 0.
  int metrics_port() const;
  // How many replicas (this one included) served `principal` at the last rate-limit round;
  // this replica grants it 1/that of its limits.
  int RateLimitReplicas(const std::string& principal) const;
  // Re-reads the keys directory and the principals file, each on its own: the one that fails
  // to load keeps its old contents (and its error is returned). A keys directory without an
  // ACTIVE key loads (verification only; issuance refused).
  absl::Status Reload();
  // Stops accepting calls, lets in-flight ones finish for up to `grace`, then cancels them.
  void Shutdown(absl::Duration grace);
  void Wait();

 private:
  struct State;
  explicit HallmarkServer(std::unique_ptr<State> state);
  // Start, step by step, each on the state the steps before it built:
  static absl::Status CheckConfig(const ServerConfig& config);  // and routes library logs
  static absl::Status LoadTrust(State* s);      // keys, signature checker, principals, limiter
  static absl::Status LoadSignedTrustList(State* s);  // --trust_list, verified
  static absl::Status ConnectStores(State* s);  // pools, metrics, Redis, the stores
  static absl::Status BuildEngines(State* s);   // issuance, verification, stolen, lifecycle
  static void BuildServices(State* s);          // admission and the gRPC handlers
  static absl::Status Serve(State* s, std::shared_ptr<grpc::ServerCredentials> credentials);
  static absl::Status ServeWeb(State* s);       // the HTTP front door, when configured
  std::unique_ptr<State> state_;
};

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_WIRING_HALLMARK_SERVER_H_
