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

RateLimiter::RateLimiter(absl::flat_hash_map<Role, RateLimitSpec> role_defaults)
    : role_defaults_(std::move(role_defaults)) {}

absl::flat_hash_map<Role, RateLimitSpec> RateLimiter::DefaultRoleLimits() {
  return {{admin::ROLE_VERIFIER, {20, 40}},
          {admin::ROLE_RETAILER, {200, 400}},
          {admin::ROLE_LAW_ENFORCEMENT, {100, 200}},
          {admin::ROLE_ISSUER, {1000, 2000}}};
}

RateLimitSpec RateLimiter::LimitFor(const Principal& principal) const {
  if (principal.has_rate_limit()) {
    return {principal.rate_limit().per_second(),
            static_cast<double>(principal.rate_limit().burst())};
  }
  auto it = role_defaults_.find(principal.role());
  return it == role_defaults_.end() ? RateLimitSpec{1, 1} : it->second;
}

absl::Status RateLimiter::Acquire(const Principal& principal, double cost, absl::Time now) {
  const RateLimitSpec limit = LimitFor(principal);
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = buckets_.try_emplace(principal.name(), Bucket{limit.burst, now});
  Bucket& b = it->second;
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - b.updated));
  b.tokens = std::min(limit.burst, b.tokens + elapsed * limit.per_second);
  b.updated = now;
  const double needed = std::min(cost, limit.burst);
  if (b.tokens >= needed) {
    b.tokens -= needed;
    return absl::OkStatus();
  }
  const double wait_ms = std::ceil((needed - b.tokens) / limit.per_second * 1000);
  return absl::ResourceExhaustedError(absl::StrCat(
      "rate limit of ", limit.per_second, " requests/s exceeded; retry after ", wait_ms, " ms"));
}

}  // namespace hallmark::auth
