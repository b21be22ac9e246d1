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
#include <string>

#include "absl/container/flat_hash_map.h"
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

// Issuers may act only on GTINs of their GS1 company prefixes (matched against the GTIN-13
// part of the 14-digit GTIN, i.e. after the indicator digit). Other roles pass.
absl::Status CheckGtinAccess(const Principal& principal, absl::string_view gtin14);
bool OwnsGtin(const Principal& principal, absl::string_view gtin14);

// Token buckets per principal name, refilled at the principal's rate (see
// PrincipalStore::RateLimitFor).
class RateLimiter {
 public:
  // Takes `cost` tokens (one per code or unit of a batch) or fails with RESOURCE_EXHAUSTED
  // and the wait until enough refill. A cost above the burst needs a full bucket and leaves
  // it in debt, so batches cannot beat the per-item rate.
  absl::Status Acquire(const std::string& principal, const RateLimitSpec& limit, double cost,
                       absl::Time now);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::auth

#endif  // HALLMARK_SERVER_AUTH_ACCESS_H_
