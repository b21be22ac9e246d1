// File: server/api/lifecycle_service.h
//
// The hallmark.v1.Lifecycle gRPC service. Roles per method (the engine then checks actions and
// GTINs: retailers record SHIPPED/RECEIVED/SOLD/RETURNED only, issuers act on their own GTINs):
//   RecordEvent                            issuer, retailer
//   GetHistory                             issuer, law_enforcement
//   Recall, CorrectLotDates, SetWarrantyTerms,
//   VerifyRegistration                     issuer
//   GetWarranty                            every role
#ifndef HALLMARK_SERVER_API_LIFECYCLE_SERVICE_H_
#define HALLMARK_SERVER_API_LIFECYCLE_SERVICE_H_

#include "hallmark/v1/lifecycle.grpc.pb.h"
#include "server/api/call_guard.h"
#include "server/lifecycle/lifecycle_engine.h"

namespace hallmark::api {

class LifecycleService final : public v1::Lifecycle::CallbackService {
 public:
  LifecycleService(const CallGuard* guard, lifecycle::LifecycleEngine* engine,
                   absl::Duration max_call)
      : guard_(guard), engine_(engine), max_call_(max_call) {}

  grpc::ServerUnaryReactor* RecordEvent(grpc::CallbackServerContext* context,
                                        const v1::RecordEventRequest* request,
                                        v1::UnitRecord* response) override;
  grpc::ServerUnaryReactor* GetHistory(grpc::CallbackServerContext* context,
                                       const v1::GetHistoryRequest* request,
                                       v1::UnitHistory* response) override;
  grpc::ServerUnaryReactor* Recall(grpc::CallbackServerContext* context,
                                   const v1::RecallRequest* request,
                                   v1::RecallResponse* response) override;
  grpc::ServerUnaryReactor* CorrectLotDates(grpc::CallbackServerContext* context,
                                            const v1::CorrectLotDatesRequest* request,
                                            v1::CorrectLotDatesResponse* response) override;
  grpc::ServerUnaryReactor* GetWarranty(grpc::CallbackServerContext* context,
                                        const v1::GetWarrantyRequest* request,
                                        v1::Warranty* response) override;
  grpc::ServerUnaryReactor* SetWarrantyTerms(grpc::CallbackServerContext* context,
                                             const v1::SetWarrantyTermsRequest* request,
                                             v1::WarrantyTerms* response) override;
  grpc::ServerUnaryReactor* VerifyRegistration(grpc::CallbackServerContext* context,
                                               const v1::VerifyRegistrationRequest* request,
                                               v1::VerifyRegistrationResponse* response) override;

 private:
  const CallGuard* const guard_;
  lifecycle::LifecycleEngine* const engine_;
  const absl::Duration max_call_;
};

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_API_LIFECYCLE_SERVICE_H_
