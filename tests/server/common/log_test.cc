// Unit tests for the parts of a log line: the timestamp (server/common/log.h), whose cached
// per-second prefix must never leak into a line of another second, and JsonQuote
// (common/json.h), which every field goes through.
#include "server/common/log.h"

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "gtest/gtest.h"

namespace hallmark::log {
namespace {

std::string Ts(absl::Time t) {
  std::string out;
  internal::AppendTimestamp(t, &out);
  return out;
}

absl::Time At(int y, int mo, int d, int h, int mi, int s, int ms) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone()) +
         absl::Milliseconds(ms);
}

TEST(LogLimitedTest, AtMostTheLimitPerSecondAndTheNextLineCountsTheDropped) {
  const absl::Time t = At(2026, 11, 29, 5, 0, 0, 0);
  for (int i = 0; i < kLimitedLinesPerSecond; ++i) {
    EXPECT_EQ(internal::AdmitLimited("test_flood", t + absl::Milliseconds(i)), 0) << i;
  }
  for (int i = 0; i < 26; ++i) {
    EXPECT_EQ(internal::AdmitLimited("test_flood", t + absl::Milliseconds(500 + i)), -1) << i;
  }
  // Another kind has its own budget.
  EXPECT_EQ(internal::AdmitLimited("test_other", t + absl::Milliseconds(900)), 0);
  // The next second: written again, and the first line reports the 26 dropped.
  EXPECT_EQ(internal::AdmitLimited("test_flood", t + absl::Seconds(1)), 26);
  EXPECT_EQ(internal::AdmitLimited("test_flood", t + absl::Seconds(1)), 0);
}

TEST(LogMillisTest, ThreeDecimalsRoundedHalfUpToTheMicrosecond) {
  EXPECT_EQ(Millis(absl::ZeroDuration()), "0.000");
  EXPECT_EQ(Millis(absl::Nanoseconds(499)), "0.000");
  EXPECT_EQ(Millis(absl::Nanoseconds(500)), "0.001");
  EXPECT_EQ(Millis(absl::Nanoseconds(1'234'499)), "1.234");
  EXPECT_EQ(Millis(absl::Nanoseconds(1'234'500)), "1.235");
  EXPECT_EQ(Millis(absl::Microseconds(45'006)), "45.006");
  EXPECT_EQ(Millis(absl::Seconds(12)), "12000.000");
  EXPECT_EQ(Millis(absl::Nanoseconds(999'999'600)), "1000.000");
  EXPECT_EQ(Millis(absl::Microseconds(-3)), "-0.003");
  EXPECT_EQ(Millis(absl::Nanoseconds(-400)), "0.000");
  EXPECT_EQ(Millis(absl::InfiniteDuration()), "9223372036854.776");
}

TEST(LogTimestampTest, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(Ts(At(2026, 11, 28, 22, 0, 0, 123)), "2026-11-28T22:00:00.123Z");
  EXPECT_EQ(Ts(At(2026, 11, 28, 22, 0, 0, 7)), "2026-11-28T22:00:00.007Z");
  EXPECT_EQ(Ts(At(2026, 11, 28, 22, 0, 0, 0)), "2026-11-28T22:00:00.000Z");
}

TEST(LogTimestampTest, PrefixFollowsTheSecondBothWays) {
  EXPECT_EQ(Ts(At(2026, 12, 31, 23, 59, 59, 999)), "2026-12-31T23:59:59.999Z");
  EXPECT_EQ(Ts(At(2027, 1, 1, 0, 0, 0, 1)), "2027-01-01T00:00:00.001Z");
  EXPECT_EQ(Ts(At(2026, 12, 31, 23, 59, 59, 500)), "2026-12-31T23:59:59.500Z");
}

TEST(LogTimestampTest, TruncatesSubMillisecondsAndHandlesTimesBefore1970) {
  EXPECT_EQ(Ts(At(2026, 1, 2, 3, 4, 5, 6) + absl::Microseconds(999)), "2026-01-02T03:04:05.006Z");
  EXPECT_EQ(Ts(absl::UnixEpoch() - absl::Milliseconds(1)), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(Ts(absl::UnixEpoch() - absl::Seconds(1)), "1969-12-31T23:59:59.000Z");
}

TEST(LogTimestampTest, AppendsToWhatIsThere) {
  std::string line = "{\"ts\":\"";
  internal::AppendTimestamp(At(2026, 11, 29, 1, 2, 3, 45), &line);
  EXPECT_EQ(line, "{\"ts\":\"2026-11-29T01:02:03.045Z");
}

TEST(JsonQuoteTest, EscapesWhatJsonRequiresAndCopiesTheRest) {
  EXPECT_EQ(JsonQuote(""), "\"\"");
  EXPECT_EQ(JsonQuote("plain text 123"), "\"plain text 123\"");
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("\n\r\t"), "\"\\n\\r\\t\"");
  EXPECT_EQ(JsonQuote(std::string("x\0y\x1f", 4)), "\"x\\u0000y\\u001f\"");
  EXPECT_EQ(JsonQuote("\"edge\""), "\"\\\"edge\\\"\"");
  EXPECT_EQ(JsonQuote("caf\xc3\xa9 \x7f"), "\"caf\xc3\xa9 \x7f\"");  // UTF-8 and DEL as they are
}

}  // namespace
}  // namespace hallmark::log
