#include "server/api/call_guard.h"


#include <algorithm>
#include <chrono>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/access_table.h"
#include "server/api/grpc_status.h"
#include "server/auth/client_address.h"
#include "server/common/log.h"

namespace hallmark::api {
namespace {

std::string CodeName(absl::StatusCode code) {
  return absl::StatusCodeToString(code);
}

}  // namespace

Cost Cost::Items(int n, size_t min, size_t max, absl::string_view field) {
  Cost c(std::max(1, n));
  if (n < 0 || static_cast<size_t>(n) < min || static_cast<size_t>(n) > max) {
    c.requests = 1;
    c.invalid = absl::InvalidArgumentError(
        absl::StrCat(field, ": must have ", min, "..", max, " entries, got ", n));
  }
  return c;
}

Cost Cost::Units(uint64_t n, uint64_t max, std::string rule_if_invalid) {
  Cost c(1);
  if (n == 0 || n > max) {
    c.invalid = absl::InvalidArgumentError(std::move(rule_if_invalid));
  } else {
    c.issue_units = static_cast<double>(n);
  }
  return c;
}

void Call::Note(absl::string_view key, std::string value) {
  absl::MutexLock lock(&mu_);
  notes_.emplace_back(key, std::move(value));
}

grpc::Status Call::Finish(const absl::Status& status) {
  std::vector<std::pair<absl::string_view, std::string>> notes;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return ToGrpcStatus(status);
    finished_ = true;
    notes.swap(notes_);
  }
  const absl::Duration latency = absl::Now() - start_;
  const std::string code = CodeName(status.code());
  if (metrics_ != nullptr) metrics_->Rpc(method_, code, latency);
  if (log_rpcs_) {
    std::vector<log::Field> fields = {
        {"method", method_},
        {"principal", principal_ != nullptr ? principal_->name() : "-"},
        {"code", code},
        {"latency_ms", log::Millis(latency)}};
    for (auto& n : notes) fields.emplace_back(n.first, std::move(n.second));
    if (!status.ok()) fields.emplace_back("error", std::string(status.message()));
    if (admission_.ok()) {
      log::Write("info", "rpc", fields);
    } else {  // refused before any work (no or bad token, wrong role, rate limit): a caller can
              // send these as fast as it likes, so their lines are limited
      log::WriteLimited(absl::StrCat("rpc_refused_", code), "info", "rpc", std::move(fields));
    }
  }
  return ToGrpcStatus(status);
}

absl::StatusOr<const auth::Principal*> CallGuard::Identify(
    const grpc::CallbackServerContext* context, const auth::PrincipalStore& store,
    std::string* cert_identity) const {
  // Mutual TLS: the client certificate's URI SAN names the principal.
  const auth::Principal* by_cert = nullptr;
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    for (const grpc::string_ref& uri : auth->FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
      const absl::string_view u(uri.data(), uri.size());
      if (cert_identity->empty()) *cert_identity = std::string(u);
      by_cert = store.FindByCertUri(u);
      if (by_cert != nullptr) {
        *cert_identity = by_cert->name();
        break;
      }
    }
  }
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return by_cert != nullptr ? by_cert : auth::Authenticate(store, "");
  }
  absl::StatusOr<const auth::Principal*> by_token =
      auth::Authenticate(store, absl::string_view(it->second.data(), it->second.size()));
  if (!by_token.ok()) return by_token;
  if ((by_cert != nullptr || require_client_cert_) && by_cert != *by_token) {
    return absl::UnauthenticatedError(
        "the bearer token does not belong to the client certificate's principal");
  }
  return by_token;
}

std::shared_ptr<Call> CallGuard::Admit(const grpc::CallbackServerContext* context,
                                       absl::string_view method,
                                       const google::protobuf::MessageLite& request,
                                       const Cost& cost) const {
  if (calls_->draining.load()) {
    // Not counted: refused retries must not keep a draining server from going quiet.
    auto refused = std::make_shared<Call>(std::string(method), metrics_, log_rpcs_);
    refused->admission_ = absl::UnavailableError("server is shutting down; retry");
    return refused;
  }
  auto call = std::make_shared<Call>(std::string(method), metrics_, log_rpcs_, calls_);
  const MethodAccess* access = FindMethodAccess(method);
  if (access == nullptr) {  // fail closed: nobody decided who may call it
    log::Error("call refused: the method has no row in the access table",
               {{"method", std::string(method)}});
    call->admission_ = absl::InternalError(absl::StrCat(method, ": no access rule"));
    return call;
  }
  std::shared_ptr<const auth::PrincipalStore> store = principals_->Get();
  std::string cert_identity;
  absl::StatusOr<const auth::Principal*> who = Identify(context, *store, &cert_identity);
  if (access->is_public && !who.ok()) return AdmitAnonymous(context, *access, request, call);
  absl::Status admitted = who.status();
  if (admitted.ok() && !access->is_public) {
    admitted = auth::RequireRole(**who, access->roles, method);
  }
  if (!admitted.ok()) {
    if (metrics_ != nullptr) metrics_->SecurityEvent("auth_failure");
    log::WriteLimited("auth_failure", "warn", "security: call refused",
                      {{"event", "auth_failure"}, {"method", std::string(method)},
                       {"principal", who.ok() ? (*who)->name() : "-"},
                       {"cert", cert_identity.empty() ? "-" : cert_identity},
                       {"peer", context->peer()}, {"why", std::string(admitted.message())}});
    call->admission_ = admitted;
    return call;
  }
  const auth::Principal& p = **who;
  const absl::Time now = absl::Now();
  absl::Status invalid = cost.invalid;
  if (const size_t bytes = request.ByteSizeLong(), max = access->max_request_bytes; bytes > max) {
    invalid = absl::InvalidArgumentError(
        absl::StrCat("request: ", bytes, " bytes, more than the ", max, " ", method, " accepts"));
  }
  if (!invalid.ok()) {
    // Validated before pricing: a refused request costs one token at most, never a debt.
    limiter_->ChargeRefusal(p.name(), store->RateLimitFor(p), now);
    admitted = invalid;
  } else if (cost.issue_units > 0) {
    admitted = limiter_->Acquire(
        {{p.name(), store->RateLimitFor(p), cost.requests},
         {IssueBudgetKey(p), store->IssueRateFor(p), cost.issue_units, p.name()}},
        now);
  } else {
    admitted = limiter_->Acquire(p.name(), store->RateLimitFor(p), cost.requests, now);
  }
  if (absl::IsResourceExhausted(admitted) && metrics_ != nullptr) {
    metrics_->RateLimited(auth::RoleName(p.role()));
  }
  call->admission_ = admitted;
  call->store_ = std::move(store);
  call->principal_ = *who;
  if (!cert_identity.empty()) call->Note("cert", cert_identity);  // both identities logged
  return call;
}

std::shared_ptr<Call> CallGuard::AdmitAnonymous(const grpc::CallbackServerContext* context,
                                                const MethodAccess& access,
                                                const google::protobuf::MessageLite& request,
                                                std::shared_ptr<Call> call) const {
  const auth::RateLimitSpec limit{kPublicCallsPerSecond, 2 * kPublicCallsPerSecond};
  const std::string key = AnonymousBucketKey(context->peer());
  const absl::Time now = absl::Now();
  if (request.ByteSizeLong() > access.max_request_bytes) {
    limiter_->ChargeRefusal(key, limit, now);
    call->admission_ = absl::InvalidArgumentError(
        absl::StrCat("request: more than the ", access.max_request_bytes, " bytes ", access.name,
                     " accepts"));
    return call;
  }
  call->admission_ = limiter_->Acquire(key, limit, 1, now);
  if (absl::IsResourceExhausted(call->admission_) && metrics_ != nullptr) {
    metrics_->RateLimited("anonymous");
  }
  return call;
}

std::string AnonymousBucketKey(absl::string_view peer) {
  // "ipv4:10.0.0.7:5123", "ipv6:[2001:db8::1]:443", "unix:/path": the address without the
  // port (which varies per connection), reduced and hashed as every anonymous address is.
  absl::string_view host = peer;
  if (absl::ConsumePrefix(&host, "ipv6:[")) {
    host = host.substr(0, host.find(']'));
  } else if (absl::ConsumePrefix(&host, "ipv4:")) {
    host = host.substr(0, host.rfind(':'));
  }
  return auth::AddressBucketKey(host, "anonymous:", kAnonymousBuckets);
}

size_t MaxRequestBytes(absl::string_view method) {
  const MethodAccess* access = FindMethodAccess(method);
  return access != nullptr ? access->max_request_bytes : 16 << 10;
}

std::string IssueBudgetKey(const auth::Principal& issuer) {
  return absl::StrCat("units:", issuer.name());
}

void CallGuard::Drain(absl::Time deadline, absl::Duration quiet) const {
  calls_->draining.store(true);
  while (absl::Now() < deadline) {
    // `active` first: a call ending in between has stored its end time before it decremented.
    const bool idle = calls_->active.load() == 0;
    const absl::Time last_end = absl::FromUnixNanos(calls_->last_end_ns.load());
    if (idle && absl::Now() - last_end >= quiet) return;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

absl::Time CallDeadline(const grpc::CallbackServerContext* context, absl::Duration max) {
  const absl::Time cap = absl::Now() + max;
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return cap;
  return std::min(cap, absl::FromChrono(deadline));
}

}  // namespace hallmark::api
