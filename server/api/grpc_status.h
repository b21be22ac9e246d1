// File: server/api/grpc_status.h
//
// The one conversion from absl::Status to grpc::Status, used at the server edge only.
// absl::StatusCode and grpc::StatusCode share their numbering. A status carrying a
// google.rpc.RetryInfo payload (auth::RetryLater) is sent with the standard rich error
// details: a serialized google.rpc.Status in the `grpc-status-details-bin` trailer.
#ifndef HALLMARK_SERVER_API_GRPC_STATUS_H_
#define HALLMARK_SERVER_API_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace hallmark {

grpc::Status ToGrpcStatus(const absl::Status& s);

}  // namespace hallmark

#endif  // HALLMARK_SERVER_API_GRPC_STATUS_H_
