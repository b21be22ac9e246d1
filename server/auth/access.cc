#include "server/auth/access.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hallmark::auth {

absl::StatusOr<const Principal*> Authenticate(const PrincipalStore& store,
                                              absl::string_view authorization) {
  constexpr absl::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme)) {
    return absl::UnauthenticatedError("missing bearer token (authorization: Bearer <token>)");
  }
  const absl::string_view token =
      absl::StripAsciiWhitespace(authorization.substr(kScheme.size()));
  const Principal* p = store.FindByToken(token);
  if (p == nullptr) return absl::UnauthenticatedError("invalid bearer token");
  return p;
}

absl::Status RequireRole(const Principal& principal, std::initializer_list<Role> allowed,
                         absl::string_view method) {
  for (Role r : allowed) {
    if (principal.role() == r) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", RoleName(principal.role()), " may not call ", method));
}

bool OwnsGtin(const Principal& principal, absl::string_view gtin14) {
  if (gtin14.size() != 14) return false;
  const absl::string_view gtin13 = gtin14.substr(1);
  for (const std::string& prefix : principal.gs1_company_prefixes()) {
    if (absl::StartsWith(gtin13, prefix)) return true;
  }
  return false;
}

absl::Status CheckGtinAccess(const Principal& principal, absl::string_view gtin14) {
  if (principal.role() != admin::ROLE_ISSUER || OwnsGtin(principal, gtin14)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "GTIN ", gtin14, " is outside the GS1 company prefixes of issuer ", principal.name()));
}

absl::Status RateLimiter::Acquire(const std::string& principal, const RateLimitSpec& limit,
                                  double cost, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = buckets_.try_emplace(principal, Bucket{limit.burst, now});
  Bucket& b = it->second;
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - b.updated));
  b.tokens = std::min(limit.burst, b.tokens + elapsed * limit.per_second);
  b.updated = now;
  // A call costing more than the burst (a 1,000-code batch) goes through on a full bucket and
  // leaves it in debt, so batches cannot beat the per-code rate.
  const double needed = std::min(cost, limit.burst);
  if (b.tokens >= needed) {
    b.tokens -= cost;
    return absl::OkStatus();
  }
  const double wait_ms = std::ceil((needed - b.tokens) / limit.per_second * 1000);
  return absl::ResourceExhaustedError(absl::StrCat(
      "rate limit of ", limit.per_second, " requests/s exceeded; retry after ", wait_ms, " ms"));
}

}  // namespace hallmark::auth
