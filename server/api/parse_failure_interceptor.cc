#include "server/api/parse_failure_interceptor.h"

#include <grpcpp/server_context.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "server/common/log.h"

namespace hallmark::api {
namespace {

using grpc::experimental::InterceptionHookPoints;

// The method's descriptor for "/hallmark.v1.Verification/Verify", or nullptr.
const google::protobuf::MethodDescriptor* FindMethod(absl::string_view path) {
  if (!absl::ConsumePrefix(&path, "/") || !absl::StartsWith(path, "hallmark.")) return nullptr;
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      absl::StrReplaceAll(path, {{"/", "."}}));
}

class ParseFailureInterceptor final : public grpc::experimental::Interceptor {
 public:
  ParseFailureInterceptor(grpc::experimental::ServerRpcInfo* info, Metrics* metrics)
      : info_(info), metrics_(metrics) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status sent = methods->GetSendStatus();
      // Our handlers never answer UNIMPLEMENTED: with no message, it is gRPC's own answer to a
      // request it could not deserialize.
      if (sent.error_code() == grpc::StatusCode::UNIMPLEMENTED && sent.error_message().empty()) {
        if (const auto* method = FindMethod(info_->method()); method != nullptr) {
          Rewrite(methods, *method);
        }
      }
    }
    methods->Proceed();
  }

 private:
  void Rewrite(grpc::experimental::InterceptorBatchMethods* methods,
               const google::protobuf::MethodDescriptor& method) {
    const std::string type = method.input_type()->full_name();
    if (metrics_ != nullptr) metrics_->SecurityEvent("unparseable_request");
    log::WriteLimited("unparseable_request", "warn", "security: request does not parse",
                      {{"event", "unparseable_request"},
                       {"method", method.full_name()},
                       {"peer", info_->server_context()->peer()}});
    methods->ModifySendStatus(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("request: not a valid ", type,
                     " (malformed protobuf, or a string field that is not UTF-8)")));
  }

  grpc::experimental::ServerRpcInfo* const info_;
  Metrics* const metrics_;
};

}  // namespace

grpc::experimental::Interceptor* ParseFailureInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new ParseFailureInterceptor(info, metrics_);
}

}  // namespace hallmark::api
