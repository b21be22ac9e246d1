// Issuance from a signing key inside a PKCS#11 token (SoftHSM2), end to end through the real
// server: issue and stream, verify online and offline, rotate from the token to a file key and
// back, revoke, and the failures an operator meets (no module, wrong PIN, a token that loses
// the key at run time: issuance UNAVAILABLE, verification unaffected).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "crypto/code_signing.h"
#include "crypto/key_directory.h"
#include "crypto/key_ring.h"
#include "gmock/gmock.h"
#include "gs1/unit_code.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "tests/common/server_harness.h"
#include "tests/common/softhsm.h"
#include "tests/common/status_matchers.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
namespace t = ::hallmark::testing;

class HsmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto token = t::SoftHsmToken::Create("hallmark-hsm-test");
    ASSERT_THAT(token, IsOk());
    token_ = token->release();
  }
  static void TearDownTestSuite() { delete token_; }

  // A server whose ACTIVE key is made in the token before it starts (`uri` names the token).
  absl::Status Start(const std::string& uri) {
    t::ServerHarness::Options o;
    o.configure = [this, uri](api::ServerConfig* c) {
      keys_dir_ = c->keys_dir;
      auto dir = crypto::KeyDirectory::Open(c->keys_dir, false);
      ASSERT_THAT(dir, IsOk());
      auto key = dir->GenerateInToken(token_->Uri(), absl::Now());
      ASSERT_THAT(key, IsOk());
      hsm_key_ = key->id;
      if (uri != token_->Uri()) {  // the server is to open the token another way
        ASSERT_THAT(WriteFileAtomically(
                        JoinPath(c->keys_dir, crypto::TokenKeyFileName(key->id)), uri, 0600),
                    IsOk());
      }
    };
    auto h = t::ServerHarness::Start(o);
    if (!h.ok()) return h.status();
    h_ = *std::move(h);
    return absl::OkStatus();
  }

  std::vector<v1::IssuedUnit> Issue(const std::string& request_id, int count = 3) {
    v1::IssueSerialsRequest r;
    r.set_gtin(t::kBrandGtin);
    r.set_count(count);
    r.set_request_id(request_id);
    v1::IssueSerialsResponse out;
    last_ = v1::Issuance::NewStub(h_->channel())->IssueSerials(h_->Context(t::kIssuer).get(), r,
                                                              &out);
    return {out.units().begin(), out.units().end()};
  }

  v1::VerifyResponse Verify(const v1::IssuedUnit& u) {
    v1::VerifyRequest r;
    r.set_code(u.digital_link());
    v1::VerifyResponse out;
    EXPECT_TRUE(v1::Verification::NewStub(h_->channel())
                    ->Verify(h_->Context(t::kVerifier).get(), r, &out)
                    .ok());
    return out;
  }

  static std::string KeyOf(const v1::IssuedUnit& u) { return u.key_id(); }

  static t::SoftHsmToken* token_;
  std::string keys_dir_;
  crypto::KeyId hsm_key_ = 0;
  std::unique_ptr<t::ServerHarness> h_;
  grpc::Status last_;
};

t::SoftHsmToken* HsmTest::token_ = nullptr;

TEST_F(HsmTest, IssuesAndStreamsFromTheTokenAndCodesVerifyOnlineAndOffline) {
  ASSERT_THAT(Start(token_->Uri()), IsOk());
  std::vector<v1::IssuedUnit> units = Issue("hsm-1", 5);
  ASSERT_TRUE(last_.ok()) << last_.error_message();
  ASSERT_EQ(units.size(), 5u);
  v1::IssueSerialsRequest r;
  r.set_gtin(t::kBrandGtin);
  r.set_count(200);
  r.set_request_id("hsm-stream");
  auto ctx = h_->Context(t::kIssuer);
  auto reader = v1::Issuance::NewStub(h_->channel())->StreamIssueSerials(ctx.get(), r);
  v1::IssuedUnit u;
  while (reader->Read(&u)) units.push_back(u);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(units.size(), 205u);
  // Offline: the public keys of the directory alone verify every code.
  auto ring = crypto::KeyRing::LoadDirectory(keys_dir_, false);
  ASSERT_THAT(ring, IsOk());
  for (const v1::IssuedUnit& x : units) {
    EXPECT_EQ(KeyOf(x), crypto::FormatKeyId(hsm_key_));
    auto code = gs1::ParseScannedCode(x.digital_link());
    ASSERT_THAT(code, IsOk());
    EXPECT_TRUE(crypto::VerifyUnitCode(**ring, *code).ok());
  }
  EXPECT_EQ(Verify(units[0]).verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(Verify(units[204]).verdict(), v1::VERDICT_AUTHENTIC);
}

TEST_F(HsmTest, RotationBetweenTokenAndFileKeysAndRevocation) {
  ASSERT_THAT(Start(token_->Uri()), IsOk());
  const std::vector<v1::IssuedUnit> a = Issue("rot-a");
  auto dir = crypto::KeyDirectory::Open(keys_dir_, false);
  ASSERT_THAT(dir, IsOk());
  auto file_key = dir->Generate(crypto::Algorithm::kEs256, absl::Now());
  ASSERT_THAT(file_key, IsOk());
  ASSERT_THAT(h_->server().Reload(), IsOk());
  const std::vector<v1::IssuedUnit> b = Issue("rot-b");
  auto hsm_again = dir->GenerateInToken(token_->Uri(), absl::Now());
  ASSERT_THAT(hsm_again, IsOk());
  ASSERT_THAT(h_->server().Reload(), IsOk());
  const std::vector<v1::IssuedUnit> c = Issue("rot-c");
  ASSERT_EQ(a.size() + b.size() + c.size(), 9u);
  EXPECT_EQ(KeyOf(a[0]), crypto::FormatKeyId(hsm_key_));
  EXPECT_EQ(KeyOf(b[0]), crypto::FormatKeyId(file_key->id));
  EXPECT_EQ(KeyOf(c[0]), crypto::FormatKeyId(hsm_again->id));
  for (const auto* units : {&a, &b, &c}) {
    EXPECT_EQ(Verify((*units)[0]).verdict(), v1::VERDICT_AUTHENTIC);
  }
  // Revoking the first token key: its codes are counterfeit, the others stay genuine.
  ASSERT_THAT(dir->Revoke(hsm_key_, absl::Now()), IsOk());
  ASSERT_THAT(h_->server().Reload(), IsOk());
  const v1::VerifyResponse revoked = Verify(a[0]);
  EXPECT_EQ(revoked.verdict(), v1::VERDICT_COUNTERFEIT);
  EXPECT_THAT(revoked.reasons(), ::testing::Contains("key_revoked"));
  EXPECT_EQ(Verify(b[0]).verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_EQ(Verify(c[0]).verdict(), v1::VERDICT_AUTHENTIC);
}

TEST_F(HsmTest, AMissingModuleOrAWrongPinStopsTheStartClearly) {
  EXPECT_THAT(Start(token_->Uri("", "/nonexistent/libpkcs11.so")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("/nonexistent")));
  const std::string wrong = token_->pin_file() + ".wrong";
  ASSERT_THAT(WriteFileAtomically(wrong, "0000\n", 0600), IsOk());
  absl::Status s = Start(token_->Uri(wrong));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("PIN")));
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("0000")));
}

// The token loses the key while the server runs (here: its object store is deleted under
// it): issuance is UNAVAILABLE — nothing half-signed is written — and verification goes on.
// Last of the suite: it destroys the suite's token.
TEST_F(HsmTest, ATokenThatLosesTheKeyMakesIssuanceUnavailableNotVerification) {
  ASSERT_THAT(Start(token_->Uri()), IsOk());
  const std::vector<v1::IssuedUnit> before = Issue("gone-before");
  ASSERT_EQ(before.size(), 3u);
  t::RunShell("rm -rf " + token_->tokens_dir() + "/*");
  const std::vector<v1::IssuedUnit> after = Issue("gone-after");
  EXPECT_EQ(last_.error_code(), grpc::StatusCode::UNAVAILABLE) << last_.error_message();
  EXPECT_TRUE(after.empty());
  EXPECT_EQ(Verify(before[0]).verdict(), v1::VERDICT_AUTHENTIC);
}

}  // namespace
}  // namespace hallmark
