// Independence check: a signature made by Hallmark verifies with the stock `openssl` command
// from the message bytes of docs/code-format.md section 3, built here by hand (not with
// DigSigMessage), and r||s converted to DER with OpenSSL's own ECDSA_SIG API.
#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "crypto/code_signing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::TempDir;

// docs/code-format.md section 3, transcribed.
std::string DocumentedMessage(const std::string& header, const std::string& gtin,
                              const std::string& serial, const std::string& lot,
                              const std::string& expiry = "", const std::string& production = "") {
  std::string m = "hallmark/digsig/v1" + header;
  m += std::string{'\x01', static_cast<char>(gtin.size())} + gtin;
  m += std::string{'\x15', static_cast<char>(serial.size())} + serial;
  if (!lot.empty()) m += std::string{'\x0a', static_cast<char>(lot.size())} + lot;
  if (!production.empty()) m += std::string{'\x0b', '\x06'} + production;
  if (!expiry.empty()) m += std::string{'\x11', '\x06'} + expiry;
  return m;
}

std::string RawToDerWithOpenSsl(const std::string& raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), len);
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

class OpenSslCliTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  // Runs openssl on files in the temp dir; true when it reports a good signature.
  bool OpenSslVerifies(const std::string& message) {
    EXPECT_THAT(WriteFileAtomically(Path("msg.bin"), message), IsOk());
    const std::string cmd =
        GetParam() == Algorithm::kEs256
            ? absl::StrCat("openssl dgst -sha256 -verify ", Path("pub.pem"), " -signature ",
                           Path("sig.der"), " ", Path("msg.bin"))
            : absl::StrCat("openssl pkeyutl -verify -pubin -inkey ", Path("pub.pem"),
                           " -rawin -in ", Path("msg.bin"), " -sigfile ", Path("sig.der"));
    return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
  }
  std::string Path(const char* name) { return JoinPath(tmp_.path(), name); }
  // Writes the ring's public key and `digsig`'s signature (DER for ES256) where OpenSslVerifies
  // reads them; returns the DIGSIG's header and raw signature.
  std::pair<std::string, std::string> WriteKeyAndSignature(const KeyRing& ring,
                                                           const std::string& digsig) {
    std::string bytes;
    EXPECT_TRUE(absl::WebSafeBase64Unescape(digsig, &bytes));
    EXPECT_EQ(bytes.size(), 67u);
    const std::string raw = bytes.substr(3);
    EXPECT_THAT(WriteFileAtomically(Path("pub.pem"), ring.active()->material->PublicPem()),
                IsOk());
    EXPECT_THAT(WriteFileAtomically(Path("sig.der"), GetParam() == Algorithm::kEs256
                                                         ? RawToDerWithOpenSsl(raw)
                                                         : raw),
                IsOk());
    return {bytes.substr(0, 3), raw};
  }
  TempDir tmp_;
};

TEST_P(OpenSslCliTest, ProjectSignatureVerifiesWithStockOpenssl) {
  std::vector<std::pair<KeyInfo, std::unique_ptr<KeyMaterial>>> keys;
  keys.emplace_back(KeyInfo{0x1234, GetParam(), KeyState::kActive, absl::UnixEpoch()},
                    *KeyMaterial::Generate(GetParam()));
  auto ring = *KeyRing::New(std::move(keys));
  const std::string gtin = "09506000134352", serial = "X(1)/Y", lot = "L42";
  auto digsig = SignUnit(*ring, gtin, serial, lot);
  ASSERT_THAT(digsig, IsOk());
  const auto [header, raw] = WriteKeyAndSignature(*ring, *digsig);

  EXPECT_TRUE(OpenSslVerifies(DocumentedMessage(header, gtin, serial, lot)));
  // The check is real: other bytes do not verify.
  EXPECT_FALSE(OpenSslVerifies(DocumentedMessage(header, gtin, serial, "L43")));
  EXPECT_FALSE(OpenSslVerifies(DocumentedMessage(header, gtin, serial, "")));
  if (GetParam() == Algorithm::kEs256) {
    // The document's own recipe for the DER signature (section 4.1: openssl asn1parse) gives
    // the same bytes as OpenSSL's API.
    const std::string r = absl::BytesToHexString(raw.substr(0, 32));
    const std::string s = absl::BytesToHexString(raw.substr(32));
    const std::string cmd = absl::StrCat(
        "R=", r, " S=", s, "; printf 'asn1=SEQUENCE:sig\\n[sig]\\nr=INTEGER:0x%s\\n",
        "s=INTEGER:0x%s\\n' \"$R\" \"$S\" > ", Path("sig.cnf"), " && openssl asn1parse -genconf ",
        Path("sig.cnf"), " -out ", Path("sig2.der"), " -noout");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    absl::StatusOr<std::string> documented = ReadFile(Path("sig2.der"));
    ASSERT_THAT(documented, IsOk());
    EXPECT_EQ(*documented, RawToDerWithOpenSsl(raw));
  }
}

// A code with a lot, an expiry and a production date (docs/code-format.md section 3's optional
// fields, in AI order): stock openssl verifies the documented message, and only that one.
TEST_P(OpenSslCliTest, ADatedCodesSignatureVerifiesWithStockOpenssl) {
  std::vector<std::pair<KeyInfo, std::unique_ptr<KeyMaterial>>> keys;
  keys.emplace_back(KeyInfo{0x1234, GetParam(), KeyState::kActive, absl::UnixEpoch()},
                    *KeyMaterial::Generate(GetParam()));
  auto ring = *KeyRing::New(std::move(keys));
  gs1::UnitCode code{"09506000134352", "PK5H3Q2X7V9M", "B2611A", ""};
  code.expiry = "281130";
  code.production = "261115";
  auto digsig = SignUnit(*ring, code);
  ASSERT_THAT(digsig, IsOk());
  const std::string header = WriteKeyAndSignature(*ring, *digsig).first;
  EXPECT_TRUE(OpenSslVerifies(
      DocumentedMessage(header, code.gtin, code.serial, code.lot, "281130", "261115")));
  EXPECT_FALSE(OpenSslVerifies(
      DocumentedMessage(header, code.gtin, code.serial, code.lot, "281231", "261115")));
  EXPECT_FALSE(OpenSslVerifies(
      DocumentedMessage(header, code.gtin, code.serial, code.lot, "281130", "")));
  EXPECT_FALSE(OpenSslVerifies(DocumentedMessage(header, code.gtin, code.serial, code.lot)));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, OpenSslCliTest,
                         ::testing::Values(Algorithm::kEs256, Algorithm::kEd25519),
                         [](const auto& info) { return std::string(AlgorithmName(info.param)); });

}  // namespace
}  // namespace hallmark::crypto
