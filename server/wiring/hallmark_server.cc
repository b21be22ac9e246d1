#include "server/wiring/hallmark_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>

#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "crypto/key_directory.h"
#include "gs1/unit_code.h"
#include "server/api/access_table.h"
#include "server/api/call_guard.h"
#include "server/api/issuance_service.h"
#include "server/api/keys_service.h"
#include "server/api/lifecycle_service.h"
#include "server/api/links_service.h"
#include "server/api/parse_failure_interceptor.h"
#include "server/api/stolen_registry_service.h"
#include "server/api/verification_service.h"
#include "server/auth/client_address.h"
#include "server/common/log.h"
#include "server/registry/redis_lifecycle_store.h"
#include "server/registry/redis_links_store.h"
#include "server/registry/redis_presence_store.h"
#include "server/registry/redis_registry.h"
#include "server/registry/redis_stolen_store.h"
#include "server/web/front_door.h"
#include "server/wiring/library_logs.h"
#include "server/wiring/redis_wiring.h"
#include "server/wiring/replica_shares.h"
#include "server/wiring/tls_files.h"
#include "server/wiring/transport.h"

namespace hallmark::api {

struct HallmarkServer::State {
  // Also when Start fails half way: the Redis client's callbacks (health, metrics) must stop
  // before the gRPC server whose health service they update goes away with the other members.
  ~State() {
    health.Detach();
    if (redis != nullptr) redis->Stop();
  }

  ServerConfig config;
  HealthReporter health;
  std::unique_ptr<Metrics> metrics = Metrics::Create();
  std::unique_ptr<TlsFiles> tls_files;  // the checked copies gRPC reads (TLS only)
  int metrics_port = 0;
  std::unique_ptr<Snapshot<crypto::KeyRing>> keys;
  // The signed trust list to hand out (null inside while none is configured).
  std::unique_ptr<Snapshot<crypto::SignedTrustList>> trust_list =
      std::make_unique<Snapshot<crypto::SignedTrustList>>(nullptr);
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
  std::unique_ptr<registry::RedisLinksStore> links_store;
  std::unique_ptr<registry::RedisPresenceStore> presence_store;
  std::shared_ptr<ReplicaShares> shares;
  std::unique_ptr<issuance::IssuanceEngine> issuance;
  std::unique_ptr<verification::VerificationEngine> verification;
  std::unique_ptr<stolen::StolenRegistryEngine> stolen;
  std::unique_ptr<lifecycle::LifecycleEngine> lifecycle;
  std::unique_ptr<links::LinksEngine> links;
  std::unique_ptr<CallGuard> guard;
  std::unique_ptr<IssuanceService> issuance_service;
  std::unique_ptr<KeysService> keys_service;
  std::unique_ptr<VerificationService> verification_service;
  std::unique_ptr<StolenRegistryService> stolen_service;
  std::unique_ptr<LifecycleService> lifecycle_service;
  std::unique_ptr<LinksService> links_service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::unique_ptr<web::FrontDoor> web;  // the HTTP front door, when configured
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
  HALLMARK_RETURN_IF_ERROR(CheckConfig(config));
  auto s = std::make_unique<State>();
  s->config = config;
  HALLMARK_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                            ServerCredentials(config, s->metrics.get(), &s->tls_files));
  HALLMARK_RETURN_IF_ERROR(LoadTrust(s.get()));
  HALLMARK_RETURN_IF_ERROR(ConnectStores(s.get()));
  HALLMARK_RETURN_IF_ERROR(BuildEngines(s.get()));
  BuildServices(s.get());
  HALLMARK_RETURN_IF_ERROR(Serve(s.get(), std::move(credentials)));
  HALLMARK_RETURN_IF_ERROR(ServeWeb(s.get()));
  log::Info("listening", {{"addr", config.listen}, {"redis", config.redis}});
  return std::unique_ptr<HallmarkServer>(new HallmarkServer(std::move(s)));
}

absl::Status HallmarkServer::CheckConfig(const ServerConfig& config) {
  // Redis keeps a unit's 6 most recent distinct locations (server/registry/lua/,
  // MAX_LOCATIONS): a threshold of 6 or more could never be passed, and 0 would flag every
  // located scan.
  if (config.clone_max_locations < 1 || config.clone_max_locations > 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--clone_max_locations: must be 1..5 (6 distinct locations are kept per unit), got ",
        config.clone_max_locations));
  }
  if (!config.responder_gln.empty() && config.require_client_cert) {
    // The verification message takes bearer tokens; a deployment that asks every gRPC caller
    // for a certificate would let a leaked token alone through the front door.
    return absl::InvalidArgumentError(
        "--responder_gln: the GS1 verification message authenticates by bearer token only; it "
        "cannot be served with --require_client_cert");
  }
  HALLMARK_ASSIGN_OR_RETURN(LibraryLogLevel library_log_level,
                            ParseLibraryLogLevel(config.library_log_level));
  RouteLibraryLogs(library_log_level);
  return absl::OkStatus();
}

absl::Status HallmarkServer::LoadSignedTrustList(State* s) {
  const ServerConfig& config = s->config;
  if (config.trust_list.empty() != config.trust_list_root.empty()) {
    return absl::InvalidArgumentError("--trust_list and --trust_list_root go together");
  }
  if (config.trust_list.empty()) return absl::OkStatus();
  // Never back to an older list than the one served (nor another of its sequence).
  crypto::AcceptedTrustList served;
  if (std::shared_ptr<const crypto::SignedTrustList> now = s->trust_list->Get(); now != nullptr) {
    served = {now->list.sequence, crypto::TrustListDigest(now->jws)};
  }
  absl::StatusOr<crypto::SignedTrustList> loaded =
      crypto::LoadTrustList(config.trust_list, config.trust_list_root, absl::Now(), served);
  if (!loaded.ok() && absl::IsFailedPrecondition(loaded.status()) &&
      s->trust_list->Get() == nullptr) {
    // Expired (or an impossible rollback at start): verification must not stop for it; the
    // list is simply not handed out until a fresh one is signed.
    log::Error("trust list not served", {{"error", loaded.status().ToString()}});
    return absl::OkStatus();
  }
  if (!loaded.ok()) return loaded.status();
  crypto::SignedTrustList list = *std::move(loaded);
  // A list that no longer describes the keys (a revocation not yet signed into a new list)
  // is still served — it is the newest the root signed — but said loudly.
  for (const std::string& drift : crypto::TrustListDrift(list.list, *s->keys->Get())) {
    log::Warn("trust list is stale: sign a new one", {{"why", drift}});
  }
  log::Info("trust list", {{"sequence", absl::StrCat(list.list.sequence)},
                           {"expires", absl::FormatTime(list.list.expires_at)}});
  s->trust_list->Set(std::make_shared<const crypto::SignedTrustList>(std::move(list)));
  return absl::OkStatus();
}

absl::Status HallmarkServer::LoadTrust(State* s) {
  const ServerConfig& config = s->config;
  HALLMARK_ASSIGN_OR_RETURN(std::shared_ptr<const crypto::KeyRing> ring,
                            LoadKeys(config.keys_dir, /*require_signing_key=*/true));
  s->checker = std::make_unique<Snapshot<verification::CodeChecker>>(
      std::make_shared<const verification::CodeChecker>(ring, config.signature_cache_entries));
  s->keys = std::make_unique<Snapshot<crypto::KeyRing>>(std::move(ring));
  HALLMARK_RETURN_IF_ERROR(LoadSignedTrustList(s));
  HALLMARK_ASSIGN_OR_RETURN(std::shared_ptr<const auth::PrincipalStore> principals,
                            LoadPrincipals(config.principals));
  s->principals = std::make_unique<Snapshot<auth::PrincipalStore>>(std::move(principals));
  s->limiter = std::make_unique<auth::RateLimiter>();
  return absl::OkStatus();
}

absl::Status HallmarkServer::ConnectStores(State* s) {
  const ServerConfig& config = s->config;
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
  s->links_store = std::make_unique<registry::RedisLinksStore>(s->redis.get());
  s->presence_store = std::make_unique<registry::RedisPresenceStore>(s->redis.get());
  if (config.rate_limit_sync > absl::ZeroDuration()) {
    s->shares = ReplicaShares::Start(s->limiter.get(), s->presence_store.get(), s->timer.get(),
                                     config.rate_limit_sync);
  }
  return absl::OkStatus();
}

absl::Status HallmarkServer::BuildEngines(State* s) {
  const ServerConfig& config = s->config;
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
  vo.limiter = s->limiter.get();
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
    absl::StatusOr<gs1::UnitCode> code = gs1::ParseScannedCode(text);
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
  links::LinksOptions links_options;
  links_options.redis_timeout = config.redis_timeout;
  s->links = std::make_unique<links::LinksEngine>(s->links_store.get(), links_options);
  return absl::OkStatus();
}

void HallmarkServer::BuildServices(State* s) {
  const ServerConfig& config = s->config;
  s->guard = std::make_unique<CallGuard>(s->principals.get(), s->limiter.get(), s->metrics.get(),
                                         config.log_rpcs, config.require_client_cert);
  s->issuance_service =
      std::make_unique<IssuanceService>(s->guard.get(), s->issuance.get(), config.max_call);
  s->keys_service =
      std::make_unique<KeysService>(s->guard.get(), s->keys.get(), s->trust_list.get());
  s->verification_service = std::make_unique<VerificationService>(
      s->guard.get(), s->verification.get(), config.max_call);
  s->stolen_service =
      std::make_unique<StolenRegistryService>(s->guard.get(), s->stolen.get(), config.max_call);
  s->lifecycle_service =
      std::make_unique<LifecycleService>(s->guard.get(), s->lifecycle.get(), config.max_call);
  s->links_service =
      std::make_unique<LinksService>(s->guard.get(), s->links.get(), config.max_call);
}

absl::Status HallmarkServer::Serve(State* s,
                                   std::shared_ptr<grpc::ServerCredentials> credentials) {
  const ServerConfig& config = s->config;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, std::move(credentials), &s->port);
  ApplyTransportLimits(config, &builder);
  HALLMARK_RETURN_IF_ERROR(Register<v1::Issuance>(s->issuance_service.get(), &builder));
  HALLMARK_RETURN_IF_ERROR(Register<v1::Keys>(s->keys_service.get(), &builder));
  HALLMARK_RETURN_IF_ERROR(Register<v1::Verification>(s->verification_service.get(), &builder));
  HALLMARK_RETURN_IF_ERROR(Register<v1::StolenRegistry>(s->stolen_service.get(), &builder));
  HALLMARK_RETURN_IF_ERROR(Register<v1::Lifecycle>(s->lifecycle_service.get(), &builder));
  HALLMARK_RETURN_IF_ERROR(Register<v1::Links>(s->links_service.get(), &builder));
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<ParseFailureInterceptorFactory>(s->metrics.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  s->server = builder.BuildAndStart();
  if (s->server == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  s->health.Attach(s->server->GetHealthCheckService());
  return absl::OkStatus();
}

absl::Status HallmarkServer::ServeWeb(State* s) {
  const ServerConfig& config = s->config;
  if (config.http_listen.empty()) return absl::OkStatus();
  web::FrontDoorOptions o;
  o.listen = config.http_listen;
  o.public_base = config.http_public_base.empty() ? absl::StrCat("https://", config.resolver_host)
                                                  : config.http_public_base;
  HALLMARK_ASSIGN_OR_RETURN(o.trusted_proxies, auth::ParseCidrs(config.trusted_proxies));
  o.country_header = config.http_country_header;
  o.responder_gln = config.responder_gln;
  o.threads = config.http_threads;
  o.max_connections = config.http_max_connections;
  o.per_client = {config.http_client_rate, 3 * config.http_client_rate};
  o.global = {config.http_global_rate, 2 * config.http_global_rate};
  o.verify_timeout = config.redis_timeout + absl::Seconds(1);
  if (config.http_tls) {
    if (s->tls_files == nullptr) {
      return absl::InvalidArgumentError("--http_tls: needs --tls_cert and --tls_key");
    }
    o.tls_cert = s->tls_files->cert_path();
    o.tls_key = s->tls_files->key_path();
    o.tls_refresh = config.tls_refresh;
  }
  web::FrontDoorDeps d;
  d.engine = s->verification.get();
  d.links = s->links.get();
  d.lifecycle = s->lifecycle.get();
  d.keys = s->keys.get();
  d.trust_list = s->trust_list.get();
  d.limiter = s->limiter.get();
  d.principals = s->principals.get();
  d.metrics = s->metrics.get();
  HealthReporter* health = &s->health;
  d.serving = [health] { return health->serving(); };
  HALLMARK_ASSIGN_OR_RETURN(s->web, web::FrontDoor::Start(std::move(o), std::move(d)));
  return absl::OkStatus();
}

int HallmarkServer::port() const { return state_->port; }
int HallmarkServer::http_port() const { return state_->web != nullptr ? state_->web->port() : 0; }
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
  // The trust list: the last good one stays served when the new file does not verify.
  absl::Status trust_list = LoadSignedTrustList(state_.get());
  if (!trust_list.ok()) log::Warn("trust list not reloaded", {{"error", trust_list.ToString()}});
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
  state_->web.reset();  // its loops finish the request each is answering
}

void HallmarkServer::Wait() {
  if (state_->server != nullptr) state_->server->Wait();
}

}  // namespace hallmark::api
