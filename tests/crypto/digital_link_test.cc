#include "gs1/digital_link.h"

#include <string>

#include "gs1/unit_code.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace hallmark::gs1 {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

TEST(DigitalLinkTest, FormatsStandardQualifierOrder) {
  UnitCode code{"09506000134352", "ABC123", "L42", "AQ3-_z"};
  EXPECT_EQ(*FormatDigitalLink("id.brand.example", code),
            "https://id.brand.example/01/09506000134352/10/L42/21/ABC123?8030=AQ3-_z");
  code.lot.clear();
  code.digsig.clear();
  EXPECT_EQ(*FormatDigitalLink("id.brand.example:8443", code),
            "https://id.brand.example:8443/01/09506000134352/21/ABC123");
}

TEST(DigitalLinkTest, PercentEncodesEverythingButUnreserved) {
  UnitCode code{"09506000134352", "a/b?c%d#e(f)", "x y", ""};
  EXPECT_EQ(*FormatDigitalLink("h.example", code),
            "https://h.example/01/09506000134352/10/x%20y/21/a%2Fb%3Fc%25d%23e%28f%29");
}

TEST(DigitalLinkTest, RoundTripsEveryCset82Character) {
  const std::string all =
      "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
  for (size_t i = 0; i < all.size(); i += 20) {
    UnitCode code{"09506000134352", all.substr(i, 20), all.substr(all.size() - 1 - i / 20, 1),
                  "Zz0-_"};
    absl::StatusOr<std::string> uri = FormatDigitalLink("h.example", code);
    ASSERT_THAT(uri, IsOk());
    EXPECT_EQ(*ParseDigitalLink(*uri), code) << *uri;
    EXPECT_EQ(*ParseScannedCode(*uri), code);
  }
}

TEST(DigitalLinkTest, ParsesWhatOtherGeneratorsProduce) {
  const struct {
    const char* uri;
    UnitCode want;
  } kCases[] = {
      {"https://example.com/01/09506000134352/21/ABC", {"09506000134352", "ABC", "", ""}},
      {"HTTP://Example.COM/01/09506000134352/21/ABC", {"09506000134352", "ABC", "", ""}},
      {"https://example.com/some/prefix/01/09506000134352/21/ABC",
       {"09506000134352", "ABC", "", ""}},
      {"https://example.com/01/9506000134352/21/ABC", {"09506000134352", "ABC", "", ""}},
      {"https://example.com/01/09506000134352/21/ABC/10/L1", {"09506000134352", "ABC", "L1", ""}},
      {"https://example.com/01/09506000134352/22/V1/10/L1/21/ABC",
       {"09506000134352", "ABC", "L1", ""}},
      {"https://example.com/01/09506000134352/21/A%2fB?linkType=gs1:pip&8030=QQ#frag",
       {"09506000134352", "A/B", "", "QQ"}},
      {"https://example.com/01/09506000134352/21/21", {"09506000134352", "21", "", ""}},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<UnitCode> code = ParseDigitalLink(c.uri);
    ASSERT_THAT(code, IsOk()) << c.uri;
    EXPECT_EQ(*code, c.want) << c.uri;
  }
}

TEST(DigitalLinkTest, RejectsMalformedUris) {
  const struct {
    const char* uri;
    const char* why;
  } kCases[] = {
      {"ftp://example.com/01/09506000134352/21/A", "scheme"},
      {"https://example.com", "missing host or path"},
      {"https:///01/09506000134352/21/A", "missing host"},
      {"https://example.com/21/ABC", "primary key"},
      {"https://example.com/01/09506000134352", "serial is missing"},
      {"https://example.com/01/09506000134353/21/A", "check digit"},
      {"https://example.com/01/09506000134352/21/A%2", "percent"},
      {"https://example.com/01/09506000134352/21/A%zz", "percent"},
      {"https://example.com/01/09506000134352/21/A%00", "%00"},
      {"https://example.com/01/09506000134352/21/A%20B", "character set 82"},
      {"https://example.com/01/09506000134352/21/A/21/B", "more than once"},
      {"https://example.com/01/09506000134352/21/A?8030=x&8030=y", "more than once"},
      {"https://example.com/01/09506000134352/21/A?8030=a.b", "character set 64"},
      {"https://example.com/01/09506000134352/21/A/", "primary key"},
  };
  for (const auto& c : kCases) {
    EXPECT_THAT(ParseDigitalLink(c.uri),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.why)))
        << c.uri;
  }
}

TEST(DigitalLinkTest, ValidatesResolverHost) {
  EXPECT_THAT(ValidateResolverHost("id.brand.example"), IsOk());
  EXPECT_THAT(ValidateResolverHost("127.0.0.1:8080"), IsOk());
  for (const char* bad : {"", "a/b", "a b", "h:", "h:port", "h:1:2", "user@h"}) {
    EXPECT_THAT(ValidateResolverHost(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("resolver_host")))
        << bad;
  }
  EXPECT_FALSE(FormatDigitalLink("a/b", UnitCode{"09506000134352", "A", "", ""}).ok());
}

TEST(ScannedCodeTest, DispatchesOnFormAndStripsScannerLineEnd) {
  EXPECT_EQ(ParseScannedCode("(01)09506000134352(21)A\r\n")->serial, "A");
  EXPECT_EQ(ParseScannedCode("https://x.example/01/09506000134352/21/B\n")->serial, "B");
  EXPECT_THAT(ParseScannedCode(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseScannedCode(std::string(513, '(')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("512")));
}

// The cases docs/code-format.md §1 settles, one by one.
TEST(ScannedCodeTest, TheSpecsEdgeCasesBehaveAsDocumented) {
  const std::string g = "09506000134352";
  // The last /01/ that only qualifiers follow is the primary key.
  EXPECT_EQ(ParseScannedCode("https://h/01/x/01/" + g + "/21/A")->gtin, g);
  EXPECT_EQ(ParseScannedCode("https://h/01/04006381333931/01/" + g + "/21/A")->gtin, g);
  // Only 10, 21 and 22 after it; no trailing slash, no extra segment.
  for (const std::string bad : {"https://h/01/" + g + "/17/261231/21/A",
                                "https://h/01/" + g + "/21/A/99/X", "https://h/01/" + g + "/21/A/",
                                "https://h/01/" + g + "/21/A/x"}) {
    EXPECT_FALSE(ParseScannedCode(bad).ok()) << bad;
  }
  // Decoded before checking: lower-case hex, unescaped parentheses, an encoded 8030.
  EXPECT_EQ(ParseScannedCode("https://h/01/" + g + "/21/A%2fB")->serial, "A/B");
  EXPECT_EQ(ParseScannedCode("https://h/01/" + g + "/21/A(1)")->serial, "A(1)");
  EXPECT_EQ(ParseScannedCode("https://h/01/" + g + "/21/A?8030=AB%2DC")->digsig, "AB-C");
  // Query parameters other than 8030, 17 and 11 are not even decoded.
  EXPECT_TRUE(ParseScannedCode("https://h/01/" + g + "/21/A?x=%ZZ&linkType=gs1:pip").ok());
  // The dates are: six digits, a real calendar date (DD = 00 allowed), each at most once.
  EXPECT_EQ(ParseScannedCode("https://h/01/" + g + "/21/A?17=261200&11=2511%330")->production,
            "251130");
  for (const std::string bad :
       {"https://h/01/" + g + "/21/A?17=26", "https://h/01/" + g + "/21/A?17=260230",
        "https://h/01/" + g + "/21/A?11=251301", "https://h/01/" + g + "/21/A?17=261231&17=261231",
        "https://h/01/" + g + "/17/261231/21/A"}) {
    EXPECT_FALSE(ParseScannedCode(bad).ok()) << bad;
  }
  // A URI after ]Q1 or ]d1; not after ]Q3.
  EXPECT_EQ(ParseScannedCode("]Q1https://h/01/" + g + "/21/A")->serial, "A");
  EXPECT_EQ(ParseScannedCode("]d1HTTPS://h/01/" + g + "/21/A")->serial, "A");
  EXPECT_FALSE(ParseScannedCode("]Q3https://h/01/" + g + "/21/A").ok());
  // Whitespace: trailing CR/LF stripped, anything else is part of the code.
  EXPECT_TRUE(ParseScannedCode("(01)" + g + "(21)A\r\n\r\n").ok());
  EXPECT_FALSE(ParseScannedCode(" (01)" + g + "(21)A").ok());
  EXPECT_FALSE(ParseScannedCode("(01)" + g + "(21)A ").ok());
  // Element strings: a 14-digit GTIN, any AI order, only \( escapes, known AIs only.
  EXPECT_FALSE(ParseScannedCode("(01)9506000134352(21)A").ok());
  EXPECT_EQ(ParseScannedCode("(21)A(10)L(01)" + g)->lot, "L");
  EXPECT_EQ(ParseScannedCode("(01)" + g + "(21)A\\(1)")->serial, "A(1)");
  EXPECT_FALSE(ParseScannedCode("(01)" + g + "(21)A\\)").ok());
  EXPECT_FALSE(ParseScannedCode("(01)" + g + "(21)A(99)X").ok());
  EXPECT_FALSE(ParseScannedCode("(01)" + g + "(21)A(7003)2612311200").ok());
  EXPECT_TRUE(ParseScannedCode("(01)" + g + "(21)A(15)999999").ok());  // no calendar check...
  EXPECT_FALSE(ParseScannedCode("(01)" + g + "(21)A(17)999999").ok());  // ...but of (17) and (11)
  EXPECT_FALSE(ParseScannedCode("(01)" + g + "(21)A(11)250229").ok());  // 2025 has no Feb 29
  EXPECT_EQ(ParseScannedCode("(01)" + g + "(21)A(11)280229")->production, "280229");
  EXPECT_EQ(ParseScannedCode("01" + g + "17261200" + "21A")->expiry, "261200");
  // Raw: a GS after a fixed-length field is accepted, a trailing GS is not.
  EXPECT_TRUE(ParseScannedCode("01" + g + "\x1d" + "21A").ok());
  EXPECT_FALSE(ParseScannedCode("01" + g + "21A\x1d").ok());
  // An empty, an over-long or a non-base64url 8030 breaks the syntax: unparseable.
  for (const std::string bad : {"(01)" + g + "(21)A(8030)", "(01)" + g + "(21)A(8030)A+B",
                                "(01)" + g + "(21)A(8030)" + std::string(91, 'A'),
                                "https://h/01/" + g + "/21/A?8030="}) {
    EXPECT_FALSE(ParseScannedCode(bad).ok()) << bad;
  }
  // '=' is in set 64: the syntax passes, the DIGSIG check refuses it later (digsig_malformed).
  EXPECT_EQ(ParseScannedCode("(01)" + g + "(21)A(8030)AAA=")->digsig, "AAA=");
}

}  // namespace
}  // namespace hallmark::gs1
