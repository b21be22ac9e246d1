// File: server/api/call_guard.h
//
// CallGuard admits every RPC in one line per handler, and Call follows it to its end.
//
// Admission: authenticate the caller — a bearer token, or (under mutual TLS) the URI SAN of its
// client certificate mapped to a principal — per call, never cached on the connection; check
// the role the method's row of the access table (access_table.h) requires; take `cost` tokens
// from the caller's rate-limit bucket. A method without a row is refused (fail closed). A
// public method admits a caller without a valid token as anonymous, rate-limited per peer
// address. Refusals are logged and counted as security events (auth_failure) or rate-limit
// rejections.
//
// Call::Finish() ends the RPC exactly once: one JSON log line (time, method, principal,
// status, latency, plus notes such as the verdict) and the RPC metrics. Tokens and codes are
// never logged.
#ifndef HALLMARK_SERVER_API_CALL_GUARD_H_
#define HALLMARK_SERVER_API_CALL_GUARD_H_

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>

#include "absl/status/status.h"
#include "google/protobuf/message_lite.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/api/access_table.h"
#include "server/auth/access.h"
#include "server/auth/principals.h"
#include "server/common/metrics.h"
#include "server/common/snapshot.h"

namespace hallmark::api {

// Calls in flight, for a graceful shutdown.
struct CallCounter {
  std::atomic<int> active{0};
  std::atomic<int64_t> last_end_ns{0};  // when the last call object went away
  std::atomic<bool> draining{false};
};

class Call {
 public:
  Call(std::string method, Metrics* metrics, bool log_rpcs,
       std::shared_ptr<CallCounter> counter = nullptr)
      : method_(std::move(method)), metrics_(metrics), log_rpcs_(log_rpcs),
        counter_(std::move(counter)) {
    if (counter_ != nullptr) counter_->active.fetch_add(1);
  }
  ~Call() {
    if (counter_ == nullptr) return;
    counter_->last_end_ns.store(absl::GetCurrentTimeNanos());
    counter_->active.fetch_sub(1);
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  bool admitted() const { return admission_.ok(); }
  const absl::Status& admission() const { return admission_; }
  // Valid when admitted() and not anonymous(); lives as long as the Call (it pins the
  // principals it came from).
  const auth::Principal& principal() const { return *principal_; }
  // Admitted to a public method without a valid token.
  bool anonymous() const { return principal_ == nullptr; }
  Metrics* metrics() const { return metrics_; }

  // Adds a field to the RPC's log line (e.g. "verdict").
  void Note(absl::string_view key, std::string value);
  // Logs and counts the RPC; returns the status to send. Later calls only convert.
  grpc::Status Finish(const absl::Status& status);

 private:
  friend class CallGuard;
  const std::string method_;
  Metrics* const metrics_;
  const bool log_rpcs_;
  const std::shared_ptr<CallCounter> counter_;
  const absl::Time start_ = absl::Now();
  absl::Status admission_;
  std::shared_ptr<const auth::PrincipalStore> store_;
  const auth::Principal* principal_ = nullptr;
  absl::Mutex mu_;
  std::vector<std::pair<absl::string_view, std::string>> notes_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// What a call costs, known from the request before any work: `requests` tokens from the
// caller's request bucket and `issue_units` from an issuer's units budget. A request whose
// size is out of range carries `invalid`: it is refused before it is priced and costs one
// token, so a huge malformed batch cannot push a shared principal into debt.
struct Cost {
  Cost(double requests = 1) : requests(requests) {}  // NOLINT: a plain number is a cost
  // A batch of n items, one token each; n outside [min, max] is INVALID_ARGUMENT naming `field`.
  static Cost Items(int n, size_t min, size_t max, absl::string_view field);
  // One request issuing n units (IssueSerials count, ImportSerials serials); n outside
  // [1, max] is INVALID_ARGUMENT with `rule` ("count: must be 1..10000, got 0").
  static Cost Units(uint64_t n, uint64_t max, std::string rule_if_invalid);

  double requests;
  double issue_units = 0;
  absl::Status invalid;
};

class CallGuard {
 public:
  // `require_client_cert`: every caller presents a client certificate (mutual TLS); a bearer
  // token must then belong to the certificate's own principal.
  CallGuard(const Snapshot<auth::PrincipalStore>* principals, auth::RateLimiter* limiter,
            Metrics* metrics, bool log_rpcs, bool require_client_cert = false)
      : principals_(principals), limiter_(limiter), metrics_(metrics), log_rpcs_(log_rpcs),
        require_client_cert_(require_client_cert) {}

  // `method` is the RPC's name in the access table ("Verification.Verify"), which says who may
  // call it. `request` is measured against the method's own size limit before it is priced:
  // an oversized request is INVALID_ARGUMENT and costs one token.
  std::shared_ptr<Call> Admit(const grpc::CallbackServerContext* context,
                              absl::string_view method,
                              const google::protobuf::MessageLite& request,
                              const Cost& cost = Cost()) const;

  Metrics* metrics() const { return metrics_; }
  const Snapshot<auth::PrincipalStore>* principals() const { return principals_; }
  auth::RateLimiter* limiter() const { return limiter_; }

  // Graceful shutdown, before the gRPC server's own: new calls are refused with UNAVAILABLE
  // (clients retry elsewhere); returns once no call is in flight and none has ended for
  // `quiet` (so transports deliver what finished calls wrote: a client still acknowledging
  // the tail of a stream must not find the connection gone), or at `deadline`.
  void Drain(absl::Time deadline, absl::Duration quiet) const;

 private:
  // The caller: by bearer token, else by its client certificate's URI SAN. When both are
  // present they must name the same principal (a retailer's certificate with a police token
  // is refused, not taken as the police). *cert_identity gets the certificate's principal
  // name or URI, for the log.
  absl::StatusOr<const auth::Principal*> Identify(const grpc::CallbackServerContext* context,
                                                  const auth::PrincipalStore& store,
                                                  std::string* cert_identity) const;
  // A public method's caller without a valid token: rate-limited per peer address.
  std::shared_ptr<Call> AdmitAnonymous(const grpc::CallbackServerContext* context,
                                       const MethodAccess& access,
                                       const google::protobuf::MessageLite& request,
                                       std::shared_ptr<Call> call) const;

  const Snapshot<auth::PrincipalStore>* const principals_;
  auth::RateLimiter* const limiter_;
  Metrics* const metrics_;
  const bool log_rpcs_;
  const bool require_client_cert_;
  const std::shared_ptr<CallCounter> calls_ = std::make_shared<CallCounter>();
};

// The rate-limiter key of an issuer's units budget (streams draw from it chunk by chunk).
std::string IssueBudgetKey(const auth::Principal& issuer);

// The largest request `method` ("Verification.Verify") accepts (its access-table row): the
// batch and import methods take up to the server's message limit, every other method 16 KiB.
size_t MaxRequestBytes(absl::string_view method);

// A caller admitted anonymously to a public method: this many calls a second per peer address
// (burst twice that).
inline constexpr double kPublicCallsPerSecond = 20;
// Anonymous callers share at most this many rate-limit buckets, whatever the number of
// addresses they come from: an IPv6 /64 is one address, and addresses are hashed into the
// buckets, so memory stays bounded (peers that collide share a budget).
inline constexpr size_t kAnonymousBuckets = 4096;
// The rate-limit key of an anonymous caller at gRPC peer `peer`.
std::string AnonymousBucketKey(absl::string_view peer);

// The call's deadline as absl::Time, capped at now + `max`.
absl::Time CallDeadline(const grpc::CallbackServerContext* context, absl::Duration max);

// The body of a plain unary handler: admits the caller, then runs
// `body(principal, deadline, done)`; `done(status)` finishes the RPC. `notes(call)` runs first
// when the status is OK, to add fields to the call's log line (e.g. the verdict).
template <typename Body, typename Notes>
grpc::ServerUnaryReactor* RunUnary(const CallGuard& guard, grpc::CallbackServerContext* context,
                                   const google::protobuf::MessageLite& request,
                                   absl::string_view method, const Cost& cost,
                                   absl::Duration max_call, Body body, Notes notes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<Call> admitted = guard.Admit(context, method, request, cost);
  if (!admitted->admitted()) {
    reactor->Finish(admitted->Finish(admitted->admission()));
    return reactor;
  }
  body(admitted->principal(), CallDeadline(context, max_call),
       [reactor, admitted, notes = std::move(notes)](absl::Status s) mutable {
         if (s.ok()) notes(*admitted);
         reactor->Finish(admitted->Finish(s));
       });
  return reactor;
}

template <typename Body>
grpc::ServerUnaryReactor* RunUnary(const CallGuard& guard, grpc::CallbackServerContext* context,
                                   const google::protobuf::MessageLite& request,
                                   absl::string_view method, const Cost& cost,
                                   absl::Duration max_call, Body body) {
  return RunUnary(guard, context, request, method, cost, max_call, std::move(body),
                  [](Call&) {});
}

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_API_CALL_GUARD_H_
