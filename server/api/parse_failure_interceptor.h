// File: server/api/parse_failure_interceptor.h
//
// gRPC's callback API answers a request that does not parse (malformed protobuf, a string
// field that is not UTF-8) with UNIMPLEMENTED and no message, before any handler runs. This
// server interceptor turns exactly that answer, for a method the server implements, into
// INVALID_ARGUMENT naming the request type, counts it (security event "unparseable_request")
// and logs it under the per-kind limiter.
#ifndef HALLMARK_SERVER_API_PARSE_FAILURE_INTERCEPTOR_H_
#define HALLMARK_SERVER_API_PARSE_FAILURE_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include "server/common/metrics.h"

namespace hallmark::api {

class ParseFailureInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ParseFailureInterceptorFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Metrics* const metrics_;
};

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_API_PARSE_FAILURE_INTERCEPTOR_H_
