// Known-answer and Wycheproof-style negative tests for the two signature primitives.
#include "crypto/signature.h"

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "crypto/key_material.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/common/test_keys.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;

std::string Hex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

// RFC 6979 A.2.5: P-256, SHA-256, message "sample". s is the high form; n - s the low form.
const std::string kRfc6979R =
    Hex("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716");
const std::string kRfc6979HighS =
    Hex("F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8");
const std::string kRfc6979LowS =
    Hex("0834E36AD29A83BF2BC9385E491D6099C8FDF9D1ED67AA7EA5F51F93782857A9");

TEST(Es256KnownAnswerTest, Rfc6979SampleVerifiesInLowSFormOnly) {
  auto key = KeyMaterial::FromPublicPem(testing::kTestEs256PublicPem, Algorithm::kEs256);
  ASSERT_THAT(key, IsOk());
  auto verifier = (*key)->NewVerifier();
  ASSERT_THAT(verifier, IsOk());
  EXPECT_EQ((*verifier)->Verify(kRfc6979R + kRfc6979LowS, "sample"), SignatureCheck::kValid);
  EXPECT_EQ((*verifier)->Verify(kRfc6979R + kRfc6979HighS, "sample"),
            SignatureCheck::kNonCanonical);
  EXPECT_EQ((*verifier)->Verify(kRfc6979R + kRfc6979LowS, "test"), SignatureCheck::kInvalid);
}

TEST(Ed25519KnownAnswerTest, Rfc8032Test1SignsExactly) {
  auto key = KeyMaterial::FromPrivatePem(testing::kTestEd25519PrivatePem, Algorithm::kEd25519);
  ASSERT_THAT(key, IsOk());
  const std::string want = Hex(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
      "1cf9b46bd25bf5f0595bbe24655141438e7a100b");
  auto signer = (*key)->NewSigner();
  ASSERT_THAT(signer, IsOk());
  for (int i = 0; i < 3; ++i) {  // the per-thread context must be reusable
    auto sig = (*signer)->Sign("");
    ASSERT_THAT(sig, IsOk());
    EXPECT_EQ(absl::BytesToHexString(*sig), absl::BytesToHexString(want));
  }
  EXPECT_EQ(Hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
            (*key)->SpkiDer().substr(12));
}

TEST(Ed25519KnownAnswerTest, Rfc8032Test2Verifies) {
  // Public key 3d4017c3..., built as SPKI PEM from the raw key.
  const std::string spki =
      Hex("302a300506032b6570032100") +
      Hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  const std::string pem =
      "-----BEGIN PUBLIC KEY-----\n" + absl::Base64Escape(spki) + "\n-----END PUBLIC KEY-----\n";
  auto key = KeyMaterial::FromPublicPem(pem, Algorithm::kEd25519);
  ASSERT_THAT(key, IsOk());
  auto verifier = (*key)->NewVerifier();
  const std::string sig = Hex(
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613"
      "d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  EXPECT_EQ((*verifier)->Verify(sig, Hex("72")), SignatureCheck::kValid);
  EXPECT_EQ((*verifier)->Verify(sig, Hex("73")), SignatureCheck::kInvalid);
}

class SignatureTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  void SetUp() override {
    auto key = KeyMaterial::Generate(GetParam());
    ASSERT_THAT(key, IsOk());
    key_ = *std::move(key);
    auto signer = key_->NewSigner();
    auto verifier = key_->NewVerifier();
    ASSERT_THAT(signer, IsOk());
    ASSERT_THAT(verifier, IsOk());
    signer_ = *std::move(signer);
    verifier_ = *std::move(verifier);
  }
  std::unique_ptr<KeyMaterial> key_;
  std::unique_ptr<PublicKeySign> signer_;
  std::unique_ptr<PublicKeyVerify> verifier_;
};

TEST_P(SignatureTest, SignedMessageVerifies) {
  for (const char* msg : {"", "a", "hallmark/digsig/v1 message"}) {
    auto sig = signer_->Sign(msg);
    ASSERT_THAT(sig, IsOk());
    EXPECT_EQ(sig->size(), kSignatureLength);
    EXPECT_EQ(verifier_->Verify(*sig, msg), SignatureCheck::kValid);
  }
}

TEST_P(SignatureTest, DifferentMessageDoesNotVerify) {
  auto sig = signer_->Sign("message");
  ASSERT_THAT(sig, IsOk());
  EXPECT_EQ(verifier_->Verify(*sig, "messagf"), SignatureCheck::kInvalid);
  EXPECT_EQ(verifier_->Verify(*sig, "message "), SignatureCheck::kInvalid);
  EXPECT_EQ(verifier_->Verify(*sig, ""), SignatureCheck::kInvalid);
}

TEST_P(SignatureTest, EveryFlippedBitIsRejected) {
  auto sig = signer_->Sign("message");
  ASSERT_THAT(sig, IsOk());
  for (size_t byte = 0; byte < sig->size(); ++byte) {
    for (int bit = 0; bit < 8; bit += 7) {  // lowest and highest bit of every byte
      std::string bad = *sig;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      EXPECT_NE(verifier_->Verify(bad, "message"), SignatureCheck::kValid) << byte << "/" << bit;
    }
  }
}

TEST_P(SignatureTest, WrongLengthsAndDegenerateSignaturesAreRejected) {
  auto sig = signer_->Sign("message");
  ASSERT_THAT(sig, IsOk());
  EXPECT_EQ(verifier_->Verify(sig->substr(0, 63), "message"), SignatureCheck::kInvalid);
  EXPECT_EQ(verifier_->Verify(*sig + "x", "message"), SignatureCheck::kInvalid);
  EXPECT_EQ(verifier_->Verify("", "message"), SignatureCheck::kInvalid);
  EXPECT_EQ(verifier_->Verify(std::string(64, '\0'), "message"), SignatureCheck::kInvalid);
  EXPECT_NE(verifier_->Verify(std::string(64, '\xff'), "message"), SignatureCheck::kValid);
  std::string zero_r = *sig;
  std::fill(zero_r.begin(), zero_r.begin() + 32, '\0');
  EXPECT_EQ(verifier_->Verify(zero_r, "message"), SignatureCheck::kInvalid);
}

TEST_P(SignatureTest, AnotherKeysSignatureIsRejected) {
  auto other = KeyMaterial::Generate(GetParam());
  ASSERT_THAT(other, IsOk());
  auto sig = (*(*other)->NewSigner())->Sign("message");
  ASSERT_THAT(sig, IsOk());
  EXPECT_EQ(verifier_->Verify(*sig, "message"), SignatureCheck::kInvalid);
}

TEST_P(SignatureTest, PemRoundTripKeepsTheKey) {
  auto pem = key_->PrivatePem();
  ASSERT_THAT(pem, IsOk());
  auto again = KeyMaterial::FromPrivatePem(*pem, GetParam());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ((*again)->SpkiDer(), key_->SpkiDer());
  auto pub = KeyMaterial::FromPublicPem(key_->PublicPem(), GetParam());
  ASSERT_THAT(pub, IsOk());
  EXPECT_FALSE((*pub)->has_private_key());
  EXPECT_THAT((*pub)->NewSigner(), StatusIs(absl::StatusCode::kFailedPrecondition));
  auto sig = signer_->Sign("m");
  EXPECT_EQ((*(*pub)->NewVerifier())->Verify(*sig, "m"), SignatureCheck::kValid);
}

TEST_P(SignatureTest, KeyOfTheOtherAlgorithmIsRefused) {
  const Algorithm other =
      GetParam() == Algorithm::kEs256 ? Algorithm::kEd25519 : Algorithm::kEs256;
  EXPECT_THAT(KeyMaterial::FromPublicPem(key_->PublicPem(), other),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(KeyMaterial::FromPublicPem("not a pem", GetParam()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, SignatureTest,
                         ::testing::Values(Algorithm::kEs256, Algorithm::kEd25519),
                         [](const auto& info) { return std::string(AlgorithmName(info.param)); });

TEST(Es256Test, SignerAlwaysProducesLowS) {
  auto key = KeyMaterial::Generate(Algorithm::kEs256);
  auto signer = (*key)->NewSigner();
  auto verifier = (*key)->NewVerifier();
  for (int i = 0; i < 64; ++i) {  // ~half of raw ECDSA signatures are high-S
    auto sig = (*signer)->Sign("m");
    ASSERT_THAT(sig, IsOk());
    EXPECT_EQ((*verifier)->Verify(*sig, "m"), SignatureCheck::kValid);
  }
}

TEST(AlgorithmTest, NamesRoundTrip) {
  EXPECT_EQ(*ParseAlgorithm("es256"), Algorithm::kEs256);
  EXPECT_EQ(*ParseAlgorithm("Ed25519"), Algorithm::kEd25519);
  EXPECT_THAT(ParseAlgorithm("RS256"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark::crypto
