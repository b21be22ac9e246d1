// Re-computes every test vector published in docs/code-format.md from the document itself, so
// the document and the code cannot drift apart.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/files.h"
#include "crypto/code_signing.h"
#include "crypto/trust_list.h"
#include "gmock/gmock.h"
#include "gs1/digital_link.h"
#include "gs1/element_string.h"
#include "gs1/gs1.h"
#include "gs1/unit_code.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/common/test_keys.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::IsOk;
using gs1::FormatBracketedElementString;
using gs1::FormatDigitalLink;
using gs1::FormatRawElementString;
using gs1::ParseScannedCode;
using gs1::UnitCode;
using gs1::NormalizeGtin;
using Vector = std::map<std::string, std::string>;

std::string Doc() {
  absl::StatusOr<std::string> doc = ReadFile(HALLMARK_SOURCE_DIR "/docs/code-format.md");
  EXPECT_THAT(doc, IsOk());
  return doc.ok() ? *doc : std::string();
}

// Every ```<kind> block (```vector, ```trust-list) as "key: value" pairs.
std::vector<Vector> Vectors(const std::string& kind = "vector") {
  std::vector<Vector> vectors;
  const std::string doc = Doc();
  const std::string fence = "```" + kind + "\n";
  for (size_t at = doc.find(fence); at != std::string::npos; at = doc.find(fence, at + 1)) {
    const size_t begin = at + fence.size();
    const size_t end = doc.find("```", begin);
    Vector v;
    for (absl::string_view line : absl::StrSplit(doc.substr(begin, end - begin), '\n')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
      if (!kv.first.empty()) v[kv.first] = std::string(absl::StripLeadingAsciiWhitespace(kv.second));
    }
    vectors.push_back(v);
  }
  return vectors;
}

std::unique_ptr<KeyRing> RingFor(Algorithm algorithm) {
  const bool es = algorithm == Algorithm::kEs256;
  std::vector<std::pair<KeyInfo, std::unique_ptr<KeyMaterial>>> keys;
  keys.emplace_back(
      KeyInfo{es ? testing::kTestEs256KeyId : testing::kTestEd25519KeyId, algorithm,
              KeyState::kActive, absl::UnixEpoch()},
      *KeyMaterial::FromPrivatePem(
          es ? testing::kTestEs256PrivatePem : testing::kTestEd25519PrivatePem, algorithm));
  return *KeyRing::New(std::move(keys));
}

TEST(CodeFormatTest, DocumentPublishesTheTestKeys) {
  const std::string doc = Doc();
  for (absl::string_view pem :
       {testing::kTestEs256PrivatePem, testing::kTestEs256PublicPem,
        testing::kTestEd25519PrivatePem, testing::kTestEd25519PublicPem}) {
    EXPECT_NE(doc.find(std::string(pem)), std::string::npos) << pem;
  }
}

TEST(CodeFormatTest, EveryVectorIsReproduced) {
  const std::vector<Vector> vectors = Vectors();
  ASSERT_EQ(vectors.size(), 5u);
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.at("name"));
    const Algorithm algorithm = *ParseAlgorithm(v.at("algorithm"));
    const std::unique_ptr<KeyRing> ring = RingFor(algorithm);
    ASSERT_EQ(FormatKeyId(ring->active()->info.id), v.at("key_id"));
    UnitCode code{v.at("gtin"), v.at("serial"), v.at("lot"), v.at("digsig")};
    // Vectors before dates existed have no expiry/production lines.
    if (v.count("expiry")) code.expiry = v.at("expiry");
    if (v.count("production")) code.production = v.at("production");
    ASSERT_EQ(*NormalizeGtin(code.gtin), code.gtin);

    const DigSigHeader header{kDigSigVersion, algorithm, ring->active()->info.id};
    EXPECT_EQ(absl::BytesToHexString(DigSigMessage(header, code.gtin, code.serial, code.lot,
                                                   code.expiry, code.production)),
              v.at("message_hex"));
    EXPECT_TRUE(VerifyUnitCode(*ring, code).ok());
    if (algorithm == Algorithm::kEd25519) {
      EXPECT_EQ(*SignUnit(*ring, code), code.digsig);
    }
    // Every printed field is signed: another expiry, production date or lot does not verify
    // as signed (dates added to an undated code verify only as dates not signed).
    for (auto alter : {+[](UnitCode* c) { c->expiry = c->expiry == "281231" ? "281230" : "281231"; },
                       +[](UnitCode* c) { c->production = c->production.empty() ? "250101" : ""; },
                       +[](UnitCode* c) { c->lot = "OTHER"; }}) {
      UnitCode altered = code;
      alter(&altered);
      const CodeVerification v = VerifyUnitCode(*ring, altered);
      EXPECT_FALSE(v.ok() && v.dates_signed);
      EXPECT_EQ(v.ok(), code.expiry.empty() && code.production.empty() && altered.lot == code.lot);
    }

    EXPECT_EQ(*FormatDigitalLink("id.example.com", code), v.at("digital_link"));
    EXPECT_EQ(FormatBracketedElementString(code), v.at("element_string"));
    const std::string raw = absl::StrReplaceAll(v.at("raw_element_string"), {{"{GS}", "\x1d"}});
    EXPECT_EQ(FormatRawElementString(code, "]d2"), raw);
    for (const std::string& printed : {v.at("digital_link"), v.at("element_string"), raw}) {
      absl::StatusOr<UnitCode> parsed = ParseScannedCode(printed);
      ASSERT_THAT(parsed, IsOk());
      EXPECT_EQ(*parsed, code);
    }
  }
}

// The trust-list vector (§7): the payload and the JWS are reproduced byte for byte from the
// listed inputs with the root test key (Ed25519 signatures are deterministic), and the JWS
// verifies with the published root public key.
TEST(CodeFormatTest, TheTrustListVectorIsReproduced) {
  const std::vector<Vector> vectors = Vectors("trust-list");
  ASSERT_EQ(vectors.size(), 1u);
  const Vector& v = vectors[0];
  TrustList list;
  list.sequence = std::stoull(v.at("seq"));
  list.issued_at = absl::FromUnixSeconds(std::stoll(v.at("iat")));
  list.expires_at = absl::FromUnixSeconds(std::stoll(v.at("exp")));
  for (absl::string_view entry : absl::StrSplit(v.at("keys"), ';')) {
    std::vector<std::string> f = absl::StrSplit(absl::StripAsciiWhitespace(entry), ' ');
    ASSERT_GE(f.size(), 4u) << entry;
    TrustListKey k;
    k.id = *ParseKeyId(f[0]);
    k.algorithm = f[1] == "EdDSA" ? Algorithm::kEd25519 : Algorithm::kEs256;
    const bool es = k.algorithm == Algorithm::kEs256;
    k.spki_der = (*KeyMaterial::FromPublicPem(
                      es ? testing::kTestEs256PublicPem : testing::kTestEd25519PublicPem,
                      k.algorithm))
                     ->SpkiDer();
    k.state = f[2] == "REVOKED" ? KeyState::kRevoked
              : f[2] == "RETIRED" ? KeyState::kRetired : KeyState::kActive;
    k.created_at = absl::FromUnixSeconds(std::stoll(f[3]));
    if (f.size() > 4) k.revoked_at = absl::FromUnixSeconds(std::stoll(f[4]));
    list.keys.push_back(k);
  }
  auto root = KeyMaterial::FromPrivatePem(testing::kTestRootPrivatePem, Algorithm::kEd25519);
  ASSERT_THAT(root, IsOk());
  ASSERT_EQ(v.at("root_key_id"), FormatKeyId(testing::kTestRootKeyId));
  EXPECT_EQ(*TrustListPayload(list), v.at("payload"));
  EXPECT_EQ(*SignTrustList(list, **(*root)->NewSigner(), Algorithm::kEd25519,
                           testing::kTestRootKeyId),
            v.at("jws"));
  auto root_public = KeyMaterial::FromPublicPem(testing::kTestRootPublicPem, Algorithm::kEd25519);
  EXPECT_THAT(VerifyTrustList(v.at("jws"), **(*root_public)->NewVerifier(), Algorithm::kEd25519,
                              list.issued_at, {}),
              IsOk());
}

}  // namespace
}  // namespace hallmark::crypto
