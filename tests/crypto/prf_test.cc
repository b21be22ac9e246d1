#include "crypto/prf.h"

#include <string>
#include <thread>
#include <vector>

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

// The context is reused per thread: each call must start from a fresh state, on any thread.
TEST(PrfTest, Sha256RepeatedAndOnOtherThreads) {
  const std::string empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(absl::BytesToHexString(Sha256("abc")), abc);
    EXPECT_EQ(absl::BytesToHexString(Sha256("")), empty);
  }
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&got, t] {
      for (int i = 0; i < 100; ++i) got[t] = absl::BytesToHexString(Sha256(i % 2 ? "abc" : ""));
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& g : got) EXPECT_EQ(g, abc);  // the last of 100 calls hashed "abc"
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
