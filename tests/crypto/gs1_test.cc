#include "gs1/gs1.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace hallmark::gs1 {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

// Real GTINs of each length (GS1 examples and retail products).
const char* const kValidGtins[] = {
    "96385074",        // GTIN-8 (GS1 example)
    "614141000036",    // GTIN-12 (GS1 US example)
    "4006381333931",   // GTIN-13 (EAN-13 on a Stabilo pen)
    "09506000134352",  // GTIN-14 (GS1 Digital Link example)
    "10614141000033",  // GTIN-14 with indicator digit 1
};

TEST(GtinTest, KnownGtinsAreValid) {
  for (const char* gtin : kValidGtins) {
    EXPECT_THAT(NormalizeGtin(gtin), IsOk()) << gtin;
  }
}

TEST(GtinTest, CheckDigitOfKnownGtins) {
  EXPECT_EQ(Gs1CheckDigit("0950600013435"), '2');
  EXPECT_EQ(Gs1CheckDigit("400638133393"), '1');
  EXPECT_EQ(Gs1CheckDigit("9638507"), '4');
  EXPECT_EQ(Gs1CheckDigit("0000000000000"), '0');
}

TEST(GtinTest, NormalisesToFourteenDigits) {
  EXPECT_EQ(*NormalizeGtin("96385074"), "00000096385074");
  EXPECT_EQ(*NormalizeGtin("614141000036"), "00614141000036");
  EXPECT_EQ(*NormalizeGtin("4006381333931"), "04006381333931");
  EXPECT_EQ(*NormalizeGtin("09506000134352"), "09506000134352");
}

TEST(GtinTest, EverySingleDigitCorruptionIsDetected) {
  for (const char* gtin : kValidGtins) {
    const std::string original = gtin;
    for (size_t pos = 0; pos < original.size(); ++pos) {
      for (char d = '0'; d <= '9'; ++d) {
        if (d == original[pos]) continue;
        std::string corrupted = original;
        corrupted[pos] = d;
        EXPECT_THAT(NormalizeGtin(corrupted),
                    StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("check digit")))
            << corrupted;
      }
    }
  }
}

TEST(GtinTest, RejectsWrongLengthsNamingTheField) {
  for (const char* bad : {"", "1234567", "123456789", "12345678901", "123456789012345"}) {
    EXPECT_THAT(NormalizeGtin(bad, "units[2].gtin"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::AllOf(HasSubstr("units[2].gtin"), HasSubstr("8, 12, 13 or 14"))))
        << bad;
  }
}

TEST(GtinTest, RejectsNonDigits) {
  EXPECT_THAT(NormalizeGtin("0950600013435A"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("digits only")));
  EXPECT_THAT(NormalizeGtin("-9506000134352"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("position 1")));
  EXPECT_THAT(NormalizeGtin(std::string("0950600013435\0", 14)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0x00")));
}

constexpr char kCset82[] =
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

TEST(Cset82Test, ContainsExactlyTheEightyTwoCharacters) {
  ASSERT_EQ(sizeof(kCset82) - 1, 82u);
  int count = 0;
  for (int c = 0; c < 256; ++c) count += IsCset82(static_cast<char>(c));
  EXPECT_EQ(count, 82);
  for (const char* p = kCset82; *p; ++p) EXPECT_TRUE(IsCset82(*p)) << *p;
}

TEST(Cset82Test, RejectsNeighboursOfTheSet) {
  for (char c : std::string(" #$@[\\]^`{|}~\x1d\x7f\x80\xc3", 17)) {
    EXPECT_FALSE(IsCset82(c)) << static_cast<int>(static_cast<unsigned char>(c));
    EXPECT_THAT(ValidateSerial(std::string("AB") + c),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("position 3")));
  }
}

TEST(SerialFieldTest, LengthEdges) {
  EXPECT_THAT(ValidateSerial(std::string(1, 'A')), IsOk());
  EXPECT_THAT(ValidateSerial(std::string(20, 'A')), IsOk());
  EXPECT_THAT(ValidateSerial(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("serial: must have 1..20")));
  EXPECT_THAT(ValidateSerial(std::string(21, 'A')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 21")));
  EXPECT_THAT(ValidateLot(std::string(21, '1')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lot:")));
}

TEST(SerialFieldTest, EveryCset82CharacterIsAcceptedInAValue) {
  const std::string all = kCset82;
  for (size_t i = 0; i < all.size(); i += 20) {
    EXPECT_THAT(ValidateSerial(all.substr(i, 20)), IsOk()) << all.substr(i, 20);
  }
}

}  // namespace
}  // namespace hallmark::gs1
