// File: tests/common/server_harness.h
//
// ServerHarness: a complete Hallmark deployment inside a test: a real durable redis-server on
// a unix socket, a keys directory with an ACTIVE ES256 key (and a registration key), a
// principals file with one principal per role (plus a second issuer of the same brand, a
// foreign issuer, a second retailer and a single-brand retailer), and
// HallmarkServer listening on a unix socket, all in a private temp dir.
#ifndef HALLMARK_TESTS_COMMON_SERVER_HARNESS_H_
#define HALLMARK_TESTS_COMMON_SERVER_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/wiring/hallmark_server.h"
#include "tests/common/redis_server.h"
#include "tests/common/temp_dir.h"

namespace hallmark::testing {

// Principal names the harness creates. The brand owns GS1 company prefix 950600.
inline constexpr char kIssuer[] = "acme";             // issuer, prefixes 950600
inline constexpr char kIssuer2[] = "acme-plant2";     // issuer, prefixes 950600
inline constexpr char kForeignIssuer[] = "globex";    // issuer, prefixes 400638
inline constexpr char kRetailer[] = "shop";            // organisation "Shop One"
inline constexpr char kRetailer2[] = "shop2";          // organisation "Shop Two"
// A retailer carrying one brand only (prefixes 400638): lifecycle events for other GTINs are
// refused.
inline constexpr char kBrandRetailer[] = "globex-store";
inline constexpr char kVerifier[] = "app";
inline constexpr char kPolice[] = "police";
inline constexpr char kLimitedVerifier[] = "app-limited";  // verifier, burst 5, ~no refill
inline constexpr char kLimitedPolice[] = "police-limited";  // law enforcement, same limit
inline constexpr char kOtherPolice[] = "police-other";  // law enforcement of "Other Force"
// A verifier with a burst of 30 and ~no refill: for rate limits shared by several replicas.
inline constexpr char kSharedVerifier[] = "app-shared";
// An issuer of 950600 with an issue_rate of 1,000 units (one stream chunk) and ~no refill, and
// one stream at a time.
inline constexpr char kLimitedIssuer[] = "acme-limited";
// A retailer known only by its client certificate (no token): see make_test_pki.sh.
inline constexpr char kCertRetailer[] = "cert-shop";
inline constexpr char kCertRetailerUri[] = "spiffe://hallmark.test/principal/cert-shop";
inline constexpr char kBrandGtin[] = "09506000134352";
inline constexpr char kForeignGtin[] = "04006381333931";

// The files a deployment needs, written into `dir`: keys/ with an ACTIVE ES256 key and
// principals.textpb with the principals above (rate limits lifted for tests).
struct Deployment {
  std::string keys_dir;
  std::string principals;
  std::map<std::string, std::string> tokens;  // principal name -> bearer token
};
absl::StatusOr<Deployment> WriteDeployment(const std::string& dir);

class ServerHarness {
 public:
  struct Options {
    // Generous: on a loaded machine (CTest -j4, every Redis fsyncing each write) a call can take
    // well over 500 ms; tests that need a deadline to fire pause Redis.
    absl::Duration redis_timeout = absl::Seconds(2);
    std::string extra_redis_config;
    // Use this Redis (e.g. a RedisCluster's address) instead of starting one; redis() and
    // RegisteredCount() are then not available.
    std::string redis_address;
    // Last changes to the server's configuration (TLS, metrics, a TCP listen address, ...).
    std::function<void(api::ServerConfig*)> configure;
  };
  static absl::StatusOr<std::unique_ptr<ServerHarness>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<ServerHarness>> Start() { return Start(Options{}); }
  ~ServerHarness();

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // A context carrying `principal`'s token (empty name: no token) and a deadline.
  std::unique_ptr<grpc::ClientContext> Context(const std::string& principal,
                                               absl::Duration deadline = absl::Seconds(30)) const;
  const std::string& token(const std::string& principal) const { return tokens_.at(principal); }

  RedisServer& redis() { return *redis_; }
  api::HallmarkServer& server() { return *server_; }
  const std::string& dir() const { return tmp_.path(); }
  std::string keys_dir() const;

  // Units registered for `gtin`, read straight from Redis.
  absl::StatusOr<uint64_t> RegisteredCount(const std::string& gtin) const;
  // The registry entry of a unit straight from Redis: "" when unknown, else
  // "status\nbatch\nlot\nsku\nkey\nissued_at".
  absl::StatusOr<std::string> RegistryEntry(const std::string& gtin,
                                            const std::string& serial) const;

 private:
  ServerHarness() = default;
  TempDir tmp_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<api::HallmarkServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::map<std::string, std::string> tokens_;
};

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_SERVER_HARNESS_H_
