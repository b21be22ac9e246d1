#include "server/auth/access.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"

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
  return RequireRole(principal, std::vector<Role>(allowed), method);
}

absl::Status RequireRole(const Principal& principal, const std::vector<Role>& allowed,
                         absl::string_view method) {
  for (Role r : allowed) {
    if (principal.role() == r) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", RoleName(principal.role()), " may not call ", method));
}

std::string OwnerId(const Principal& principal) {
  return principal.organisation().empty() ? absl::StrCat("p:", principal.name())
                                          : absl::StrCat("o:", principal.organisation());
}

std::string ScopedCaseId(const Principal& owner, absl::string_view case_id) {
  return absl::StrCat(OwnerId(owner), "|", case_id);
}

absl::string_view PublicCaseId(absl::string_view scoped) {
  const size_t bar = scoped.rfind('|');
  return bar == absl::string_view::npos ? scoped : scoped.substr(bar + 1);
}

bool OwnsCase(const Principal& principal, absl::string_view scoped) {
  const size_t bar = scoped.rfind('|');
  return bar != absl::string_view::npos && scoped.substr(0, bar) == OwnerId(principal);
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

// "20", "0.5", "0.001", "1000000": a rate as people write it, never in scientific notation.
std::string FormatRate(double per_second) {
  std::string s = absl::StrFormat("%.3f", per_second);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string FormatWait(absl::Duration wait) {
  const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))));
  if (ms < 1000) return absl::StrCat(ms, " ms");
  if (ms < 60'000) {
    const int64_t tenths = (ms + 99) / 100;
    return tenths % 10 == 0 ? absl::StrCat(tenths / 10, " s")
                            : absl::StrCat(tenths / 10, ".", tenths % 10, " s");
  }
  const int64_t s = (ms + 999) / 1000;
  if (s < 3600) return s % 60 == 0 ? absl::StrCat(s / 60, " min")
                                   : absl::StrCat(s / 60, " min ", s % 60, " s");
  const int64_t min = (s + 59) / 60;
  return min % 60 == 0 ? absl::StrCat(min / 60, " h")
                       : absl::StrCat(min / 60, " h ", min % 60, " min");
}

absl::Status RetryLater(absl::string_view what, absl::Duration wait) {
  absl::Status s =
      absl::ResourceExhaustedError(absl::StrCat(what, "; retry after ", FormatWait(wait)));
  google::rpc::RetryInfo info;
  const absl::Duration rounded = absl::Ceil(wait, absl::Milliseconds(1));
  info.mutable_retry_delay()->set_seconds(absl::ToInt64Seconds(rounded));
  info.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(rounded % absl::Seconds(1))));
  s.SetPayload(kRetryInfoPayload, absl::Cord(info.SerializeAsString()));
  return s;
}

RateLimiter::Bucket& RateLimiter::Refill(const std::string& key, const std::string& principal,
                                         RateLimitSpec limit, absl::Time now) {
  auto s = shares_.find(principal);
  const double share = s == shares_.end() ? 1.0 : s->second;
  limit.per_second *= share;
  limit.burst *= share;
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{limit.burst, now, share});
  Bucket& b = it->second;
  if (b.share != share) {  // the replicas serving the principal changed
    b.tokens *= share / b.share;
    b.share = share;
  }
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - b.updated));
  b.tokens = std::min(limit.burst, b.tokens + elapsed * limit.per_second);
  b.updated = std::max(b.updated, now);
  return b;
}

void RateLimiter::SetShare(const std::string& principal, double share) {
  absl::MutexLock lock(&mu_);
  if (!(share > 0) || share >= 1) {
    shares_.erase(principal);
  } else {
    shares_[principal] = share;
  }
}

std::vector<std::string> RateLimiter::TakeActive() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out(active_.begin(), active_.end());
  active_.clear();
  return out;
}

absl::Duration RateLimiter::Take(std::initializer_list<Charge> charges, absl::Time now) {
  absl::MutexLock lock(&mu_);
  std::vector<Bucket*> buckets;
  absl::Duration wait;
  for (const Charge& c : charges) {
    const std::string& principal = c.principal.empty() ? c.key : c.principal;
    Bucket& b = Refill(c.key, principal, c.limit, now);
    buckets.push_back(&b);
    active_.insert(principal);
    // This replica's share of the limit (the whole limit unless several replicas serve the
    // principal, see SetShare).
    const double burst = c.limit.burst * b.share, rate = c.limit.per_second * b.share;
    // A call costing more than twice the burst could only be admitted by a longer debt.
    if (c.cost > 2 * burst) return absl::InfiniteDuration();
    // A call costing more than the burst (a batch) goes through on a full bucket and leaves it
    // at most `burst` in debt, so batches cannot beat the per-item rate.
    const double needed = std::min(c.cost, burst);
    if (b.tokens < needed) {
      wait = std::max(wait, absl::Seconds((needed - b.tokens) / rate));
    }
  }
  if (wait > absl::ZeroDuration()) return wait;
  size_t i = 0;
  for (const Charge& c : charges) buckets[i++]->tokens -= c.cost;
  return absl::ZeroDuration();
}

absl::Status RateLimiter::Acquire(std::initializer_list<Charge> charges, absl::Time now) {
  const absl::Duration wait = Take(charges, now);
  if (wait == absl::ZeroDuration()) return absl::OkStatus();
  if (wait == absl::InfiniteDuration()) {
    double most = 0;
    for (const Charge& c : charges) most = std::max(most, c.cost);
    return absl::ResourceExhaustedError(absl::StrCat(
        "this call costs ", most,
        " rate-limit tokens, more than one call may cost this caller (twice its burst, on "
        "this server); split it into smaller calls"));
  }
  std::string limits;
  for (const Charge& c : charges) {
    absl::StrAppend(&limits, limits.empty() ? "" : " and ", FormatRate(c.limit.per_second), "/s");
  }
  return RetryLater(absl::StrCat("rate limit of ", limits, " exceeded"), wait);
}

void RateLimiter::ChargeRefusal(const std::string& key, const RateLimitSpec& limit,
                                absl::Time now) {
  absl::MutexLock lock(&mu_);
  Bucket& b = Refill(key, key, limit, now);
  if (b.tokens >= 1) b.tokens -= 1;
}

absl::StatusOr<std::shared_ptr<void>> ConcurrencyLimiter::Take(const std::string& key,
                                                               uint32_t max,
                                                               absl::string_view what) {
  {
    absl::MutexLock lock(&mu_);
    uint32_t& held = held_[key];
    if (held >= max) {
      return RetryLater(absl::StrCat(key, " already runs ", held, " ", what, ", its limit"),
                        absl::Seconds(1));
    }
    ++held;
  }
  return std::shared_ptr<void>(nullptr, [this, key](void*) {
    absl::MutexLock lock(&mu_);
    auto it = held_.find(key);
    if (it != held_.end() && --it->second == 0) held_.erase(it);
  });
}

}  // namespace hallmark::auth
