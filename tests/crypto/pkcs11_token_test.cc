// Code-signing keys in a PKCS#11 token: SoftHSM2 (Debian's softhsm2) with a token this test
// creates in a temp dir. A key is generated inside the token (sensitive, never extractable),
// signs from several threads with low-S signatures that verify with its exported public key,
// and every failure is clear: wrong PIN, no module, no token, no PIN, no key.
#include "crypto/pkcs11/token.h"

#include <p11-kit/p11-kit.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "crypto/key_material.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/common/subprocess.h"
#include "tests/common/softhsm.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kModule = testing::kSoftHsmModule;

class Pkcs11TokenTest : public ::testing::Test {
 protected:
  // One token for the whole suite (SoftHSM2 reads its configuration once per process).
  static void SetUpTestSuite() {
    auto token = testing::SoftHsmToken::Create("hallmark-test");
    ASSERT_THAT(token, IsOk());
    token_ = token->release();
    ASSERT_THAT(WriteFileAtomically(WrongPinFile(), "9999\n", 0600), IsOk());
  }
  static void TearDownTestSuite() { delete token_; }

  static std::string WrongPinFile() { return token_->pin_file() + ".wrong"; }
  static std::string Uri(const std::string& pin_file = "", const std::string& module = kModule) {
    return token_->Uri(pin_file, module);
  }

  static std::unique_ptr<PublicKeyVerify> VerifierFor(const std::string& spki_der) {
    std::string pem = "-----BEGIN PUBLIC KEY-----\n";
    const std::string b64 = absl::Base64Escape(spki_der);
    for (size_t i = 0; i < b64.size(); i += 64) absl::StrAppend(&pem, b64.substr(i, 64), "\n");
    pem += "-----END PUBLIC KEY-----\n";
    auto key = KeyMaterial::FromPublicPem(pem, Algorithm::kEs256);
    EXPECT_THAT(key, IsOk());
    return *(*key)->NewVerifier();
  }

  static testing::SoftHsmToken* token_;
};

testing::SoftHsmToken* Pkcs11TokenTest::token_ = nullptr;

TEST_F(Pkcs11TokenTest, AKeyMadeInTheTokenSignsFromManyThreadsAndNeverLeavesIt) {
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> token = Pkcs11Token::Open(Uri());
  ASSERT_THAT(token, IsOk());
  absl::StatusOr<std::string> spki = (*token)->GenerateEs256(0x4a11, "hallmark-4a11");
  ASSERT_THAT(spki, IsOk());
  EXPECT_EQ(*(*token)->PublicKey(0x4a11), *spki);
  EXPECT_THAT((*token)->GenerateEs256(0x4a11, "again"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  std::unique_ptr<PublicKeyVerify> verifier = VerifierFor(*spki);
  absl::StatusOr<std::unique_ptr<PublicKeySign>> signer = (*token)->Signer(0x4a11);
  ASSERT_THAT(signer, IsOk());
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string message = absl::StrCat("unit ", t, "/", i);
        absl::StatusOr<std::string> sig = (*signer)->Sign(message);
        // kValid also means low-S: the verifier calls a high-S signature non-canonical.
        if (sig.ok() && verifier->Verify(*sig, message) == SignatureCheck::kValid &&
            verifier->Verify(*sig, message + "!") == SignatureCheck::kInvalid) {
          ++good;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), 60);

  // The private key is sensitive and not extractable: the token refuses its value.
  CK_FUNCTION_LIST* f = p11_kit_module_load(kModule, 0);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(p11_kit_module_initialize(f), CKR_OK);
  CK_SLOT_ID slots[8];
  CK_ULONG n = 8;
  ASSERT_EQ(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
  bool checked = false;
  for (CK_ULONG i = 0; i < n && !checked; ++i) {
    CK_SESSION_HANDLE s = 0;
    if (f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) continue;
    f->C_Login(s, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>("1234")), 4);
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_BYTE id[] = {0x4a, 0x11};
    CK_ATTRIBUTE query[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, id, sizeof(id)}};
    CK_OBJECT_HANDLE key = 0;
    CK_ULONG found = 0;
    f->C_FindObjectsInit(s, query, 2);
    f->C_FindObjects(s, &key, 1, &found);
    f->C_FindObjectsFinal(s);
    if (found == 1) {
      unsigned char value[64];
      CK_ATTRIBUTE secret{CKA_VALUE, value, sizeof(value)};
      EXPECT_EQ(f->C_GetAttributeValue(s, key, &secret, 1), CKR_ATTRIBUTE_SENSITIVE);
      CK_BBOOL extractable = CK_TRUE;
      CK_ATTRIBUTE attr{CKA_EXTRACTABLE, &extractable, sizeof(extractable)};
      EXPECT_EQ(f->C_GetAttributeValue(s, key, &attr, 1), CKR_OK);
      EXPECT_EQ(extractable, CK_FALSE);
      checked = true;
    }
    f->C_CloseSession(s);
  }
  EXPECT_TRUE(checked);
  p11_kit_module_finalize(f);
  p11_kit_module_release(f);
}

TEST_F(Pkcs11TokenTest, Ed25519KeysWhereTheTokenHasEdDsa) {
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> token = Pkcs11Token::Open(Uri());
  ASSERT_THAT(token, IsOk());
  absl::StatusOr<std::string> spki =
      (*token)->Generate(Algorithm::kEd25519, 0xed55, "hallmark-ed55");
  ASSERT_THAT(spki, IsOk());
  auto key = KeyMaterial::FromSpkiDer(*spki, Algorithm::kEd25519);
  ASSERT_THAT(key, IsOk());
  std::unique_ptr<PublicKeyVerify> verifier = *(*key)->NewVerifier();
  auto signer = (*token)->Signer(0xed55, Algorithm::kEd25519);
  ASSERT_THAT(signer, IsOk());
  for (int i = 0; i < 5; ++i) {
    const std::string message = absl::StrCat("unit ", i);
    absl::StatusOr<std::string> sig = (*signer)->Sign(message);
    ASSERT_THAT(sig, IsOk());
    EXPECT_EQ(verifier->Verify(*sig, message), SignatureCheck::kValid);
    EXPECT_EQ(*(*signer)->Sign(message), *sig);  // PureEdDSA is deterministic
  }
}

TEST_F(Pkcs11TokenTest, FailuresSayWhatIsWrongAndNeverThePin) {
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> wrong =
      Pkcs11Token::Open(Uri(WrongPinFile()));
  EXPECT_THAT(wrong, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("PIN")));
  EXPECT_THAT(wrong.status().message(), Not(HasSubstr("9999")));
  EXPECT_THAT(Pkcs11Token::Open(Uri("", "/nonexistent/libpkcs11.so")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("/nonexistent")));
  EXPECT_THAT(Pkcs11Token::Open(absl::StrCat("pkcs11:token=no-such-token?module-path=", kModule,
                                             "&pin-source=file:", token_->pin_file())),
              StatusIs(absl::StatusCode::kNotFound));
  unsetenv("HALLMARK_PKCS11_PIN");
  EXPECT_THAT(Pkcs11Token::Open(absl::StrCat("pkcs11:token=hallmark-test?module-path=", kModule)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HALLMARK_PKCS11_PIN")));
  EXPECT_THAT(Pkcs11Token::Open("pkcs11:token=x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("module-path")));
  EXPECT_THAT(Pkcs11Token::Open("not a uri"), StatusIs(absl::StatusCode::kInvalidArgument));
  // The PIN from the environment works as well as from a file.
  setenv("HALLMARK_PKCS11_PIN", "1234", 1);
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> by_env =
      Pkcs11Token::Open(absl::StrCat("pkcs11:token=hallmark-test?module-path=", kModule));
  unsetenv("HALLMARK_PKCS11_PIN");
  ASSERT_THAT(by_env, IsOk());
  EXPECT_THAT((*by_env)->Signer(0x0bad), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace hallmark::crypto
