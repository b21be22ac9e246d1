// File: server/common/metrics.h
//
// Metrics: what hallmark-server counts, as Prometheus metrics (prometheus-cpp), served over
// HTTP at /metrics by Serve(). Every method is thread-safe and cheap (label sets are created
// once and cached). A null Metrics* is allowed everywhere: components call through
// metrics::Get(ptr) helpers only when one is configured.
//
//   hallmark_rpcs_total{method,code}                 RPCs by method and gRPC status code
//   hallmark_rpc_latency_seconds{method}             latency histogram by method
//   hallmark_verdicts_total{verdict}                 Verify verdicts
//   hallmark_units_issued_total                      units handed out by issuance and import
//   hallmark_redis_latency_seconds                   Redis round trips
//   hallmark_redis_errors_total                      Redis calls that failed (down, timeout)
//   hallmark_rate_limited_total{role}                calls refused by rate limits
//   hallmark_signature_checks_total{result}          signature checks: cache_hit, verified, failed
//   hallmark_security_events_total{event}            auth_failure, not_registered, clone_suspected,
//                                                    revoked_key_used, return_other_retailer,
//                                                    return_without_sale
//   hallmark_lifecycle_events_total{action,flag}     lifecycle events ("" flag: none)
//   hallmark_redis_ready                             1 while Redis is connected, answering PING
//                                                    and has the functions loaded
//   hallmark_redis_durable                           1 while Redis is durable (0: writes refused)
//   hallmark_redis_writes_accepted                   1 while writes are accepted (durable and,
//                                                    where replicated, enough replicas online)
//   hallmark_redis_replicas_online{master}           replicas online, per master (replicated writes)
//   hallmark_redis_replica_lag_bytes{master}         the slowest online replica's lag, in bytes
//   hallmark_redis_replica_ack_seconds               WAIT round trips (replication acknowledged)
//   hallmark_redis_replica_ack_timeouts_total        WAITs short of replicas: writes failed
#ifndef HALLMARK_SERVER_COMMON_METRICS_H_
#define HALLMARK_SERVER_COMMON_METRICS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hallmark {

class Metrics {
 public:
  static std::unique_ptr<Metrics> Create();
  ~Metrics();

  // Serves /metrics on `listen` ("host:port"; port 0 picks one). Returns the bound port.
  absl::StatusOr<int> Serve(const std::string& listen);

  void Rpc(absl::string_view method, absl::string_view code, absl::Duration latency);
  void Verdict(absl::string_view verdict);
  void WebRequest(int status);  // an HTTP front door answer
  void UnitsIssued(uint64_t n);
  void RedisCall(absl::Duration latency, bool ok);
  void RateLimited(absl::string_view role);
  void SignatureCheck(absl::string_view result);
  void SecurityEvent(absl::string_view event);
  void LifecycleEvent(absl::string_view action, absl::string_view flag);
  void RedisReady(bool ready);
  void RedisDurable(bool durable);
  void WritesAccepted(bool accepted);
  // A master's replicas as its write connection last saw them ("host:port").
  void Replicas(absl::string_view master, int online, int64_t lag_bytes);
  // A WAIT came back: its round trip, and whether enough replicas confirmed.
  void ReplicaAck(absl::Duration latency, bool enough);

  // The current exposition text (what /metrics serves); for tests and debugging.
  std::string Scrape() const;

 private:
  struct Impl;
  explicit Metrics(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hallmark

#endif  // HALLMARK_SERVER_COMMON_METRICS_H_
