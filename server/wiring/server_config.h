// File: server/wiring/server_config.h
//
// ServerConfig: everything hallmark-server is told at startup (main.cc maps each flag and
// HALLMARK_* variable onto a field; tests set fields directly). Plain data; HallmarkServer
// validates it when it starts.
#ifndef HALLMARK_SERVER_WIRING_SERVER_CONFIG_H_
#define HALLMARK_SERVER_WIRING_SERVER_CONFIG_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/time/time.h"

namespace hallmark::api {

struct ServerConfig {
  std::string listen = "127.0.0.1:50051";   // host:port, or unix:/path
  std::string redis = "tcp://127.0.0.1:6379";
  std::string keys_dir = "keys";
  // The signed trust list to hand out (hallmarkctl keys trust-list sign) and the root public
  // key it must verify with; both or neither.
  std::string trust_list;
  std::string trust_list_root;
  std::string principals = "principals.textpb";
  std::string resolver_host = "id.example.com";
  bool allow_volatile_redis = false;
  absl::Duration redis_timeout = absl::Seconds(2);
  absl::Duration redis_startup_timeout = absl::Seconds(10);
  // Readiness follows a PING that must be answered within the timeout; durability and the
  // function library are re-checked every recheck interval.
  absl::Duration redis_probe_interval = absl::Seconds(1);
  absl::Duration redis_probe_timeout = absl::Seconds(1);
  absl::Duration redis_recheck_interval = absl::Seconds(10);
  // Replicated acknowledgements: a durable write is acknowledged only once this many replicas
  // of its master have it (Redis WAIT); -1: 1 on a Redis Cluster, 0 on one Redis. A master
  // with fewer replicas online makes writes refused UNAVAILABLE, unless
  // allow_unreplicated_writes (then they wait for the replicas it has).
  int redis_replicas = -1;
  absl::Duration redis_replica_timeout = absl::Seconds(1);  // WAIT's timeout
  bool allow_unreplicated_writes = false;
  absl::Duration max_call = absl::Seconds(60);   // unary calls, whatever the client asks
  int worker_threads = 0;                        // 0: one per core
  // Bulk work (issue/import calls, stream chunks) in Redis and on the work pool at once; the
  // rest waits its turn, so verification is never queued behind a flood of issuance.
  int bulk_in_flight = 1;
  // Rate limits across replicas on one Redis (replica_shares.h): how often each replica tells
  // Redis which principals it serves. Zero: each replica limits on its own.
  absl::Duration rate_limit_sync = absl::Seconds(2);
  // Units per registry call of a stream: Redis is held ~8 us a unit, so this bounds how long a
  // Verify can wait behind issuance.
  int stream_chunk = 250;
  int stream_chunks_ahead = 8;  // chunks a stream produces ahead of its reader
  // Transport limits: what any caller, before authentication, can make the server hold.
  int max_receive_message_bytes = 1 << 20;  // the largest legitimate request is ~0.6 MiB
  int max_send_message_bytes = 64 << 20;
  int max_concurrent_streams = 100;              // per connection
  int64_t memory_quota_bytes = int64_t{128} << 20;  // gRPC's buffers, all callers together
  int max_metadata_bytes = 16 << 10;             // request headers
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration max_connection_idle = absl::Minutes(5);  // no call for this long: closed
  absl::Duration max_connection_age = absl::Hours(1);      // then GOAWAY...
  absl::Duration max_connection_age_grace = absl::Minutes(10);  // ...and calls get this long
  absl::Duration keepalive_time = absl::Minutes(1);       // server pings an idle connection
  absl::Duration keepalive_timeout = absl::Seconds(20);   // unanswered: the peer is gone
  absl::Duration min_client_ping_interval = absl::Seconds(10);  // faster pings: GOAWAY
  // Verification.
  uint32_t clone_max_locations = 3;                // SUSPECT_CLONE above this many...
  absl::Duration clone_window = absl::Hours(24);   // ...distinct locations within this window
  size_t signature_cache_entries = 1 << 20;        // verified codes remembered per key ring
  // Lifecycle.
  std::string registration_key;  // customer registration hash key; "": <keys_dir>/registration.key
  absl::Duration reactivation_window = absl::Hours(24 * 10);
  uint32_t default_warranty_months = 12;
  std::function<absl::Time()> lifecycle_clock;  // tests only; default absl::Now
  // The HTTP front door (docs/resolver.md): empty http_listen: not served.
  std::string http_listen;
  std::string http_public_base;     // "https://<resolver_host>" when empty
  std::string trusted_proxies;      // CIDRs whose X-Forwarded-For is believed
  std::string http_country_header;  // e.g. "CF-IPCountry", from trusted proxies only
  // The GLN the GS1 verification service answers as (responderGLN); the service is off
  // without one (docs/regulated.md).
  std::string responder_gln;
  int http_threads = 2;
  bool http_tls = false;  // HTTPS on http_listen with tls_cert/tls_key
  int http_max_connections = 10000;  // open keep-alive connections, all loops together
  double http_client_rate = 10;     // Digital Link requests a second per client (burst 3x)
  double http_global_rate = 2000;   // and for all clients together (burst 2x)
  // Observability.
  std::string metrics_listen;  // "host:port" for Prometheus /metrics; empty: not served
  bool log_rpcs = true;        // one JSON log line per RPC
  std::string library_log_level = "error";  // gRPC/protobuf/Abseil lines: error, info, debug
  // Transport security (see docs/operations.md).
  std::string tls_cert;        // server certificate chain (PEM); with tls_key enables TLS
  std::string tls_key;
  std::string client_ca;       // CA for client certificates (mutual TLS)
  bool require_client_cert = false;
  bool allow_insecure = false;  // plaintext on a non-loopback address
  absl::Duration tls_refresh = absl::Seconds(10);  // how often certificate files are re-read
};

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_WIRING_SERVER_CONFIG_H_
