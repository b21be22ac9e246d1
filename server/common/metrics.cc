#include "server/common/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace hallmark {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Histogram;

// Latency buckets from 100 µs to 10 s.
const Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* b = new Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
  return *b;
}

// Caches the metric of each label set. Family::Add builds a label map, hashes it and takes a
// lock; on the hot path each thread finds the metric in its own small table instead (keyed by
// the joined label values), so an RPC's metrics cost a few hash lookups and atomic adds.
template <typename M>
class Labeled {
 public:
  explicit Labeled(Family<M>& family) : family_(family) {}

  // `values` are the values of `names`, in order.
  template <typename... Args>
  M& Get(std::initializer_list<absl::string_view> names,
         std::initializer_list<absl::string_view> values, Args&&... args) {
    thread_local absl::flat_hash_map<std::pair<const void*, std::string>, M*> local;
    std::string key;
    for (absl::string_view v : values) absl::StrAppend(&key, v, "\x1f");
    auto it = local.find(std::make_pair(static_cast<const void*>(this), key));
    if (it != local.end()) return *it->second;
    std::map<std::string, std::string> labels;
    auto n = names.begin();
    for (absl::string_view v : values) labels.emplace(std::string(*n++), std::string(v));
    M* m;
    {
      absl::MutexLock lock(&mu_);
      m = &family_.Add(labels, std::forward<Args>(args)...);
    }
    local.emplace(std::make_pair(static_cast<const void*>(this), key), m);
    return *m;
  }

 private:
  Family<M>& family_;
  absl::Mutex mu_;
};

}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::unique_ptr<prometheus::Exposer> exposer;
  Labeled<Counter> rpcs{prometheus::BuildCounter()
                            .Name("hallmark_rpcs_total")
                            .Help("RPCs by method and gRPC status code")
                            .Register(*registry)};
  Labeled<Histogram> latency{prometheus::BuildHistogram()
                                 .Name("hallmark_rpc_latency_seconds")
                                 .Help("RPC latency by method")
                                 .Register(*registry)};
  Labeled<Counter> verdicts{prometheus::BuildCounter()
                                .Name("hallmark_verdicts_total")
                                .Help("Verify verdicts")
                                .Register(*registry)};
  Labeled<Counter> web_requests{prometheus::BuildCounter()
                                    .Name("hallmark_web_requests_total")
                                    .Help("HTTP front door answers by status code")
                                    .Register(*registry)};
  Counter& issued = prometheus::BuildCounter()
                        .Name("hallmark_units_issued_total")
                        .Help("Units handed out by issuance and import")
                        .Register(*registry)
                        .Add({});
  Histogram& redis_latency = prometheus::BuildHistogram()
                                 .Name("hallmark_redis_latency_seconds")
                                 .Help("Redis round trips")
                                 .Register(*registry)
                                 .Add({}, LatencyBuckets());
  Counter& redis_errors = prometheus::BuildCounter()
                              .Name("hallmark_redis_errors_total")
                              .Help("Redis calls that failed (not connected, lost, timed out)")
                              .Register(*registry)
                              .Add({});
  Labeled<Counter> rate_limited{prometheus::BuildCounter()
                                    .Name("hallmark_rate_limited_total")
                                    .Help("Calls refused by rate limits, by role")
                                    .Register(*registry)};
  Labeled<Counter> signatures{prometheus::BuildCounter()
                                  .Name("hallmark_signature_checks_total")
                                  .Help("Signature checks: cache_hit, verified, failed")
                                  .Register(*registry)};
  Labeled<Counter> security{prometheus::BuildCounter()
                                .Name("hallmark_security_events_total")
                                .Help("Security events by kind")
                                .Register(*registry)};
  Labeled<Counter> lifecycle{prometheus::BuildCounter()
                                 .Name("hallmark_lifecycle_events_total")
                                 .Help("Lifecycle events recorded, by action and flag")
                                 .Register(*registry)};
  prometheus::Gauge& redis_ready = prometheus::BuildGauge()
                                       .Name("hallmark_redis_ready")
                                       .Help("1 while Redis is connected, answering and loaded")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Gauge& redis_durable =
      prometheus::BuildGauge()
          .Name("hallmark_redis_durable")
          .Help("1 while Redis is durable (appendonly, appendfsync always); 0: writes refused")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& writes_accepted =
      prometheus::BuildGauge()
          .Name("hallmark_redis_writes_accepted")
          .Help("1 while writes are accepted: every master durable and, where writes are "
                "replicated, with enough replicas online")
          .Register(*registry)
          .Add({});
  Labeled<prometheus::Gauge> replicas_online{prometheus::BuildGauge()
                                                 .Name("hallmark_redis_replicas_online")
                                                 .Help("Replicas online, by master")
                                                 .Register(*registry)};
  Labeled<prometheus::Gauge> replica_lag{
      prometheus::BuildGauge()
          .Name("hallmark_redis_replica_lag_bytes")
          .Help("How far the slowest online replica is behind its master, in bytes, by master")
          .Register(*registry)};
  Histogram& replica_ack = prometheus::BuildHistogram()
                               .Name("hallmark_redis_replica_ack_seconds")
                               .Help("WAIT round trips: a write's replication acknowledged")
                               .Register(*registry)
                               .Add({}, LatencyBuckets());
  Counter& replica_ack_short =
      prometheus::BuildCounter()
          .Name("hallmark_redis_replica_ack_timeouts_total")
          .Help("WAITs that came back with fewer replicas than required (writes failed UNAVAILABLE)")
          .Register(*registry)
          .Add({});
};

Metrics::Metrics(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Metrics::~Metrics() = default;

std::unique_ptr<Metrics> Metrics::Create() {
  return std::unique_ptr<Metrics>(new Metrics(std::make_unique<Impl>()));
}

absl::StatusOr<int> Metrics::Serve(const std::string& listen) {
  try {
    impl_->exposer = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", listen, ": ", e.what()));
  }
  impl_->exposer->RegisterCollectable(impl_->registry);
  const std::vector<int> ports = impl_->exposer->GetListeningPorts();
  return ports.empty() ? 0 : ports[0];
}

void Metrics::Rpc(absl::string_view method, absl::string_view code, absl::Duration latency) {
  impl_->rpcs.Get({"method", "code"}, {method, code}).Increment();
  impl_->latency.Get({"method"}, {method}, LatencyBuckets()).Observe(absl::ToDoubleSeconds(latency));
}

void Metrics::Verdict(absl::string_view verdict) {
  impl_->verdicts.Get({"verdict"}, {verdict}).Increment();
}

void Metrics::WebRequest(int status) {
  impl_->web_requests.Get({"code"}, {absl::StrCat(status)}).Increment();
}

void Metrics::UnitsIssued(uint64_t n) { impl_->issued.Increment(static_cast<double>(n)); }

void Metrics::RedisCall(absl::Duration latency, bool ok) {
  impl_->redis_latency.Observe(absl::ToDoubleSeconds(latency));
  if (!ok) impl_->redis_errors.Increment();
}

void Metrics::RateLimited(absl::string_view role) {
  impl_->rate_limited.Get({"role"}, {role}).Increment();
}

void Metrics::SignatureCheck(absl::string_view result) {
  impl_->signatures.Get({"result"}, {result}).Increment();
}

void Metrics::LifecycleEvent(absl::string_view action, absl::string_view flag) {
  impl_->lifecycle.Get({"action", "flag"}, {action, flag}).Increment();
}

void Metrics::SecurityEvent(absl::string_view event) {
  impl_->security.Get({"event"}, {event}).Increment();
}

void Metrics::RedisReady(bool ready) { impl_->redis_ready.Set(ready ? 1 : 0); }
void Metrics::RedisDurable(bool durable) { impl_->redis_durable.Set(durable ? 1 : 0); }
void Metrics::WritesAccepted(bool accepted) { impl_->writes_accepted.Set(accepted ? 1 : 0); }

void Metrics::Replicas(absl::string_view master, int online, int64_t lag_bytes) {
  impl_->replicas_online.Get({"master"}, {master}).Set(online);
  impl_->replica_lag.Get({"master"}, {master}).Set(static_cast<double>(lag_bytes));
}

void Metrics::ReplicaAck(absl::Duration latency, bool enough) {
  impl_->replica_ack.Observe(absl::ToDoubleSeconds(latency));
  if (!enough) impl_->replica_ack_short.Increment();
}

std::string Metrics::Scrape() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace hallmark
