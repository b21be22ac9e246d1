// File: server/api/access_table.h
//
// Who may call what: one row per RPC the server registers, keyed by its full gRPC name
// ("/hallmark.v1.Verification/Verify"). CallGuard::Admit takes the roles (and the request size
// limit) from here, never from the handler, and refuses a method without a row; the server
// refuses to start when a service it registers has a method without a row. A public method
// (the trust list) still goes through admission: a caller without a valid token is rate-limited
// per peer address, and every call is logged and counted.
//
// Adding an RPC: add its row here; access_matrix_test walks every registered method and fails
// on one without a row or one that lets a stranger in.
#ifndef HALLMARK_SERVER_API_ACCESS_TABLE_H_
#define HALLMARK_SERVER_API_ACCESS_TABLE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/auth/principals.h"

namespace hallmark::api {

struct MethodAccess {
  std::string full_name;         // "/hallmark.v1.Verification/Verify"
  std::string name;              // "Verification.Verify": logs and metrics
  std::vector<auth::Role> roles; // who may call it (empty for a public method)
  bool is_public = false;        // anyone, with or without a token
  // Larger requests are INVALID_ARGUMENT before they are priced: 16 KiB for single-item
  // methods (a Verify is < 1 KiB); the batch and import methods take up to the server's
  // message limit.
  size_t max_request_bytes = 16 << 10;
};

// Every row.
const std::vector<MethodAccess>& AccessTable();

// The row of `method`, given by its full gRPC name or its log name; null when it has none.
const MethodAccess* FindMethodAccess(absl::string_view method);

// OK when every method of the gRPC service `service` ("hallmark.v1.Keys", looked up in the
// generated descriptor pool) has a row; FAILED_PRECONDITION naming the first that has none.
absl::Status CheckServiceHasAccessRows(absl::string_view service);

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_API_ACCESS_TABLE_H_
