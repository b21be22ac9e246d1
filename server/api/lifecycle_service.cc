#include "server/api/lifecycle_service.h"

namespace hallmark::api {
namespace {


}  // namespace

grpc::ServerUnaryReactor* LifecycleService::RecordEvent(grpc::CallbackServerContext* context,
                                                        const v1::RecordEventRequest* request,
                                                        v1::UnitRecord* response) {
  return RunUnary(*guard_, context, *request, "Lifecycle.RecordEvent", 1, max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->RecordEvent(p, *request, deadline, response, std::move(done));
                  });
}

grpc::ServerUnaryReactor* LifecycleService::GetHistory(grpc::CallbackServerContext* context,
                                                       const v1::GetHistoryRequest* request,
                                                       v1::UnitHistory* response) {
  return RunUnary(*guard_, context, *request, "Lifecycle.GetHistory", 1, max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->GetHistory(p, *request, deadline, response, std::move(done));
                  });
}

grpc::ServerUnaryReactor* LifecycleService::Recall(grpc::CallbackServerContext* context,
                                                   const v1::RecallRequest* request,
                                                   v1::RecallResponse* response) {
  return RunUnary(*guard_, context, *request, "Lifecycle.Recall",
                  Cost::Items(request->units_size(), 0, lifecycle::kMaxRecallUnits, "units"),
                  max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->Recall(p, *request, deadline, response, std::move(done));
                  });
}

grpc::ServerUnaryReactor* LifecycleService::CorrectLotDates(
    grpc::CallbackServerContext* context, const v1::CorrectLotDatesRequest* request,
    v1::CorrectLotDatesResponse* response) {
  return RunUnary(*guard_, context, *request, "Lifecycle.CorrectLotDates", 1, max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->CorrectLotDates(p, *request, deadline, response, std::move(done));
                  });
}

grpc::ServerUnaryReactor* LifecycleService::GetWarranty(grpc::CallbackServerContext* context,
                                                        const v1::GetWarrantyRequest* request,
                                                        v1::Warranty* response) {
  return RunUnary(*guard_, context, *request, "Lifecycle.GetWarranty", 1, max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->GetWarranty(p, *request, deadline, response, std::move(done));
                  });
}

grpc::ServerUnaryReactor* LifecycleService::SetWarrantyTerms(
    grpc::CallbackServerContext* context, const v1::SetWarrantyTermsRequest* request,
    v1::WarrantyTerms* response) {
  return RunUnary(*guard_, context, *request, "Lifecycle.SetWarrantyTerms", 1, max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->SetWarrantyTerms(p, *request, deadline, response, std::move(done));
                  });
}

grpc::ServerUnaryReactor* LifecycleService::VerifyRegistration(
    grpc::CallbackServerContext* context, const v1::VerifyRegistrationRequest* request,
    v1::VerifyRegistrationResponse* response) {
  return RunUnary(*guard_, context, *request, "Lifecycle.VerifyRegistration", 1, max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->VerifyRegistration(p, *request, deadline, response, std::move(done));
                  });
}

}  // namespace hallmark::api
