// File: common/status_macros.h
//
// The two macros Abseil 20220623 does not ship: propagate a failed absl::Status, and unwrap an
// absl::StatusOr<T> or return its error.
//
// Example:
//   absl::StatusOr<Gtin> ParseLabel(absl::string_view s) {
//     HALLMARK_RETURN_IF_ERROR(CheckLength(s));
//     HALLMARK_ASSIGN_OR_RETURN(Gtin gtin, Gtin::Parse(s));
//     return gtin;
//   }
#ifndef HALLMARK_COMMON_STATUS_MACROS_H_
#define HALLMARK_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// HALLMARK_RETURN_IF_ERROR(expr): evaluates `expr` (an absl::Status) once and returns it from
// the enclosing function when it is not OK.
#define HALLMARK_RETURN_IF_ERROR(expr)                      \
  do {                                                      \
    ::absl::Status hallmark_status_ = (expr);               \
    if (!hallmark_status_.ok()) return hallmark_status_;    \
  } while (false)

#define HALLMARK_STATUS_CONCAT_INNER_(a, b) a##b
#define HALLMARK_STATUS_CONCAT_(a, b) HALLMARK_STATUS_CONCAT_INNER_(a, b)

// HALLMARK_ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (an absl::StatusOr<T>); on error
// returns its status, otherwise moves the value into `lhs` (which may be a declaration).
#define HALLMARK_ASSIGN_OR_RETURN(lhs, expr)                                              \
  HALLMARK_ASSIGN_OR_RETURN_IMPL_(HALLMARK_STATUS_CONCAT_(hallmark_statusor_, __LINE__), \
                                  lhs, expr)

#define HALLMARK_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#endif  // HALLMARK_COMMON_STATUS_MACROS_H_
