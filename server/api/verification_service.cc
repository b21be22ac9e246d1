#include "server/api/verification_service.h"

#include "server/common/grpc_status.h"

namespace hallmark::api {
namespace {

constexpr std::initializer_list<auth::Role> kAnyRole = {
    admin::ROLE_ISSUER, admin::ROLE_RETAILER, admin::ROLE_VERIFIER, admin::ROLE_LAW_ENFORCEMENT};

}  // namespace

grpc::ServerUnaryReactor* VerificationService::Verify(grpc::CallbackServerContext* context,
                                                      const v1::VerifyRequest* request,
                                                      v1::VerifyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<auth::Principal> caller = guard_->Admit(context, kAnyRole, "Verification.Verify");
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  engine_->Verify(*caller, *request, CallDeadline(context, max_call_), response,
                  [reactor](absl::Status s) { reactor->Finish(ToGrpcStatus(s)); });
  return reactor;
}

grpc::ServerUnaryReactor* VerificationService::VerifyBatch(grpc::CallbackServerContext* context,
                                                           const v1::VerifyBatchRequest* request,
                                                           v1::VerifyBatchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<auth::Principal> caller =
      guard_->Admit(context, kAnyRole, "Verification.VerifyBatch",
                    std::max(1, request->requests_size()));
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  engine_->VerifyBatch(*caller, *request, CallDeadline(context, max_call_), response,
                       [reactor](absl::Status s) { reactor->Finish(ToGrpcStatus(s)); });
  return reactor;
}

}  // namespace hallmark::api
