#include "crypto/digsig.h"

#include <set>
#include <utility>
#include <vector>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::IsOk;

const DigSigHeader kHeader{kDigSigVersion, Algorithm::kEd25519, 0xed01};

std::string Signature() {
  std::string sig(kSignatureLength, '\0');
  for (size_t i = 0; i < sig.size(); ++i) sig[i] = static_cast<char>(i * 7);
  return sig;
}

DigSigFailure FailureOf(absl::string_view text) {
  DigSigFailure failure = DigSigFailure::kNone;
  EXPECT_FALSE(ParseDigSig(text, &failure).ok());
  return failure;
}

std::string Encode(const std::string& bytes) { return absl::WebSafeBase64Escape(bytes); }

TEST(DigSigTest, FormatsNinetyCharactersAndParsesBack) {
  const std::string text = FormatDigSig(kHeader, Signature());
  EXPECT_EQ(text.size(), kDigSigLength);
  EXPECT_EQ(text.substr(0, 4), "Eu0B");  // the 3 header bytes 12 ed 01 are 4 characters
}

TEST(DigSigTest, HeaderBytesAreVersionAlgorithmAndKeyId) {
  const std::string text = FormatDigSig(kHeader, Signature());
  std::string bytes;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(text, &bytes));
  ASSERT_EQ(bytes.size(), 67u);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0x12);  // version 1, algorithm 2
  EXPECT_EQ(static_cast<uint8_t>(bytes[1]), 0xed);
  EXPECT_EQ(static_cast<uint8_t>(bytes[2]), 0x01);
  DigSigFailure failure;
  auto parsed = ParseDigSig(text, &failure);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(failure, DigSigFailure::kNone);
  EXPECT_EQ(parsed->header.key_id, 0xed01);
  EXPECT_EQ(parsed->header.algorithm, Algorithm::kEd25519);
  EXPECT_EQ(parsed->signature, Signature());
}

TEST(DigSigTest, EachStructuralDefectHasItsReason) {
  const std::string good = FormatDigSig(kHeader, Signature());
  std::string bytes;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(good, &bytes));
  EXPECT_EQ(FailureOf(""), DigSigFailure::kMissing);
  EXPECT_EQ(FailureOf(good.substr(0, 89) + "+"), DigSigFailure::kMalformed);
  EXPECT_EQ(FailureOf(good + "=="), DigSigFailure::kMalformed);
  EXPECT_EQ(FailureOf(good + "A"), DigSigFailure::kMalformed);  // too long
  // 67 bytes leave 4 spare bits in the last character: setting one is non-canonical.
  std::string stray = good;
  stray.back() = static_cast<char>(stray.back() + 1);
  EXPECT_EQ(FailureOf(stray), DigSigFailure::kMalformed);
  EXPECT_EQ(FailureOf(Encode(bytes.substr(0, 2))), DigSigFailure::kBadLength);
  EXPECT_EQ(FailureOf(Encode(bytes.substr(0, 66))), DigSigFailure::kBadLength);
  std::string v2 = bytes;
  v2[0] = 0x22;
  EXPECT_EQ(FailureOf(Encode(v2)), DigSigFailure::kUnsupportedVersion);
  std::string alg3 = bytes;
  alg3[0] = 0x13;
  EXPECT_EQ(FailureOf(Encode(alg3)), DigSigFailure::kUnknownAlgorithm);
}

// The reason codes are part of the API (VerifyResponse.reason, docs/verification.md): each
// failure has its own, spelled as documented.
TEST(DigSigTest, ReasonCodesAreDistinctAndAsDocumented) {
  const std::vector<std::pair<DigSigFailure, std::string>> want = {
      {DigSigFailure::kNone, "ok"},
      {DigSigFailure::kMissing, "digsig_missing"},
      {DigSigFailure::kMalformed, "digsig_malformed"},
      {DigSigFailure::kBadLength, "digsig_bad_length"},
      {DigSigFailure::kUnsupportedVersion, "digsig_unsupported_version"},
      {DigSigFailure::kUnknownAlgorithm, "digsig_unknown_algorithm"},
      {DigSigFailure::kUnknownKey, "unknown_key"},
      {DigSigFailure::kKeyRevoked, "key_revoked"},
      {DigSigFailure::kAlgorithmMismatch, "algorithm_mismatch"},
      {DigSigFailure::kNonCanonical, "signature_non_canonical"},
      {DigSigFailure::kSignatureInvalid, "signature_invalid"},
  };
  ASSERT_EQ(want.size(), static_cast<size_t>(DigSigFailure::kSignatureInvalid) + 1)
      << "a failure without a documented reason code";
  std::set<std::string> codes;
  for (const auto& [failure, code] : want) {
    EXPECT_EQ(ReasonCode(failure), code);
    codes.insert(code);
  }
  EXPECT_EQ(codes.size(), want.size());
}

TEST(DigSigTest, MessageEncodingIsCanonical) {
  const DigSigHeader h{kDigSigVersion, Algorithm::kEs256, 0x7e57};
  const std::string msg = DigSigMessage(h, "09506000134352", "ABC", "L1");
  const std::string want = std::string("hallmark/digsig/v1") + "\x11\x7e\x57" +
                           std::string("\x01\x0e", 2) + "09506000134352" + "\x15\x03" + "ABC" +
                           "\x0a\x02" + "L1";
  EXPECT_EQ(absl::BytesToHexString(msg), absl::BytesToHexString(want));
  // No lot: the field is absent, so "no lot" and any lot sign different messages.
  EXPECT_EQ(DigSigMessage(h, "09506000134352", "ABC", ""), want.substr(0, want.size() - 4));
}

TEST(KeyIdTest, FourLowercaseHexDigits) {
  EXPECT_EQ(FormatKeyId(0x7e57), "7e57");
  EXPECT_EQ(FormatKeyId(1), "0001");
  EXPECT_EQ(*ParseKeyId("ed01"), 0xed01);
  for (const char* bad : {"", "7e5", "7e577", "7E57", "7g57", "-e57"}) {
    EXPECT_FALSE(ParseKeyId(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace hallmark::crypto
