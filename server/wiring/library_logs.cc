#include "server/wiring/library_logs.h"

#include <grpc/support/log.h>

#include <atomic>
#include <string>

#include "absl/base/internal/raw_logging.h"
#include "absl/base/log_severity.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/logging.h"
#include "server/common/log.h"

namespace hallmark::api {
namespace {

std::atomic<LibraryLogLevel> g_level{LibraryLogLevel::kError};

void Emit(absl::string_view library, absl::string_view severity, absl::string_view file,
          int line, absl::string_view text) {
  const bool error = severity == "error" || severity == "fatal";
  log::WriteLimited(absl::StrCat(library, "_", severity), error ? "error" : "info",
                    absl::StrCat(library, " log"),
                    {{"severity", std::string(severity)},
                     {"at", absl::StrCat(file, ":", line)},
                     {"text", std::string(text)}});
}

void FromGrpc(gpr_log_func_args* args) {
  absl::string_view severity = args->severity == GPR_LOG_SEVERITY_ERROR  ? "error"
                               : args->severity == GPR_LOG_SEVERITY_INFO ? "info"
                                                                        : "debug";
  Emit("grpc", severity, args->file != nullptr ? args->file : "?", args->line,
       args->message != nullptr ? args->message : "");
}

void FromProtobuf(google::protobuf::LogLevel level, const char* file, int line,
                  const std::string& message) {
  if (level < google::protobuf::LOGLEVEL_ERROR && g_level.load() == LibraryLogLevel::kError) return;
  absl::string_view severity = level >= google::protobuf::LOGLEVEL_FATAL   ? "fatal"
                               : level >= google::protobuf::LOGLEVEL_ERROR ? "error"
                               : level == google::protobuf::LOGLEVEL_WARNING ? "warning"
                                                                            : "info";
  Emit("protobuf", severity, file != nullptr ? file : "?", line, message);
  if (level >= google::protobuf::LOGLEVEL_FATAL) log::Flush();  // protobuf aborts next
}

void FromAbseil(absl::LogSeverity severity, const char* file, int line,
                const std::string& message) {
  Emit("absl", severity >= absl::LogSeverity::kError ? "error" : "info", file, line, message);
}

}  // namespace

absl::StatusOr<LibraryLogLevel> ParseLibraryLogLevel(absl::string_view name) {
  if (name == "error") return LibraryLogLevel::kError;
  if (name == "info") return LibraryLogLevel::kInfo;
  if (name == "debug") return LibraryLogLevel::kDebug;
  return absl::InvalidArgumentError(
      absl::StrCat("--library_log_level: '", name, "' is not one of error, info, debug"));
}

void RouteLibraryLogs(LibraryLogLevel level) {
  g_level.store(level);
  gpr_set_log_verbosity(level == LibraryLogLevel::kDebug  ? GPR_LOG_SEVERITY_DEBUG
                        : level == LibraryLogLevel::kInfo ? GPR_LOG_SEVERITY_INFO
                                                          : GPR_LOG_SEVERITY_ERROR);
  gpr_set_log_function(&FromGrpc);
  google::protobuf::SetLogHandler(&FromProtobuf);
  // Abseil's ABSL_RAW_LOG (fatal internal errors only) cannot be routed: it may not allocate.
  static const bool absl_routed = [] {
    absl::raw_logging_internal::RegisterInternalLogFunction(&FromAbseil);
    return true;
  }();
  (void)absl_routed;
}

}  // namespace hallmark::api
