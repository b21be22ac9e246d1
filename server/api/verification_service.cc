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
  return RunUnary(
      *guard_, context, *request, "Verification.Verify", 1, max_call_,
      [&](const auth::Principal& p, absl::Time deadline, auto done) {
        engine_->Verify(p, *request, deadline, response, std::move(done));
      },
      [response](Call& call) {
        call.Note("verdict", VerdictName(response->verdict()));
        call.Note("gtin", response->unit().gtin());
        call.Note("serial", response->unit().serial());
      });
}

grpc::ServerUnaryReactor* VerificationService::VerifyBatch(grpc::CallbackServerContext* context,
                                                           const v1::VerifyBatchRequest* request,
                                                           v1::VerifyBatchResponse* response) {
  return RunUnary(
      *guard_, context, *request, "Verification.VerifyBatch",
      Cost::Items(request->requests_size(), 1, verification::kMaxBatch, "requests"), max_call_,
      [&](const auth::Principal& p, absl::Time deadline, auto done) {
        engine_->VerifyBatch(p, *request, deadline, response, std::move(done));
      },
      [response](Call& call) { call.Note("codes", absl::StrCat(response->responses_size())); });
}

}  // namespace hallmark::api
