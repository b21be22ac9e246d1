// File: server/api/call_guard.h
//
// CallGuard: the checks every RPC runs first, in one line per handler: authenticate the
// bearer token (per call, never cached on the connection), check the role for the method, and
// take a token from the caller's rate-limit bucket. Returns a copy of the principal, so a
// principals reload during the call is harmless.
#ifndef HALLMARK_SERVER_API_CALL_GUARD_H_
#define HALLMARK_SERVER_API_CALL_GUARD_H_

#include <initializer_list>

#include <grpcpp/server_context.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/auth/access.h"
#include "server/auth/principals.h"
#include "server/common/snapshot.h"

namespace hallmark::api {

class CallGuard {
 public:
  CallGuard(const Snapshot<auth::PrincipalStore>* principals, auth::RateLimiter* limiter)
      : principals_(principals), limiter_(limiter) {}

  absl::StatusOr<auth::Principal> Admit(const grpc::CallbackServerContext* context,
                                        std::initializer_list<auth::Role> roles,
                                        absl::string_view method, double cost = 1) const;

 private:
  const Snapshot<auth::PrincipalStore>* const principals_;
  auth::RateLimiter* const limiter_;
};

// The call's deadline as absl::Time, capped at now + `max`.
absl::Time CallDeadline(const grpc::CallbackServerContext* context, absl::Duration max);

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_API_CALL_GUARD_H_
