#include "server/api/grpc_status.h"

#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "google/rpc/status.pb.h"
#include "server/auth/access.h"

namespace hallmark {

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(s.code());
  std::string message(s.message());
  auto retry = s.GetPayload(auth::kRetryInfoPayload);
  if (!retry.has_value()) return grpc::Status(code, std::move(message));
  google::rpc::Status details;
  details.set_code(static_cast<int32_t>(s.code()));
  details.set_message(message);
  google::protobuf::Any* any = details.add_details();
  any->set_type_url(std::string(auth::kRetryInfoPayload));
  any->set_value(std::string(*retry));
  return grpc::Status(code, std::move(message), details.SerializeAsString());
}

}  // namespace hallmark
