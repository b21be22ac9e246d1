// File: client/ctl/ctl_common.h
//
// What every hallmarkctl subcommand shares: exit codes and one-line error reporting.
//
// Exit codes (stable; scripts branch on them):
//   0  success
//   1  runtime failure (I/O, server unreachable, ...)
//   2  usage error or invalid input
//   3  the command worked but the answer is negative (e.g. a code that does not verify)
#ifndef HALLMARK_CLIENT_CTL_CTL_COMMON_H_
#define HALLMARK_CLIENT_CTL_CTL_COMMON_H_

#include <algorithm>
#include <iostream>
#include <string>

#include "absl/status/status.h"

namespace hallmark::ctl {

// Runs `call(first, count)` over items [0, n) in calls of at most `max` items. When the server
// says a call costs more than the caller's rate limit can ever admit at once ("split it into
// smaller calls"), the same items are sent again in halves; the size that worked is kept.
template <typename Call>
absl::Status InBatches(size_t n, size_t max, Call call) {
  size_t size = max;
  for (size_t first = 0; first < n;) {
    const size_t count = std::min(size, n - first);
    absl::Status s = call(first, count);
    if (absl::IsResourceExhausted(s) && count > 1 &&
        s.message().find("split it into smaller calls") != absl::string_view::npos) {
      size = count / 2;
      continue;
    }
    if (!s.ok()) return s;
    first += count;
  }
  return absl::OkStatus();
}

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNegative = 3;

// Prints "hallmarkctl: <message>" on one line to stderr and returns the exit code that fits
// the status, by the one rule of the README: kExitUsage when the request was refused
// (InvalidArgument, NotFound — a name that does not exist —, FailedPrecondition, AlreadyExists,
// OutOfRange, PermissionDenied, Unauthenticated), kExitFailure when no answer could be had.
// kExitNegative is not an error: commands return it for a negative answer to a valid question.
inline int ReportError(const absl::Status& status) {
  std::cerr << "hallmarkctl: "
            << (status.message().empty() ? absl::StatusCodeToString(status.code())
                                         : std::string(status.message()))
            << "\n";
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_CTL_COMMON_H_
