// File: server/wiring/library_logs.h
//
// The libraries' own log output (gRPC's gpr_log, protobuf's GOOGLE_LOG, Abseil's internal log)
// goes through Hallmark's JSON logger: one escaped line per event (a header value holding a
// newline stays inside its line), under the same per-kind limiter as every line a caller can
// provoke (kinds "grpc_error", "protobuf_error", ...), at or above a chosen level. Call once,
// before the first gRPC object is created.
#ifndef HALLMARK_SERVER_WIRING_LIBRARY_LOGS_H_
#define HALLMARK_SERVER_WIRING_LIBRARY_LOGS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::api {

enum class LibraryLogLevel { kError, kInfo, kDebug };
absl::StatusOr<LibraryLogLevel> ParseLibraryLogLevel(absl::string_view name);

void RouteLibraryLogs(LibraryLogLevel level);

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_WIRING_LIBRARY_LOGS_H_
