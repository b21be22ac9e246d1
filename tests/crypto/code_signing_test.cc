// The verification rules of a unit code, one reason at a time, for both algorithms.
#include "crypto/code_signing.h"
#include "gs1/digital_link.h"
#include "gs1/gs1.h"
#include "gs1/unit_code.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gs1/element_string.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::IsOk;
using gs1::FormatBracketedElementString;
using gs1::ParseElementString;
using gs1::UnitCode;
using ::hallmark::testing::StatusIs;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);

// A ring with: an ACTIVE key of the parameter's algorithm (0x0a0a), a RETIRED key (0x0b0b)
// and a REVOKED key (0x0c0c), plus signers for the latter two kept outside the ring.
class CodeSigningTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  void SetUp() override {
    std::vector<std::pair<KeyInfo, std::unique_ptr<KeyMaterial>>> keys;
    keys.emplace_back(Info(0x0a0a, KeyState::kActive), Generate());
    auto retired = Generate();
    auto revoked = Generate();
    retired_signer_ = *retired->NewSigner();
    revoked_signer_ = *revoked->NewSigner();
    keys.emplace_back(Info(0x0b0b, KeyState::kRetired), std::move(retired));
    KeyInfo revoked_info = Info(0x0c0c, KeyState::kRevoked);
    revoked_info.revoked_at = kNow;
    keys.emplace_back(revoked_info, std::move(revoked));
    auto ring = KeyRing::New(std::move(keys));
    ASSERT_THAT(ring, IsOk());
    ring_ = *std::move(ring);
  }

  KeyInfo Info(KeyId id, KeyState state) {
    return KeyInfo{id, GetParam(), state, kNow, absl::InfinitePast()};
  }
  std::unique_ptr<KeyMaterial> Generate() { return *KeyMaterial::Generate(GetParam()); }

  UnitCode Signed(const std::string& lot = "L42") {
    UnitCode code{"09506000134352", "ABC123", lot, ""};
    code.digsig = *SignUnit(*ring_, code.gtin, code.serial, code.lot);
    return code;
  }

  UnitCode SignedBy(const PublicKeySign& signer, KeyId id) {
    UnitCode code{"09506000134352", "ABC123", "L42", ""};
    const DigSigHeader h{kDigSigVersion, GetParam(), id};
    code.digsig = FormatDigSig(h, *signer.Sign(DigSigMessage(h, code.gtin, code.serial, code.lot)));
    return code;
  }

  DigSigFailure Verify(const UnitCode& code) { return VerifyUnitCode(*ring_, code).failure; }

  std::unique_ptr<KeyRing> ring_;
  std::unique_ptr<PublicKeySign> retired_signer_;
  std::unique_ptr<PublicKeySign> revoked_signer_;
};

TEST_P(CodeSigningTest, SignedCodeVerifiesWithAndWithoutLot) {
  const UnitCode code = Signed();
  EXPECT_EQ(code.digsig.size(), kDigSigLength);
  CodeVerification v = VerifyUnitCode(*ring_, code);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.key_id, 0x0a0a);
  EXPECT_EQ(Verify(Signed("")), DigSigFailure::kNone);
  // And through the printed form.
  EXPECT_EQ(Verify(*ParseElementString(FormatBracketedElementString(code))), DigSigFailure::kNone);
}

TEST_P(CodeSigningTest, AlteredFieldsAreSignatureInvalid) {
  UnitCode gtin = Signed();
  gtin.gtin = "00000096385074";
  UnitCode serial = Signed();
  serial.serial = "ABC124";
  UnitCode lot = Signed();
  lot.lot = "L43";
  UnitCode lot_removed = Signed();
  lot_removed.lot.clear();
  UnitCode lot_added = Signed("");
  lot_added.lot = "L42";
  for (const UnitCode& c : {gtin, serial, lot, lot_removed, lot_added}) {
    EXPECT_EQ(Verify(c), DigSigFailure::kSignatureInvalid) << c.serial << "/" << c.lot;
  }
}

// Dates are signed when issued with them; a code signed without dates (before they existed)
// still verifies with dates printed beside it, which are then reported as not signed.
TEST_P(CodeSigningTest, DatesAreSignedAndUnsignedOnesAreReportedSo) {
  UnitCode dated = Signed();
  dated.expiry = "281130";
  dated.production = "261115";
  dated.digsig = *SignUnit(*ring_, dated);
  CodeVerification v = VerifyUnitCode(*ring_, dated);
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(v.dates_signed);
  for (auto alter : {+[](UnitCode* c) { c->expiry = "281231"; },
                     +[](UnitCode* c) { c->expiry.clear(); },
                     +[](UnitCode* c) { c->production.clear(); },
                     +[](UnitCode* c) { c->expiry.clear(), c->production.clear(); }}) {
    UnitCode altered = dated;
    alter(&altered);
    EXPECT_EQ(Verify(altered), DigSigFailure::kSignatureInvalid) << altered.expiry;
  }
  UnitCode legacy = Signed();  // signed over GTIN, serial and lot only
  legacy.expiry = "281130";
  v = VerifyUnitCode(*ring_, legacy);
  EXPECT_TRUE(v.ok());
  EXPECT_FALSE(v.dates_signed);
  legacy.lot = "L43";  // the signed fields still count
  EXPECT_EQ(Verify(legacy), DigSigFailure::kSignatureInvalid);
}

TEST_P(CodeSigningTest, FlippedSignatureByteIsSignatureInvalid) {
  UnitCode code = Signed();
  std::string bytes;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(code.digsig, &bytes));
  bytes[3] = static_cast<char>(bytes[3] ^ 0x01);  // first signature byte
  code.digsig = absl::WebSafeBase64Escape(bytes);
  EXPECT_EQ(Verify(code), DigSigFailure::kSignatureInvalid);
}

TEST_P(CodeSigningTest, KeyIdChangedToAnotherTrustedKeyIsSignatureInvalid) {
  UnitCode code = Signed();
  std::string bytes;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(code.digsig, &bytes));
  bytes[1] = 0x0b;
  bytes[2] = 0x0b;
  code.digsig = absl::WebSafeBase64Escape(bytes);
  EXPECT_EQ(Verify(code), DigSigFailure::kSignatureInvalid);
}

TEST_P(CodeSigningTest, UnknownKeyIsRejected) {
  auto stranger = Generate();
  CodeVerification v = VerifyUnitCode(*ring_, SignedBy(**stranger->NewSigner(), 0x0d0d));
  EXPECT_EQ(v.failure, DigSigFailure::kUnknownKey);
  EXPECT_TRUE(v.key_id_known);
  EXPECT_EQ(v.key_id, 0x0d0d);
  // A stranger claiming a trusted key id.
  EXPECT_EQ(Verify(SignedBy(**stranger->NewSigner(), 0x0a0a)), DigSigFailure::kSignatureInvalid);
}

TEST_P(CodeSigningTest, RetiredKeyStillVerifiesRevokedKeyDoesNot) {
  EXPECT_EQ(Verify(SignedBy(*retired_signer_, 0x0b0b)), DigSigFailure::kNone);
  EXPECT_EQ(Verify(SignedBy(*revoked_signer_, 0x0c0c)), DigSigFailure::kKeyRevoked);
}

TEST_P(CodeSigningTest, HeaderAlgorithmMustMatchTheKey) {
  UnitCode code = Signed();
  std::string bytes;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(code.digsig, &bytes));
  bytes[0] = static_cast<char>(GetParam() == Algorithm::kEs256 ? 0x12 : 0x11);
  code.digsig = absl::WebSafeBase64Escape(bytes);
  EXPECT_EQ(Verify(code), DigSigFailure::kAlgorithmMismatch);
}

TEST_P(CodeSigningTest, MissingOrMalformedDigsigFailsClosed) {
  UnitCode code = Signed();
  code.digsig.clear();
  EXPECT_EQ(Verify(code), DigSigFailure::kMissing);
  EXPECT_FALSE(VerifyUnitCode(*ring_, code).key_id_known);
  code.digsig = "!!";
  EXPECT_EQ(Verify(code), DigSigFailure::kMalformed);
  code.digsig = Signed().digsig.substr(0, 80);
  EXPECT_EQ(Verify(code), DigSigFailure::kBadLength);
}

TEST_P(CodeSigningTest, VerifyOnlyRingCannotSign) {
  std::vector<std::pair<KeyInfo, std::unique_ptr<KeyMaterial>>> keys;
  keys.emplace_back(Info(0x0a0a, KeyState::kRetired), Generate());
  auto ring = KeyRing::New(std::move(keys));
  ASSERT_THAT(ring, IsOk());
  EXPECT_THAT(SignUnit(**ring, "09506000134352", "A", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, CodeSigningTest,
                         ::testing::Values(Algorithm::kEs256, Algorithm::kEd25519),
                         [](const auto& info) { return std::string(AlgorithmName(info.param)); });

TEST(CodeSigningEs256Test, HighSFormOfAValidSignatureIsNonCanonical) {
  std::vector<std::pair<KeyInfo, std::unique_ptr<KeyMaterial>>> keys;
  keys.emplace_back(KeyInfo{1, Algorithm::kEs256, KeyState::kActive, kNow, absl::InfinitePast()},
                    *KeyMaterial::Generate(Algorithm::kEs256));
  auto ring = *KeyRing::New(std::move(keys));
  UnitCode code{"09506000134352", "A", "", ""};
  code.digsig = *SignUnit(*ring, code.gtin, code.serial, code.lot);
  std::string bytes;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(code.digsig, &bytes));
  // s' = n - s, computed with schoolbook subtraction on the 32 big-endian bytes.
  const std::string n = absl::HexStringToBytes(
      "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = static_cast<uint8_t>(n[i]) - static_cast<uint8_t>(bytes[35 + i]) - borrow;
    borrow = d < 0;
    bytes[35 + i] = static_cast<char>(d + (borrow ? 256 : 0));
  }
  code.digsig = absl::WebSafeBase64Escape(bytes);
  EXPECT_EQ(VerifyUnitCode(*ring, code).failure, DigSigFailure::kNonCanonical);
}

}  // namespace
}  // namespace hallmark::crypto
