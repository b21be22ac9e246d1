// File: server/api/stolen_registry_service.h
//
// The hallmark.v1.StolenRegistry gRPC service. Access (issuers only for their own GTINs):
//   ReportStolen, ClearStolen  law_enforcement, issuer
//   CheckStolen                law_enforcement, issuer, retailer (one token per unit)
//   GetCase                    law_enforcement
#ifndef HALLMARK_SERVER_API_STOLEN_REGISTRY_SERVICE_H_
#define HALLMARK_SERVER_API_STOLEN_REGISTRY_SERVICE_H_

#include "hallmark/v1/stolen_registry.grpc.pb.h"
#include "server/api/call_guard.h"
#include "server/stolen/stolen_engine.h"

namespace hallmark::api {

class StolenRegistryService final : public v1::StolenRegistry::CallbackService {
 public:
  StolenRegistryService(const CallGuard* guard, stolen::StolenRegistryEngine* engine,
                        absl::Duration max_call)
      : guard_(guard), engine_(engine), max_call_(max_call) {}

  grpc::ServerUnaryReactor* ReportStolen(grpc::CallbackServerContext* context,
                                         const v1::ReportStolenRequest* request,
                                         v1::ReportStolenResponse* response) override;
  grpc::ServerUnaryReactor* ClearStolen(grpc::CallbackServerContext* context,
                                        const v1::ClearStolenRequest* request,
                                        v1::ClearStolenResponse* response) override;
  grpc::ServerUnaryReactor* CheckStolen(grpc::CallbackServerContext* context,
                                        const v1::CheckStolenRequest* request,
                                        v1::CheckStolenResponse* response) override;
  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* context,
                                    const v1::GetCaseRequest* request,
                                    v1::StolenCase* response) override;

 private:
  const CallGuard* const guard_;
  stolen::StolenRegistryEngine* const engine_;
  const absl::Duration max_call_;
};

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_API_STOLEN_REGISTRY_SERVICE_H_
