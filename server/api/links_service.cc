#include "server/api/links_service.h"

namespace hallmark::api {

grpc::ServerUnaryReactor* LinksService::SetLinks(grpc::CallbackServerContext* context,
                                                 const v1::SetLinksRequest* request,
                                                 v1::LinkEntry* response) {
  return RunUnary(*guard_, context, *request, "Links.SetLinks", 1, max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->Set(p, *request, deadline, response, std::move(done));
                  });
}

grpc::ServerUnaryReactor* LinksService::ListLinks(grpc::CallbackServerContext* context,
                                                  const v1::ListLinksRequest* request,
                                                  v1::ListLinksResponse* response) {
  return RunUnary(*guard_, context, *request, "Links.ListLinks", 1, max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->List(p, *request, deadline, response, std::move(done));
                  });
}

grpc::ServerUnaryReactor* LinksService::DeleteLinks(grpc::CallbackServerContext* context,
                                                    const v1::DeleteLinksRequest* request,
                                                    v1::DeleteLinksResponse* response) {
  return RunUnary(*guard_, context, *request, "Links.DeleteLinks", 1, max_call_,
                  [&](const auth::Principal& p, absl::Time deadline, auto done) {
                    engine_->Delete(p, *request, deadline, response, std::move(done));
                  });
}

}  // namespace hallmark::api
