#include "server/api/verification_service.h"

#include "absl/strings/str_cat.h"
#include "server/api/grpc_status.h"

namespace hallmark::api {
namespace {



std::string VerdictName(v1::Verdict v) { return v1::Verdict_Name(v).substr(8); }

}  // namespace

grpc::ServerUnaryReactor* VerificationService::Verify(grpc::CallbackServerContext* context,
                                                      const v1::VerifyRequest* request,
                                                      v1::VerifyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<Call> call = guard_->Admit(context, "Verification.Verify", *request);
  if (!call->admitted()) {
    reactor->Finish(call->Finish(call->admission()));
    return reactor;
  }
  engine_->Verify(call->principal(), *request, CallDeadline(context, max_call_), response,
                  [reactor, call, response](absl::Status s) {
                    if (s.ok()) {
                      const std::string verdict = VerdictName(response->verdict());
                      if (call->metrics() != nullptr) call->metrics()->Verdict(verdict);
                      call->Note("verdict", verdict);
                      call->Note("gtin", response->unit().gtin());
                      call->Note("serial", response->unit().serial());
                    }
                    reactor->Finish(call->Finish(s));
                  });
  return reactor;
}

grpc::ServerUnaryReactor* VerificationService::VerifyBatch(grpc::CallbackServerContext* context,
                                                           const v1::VerifyBatchRequest* request,
                                                           v1::VerifyBatchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<Call> call = guard_->Admit(context, "Verification.VerifyBatch", *request,
                                             Cost::Items(request->requests_size(), 1,
                                                         verification::kMaxBatch, "requests"));
  if (!call->admitted()) {
    reactor->Finish(call->Finish(call->admission()));
    return reactor;
  }
  engine_->VerifyBatch(call->principal(), *request, CallDeadline(context, max_call_), response,
                       [reactor, call, response](absl::Status s) {
                         if (s.ok()) {
                           call->Note("codes", absl::StrCat(response->responses_size()));
                           for (const v1::VerifyResponse& r : response->responses()) {
                             if (call->metrics() != nullptr) {
                               call->metrics()->Verdict(VerdictName(r.verdict()));
                             }
                           }
                         }
                         reactor->Finish(call->Finish(s));
                       });
  return reactor;
}

}  // namespace hallmark::api
