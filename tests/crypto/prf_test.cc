#include "crypto/prf.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace hallmark::crypto {
namespace {

TEST(PrfTest, HmacSha256MatchesRfc4231Case2) {
  EXPECT_EQ(absl::BytesToHexString(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(PrfTest, Sha256OfAbc) {
  EXPECT_EQ(absl::BytesToHexString(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(PrfTest, RandomBytesDiffer) {
  EXPECT_EQ(RandomBytes(32)->size(), 32u);
  EXPECT_NE(*RandomBytes(16), *RandomBytes(16));
}

TEST(PrfTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace hallmark::crypto
