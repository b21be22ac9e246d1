// File: tests/common/status_matchers.h
//
// GoogleTest matchers for absl::Status and absl::StatusOr<T>, which Abseil 20220623 does not
// ship: IsOk(), StatusIs(code), StatusIs(code, message_matcher).
//
// Example:
//   EXPECT_THAT(NormalizeGtin("123"), StatusIs(absl::StatusCode::kInvalidArgument,
//                                              HasSubstr("gtin")));
#ifndef HALLMARK_TESTS_COMMON_STATUS_MATCHERS_H_
#define HALLMARK_TESTS_COMMON_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace hallmark::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + ::testing::PrintToString(code) + " and a matching message") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::Matches(message_matcher)(std::string(s.message()));
}

// Unwraps a StatusOr in a test, failing the test (not crashing) when it is an error.
#define HALLMARK_ASSERT_OK_AND_ASSIGN(lhs, expr)                                   \
  HALLMARK_ASSERT_OK_AND_ASSIGN_IMPL_(                                             \
      HALLMARK_TEST_CONCAT_(hallmark_test_statusor_, __LINE__), lhs, expr)
#define HALLMARK_TEST_CONCAT_INNER_(a, b) a##b
#define HALLMARK_TEST_CONCAT_(a, b) HALLMARK_TEST_CONCAT_INNER_(a, b)
#define HALLMARK_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                        \
  ASSERT_TRUE(statusor.ok()) << statusor.status();               \
  lhs = std::move(statusor).value()

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_STATUS_MATCHERS_H_
