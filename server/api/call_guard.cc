#include "server/api/call_guard.h"

#include <algorithm>
#include <chrono>

#include "absl/time/clock.h"

namespace hallmark::api {

absl::StatusOr<auth::Principal> CallGuard::Admit(const grpc::CallbackServerContext* context,
                                                 std::initializer_list<auth::Role> roles,
                                                 absl::string_view method, double cost) const {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  const absl::string_view header =
      it == metadata.end() ? absl::string_view()
                           : absl::string_view(it->second.data(), it->second.size());
  std::shared_ptr<const auth::PrincipalStore> store = principals_->Get();
  absl::StatusOr<const auth::Principal*> who = auth::Authenticate(*store, header);
  if (!who.ok()) return who.status();
  absl::Status allowed = auth::RequireRole(**who, roles, method);
  if (!allowed.ok()) return allowed;
  absl::Status within =
      limiter_->Acquire((*who)->name(), store->RateLimitFor(**who), cost, absl::Now());
  if (!within.ok()) return within;
  return **who;
}

absl::Time CallDeadline(const grpc::CallbackServerContext* context, absl::Duration max) {
  const absl::Time cap = absl::Now() + max;
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return cap;
  return std::min(cap, absl::FromChrono(deadline));
}

}  // namespace hallmark::api
