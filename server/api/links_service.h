// File: server/api/links_service.h
//
// The hallmark.v1.Links gRPC service: issuers set, list and delete the presentation and
// resolver links of their company prefixes, GTINs, lots and units (server/links/).
#ifndef HALLMARK_SERVER_API_LINKS_SERVICE_H_
#define HALLMARK_SERVER_API_LINKS_SERVICE_H_

#include "hallmark/v1/links.grpc.pb.h"
#include "server/api/call_guard.h"
#include "server/links/links_engine.h"

namespace hallmark::api {

class LinksService final : public v1::Links::CallbackService {
 public:
  LinksService(const CallGuard* guard, links::LinksEngine* engine, absl::Duration max_call)
      : guard_(guard), engine_(engine), max_call_(max_call) {}

  grpc::ServerUnaryReactor* SetLinks(grpc::CallbackServerContext* context,
                                     const v1::SetLinksRequest* request,
                                     v1::LinkEntry* response) override;
  grpc::ServerUnaryReactor* ListLinks(grpc::CallbackServerContext* context,
                                      const v1::ListLinksRequest* request,
                                      v1::ListLinksResponse* response) override;
  grpc::ServerUnaryReactor* DeleteLinks(grpc::CallbackServerContext* context,
                                        const v1::DeleteLinksRequest* request,
                                        v1::DeleteLinksResponse* response) override;

 private:
  const CallGuard* const guard_;
  links::LinksEngine* const engine_;
  const absl::Duration max_call_;
};

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_API_LINKS_SERVICE_H_
