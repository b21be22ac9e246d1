#include "server/api/hallmark_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <atomic>
#include <climits>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/net.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "crypto/key_directory.h"
#include "crypto/unit_code.h"
#include "server/api/access_table.h"
#include "server/api/call_guard.h"
#include "server/api/issuance_service.h"
#include "server/api/keys_service.h"
#include "server/api/library_logs.h"
#include "server/api/lifecycle_service.h"
#include "server/api/parse_failure_interceptor.h"
#include "server/api/replica_shares.h"
#include "server/api/stolen_registry_service.h"
#include "server/api/tls_files.h"
#include "server/api/verification_service.h"
#include "server/common/log.h"
#include "server/redis/async_redis_client.h"
#include "server/redis/cluster_client.h"
#include "server/redis/replicated_connection.h"
#include "server/registry/redis_registry.h"
#include "server/registry/redis_lifecycle_store.h"
#include "server/registry/redis_presence_store.h"
#include "server/registry/redis_stolen_store.h"

namespace hallmark::api {

// The health service name of writes (hallmark_server.h).
constexpr char kWritesHealth[] = "hallmark.writes";

// Readiness as the health service reports it; the Redis client may report before the gRPC
// server exists, so the last state is kept and applied when it does.
class HealthReporter {
 public:
  void SetRedisReady(bool ready) {
    absl::MutexLock lock(&mu_);
    ready_ = ready;
    Apply();
  }
  void SetWritesAccepted(bool accepted) {
    absl::MutexLock lock(&mu_);
    writes_ = accepted;
    Apply();
  }
  void Attach(grpc::HealthCheckServiceInterface* health) {
    absl::MutexLock lock(&mu_);
    health_ = health;
    Apply();
  }
  void Detach() {
    absl::MutexLock lock(&mu_);
    health_ = nullptr;
  }

 private:
  void Apply() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (health_ == nullptr) return;
    health_->SetServingStatus(ready_);
    health_->SetServingStatus(kWritesHealth, ready_ && writes_);
  }
  absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_ ABSL_GUARDED_BY(mu_) = false;
  grpc::HealthCheckServiceInterface* health_ ABSL_GUARDED_BY(mu_) = nullptr;
};

struct HallmarkServer::State {
  ServerConfig config;
  HealthReporter health;
  std::unique_ptr<Metrics> metrics = Metrics::Create();
  std::unique_ptr<TlsFiles> tls_files;  // the checked copies gRPC reads (TLS only)
  int metrics_port = 0;
  std::unique_ptr<Snapshot<crypto::KeyRing>> keys;
  std::unique_ptr<Snapshot<verification::CodeChecker>> checker;
  std::unique_ptr<Snapshot<auth::PrincipalStore>> principals;
  std::unique_ptr<auth::RateLimiter> limiter;
  std::unique_ptr<WorkPool> pool;       // verification's signature checks
  std::unique_ptr<WorkPool> bulk_pool;  // issuance: deriving and signing units, at nice 10
  std::unique_ptr<Timer> timer = std::make_unique<Timer>();
  std::unique_ptr<AsyncGate> bulk;
  std::unique_ptr<redis::RedisConnection> redis;
  std::unique_ptr<registry::RedisRegistry> registry;
  std::unique_ptr<registry::RedisStolenStore> stolen_store;
  std::unique_ptr<registry::RedisLifecycleStore> lifecycle_store;
  std::unique_ptr<registry::RedisPresenceStore> presence_store;
  std::shared_ptr<ReplicaShares> shares;
  std::unique_ptr<issuance::IssuanceEngine> issuance;
  std::unique_ptr<verification::VerificationEngine> verification;
  std::unique_ptr<stolen::StolenRegistryEngine> stolen;
  std::unique_ptr<lifecycle::LifecycleEngine> lifecycle;
  std::unique_ptr<CallGuard> guard;
  std::unique_ptr<IssuanceService> issuance_service;
  std::unique_ptr<KeysService> keys_service;
  std::unique_ptr<VerificationService> verification_service;
  std::unique_ptr<StolenRegistryService> stolen_service;
  std::unique_ptr<LifecycleService> lifecycle_service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

namespace {

absl::StatusOr<std::shared_ptr<const crypto::KeyRing>> LoadKeys(const std::string& dir,
                                                                bool require_signing_key) {
  HALLMARK_ASSIGN_OR_RETURN(std::unique_ptr<crypto::KeyRing> ring,
                            crypto::KeyRing::LoadDirectory(dir, require_signing_key));
  return std::shared_ptr<const crypto::KeyRing>(std::move(ring));
}

absl::StatusOr<std::shared_ptr<const auth::PrincipalStore>> LoadPrincipals(
    const std::string& path) {
  HALLMARK_ASSIGN_OR_RETURN(std::unique_ptr<auth::PrincipalStore> store,
                            auth::PrincipalStore::LoadFile(path));
  return std::shared_ptr<const auth::PrincipalStore>(std::move(store));
}

// The customer registration key; none (with a warning) when the file does not exist.
absl::StatusOr<std::optional<lifecycle::RegistrationHasher>> LoadRegistrationHasher(
    const ServerConfig& config) {
  const std::string path = config.registration_key.empty()
                               ? JoinPath(config.keys_dir, crypto::kRegistrationKeyFile)
                               : config.registration_key;
  absl::StatusOr<std::string> key = crypto::ReadRegistrationKeyFile(path);
  if (absl::IsNotFound(key.status())) {
    log::Warn("no registration key: customer registrations are refused",
              {{"why", std::string(key.status().message())}});
    return std::optional<lifecycle::RegistrationHasher>();
  }
  if (!key.ok()) return key.status();
  return std::optional<lifecycle::RegistrationHasher>(*std::move(key));
}

// How durable writes are replicated before they are acknowledged (redis_replicas).
absl::StatusOr<redis::ReplicationOptions> ReplicationFromConfig(const ServerConfig& config,
                                                                bool cluster, Metrics* metrics) {
  redis::ReplicationOptions r;
  r.replicas = config.redis_replicas >= 0 ? config.redis_replicas : (cluster ? 1 : 0);
  if (config.redis_replicas < -1 || r.replicas > 16) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--redis_replicas: must be 0..16 (or -1: 1 on a cluster, 0 on one Redis), got ",
        config.redis_replicas));
  }
  if (config.redis_replica_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--redis_replica_timeout: must be positive");
  }
  if (r.replicas > 0 && config.allow_volatile_redis) {
    log::Warn("--allow_volatile_redis: acknowledged writes wait for replicas, but neither they "
              "nor the master need keep them on disk");
  }
  r.timeout = config.redis_replica_timeout;
  r.allow_fewer = config.allow_unreplicated_writes;
  r.on_check = [metrics](const std::string& master, const redis::ReplicationInfo& info) {
    metrics->Replicas(master, info.replicas_online, info.max_lag_bytes);
  };
  r.on_wait = [metrics](absl::Duration latency, int wanted, int confirmed) {
    metrics->ReplicaAck(latency, confirmed >= wanted);
  };
  return r;
}

// One Redis (unix:// or tcp://) or a Redis Cluster (cluster://host:port,...): every
// connection loads the functions and checks durability (on each master of a cluster).
absl::StatusOr<std::unique_ptr<redis::RedisConnection>> ConnectRedis(const ServerConfig& config,
                                                                     HealthReporter* health,
                                                                     Metrics* metrics) {
  redis::AsyncRedisClient::Options o;
  o.address = config.redis;
  registry::UseRegistryInit(&o, config.allow_volatile_redis);
  o.probe_interval = config.redis_probe_interval;
  o.probe_timeout = config.redis_probe_timeout;
  o.recheck_interval = config.redis_recheck_interval;
  o.on_durability_change = [metrics](const absl::Status& durability) {
    metrics->RedisDurable(durability.ok());
    if (durability.ok()) {
      log::Info("redis durable: writes accepted");
    } else {
      log::Error("redis NOT durable: writes refused until it is",
                 {{"why", std::string(durability.message())}});
    }
  };
  o.on_command_done = [metrics](absl::Duration latency, bool ok) {
    metrics->RedisCall(latency, ok);
  };
  auto on_state_change = [health, metrics](bool ready, const absl::Status& why) {
    health->SetRedisReady(ready);
    metrics->RedisReady(ready);
    if (ready) {
      log::Info("redis ready");
    } else {
      log::Warn("redis not ready", {{"why", std::string(why.message())}});
    }
  };
  const bool cluster = absl::StartsWith(config.redis, "cluster://");
  HALLMARK_ASSIGN_OR_RETURN(redis::ReplicationOptions replication,
                            ReplicationFromConfig(config, cluster, metrics));
  std::unique_ptr<redis::RedisConnection> client;
  if (cluster) {
    redis::ClusterRedisClient::Options c;
    HALLMARK_ASSIGN_OR_RETURN(c.seeds, redis::ParseClusterSeeds(config.redis));
    c.node = std::move(o);
    c.node.on_state_change = nullptr;
    c.on_state_change = std::move(on_state_change);
    c.replication = std::move(replication);
    HALLMARK_ASSIGN_OR_RETURN(client, redis::ClusterRedisClient::Start(std::move(c)));
  } else if (replication.replicas > 0) {
    o.on_state_change = std::move(on_state_change);
    HALLMARK_ASSIGN_OR_RETURN(
        client, redis::ReplicatedConnection::Start(std::move(o), std::move(replication)));
  } else {
    o.on_state_change = std::move(on_state_change);
    HALLMARK_ASSIGN_OR_RETURN(client, redis::AsyncRedisClient::Start(std::move(o)));
  }
  HALLMARK_RETURN_IF_ERROR(client->WaitUntilReady(config.redis_startup_timeout));
  // A deployment that starts on a non-durable Redis is misconfigured: refuse to serve. Later
  // losses of durability (CONFIG SET at run time) refuse writes only, and are logged. Too few
  // replicas (UNAVAILABLE) is a state, not a configuration: the server starts, verification
  // serves, writes wait for the replicas (health "hallmark.writes" NOT_SERVING meanwhile).
  if (absl::Status durable = client->durability(); absl::IsFailedPrecondition(durable)) {
    client->Stop();
    return durable;
  }
  return client;
}

// Every second: are writes accepted (hallmark_server.h)? Health, metric, and a log line when
// that changes. Re-arms itself on the server's timer until the timer goes away.
void WatchWrites(redis::RedisConnection* redis, HealthReporter* health, Metrics* metrics,
                 Timer* timer, std::shared_ptr<absl::Status> last) {
  absl::Status now = redis->ready() ? redis->durability()
                                    : absl::UnavailableError("redis not ready");
  health->SetWritesAccepted(now.ok());
  metrics->WritesAccepted(now.ok());
  if (now.ok() != last->ok() || (!now.ok() && now.message() != last->message())) {
    if (now.ok()) {
      log::Info("writes accepted");
    } else {
      log::Warn("writes refused", {{"why", std::string(now.message())}});
    }
    *last = now;
  }
  timer->After(absl::Seconds(1), [redis, health, metrics, timer, last] {
    WatchWrites(redis, health, metrics, timer, last);
  });
}

// TLS from files that are re-read every config.tls_refresh (rotation without a restart; a bad
// set is refused and the last good one kept, see tls_files.h), or plaintext where that is safe
// (loopback) or explicitly allowed. Invalid files stop startup.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const ServerConfig& c, Metrics* metrics, std::unique_ptr<TlsFiles>* files) {
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (c.tls_cert.empty()) {
    if (!c.client_ca.empty() || c.require_client_cert) {
      return absl::InvalidArgumentError("--client_ca/--require_client_cert need --tls_cert and --tls_key");
    }
    if (!IsLoopbackAddress(c.listen) && !c.allow_insecure) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing plaintext on ", c.listen,
          ": give --tls_cert/--tls_key, listen on loopback or a unix socket, or pass "
          "--allow_insecure"));
    }
    log::Warn("serving PLAINTEXT gRPC (no TLS)",
              {{"listen", c.listen},
               {"why", IsLoopbackAddress(c.listen) ? "loopback only" : "--allow_insecure"}});
    return grpc::InsecureServerCredentials();
  }
  if (c.require_client_cert && c.client_ca.empty()) {
    return absl::InvalidArgumentError("--require_client_cert needs --client_ca");
  }
  HALLMARK_ASSIGN_OR_RETURN(
      *files, TlsFiles::Start({c.tls_cert, c.tls_key, c.client_ca, c.tls_refresh},
                              [metrics](const absl::Status& why) {
                                metrics->SecurityEvent("tls_reload_rejected");
                                log::Error("TLS files rejected: still serving the last good ones",
                                           {{"why", std::string(why.message())}});
                              }));
  const TlsFiles& f = **files;
  const unsigned refresh = static_cast<unsigned>(std::max<int64_t>(1, absl::ToInt64Seconds(c.tls_refresh)));
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider =
      c.client_ca.empty()
          ? std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                f.key_path(), f.cert_path(), refresh)
          : std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                f.key_path(), f.cert_path(), f.ca_path(), refresh);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (c.client_ca.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(c.require_client_cert
                                      ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                      : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  log::Info("serving TLS", {{"listen", c.listen},
                            {"client_certs", c.client_ca.empty() ? "no"
                                             : c.require_client_cert ? "required"
                                                                     : "optional"}});
  return grpc::experimental::TlsServerCredentials(options);
}

// Bounds on what a caller can make gRPC hold before any handler (or authentication) runs:
// streams per connection, header and message sizes, all buffers together (a ResourceQuota:
// past it gRPC shrinks flow-control windows and cancels streams), idle and old connections,
// slow handshakes, and clients that ping too often. See docs/security.md.
void ApplyTransportLimits(const ServerConfig& c, grpc::ServerBuilder* builder) {
  auto ms = [](absl::Duration d) {
    return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), INT32_MAX));
  };
  builder->SetMaxReceiveMessageSize(c.max_receive_message_bytes);
  builder->SetMaxSendMessageSize(c.max_send_message_bytes);
  grpc::ResourceQuota quota("hallmark-server");
  quota.Resize(static_cast<size_t>(c.memory_quota_bytes));
  builder->SetResourceQuota(quota);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, c.max_concurrent_streams);
  builder->AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, c.max_metadata_bytes);
  builder->AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, ms(c.handshake_timeout));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, ms(c.max_connection_idle));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, ms(c.max_connection_age));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                              ms(c.max_connection_age_grace));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, ms(c.keepalive_time));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, ms(c.keepalive_timeout));
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                              ms(c.min_client_ping_interval));
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
}

// Registers `service`, an implementation of the gRPC service `Grpc` (v1::Keys, ...), once every
// method of it has a row in the access table (admission by construction: a method nobody
// decided who may call is never served).
template <typename Grpc>
absl::Status Register(grpc::Service* service, grpc::ServerBuilder* builder) {
  HALLMARK_RETURN_IF_ERROR(CheckServiceHasAccessRows(Grpc::service_full_name()));
  builder->RegisterService(service);
  return absl::OkStatus();
}

}  // namespace

HallmarkServer::HallmarkServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HallmarkServer::~HallmarkServer() {
  // Order matters: no new calls; then Redis fails everything still in flight, so every
  // background chain (a cancelled stream's chunks, say) runs to its end on the pool while the
  // engine it points to is still alive; only then does the rest go away.
  Shutdown(absl::ZeroDuration());
  Wait();
  state_->health.Detach();
  state_->redis->Stop();
  state_->timer.reset();  // drops paced streams' wake-ups: their calls have ended
  state_->bulk_pool.reset();  // runs what is queued, then joins
  state_->pool.reset();
}

absl::StatusOr<std::unique_ptr<HallmarkServer>> HallmarkServer::Start(const ServerConfig& config) {
  // Redis keeps a unit's 6 most recent distinct locations (server/registry/lua/, MAX_LOCATIONS): a
  // threshold of 6 or more could never be passed, and 0 would flag every located scan.
  if (config.clone_max_locations < 1 || config.clone_max_locations > 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--clone_max_locations: must be 1..5 (6 distinct locations are kept per unit), got ",
        config.clone_max_locations));
  }
  HALLMARK_ASSIGN_OR_RETURN(LibraryLogLevel library_log_level,
                            ParseLibraryLogLevel(config.library_log_level));
  RouteLibraryLogs(library_log_level);
  auto s = std::make_unique<State>();
  s->config = config;
  HALLMARK_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                            ServerCredentials(config, s->metrics.get(), &s->tls_files));
  HALLMARK_ASSIGN_OR_RETURN(std::shared_ptr<const crypto::KeyRing> ring,
                            LoadKeys(config.keys_dir, /*require_signing_key=*/true));
  s->checker = std::make_unique<Snapshot<verification::CodeChecker>>(
      std::make_shared<const verification::CodeChecker>(ring, config.signature_cache_entries));
  s->keys = std::make_unique<Snapshot<crypto::KeyRing>>(std::move(ring));
  HALLMARK_ASSIGN_OR_RETURN(std::shared_ptr<const auth::PrincipalStore> principals,
                            LoadPrincipals(config.principals));
  s->principals = std::make_unique<Snapshot<auth::PrincipalStore>>(std::move(principals));
  s->limiter = std::make_unique<auth::RateLimiter>();
  const int threads = config.worker_threads > 0
                          ? config.worker_threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  s->pool = std::make_unique<WorkPool>(threads);
  s->bulk_pool = std::make_unique<WorkPool>(threads, /*nice=*/10);
  s->bulk = std::make_unique<AsyncGate>(static_cast<size_t>(std::max(1, config.bulk_in_flight)));
  if (!config.metrics_listen.empty()) {
    HALLMARK_ASSIGN_OR_RETURN(s->metrics_port, s->metrics->Serve(config.metrics_listen));
  }
  HALLMARK_ASSIGN_OR_RETURN(s->redis, ConnectRedis(config, &s->health, s->metrics.get()));
  WatchWrites(s->redis.get(), &s->health, s->metrics.get(), s->timer.get(),
              std::make_shared<absl::Status>(absl::UnknownError("starting")));
  s->registry = std::make_unique<registry::RedisRegistry>(s->redis.get());
  s->stolen_store = std::make_unique<registry::RedisStolenStore>(s->redis.get());
  s->lifecycle_store = std::make_unique<registry::RedisLifecycleStore>(s->redis.get());
  s->presence_store = std::make_unique<registry::RedisPresenceStore>(s->redis.get());
  if (config.rate_limit_sync > absl::ZeroDuration()) {
    s->shares = ReplicaShares::Start(s->limiter.get(), s->presence_store.get(), s->timer.get(),
                                     config.rate_limit_sync);
  }

  issuance::EngineOptions eo;
  eo.resolver_host = config.resolver_host;
  eo.redis_timeout = config.redis_timeout;
  eo.bulk = s->bulk.get();
  eo.stream_chunk = static_cast<size_t>(std::max(1, config.stream_chunk));
  eo.stream_chunks_ahead = static_cast<size_t>(std::max(1, config.stream_chunks_ahead));
  eo.timer = s->timer.get();
  s->issuance = std::make_unique<issuance::IssuanceEngine>(s->registry.get(), s->bulk_pool.get(),
                                                           s->keys.get(), eo);
  verification::VerificationOptions vo;
  vo.clone = {config.clone_max_locations, config.clone_window};
  vo.redis_timeout = config.redis_timeout;
  vo.metrics = s->metrics.get();
  s->verification = std::make_unique<verification::VerificationEngine>(
      s->registry.get(), s->pool.get(), s->checker.get(), vo);
  s->stolen = std::make_unique<stolen::StolenRegistryEngine>(s->stolen_store.get(),
                                                             config.redis_timeout);
  HALLMARK_ASSIGN_OR_RETURN(std::optional<lifecycle::RegistrationHasher> hasher,
                            LoadRegistrationHasher(config));
  lifecycle::LifecycleOptions lo;
  lo.policy = {config.reactivation_window, config.default_warranty_months};
  lo.redis_timeout = config.redis_timeout;
  lo.metrics = s->metrics.get();
  if (config.lifecycle_clock) lo.clock = config.lifecycle_clock;
  lo.unit_of_code = [checker = s->checker.get()](
                        absl::string_view text) -> absl::StatusOr<v1::UnitId> {
    absl::StatusOr<crypto::UnitCode> code = crypto::ParseScannedCode(text);
    if (!code.ok()) return absl::NotFoundError("unparseable code");
    if (!checker->Get()->Check(*code).verification.ok()) {
      return absl::NotFoundError("signature does not verify");
    }
    v1::UnitId unit;
    unit.set_gtin(code->gtin);
    unit.set_serial(code->serial);
    return unit;
  };
  s->lifecycle = std::make_unique<lifecycle::LifecycleEngine>(s->lifecycle_store.get(),
                                                              std::move(hasher), lo);
  s->guard = std::make_unique<CallGuard>(s->principals.get(), s->limiter.get(), s->metrics.get(),
                                         config.log_rpcs, config.require_client_cert);
  s->issuance_service =
      std::make_unique<IssuanceService>(s->guard.get(), s->issuance.get(), config.max_call);
  s->keys_service = std::make_unique<KeysService>(s->guard.get(), s->keys.get());
  s->verification_service = std::make_unique<VerificationService>(
      s->guard.get(), s->verification.get(), config.max_call);
  s->stolen_service =
      std::make_unique<StolenRegistryService>(s->guard.get(), s->stolen.get(), config.max_call);
  s->lifecycle_service =
      std::make_unique<LifecycleService>(s->guard.get(), s->lifecycle.get(), config.max_call);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, credentials, &s->port);
  ApplyTransportLimits(config, &builder);
  HALLMARK_RETURN_IF_ERROR(Register<v1::Issuance>(s->issuance_service.get(), &builder));
  HALLMARK_RETURN_IF_ERROR(Register<v1::Keys>(s->keys_service.get(), &builder));
  HALLMARK_RETURN_IF_ERROR(Register<v1::Verification>(s->verification_service.get(), &builder));
  HALLMARK_RETURN_IF_ERROR(Register<v1::StolenRegistry>(s->stolen_service.get(), &builder));
  HALLMARK_RETURN_IF_ERROR(Register<v1::Lifecycle>(s->lifecycle_service.get(), &builder));
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<ParseFailureInterceptorFactory>(s->metrics.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  s->server = builder.BuildAndStart();
  if (s->server == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  s->health.Attach(s->server->GetHealthCheckService());
  log::Info("listening", {{"addr", config.listen}, {"redis", config.redis}});
  return std::unique_ptr<HallmarkServer>(new HallmarkServer(std::move(s)));
}

int HallmarkServer::port() const { return state_->port; }
int HallmarkServer::metrics_port() const { return state_->metrics_port; }

int HallmarkServer::RateLimitReplicas(const std::string& principal) const {
  return state_->shares != nullptr ? state_->shares->Replicas(principal) : 1;
}

absl::Status HallmarkServer::Reload() {
  // Keys and principals reload independently: a revocation must take effect even when the
  // other file is broken, and a revoked ACTIVE key with no successor yet must still reload
  // (verification then rejects its codes; issuance is refused until a new key exists) rather
  // than leave the server trusting the revoked key.
  absl::StatusOr<std::shared_ptr<const crypto::KeyRing>> ring =
      LoadKeys(state_->config.keys_dir, /*require_signing_key=*/false);
  absl::StatusOr<std::shared_ptr<const auth::PrincipalStore>> principals =
      LoadPrincipals(state_->config.principals);
  if (ring.ok()) {
    if ((*ring)->active() == nullptr) {
      log::Warn("reloaded keys: no ACTIVE signing key; issuance is refused until one is generated");
    }
    state_->checker->Set(std::make_shared<const verification::CodeChecker>(
        *ring, state_->config.signature_cache_entries));  // a new key state: a new, empty cache
    state_->keys->Set(*std::move(ring));
    log::Info("reloaded keys");
  }
  if (principals.ok()) {
    state_->principals->Set(*std::move(principals));
    log::Info("reloaded principals");
  }
  if (!ring.ok()) return ring.status();
  return principals.status();
}

void HallmarkServer::Shutdown(absl::Duration grace) {
  if (state_->server == nullptr) return;
  const absl::Time deadline = absl::Now() + grace;
  state_->health.Detach();
  state_->guard->Drain(deadline, absl::Milliseconds(300));
  state_->server->Shutdown(absl::ToChronoTime(deadline));
}

void HallmarkServer::Wait() {
  if (state_->server != nullptr) state_->server->Wait();
}

}  // namespace hallmark::api
