// File: server/api/issuance_service.h
//
// The hallmark.v1.Issuance gRPC service: thin handlers that admit the caller (issuer role
// only; the GTIN check is part of the plan) and hand the request to the IssuanceEngine.
// Issuance is priced in units (the issuer's issue_rate budget; a stream pays chunk by chunk)
// and a stream holds one of the issuer's max_streams places while it runs.
#ifndef HALLMARK_SERVER_API_ISSUANCE_SERVICE_H_
#define HALLMARK_SERVER_API_ISSUANCE_SERVICE_H_

#include "hallmark/v1/issuance.grpc.pb.h"
#include "server/api/call_guard.h"
#include "server/issuance/issuance_engine.h"

namespace hallmark::api {

class IssuanceService final : public v1::Issuance::CallbackService {
 public:
  IssuanceService(const CallGuard* guard, issuance::IssuanceEngine* engine,
                  absl::Duration max_call)
      : guard_(guard), engine_(engine), max_call_(max_call) {}

  grpc::ServerUnaryReactor* IssueSerials(grpc::CallbackServerContext* context,
                                         const v1::IssueSerialsRequest* request,
                                         v1::IssueSerialsResponse* response) override;
  grpc::ServerWriteReactor<v1::IssuedUnit>* StreamIssueSerials(
      grpc::CallbackServerContext* context, const v1::IssueSerialsRequest* request) override;
  grpc::ServerUnaryReactor* ImportSerials(grpc::CallbackServerContext* context,
                                          const v1::ImportSerialsRequest* request,
                                          v1::ImportSerialsResponse* response) override;

 private:
  const CallGuard* const guard_;
  issuance::IssuanceEngine* const engine_;
  const absl::Duration max_call_;
  auth::ConcurrencyLimiter streams_;
};

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_API_ISSUANCE_SERVICE_H_
