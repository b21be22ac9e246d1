// File: server/common/grpc_status.h
//
// The one conversion from absl::Status to grpc::Status, used at the server edge only.
// absl::StatusCode and grpc::StatusCode share their numbering.
#ifndef HALLMARK_SERVER_COMMON_GRPC_STATUS_H_
#define HALLMARK_SERVER_COMMON_GRPC_STATUS_H_

#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace hallmark {

inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace hallmark

#endif  // HALLMARK_SERVER_COMMON_GRPC_STATUS_H_
