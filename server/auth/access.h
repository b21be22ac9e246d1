// File: server/auth/access.h
//
// The access rules applied on every call, independent of gRPC: who the caller is (from the
// Authorization header), whether its role may call the method, whether an issuer owns the
// GTIN, and whether it is within its request rate.
//
// Errors are what the caller should see: UNAUTHENTICATED (no or unknown token: the same
// message for both, so tokens cannot be probed), PERMISSION_DENIED (naming role and method, or
// the GTIN outside the issuer's prefixes), RESOURCE_EXHAUSTED (rate, with a retry hint).
#ifndef HALLMARK_SERVER_AUTH_ACCESS_H_
#define HALLMARK_SERVER_AUTH_ACCESS_H_

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/auth/principals.h"

namespace hallmark::auth {

// Parses "Bearer <token>" (scheme case-insensitive) and finds the principal.
absl::StatusOr<const Principal*> Authenticate(const PrincipalStore& store,
                                              absl::string_view authorization);

absl::Status RequireRole(const Principal& principal, std::initializer_list<Role> allowed,
                         absl::string_view method);
absl::Status RequireRole(const Principal& principal, const std::vector<Role>& allowed,
                         absl::string_view method);

// Stolen cases belong to organisations. A principal's typed owner identity: "o:<organisation>",
// or "p:<name>" for a principal without one; the type prefix is chosen by the kind of owner, so
// no organisation name can pose as a principal (or the reverse).
std::string OwnerId(const Principal& principal);
// A case as stored: the owner's identity, '|', then the id the owner gave it ('|' never occurs
// in a case id). Two organisations' "2027-0001" are two cases; nobody can take another's id.
std::string ScopedCaseId(const Principal& owner, absl::string_view case_id);
// The id its owner gave a stored case ("2027-0001"); a legacy unscoped id as it is.
absl::string_view PublicCaseId(absl::string_view scoped);
// Whether `principal`'s organisation owns the stored case.
bool OwnsCase(const Principal& principal, absl::string_view scoped);

// Issuers may act only on GTINs of their GS1 company prefixes (matched against the GTIN-13
// part of the 14-digit GTIN, i.e. after the indicator digit). Other roles pass.
absl::Status CheckGtinAccess(const Principal& principal, absl::string_view gtin14);
bool OwnsGtin(const Principal& principal, absl::string_view gtin14);

// The payload key of a RESOURCE_EXHAUSTED status that the caller may retry: a serialized
// google.rpc.RetryInfo, sent to the client in the status details (see api/grpc_status.h).
inline constexpr absl::string_view kRetryInfoPayload = "type.googleapis.com/google.rpc.RetryInfo";

// RESOURCE_EXHAUSTED with a readable hint ("...; retry after 1.5 s") and a RetryInfo payload.
absl::Status RetryLater(absl::string_view what, absl::Duration wait);
// "50 ms", "1.5 s", "2 min 5 s", "3 h 20 min": never scientific notation.
std::string FormatWait(absl::Duration wait);

// Token buckets, one per key (a principal's name, or "units:" + name for issuance), refilled
// at the limit's rate up to its burst. Thread-safe.
//
// Pricing rules (docs/security.md):
//  - a call takes `cost` tokens (one per code or unit of a batch);
//  - it is admitted when the bucket holds min(cost, burst) tokens, and never leaves the bucket
//    more than `burst` in debt: a call costing more than twice the burst is refused outright
//    (it could never be admitted honestly) and costs nothing;
//  - a refused call takes nothing, so no caller can push a shared principal into a long debt.
class RateLimiter {
 public:
  struct Charge {
    std::string key;
    RateLimitSpec limit;
    double cost;
    std::string principal = "";  // whose share applies (SetShare); "" : the key itself
  };
  // Takes `cost` tokens or fails with RESOURCE_EXHAUSTED: with a RetryInfo payload and the
  // wait until enough refill, or (cost above twice the burst) without one.
  absl::Status Acquire(const std::string& key, const RateLimitSpec& limit, double cost,
                       absl::Time now) {
    return Acquire({Charge{key, limit, cost}}, now);
  }
  // Several buckets at once (a request and the units it issues): all or nothing.
  absl::Status Acquire(std::initializer_list<Charge> charges, absl::Time now);
  // For pacing: takes the tokens and returns zero, or takes nothing and returns how long to
  // wait (InfiniteDuration when a cost is above twice its burst: it can never be taken).
  absl::Duration Take(std::initializer_list<Charge> charges, absl::Time now);
  // Takes one token if the bucket has one (the price of a request refused as invalid); never
  // fails and never makes a debt.
  void ChargeRefusal(const std::string& key, const RateLimitSpec& limit, absl::Time now);

  // Across replicas: this replica grants `principal` only `share` (0 < share <= 1) of its
  // limits' rate and burst from now on (1 / the replicas serving it); the tokens its buckets
  // hold scale with the share. Whether a call is too costly ever to admit (above twice the
  // burst) is still judged on the whole limit.
  void SetShare(const std::string& principal, double share);
  // The principals charged since the last call, each once.
  std::vector<std::string> TakeActive();

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
    double share = 1;  // the share the tokens were counted at
  };
  Bucket& Refill(const std::string& key, const std::string& principal, RateLimitSpec limit,
                 absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, double> shares_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> active_ ABSL_GUARDED_BY(mu_);
  absl::node_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);  // stable addresses
};

// Places held at once per key (an issuer's running streams). Thread-safe.
class ConcurrencyLimiter {
 public:
  // A place among `max` for `key`, held until the returned handle is destroyed (it must not
  // outlive the limiter); RESOURCE_EXHAUSTED with a RetryInfo payload when all are taken.
  absl::StatusOr<std::shared_ptr<void>> Take(const std::string& key, uint32_t max,
                                             absl::string_view what);

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint32_t> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::auth

#endif  // HALLMARK_SERVER_AUTH_ACCESS_H_
