#include "crypto/serial.h"

#include <set>
#include <string>

#include "gs1/gs1.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::IsOk;
using gs1::IsCset82;
using gs1::ValidateSerial;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RandomSerialTest, AlphabetHasNoLookAlikesAndIsCset82) {
  EXPECT_EQ(kRandomSerialAlphabet.size(), 32u);
  for (char c : std::string("ILOU")) {
    EXPECT_EQ(kRandomSerialAlphabet.find(c), absl::string_view::npos) << c;
  }
  for (char c : kRandomSerialAlphabet) EXPECT_TRUE(IsCset82(c));
}

TEST(RandomSerialTest, MapsBitsMostSignificantFirst) {
  std::array<uint8_t, kRandomSerialBytes> bytes{};
  EXPECT_EQ(RandomSerialFromBytes(bytes), "0000000000000000");
  bytes.fill(0xff);
  EXPECT_EQ(RandomSerialFromBytes(bytes), "ZZZZZZZZZZZZZZZZ");
  bytes.fill(0);
  bytes[0] = 0x08;  // 00001|000 00... -> first character '1', the rest '0'
  EXPECT_EQ(RandomSerialFromBytes(bytes), "1000000000000000");
  bytes[0] = 0x04;  // 00000|100 00|... -> second character 10000b = 16 = 'G'
  EXPECT_EQ(RandomSerialFromBytes(bytes), "0G00000000000000");
  bytes.fill(0);
  bytes[9] = 0x1f;
  EXPECT_EQ(RandomSerialFromBytes(bytes), "000000000000000Z");
}

TEST(RandomSerialTest, GeneratedSerialsAreValidAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto serial = GenerateRandomSerial();
    ASSERT_THAT(serial, IsOk());
    EXPECT_EQ(serial->size(), kRandomSerialLength);
    EXPECT_THAT(ValidateSerial(*serial), IsOk());
    EXPECT_TRUE(MatchesSerialFormat(SerialFormat::kRandom, *serial));
    seen.insert(*serial);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(SequentialSerialTest, FormatsPrefixAndPaddedCounter) {
  EXPECT_EQ(*FormatSequentialSerial("", 1), "0000000001");
  EXPECT_EQ(*FormatSequentialSerial("LINE7-", 42), "LINE7-0000000042");
  EXPECT_EQ(*FormatSequentialSerial("ABCDEFGHIJ", kMaxSequentialCounter), "ABCDEFGHIJ9999999999");
  EXPECT_TRUE(MatchesSerialFormat(SerialFormat::kSequential, "LINE7-0000000042"));
  EXPECT_FALSE(MatchesSerialFormat(SerialFormat::kSequential, "LINE7-42"));
}

TEST(SequentialSerialTest, RejectsBadPrefixAndCounter) {
  EXPECT_THAT(FormatSequentialSerial("ABCDEFGHIJK", 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("prefix")));
  EXPECT_THAT(FormatSequentialSerial("A B", 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("prefix")));
  EXPECT_THAT(FormatSequentialSerial("", 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(FormatSequentialSerial("", kMaxSequentialCounter + 1),
              StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(DateEncodedSerialTest, FormatsDayAndCounter) {
  EXPECT_EQ(*FormatDateEncodedSerial(absl::CivilDay(2026, 11, 28), 7), "20261128-000007");
  EXPECT_TRUE(MatchesSerialFormat(SerialFormat::kDateEncoded, "20261128-000007"));
  EXPECT_TRUE(MatchesSerialFormat(SerialFormat::kDateEncoded, "20240229-000001"));
  EXPECT_FALSE(MatchesSerialFormat(SerialFormat::kDateEncoded, "20230229-000001"));
  EXPECT_FALSE(MatchesSerialFormat(SerialFormat::kDateEncoded, "20261301-000001"));
  EXPECT_THAT(FormatDateEncodedSerial(absl::CivilDay(2026, 1, 1), kMaxDateCounter + 1),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(FormatDateEncodedSerial(absl::CivilDay(1999, 1, 1), 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("manufactured_at")));
}

TEST(PlantEncodedSerialTest, FormatsPlantAndCounter) {
  EXPECT_EQ(*FormatPlantEncodedSerial("P01", 5), "P01-0000000005");
  EXPECT_EQ(FormatPlantEncodedSerial("ABCDEFGH", 1)->size(), 19u);
  EXPECT_TRUE(MatchesSerialFormat(SerialFormat::kPlantEncoded, "P01-0000000005"));
  EXPECT_FALSE(MatchesSerialFormat(SerialFormat::kPlantEncoded, "p01-0000000005"));
  for (const char* bad : {"", "p01", "ABCDEFGHI", "A-1"}) {
    EXPECT_THAT(FormatPlantEncodedSerial(bad, 1),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("plant"))) << bad;
  }
}

}  // namespace
}  // namespace hallmark::crypto
