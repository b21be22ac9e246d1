// File: server/api/verification_service.h
//
// The hallmark.v1.Verification gRPC service: every authenticated role may verify. A batch
// costs one rate-limit token per code, so batching cannot beat a principal's rate.
#ifndef HALLMARK_SERVER_API_VERIFICATION_SERVICE_H_
#define HALLMARK_SERVER_API_VERIFICATION_SERVICE_H_

#include "hallmark/v1/verification.grpc.pb.h"
#include "server/api/call_guard.h"
#include "server/verification/verification_engine.h"

namespace hallmark::api {

class VerificationService final : public v1::Verification::CallbackService {
 public:
  VerificationService(const CallGuard* guard, verification::VerificationEngine* engine,
                      absl::Duration max_call)
      : guard_(guard), engine_(engine), max_call_(max_call) {}

  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const v1::VerifyRequest* request,
                                   v1::VerifyResponse* response) override;
  grpc::ServerUnaryReactor* VerifyBatch(grpc::CallbackServerContext* context,
                                        const v1::VerifyBatchRequest* request,
                                        v1::VerifyBatchResponse* response) override;

 private:
  const CallGuard* const guard_;
  verification::VerificationEngine* const engine_;
  const absl::Duration max_call_;
};

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_API_VERIFICATION_SERVICE_H_
