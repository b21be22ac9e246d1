#include "gs1/element_string.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace hallmark::gs1 {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

const std::string kGs(1, kGroupSeparator);

UnitCode Sample() {
  return UnitCode{"09506000134352", "ABC123", "L42", "AQ3-_xyz"};
}

TEST(ElementStringTest, FormatsBracketedInDocumentedOrder) {
  EXPECT_EQ(FormatBracketedElementString(Sample()),
            "(01)09506000134352(21)ABC123(10)L42(8030)AQ3-_xyz");
  EXPECT_EQ(FormatBracketedElementString(UnitCode{"09506000134352", "S1", "", ""}),
            "(01)09506000134352(21)S1");
}

TEST(ElementStringTest, FormatsRawWithSeparatorsBetweenVariableFields) {
  EXPECT_EQ(FormatRawElementString(Sample(), "]d2"),
            "]d2010950600013435221ABC123" + kGs + "10L42" + kGs + "8030AQ3-_xyz");
}

TEST(ElementStringTest, RoundTripsAllForms) {
  for (const UnitCode& code :
       {Sample(), UnitCode{"09506000134352", "S", "", ""},
        UnitCode{"00000096385074", "!\"%&'()*+,-./:;<=>?_", "", "x"},
        UnitCode{"09506000134352", "(21)X", "(10)", ""}}) {
    absl::StatusOr<UnitCode> bracketed = ParseElementString(FormatBracketedElementString(code));
    ASSERT_TRUE(bracketed.ok()) << bracketed.status();
    EXPECT_EQ(*bracketed, code);
    for (const char* sym : {"", "]d2", "]Q3", "]C1"}) {
      absl::StatusOr<UnitCode> raw = ParseElementString(FormatRawElementString(code, sym));
      ASSERT_TRUE(raw.ok()) << raw.status();
      EXPECT_EQ(*raw, code) << sym;
    }
  }
}

TEST(ElementStringTest, EscapesParenthesesInBracketedValues) {
  UnitCode code{"09506000134352", "A(B)", "", ""};
  EXPECT_EQ(FormatBracketedElementString(code), "(01)09506000134352(21)A\\(B)");
}

TEST(ElementStringTest, AcceptsLeadingGsAndAnyFieldOrder) {
  const std::string raw = kGs + "10L42" + kGs + "21ABC123" + kGs + "0109506000134352";
  absl::StatusOr<UnitCode> code = ParseElementString(raw);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code->serial, "ABC123");
  EXPECT_EQ(code->lot, "L42");
}

TEST(ElementStringTest, IgnoresOtherKnownAis) {
  absl::StatusOr<UnitCode> code =
      ParseElementString("]d2010950600013435217271231" "10L1" + kGs + "21S9");
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code->gtin, "09506000134352");
  EXPECT_EQ(code->lot, "L1");
  EXPECT_EQ(code->serial, "S9");
  EXPECT_TRUE(ParseElementString("(01)09506000134352(17)271231(21)S9").ok());
}

TEST(ElementStringTest, RejectsMalformedInput) {
  const struct {
    std::string input;
    const char* why;
  } kCases[] = {
      {"", "empty"},
      {"(01)09506000134352", "(21) serial is missing"},
      {"(21)ABC", "(01) GTIN is missing"},
      {"(01)09506000134353(21)A", "check digit"},
      {"(01)0950600013435(21)A", "exactly 14"},
      {"(01)09506000134352(21)A(21)B", "more than once"},
      {"(01)09506000134352(21)", "1..20"},
      {"(01)09506000134352(21)ABCDEFGHIJKLMNOPQRSTU", "1..20"},
      {"(01)09506000134352(21)A B", "character set 82"},
      {"(01)09506000134352(21)A(99999)B", "not supported"},
      {"(01)09506000134352(21)A(7", "unterminated"},
      {"()09506000134352", "() is not supported"},
      {"(01)09506000134352(21)A(8030)a+b", "character set 64"},
      {"]X9010950600013435221A", "symbology"},
      {"0109506000134352" "21A" + kGs, "ends with a separator"},
      {"0109506000134352" "77", "no supported AI"},
      {"01095060001343", "exactly 14"},
  };
  for (const auto& c : kCases) {
    EXPECT_THAT(ParseElementString(c.input),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.why)))
        << c.input;
  }
}

}  // namespace
}  // namespace hallmark::gs1
