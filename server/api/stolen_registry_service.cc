#include "server/api/stolen_registry_service.h"

#include "server/api/grpc_status.h"

namespace hallmark::api {
grpc::ServerUnaryReactor* StolenRegistryService::ReportStolen(
    grpc::CallbackServerContext* context, const v1::ReportStolenRequest* request,
    v1::ReportStolenResponse* response) {
  // One token per unit, like every batch (docs/verification.md).
  return RunUnary(*guard_, context, *request, "StolenRegistry.ReportStolen",
                  Cost::Items(request->units_size(), 1, stolen::kMaxUnits, "units"), max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->Report(p, *request, deadline, response, std::move(done));
                  });
}

grpc::ServerUnaryReactor* StolenRegistryService::ClearStolen(grpc::CallbackServerContext* context,
                                                             const v1::ClearStolenRequest* request,
                                                             v1::ClearStolenResponse* response) {
  return RunUnary(*guard_, context, *request, "StolenRegistry.ClearStolen",
                  Cost::Items(request->units_size(), 0, stolen::kMaxUnits, "units"), max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->Clear(p, *request, deadline, response, std::move(done));
                  });
}

grpc::ServerUnaryReactor* StolenRegistryService::CheckStolen(grpc::CallbackServerContext* context,
                                                             const v1::CheckStolenRequest* request,
                                                             v1::CheckStolenResponse* response) {
  return RunUnary(*guard_, context, *request, "StolenRegistry.CheckStolen",
                  Cost::Items(request->units_size(), 1, stolen::kMaxUnits, "units"), max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->Check(p, *request, deadline, response, std::move(done));
                  });
}

grpc::ServerUnaryReactor* StolenRegistryService::GetCase(grpc::CallbackServerContext* context,
                                                         const v1::GetCaseRequest* request,
                                                         v1::StolenCase* response) {
  return RunUnary(*guard_, context, *request, "StolenRegistry.GetCase", 1, max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->GetCase(p, *request, deadline, response, std::move(done));
                  });
}

}  // namespace hallmark::api
