// The signed trust list: signed by the root, verified against it, refused when tampered with,
// signed by another key, expired, or older than what a verifier already accepted.
#include "crypto/trust_list.h"

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/common/test_keys.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TrustList List(uint64_t seq) {
  TrustList list;
  list.sequence = seq;
  list.issued_at = kNow - absl::Hours(1);
  list.expires_at = kNow + absl::Hours(24 * 30);
  auto es = KeyMaterial::FromPrivatePem(testing::kTestEs256PrivatePem, Algorithm::kEs256);
  auto ed = KeyMaterial::FromPrivatePem(testing::kTestEd25519PrivatePem, Algorithm::kEd25519);
  list.keys.push_back({testing::kTestEs256KeyId, Algorithm::kEs256, (*es)->SpkiDer(),
                       KeyState::kActive, absl::FromUnixSeconds(1'790'000'000)});
  list.keys.push_back({testing::kTestEd25519KeyId, Algorithm::kEd25519, (*ed)->SpkiDer(),
                       KeyState::kRevoked, absl::FromUnixSeconds(1'780'000'000),
                       absl::FromUnixSeconds(1'795'000'000)});
  return list;
}

struct Root {
  std::unique_ptr<PublicKeySign> sign;
  std::unique_ptr<PublicKeyVerify> verify;
  Algorithm algorithm;
};

Root MakeRoot(Algorithm algorithm) {
  auto key = algorithm == Algorithm::kEd25519
                 ? KeyMaterial::FromPrivatePem(testing::kTestRootPrivatePem, algorithm)
                 : KeyMaterial::Generate(algorithm);
  return {*(*key)->NewSigner(), *(*key)->NewVerifier(), algorithm};
}

TEST(TrustListTest, ASignedListVerifiesWithItsRootAndReadsBackWhole) {
  for (Algorithm a : {Algorithm::kEs256, Algorithm::kEd25519}) {
    Root root = MakeRoot(a);
    absl::StatusOr<std::string> jws = SignTrustList(List(7), *root.sign, a, 0x0001);
    ASSERT_THAT(jws, IsOk());
    absl::StatusOr<TrustList> got = VerifyTrustList(*jws, *root.verify, a, kNow, {6, ""});
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->sequence, 7u);
    EXPECT_EQ(got->root_id, 0x0001);
    EXPECT_EQ(got->expires_at, kNow + absl::Hours(24 * 30));
    ASSERT_EQ(got->keys.size(), 2u);
    EXPECT_EQ(got->keys[0].spki_der, List(7).keys[0].spki_der);
    EXPECT_EQ(got->keys[1].state, KeyState::kRevoked);
    EXPECT_EQ(got->keys[1].revoked_at, absl::FromUnixSeconds(1'795'000'000));
    EXPECT_EQ(got->keys[1].algorithm, Algorithm::kEd25519);
  }
}

TEST(TrustListTest, TamperedForeignExpiredOrOlderListsAreRefused) {
  Root root = MakeRoot(Algorithm::kEd25519);
  const std::string jws = *SignTrustList(List(7), *root.sign, Algorithm::kEd25519, 1);
  std::vector<std::string> parts = absl::StrSplit(jws, '.');
  // The payload with the revoked key turned ACTIVE again (a man in the middle's wish).
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  const size_t at = payload.find("REVOKED");
  ASSERT_NE(at, std::string::npos);
  payload.replace(at, 7, "ACTIVE");
  const std::string tampered =
      absl::StrCat(parts[0], ".", absl::WebSafeBase64Escape(payload), ".", parts[2]);
  EXPECT_THAT(VerifyTrustList(tampered, *root.verify, Algorithm::kEd25519, kNow, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not verify")));
  Root other = MakeRoot(Algorithm::kEs256);
  EXPECT_THAT(VerifyTrustList(*SignTrustList(List(7), *other.sign, Algorithm::kEs256, 1),
                              *root.verify, Algorithm::kEd25519, kNow, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alg")));
  // Expired: refused however well signed.
  EXPECT_THAT(VerifyTrustList(jws, *root.verify, Algorithm::kEd25519, kNow + absl::Hours(24 * 31),
                              {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("expired")));
  // A verifier that has seen sequence 8 refuses 7 (a rollback); at 7 it accepts this very
  // list again, but not another list of sequence 7 (the key it revoked active again).
  EXPECT_THAT(VerifyTrustList(jws, *root.verify, Algorithm::kEd25519, kNow, {8, "x"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("rollback")));
  EXPECT_THAT(VerifyTrustList(jws, *root.verify, Algorithm::kEd25519, kNow,
                              {7, TrustListDigest(jws)}),
              IsOk());
  TrustList unrevoked = List(7);
  unrevoked.keys[1].state = KeyState::kActive;
  const std::string same_seq = *SignTrustList(unrevoked, *root.sign, Algorithm::kEd25519, 1);
  EXPECT_THAT(VerifyTrustList(same_seq, *root.verify, Algorithm::kEd25519, kNow,
                              {7, TrustListDigest(jws)}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another list")));
  // Non-canonical encodings and junk.
  EXPECT_THAT(VerifyTrustList(jws + "=", *root.verify, Algorithm::kEd25519, kNow, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(VerifyTrustList("a.b", *root.verify, Algorithm::kEd25519, kNow, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  TrustList backwards = List(1);
  backwards.expires_at = backwards.issued_at;
  EXPECT_THAT(SignTrustList(backwards, *root.sign, Algorithm::kEd25519, 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark::crypto
