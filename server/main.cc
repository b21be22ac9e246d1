// hallmark-server: flags in, HallmarkServer up, signals handled. Everything else lives in the
// libraries under server/.
//
//   SIGTERM / SIGINT  graceful shutdown: stop accepting, finish in-flight calls (up to
//                     --shutdown_grace), exit 0
//   SIGHUP            reload the keys directory and the principals file
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/wiring/hallmark_server.h"
#include "server/common/log.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC address: host:port or unix:/path");
ABSL_FLAG(std::string, redis, "tcp://127.0.0.1:6379",
          "Redis: tcp://host:port, unix:///path, or a Redis Cluster: cluster://host:port,...");
ABSL_FLAG(std::string, keys_dir, "keys", "Keys directory (hallmarkctl keys generate)");
ABSL_FLAG(std::string, trust_list, "",
          "The signed trust list to serve (hallmarkctl keys trust-list sign); re-read on reload");
ABSL_FLAG(std::string, trust_list_root, "",
          "The trust-list root's public key (PEM) the list must verify with");
ABSL_FLAG(std::string, principals, "principals.textpb",
          "Principals file (hallmarkctl principals add)");
ABSL_FLAG(std::string, resolver_host, "id.example.com",
          "The brand's GS1 Digital Link resolver host for issued codes");
ABSL_FLAG(bool, allow_volatile_redis, false,
          "Serve even if Redis may lose acknowledged writes (development only)");
ABSL_FLAG(absl::Duration, redis_timeout, absl::Seconds(2), "Deadline of each Redis call");
ABSL_FLAG(absl::Duration, redis_startup_timeout, absl::Seconds(10),
          "How long to wait for Redis at startup");
ABSL_FLAG(absl::Duration, redis_probe_interval, absl::Seconds(1),
          "How often Redis must answer a PING for the server to stay ready (0: never asked)");
ABSL_FLAG(absl::Duration, redis_probe_timeout, absl::Seconds(1),
          "How long a PING may take before the server reports NOT_SERVING");
ABSL_FLAG(absl::Duration, redis_recheck_interval, absl::Seconds(10),
          "How often Redis's durability settings and function library are re-checked");
ABSL_FLAG(int, redis_replicas, -1,
          "A durable write is acknowledged only once this many replicas of its master have it "
          "(Redis WAIT); -1: 1 on a Redis Cluster, 0 on one Redis");
ABSL_FLAG(absl::Duration, redis_replica_timeout, absl::Seconds(1),
          "How long a write waits for its replicas before it fails UNAVAILABLE (it may exist; "
          "retries are idempotent)");
ABSL_FLAG(bool, allow_unreplicated_writes, false,
          "Accept writes on a master with fewer replicas online than --redis_replicas (they "
          "then wait for the replicas it has); default: refused UNAVAILABLE");
ABSL_FLAG(absl::Duration, max_call, absl::Seconds(60), "Longest unary call, whatever the client asks");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(20),
          "On SIGTERM, how long in-flight calls may take to finish");
ABSL_FLAG(int, worker_threads, 0, "Signing threads (0: one per core)");
ABSL_FLAG(int, stream_chunk, 250,
          "Units per registry call of StreamIssueSerials (Redis is held ~8 us a unit: a Verify "
          "may wait behind one chunk)");
ABSL_FLAG(int, stream_chunks_ahead, 8,
          "Chunks a stream registers and signs ahead of its reader");
ABSL_FLAG(absl::Duration, rate_limit_sync, absl::Seconds(2),
          "How often replicas sharing a Redis agree on each principal's share of its rate "
          "limits (0: every replica limits on its own)");
ABSL_FLAG(int, bulk_in_flight, 1,
          "Bulk jobs (issue/import calls, stream chunks) in Redis and signing at once; more wait");
ABSL_FLAG(int, max_receive_message_bytes, 1 << 20,
          "Largest request message (each method also has its own smaller limit)");
ABSL_FLAG(int, max_concurrent_streams, 100, "Calls in flight per connection");
ABSL_FLAG(int64_t, memory_quota_mb, 128,
          "Memory gRPC may hold for all callers together (beyond it, streams are cancelled)");
ABSL_FLAG(int, max_metadata_bytes, 16 << 10, "Largest request header block");
ABSL_FLAG(absl::Duration, handshake_timeout, absl::Seconds(10),
          "How long a connection may take to finish its (TLS/HTTP2) handshake");
ABSL_FLAG(absl::Duration, max_connection_idle, absl::Minutes(5),
          "A connection without calls for this long is closed");
ABSL_FLAG(absl::Duration, max_connection_age, absl::Hours(1),
          "A connection this old is asked to go away (clients reconnect)...");
ABSL_FLAG(absl::Duration, max_connection_age_grace, absl::Minutes(10),
          "...and its calls may run this much longer");
ABSL_FLAG(absl::Duration, keepalive_time, absl::Minutes(1),
          "The server pings a connection idle this long...");
ABSL_FLAG(absl::Duration, keepalive_timeout, absl::Seconds(20),
          "...and closes it if the ping is not answered within this");
ABSL_FLAG(absl::Duration, min_client_ping_interval, absl::Seconds(10),
          "Clients pinging more often (without calls) are sent GOAWAY");
ABSL_FLAG(uint32_t, clone_max_locations, 3,
          "Verify says SUSPECT_CLONE when a unit was seen in more distinct locations than this...");
ABSL_FLAG(absl::Duration, clone_window, absl::Hours(24), "...within this window");
ABSL_FLAG(uint64_t, signature_cache_entries, 1 << 20,
          "Verified codes remembered (per key ring) so repeat scans skip the signature check");
ABSL_FLAG(std::string, registration_key, "",
          "Customer registration hash key file (empty: <keys_dir>/registration.key)");
ABSL_FLAG(absl::Duration, reactivation_window, absl::Hours(24 * 10),
          "How long after decommissioning a unit may be REACTIVATED");
ABSL_FLAG(uint32_t, default_warranty_months, 12,
          "Warranty length for SKUs without terms (SetWarrantyTerms)");
ABSL_FLAG(std::string, http_listen, "",
          "host:port of the HTTP front door: the consumer page, JSON and linkset for printed "
          "Digital Links, JWKS, /healthz (docs/resolver.md; empty: not served)");
ABSL_FLAG(std::string, http_public_base, "",
          "Public origin of the Digital Links (default https://<resolver_host>)");
ABSL_FLAG(std::string, trusted_proxies, "",
          "Comma-separated CIDRs of proxies whose X-Forwarded-For (and country header) is "
          "believed");
ABSL_FLAG(std::string, responder_gln, "",
          "GLN (13 digits) the GS1 product-identifier verification service on the front door "
          "answers as (responderGLN); the service is off without it (docs/regulated.md)");
ABSL_FLAG(std::string, http_country_header, "",
          "Request header a trusted proxy sets to the client's country (e.g. CF-IPCountry)");
ABSL_FLAG(int, http_threads, 2,
          "HTTP event loops (each serves many connections; verifications are answered "
          "asynchronously)");
ABSL_FLAG(int, http_max_connections, 10000,
          "Open HTTP connections at most (all loops); at the cap new clients wait in the "
          "listen backlog");
ABSL_FLAG(bool, http_tls, false,
          "Serve HTTPS on --http_listen with --tls_cert/--tls_key (re-read as gRPC's are), "
          "with HSTS; without it, run behind a TLS-terminating ingress");
ABSL_FLAG(double, http_client_rate, 10,
          "Digital Link requests a second per client address (IPv6 /64), burst 3x");
ABSL_FLAG(double, http_global_rate, 2000,
          "Digital Link requests a second from all clients together, burst 2x");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port to serve Prometheus /metrics on (empty: not served)");
ABSL_FLAG(bool, log_rpcs, true, "One JSON log line per RPC");
ABSL_FLAG(std::string, library_log_level, "error",
          "Lowest level of gRPC's, protobuf's and Abseil's own lines (error, info, debug); they "
          "go through the JSON log and its per-kind limiter");
ABSL_FLAG(std::string, tls_cert, "", "Server certificate chain (PEM); with --tls_key enables TLS");
ABSL_FLAG(std::string, tls_key, "", "Server private key (PEM)");
ABSL_FLAG(std::string, client_ca, "", "CA bundle (PEM) for client certificates (mutual TLS)");
ABSL_FLAG(bool, require_client_cert, false, "Refuse clients without a certificate from --client_ca");
ABSL_FLAG(bool, allow_insecure, false, "Allow plaintext gRPC on a non-loopback address");
ABSL_FLAG(absl::Duration, tls_refresh, absl::Seconds(10),
          "How often the TLS certificate files are re-read (rotation without restart)");

namespace {

hallmark::api::ServerConfig ConfigFromFlags() {
  hallmark::api::ServerConfig c;
  c.listen = absl::GetFlag(FLAGS_listen);
  c.redis = absl::GetFlag(FLAGS_redis);
  c.keys_dir = absl::GetFlag(FLAGS_keys_dir);
  c.trust_list = absl::GetFlag(FLAGS_trust_list);
  c.trust_list_root = absl::GetFlag(FLAGS_trust_list_root);
  c.principals = absl::GetFlag(FLAGS_principals);
  c.resolver_host = absl::GetFlag(FLAGS_resolver_host);
  c.allow_volatile_redis = absl::GetFlag(FLAGS_allow_volatile_redis);
  c.redis_timeout = absl::GetFlag(FLAGS_redis_timeout);
  c.redis_startup_timeout = absl::GetFlag(FLAGS_redis_startup_timeout);
  c.max_call = absl::GetFlag(FLAGS_max_call);
  c.redis_probe_interval = absl::GetFlag(FLAGS_redis_probe_interval);
  c.redis_probe_timeout = absl::GetFlag(FLAGS_redis_probe_timeout);
  c.redis_recheck_interval = absl::GetFlag(FLAGS_redis_recheck_interval);
  c.redis_replicas = absl::GetFlag(FLAGS_redis_replicas);
  c.redis_replica_timeout = absl::GetFlag(FLAGS_redis_replica_timeout);
  c.allow_unreplicated_writes = absl::GetFlag(FLAGS_allow_unreplicated_writes);
  c.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  c.max_receive_message_bytes = absl::GetFlag(FLAGS_max_receive_message_bytes);
  c.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  c.memory_quota_bytes = absl::GetFlag(FLAGS_memory_quota_mb) << 20;
  c.max_metadata_bytes = absl::GetFlag(FLAGS_max_metadata_bytes);
  c.handshake_timeout = absl::GetFlag(FLAGS_handshake_timeout);
  c.max_connection_idle = absl::GetFlag(FLAGS_max_connection_idle);
  c.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  c.max_connection_age_grace = absl::GetFlag(FLAGS_max_connection_age_grace);
  c.keepalive_time = absl::GetFlag(FLAGS_keepalive_time);
  c.keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout);
  c.min_client_ping_interval = absl::GetFlag(FLAGS_min_client_ping_interval);
  c.bulk_in_flight = absl::GetFlag(FLAGS_bulk_in_flight);
  c.rate_limit_sync = absl::GetFlag(FLAGS_rate_limit_sync);
  c.stream_chunk = absl::GetFlag(FLAGS_stream_chunk);
  c.stream_chunks_ahead = absl::GetFlag(FLAGS_stream_chunks_ahead);
  c.clone_max_locations = absl::GetFlag(FLAGS_clone_max_locations);
  c.clone_window = absl::GetFlag(FLAGS_clone_window);
  c.signature_cache_entries = absl::GetFlag(FLAGS_signature_cache_entries);
  c.registration_key = absl::GetFlag(FLAGS_registration_key);
  c.reactivation_window = absl::GetFlag(FLAGS_reactivation_window);
  c.default_warranty_months = absl::GetFlag(FLAGS_default_warranty_months);
  c.http_listen = absl::GetFlag(FLAGS_http_listen);
  c.http_public_base = absl::GetFlag(FLAGS_http_public_base);
  c.trusted_proxies = absl::GetFlag(FLAGS_trusted_proxies);
  c.http_country_header = absl::GetFlag(FLAGS_http_country_header);
  c.responder_gln = absl::GetFlag(FLAGS_responder_gln);
  c.http_threads = absl::GetFlag(FLAGS_http_threads);
  c.http_tls = absl::GetFlag(FLAGS_http_tls);
  c.http_max_connections = absl::GetFlag(FLAGS_http_max_connections);
  c.http_client_rate = absl::GetFlag(FLAGS_http_client_rate);
  c.http_global_rate = absl::GetFlag(FLAGS_http_global_rate);
  c.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  c.log_rpcs = absl::GetFlag(FLAGS_log_rpcs);
  c.library_log_level = absl::GetFlag(FLAGS_library_log_level);
  c.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  c.tls_key = absl::GetFlag(FLAGS_tls_key);
  c.client_ca = absl::GetFlag(FLAGS_client_ca);
  c.require_client_cert = absl::GetFlag(FLAGS_require_client_cert);
  c.allow_insecure = absl::GetFlag(FLAGS_allow_insecure);
  c.tls_refresh = absl::GetFlag(FLAGS_tls_refresh);
  return c;
}

// Every flag of this binary can also be set as HALLMARK_<FLAG> (HALLMARK_LISTEN, ...); the
// command line wins. A bad value stops startup with a message naming the variable.
absl::Status ApplyEnvironment() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!absl::EndsWith(flag->Filename(), "server/main.cc")) continue;
    const std::string var = "HALLMARK_" + absl::AsciiStrToUpper(name);
    const char* value = std::getenv(var.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(var, ": ", error));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Hallmark: unit registry, issuance and verification over gRPC.\n"
      "  hallmark-server --redis unix:///run/redis.sock --keys_dir keys --principals p.textpb");
  if (absl::Status env = ApplyEnvironment(); !env.ok()) {
    std::cerr << "hallmark-server: " << env.message() << "\n";
    return 2;
  }
  absl::ParseCommandLine(argc, argv);
  // Abseil's debug-mode deadlock detection costs a graph update per lock; not in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Signals are taken synchronously by this thread only; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = hallmark::api::HallmarkServer::Start(ConfigFromFlags());
  if (!server.ok()) {
    hallmark::log::Error("cannot start", {{"why", std::string(server.status().message())}});
    std::cerr << "hallmark-server: " << server.status().message() << "\n";
    return 1;
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      absl::Status s = (*server)->Reload();
      if (!s.ok()) hallmark::log::Error("reload failed", {{"why", std::string(s.message())}});
      continue;
    }
    hallmark::log::Info("shutting down", {{"signal", absl::StrCat(sig)}});
    (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
    (*server)->Wait();
    server->reset();
    hallmark::log::Info("stopped");
    hallmark::log::Flush();
    return 0;
  }
}
