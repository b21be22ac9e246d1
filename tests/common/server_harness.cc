#include "tests/common/server_harness.h"

#include <google/protobuf/text_format.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "crypto/key_directory.h"
#include "server/auth/principals.h"

namespace hallmark::testing {
namespace {

struct Spec {
  const char* name;
  admin::Role role;
  const char* prefix;
  const char* organisation;
};

constexpr Spec kPrincipals[] = {
    {kIssuer, admin::ROLE_ISSUER, "950600", "ACME"},
    {kIssuer2, admin::ROLE_ISSUER, "950600", "ACME"},
    {kForeignIssuer, admin::ROLE_ISSUER, "400638", "Globex"},
    {kRetailer, admin::ROLE_RETAILER, "", "Shop One"},
    {kRetailer2, admin::ROLE_RETAILER, "", "Shop Two"},
    {kBrandRetailer, admin::ROLE_RETAILER, "400638", "Globex Store"},
    {kVerifier, admin::ROLE_VERIFIER, "", ""},
    {kPolice, admin::ROLE_LAW_ENFORCEMENT, "", "Police"},
    {kLimitedVerifier, admin::ROLE_VERIFIER, "", ""},
    {kLimitedPolice, admin::ROLE_LAW_ENFORCEMENT, "", "Police"},
    {kLimitedIssuer, admin::ROLE_ISSUER, "950600", "ACME"},
    {kSharedVerifier, admin::ROLE_VERIFIER, "", ""},
    {kOtherPolice, admin::ROLE_LAW_ENFORCEMENT, "", "Other Force"},
};

}  // namespace

absl::StatusOr<Deployment> WriteDeployment(const std::string& dir) {
  Deployment d;
  d.keys_dir = JoinPath(dir, "keys");
  HALLMARK_ASSIGN_OR_RETURN(crypto::KeyDirectory keys,
                            crypto::KeyDirectory::Open(d.keys_dir, /*create=*/true));
  HALLMARK_RETURN_IF_ERROR(keys.Generate(crypto::Algorithm::kEs256, absl::Now()).status());
  admin::Principals principals;
  for (const Spec& s : kPrincipals) {
    HALLMARK_ASSIGN_OR_RETURN(std::string token, auth::NewToken());
    admin::Principal* p = principals.add_principal();
    p->set_name(s.name);
    p->set_role(s.role);
    if (*s.prefix) p->add_gs1_company_prefixes(s.prefix);
    p->set_organisation(s.organisation);
    p->set_token_sha256(auth::TokenHash(token));
    // Tests drive far more calls than a real verifier app would; one keeps a real limit.
    const bool limited =
        std::string(s.name) == kLimitedVerifier || std::string(s.name) == kLimitedPolice;
    p->mutable_rate_limit()->set_per_second(limited ? 0.001 : 1e6);
    p->mutable_rate_limit()->set_burst(limited ? 5 : 1000000);
    if (std::string(s.name) == kSharedVerifier) {
      p->mutable_rate_limit()->set_per_second(0.001);
      p->mutable_rate_limit()->set_burst(30);
    }
    if (std::string(s.name) == kLimitedIssuer) {
      p->mutable_issue_rate()->set_per_second(0.001);
      p->mutable_issue_rate()->set_burst(1000);  // one stream chunk, then ~no refill
      p->set_max_streams(1);
    } else if (s.role == admin::ROLE_ISSUER) {
      p->mutable_issue_rate()->set_per_second(1e7);
      p->mutable_issue_rate()->set_burst(100000000);
      p->set_max_streams(64);
    }
    d.tokens[s.name] = token;
  }
  admin::Principal* cert = principals.add_principal();
  cert->set_name(kCertRetailer);
  cert->set_role(admin::ROLE_RETAILER);
  cert->set_client_cert_uri(kCertRetailerUri);
  std::string text;
  google::protobuf::TextFormat::PrintToString(principals, &text);
  d.principals = JoinPath(dir, "principals.textpb");
  HALLMARK_RETURN_IF_ERROR(WriteFileAtomically(d.principals, text, 0600));
  return d;
}

std::string ServerHarness::keys_dir() const { return JoinPath(tmp_.path(), "keys"); }

absl::StatusOr<std::unique_ptr<ServerHarness>> ServerHarness::Start(Options options) {
  std::unique_ptr<ServerHarness> h(new ServerHarness());
  if (options.redis_address.empty()) {
    HALLMARK_ASSIGN_OR_RETURN(h->redis_,
                              RedisServer::Start(h->tmp_.path(), options.extra_redis_config));
  }
  HALLMARK_ASSIGN_OR_RETURN(Deployment d, WriteDeployment(h->tmp_.path()));
  h->tokens_ = d.tokens;
  api::ServerConfig config;
  const std::string socket = JoinPath(h->tmp_.path(), "grpc.sock");
  config.listen = "unix:" + socket;
  config.redis = h->redis_ != nullptr ? h->redis_->address() : options.redis_address;
  config.keys_dir = d.keys_dir;
  config.principals = d.principals;
  config.resolver_host = "id.brand.example";
  config.redis_timeout = options.redis_timeout;
  config.worker_threads = 2;
  if (options.configure) options.configure(&config);
  HALLMARK_ASSIGN_OR_RETURN(h->server_, api::HallmarkServer::Start(config));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  h->channel_ = grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args);
  return h;
}

ServerHarness::~ServerHarness() {
  if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  server_.reset();
}

std::unique_ptr<grpc::ClientContext> ServerHarness::Context(const std::string& principal,
                                                            absl::Duration deadline) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!principal.empty()) ctx->AddMetadata("authorization", "Bearer " + tokens_.at(principal));
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return ctx;
}

absl::StatusOr<uint64_t> ServerHarness::RegisteredCount(const std::string& gtin) const {
  HALLMARK_ASSIGN_OR_RETURN(std::string n,
                            redis_->Command({"FCALL_RO", "hm_count", "1", "hm:{" + gtin + "}"}));
  uint64_t v = 0;
  if (!absl::SimpleAtoi(n, &v)) return absl::InternalError("bad count");
  return v;
}

absl::StatusOr<std::string> ServerHarness::RegistryEntry(const std::string& gtin,
                                                         const std::string& serial) const {
  return redis_->Command({"FCALL_RO", "hm_lookup", "1", "hm:{" + gtin + "}", serial});
}

}  // namespace hallmark::testing
