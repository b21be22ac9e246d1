#include "crypto/subtle/ecdsa_p256.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace hallmark::crypto::subtle {

using internal::EcdsaSigPtr;
using internal::EvpMdCtxPtr;
using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;

// One thread's digest context and sign-or-verify context for one key.
struct EcdsaContext {
  EvpMdCtxPtr digest;
  EvpPkeyCtxPtr pkey;
};

namespace {

constexpr size_t kScalarLength = 32;
constexpr size_t kDigestLength = 32;

// n/2 for P-256, big-endian: a canonical s is at most this.
constexpr unsigned char kHalfOrder[kScalarLength] = {
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8};

const EVP_MD* Sha256() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

std::unique_ptr<EcdsaContext> MakeContext(EVP_PKEY* key, bool sign) {
  auto ctx = std::make_unique<EcdsaContext>();
  ctx->digest.reset(EVP_MD_CTX_new());
  ctx->pkey.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (ctx->digest == nullptr || ctx->pkey == nullptr || Sha256() == nullptr ||
      (sign ? EVP_PKEY_sign_init(ctx->pkey.get()) : EVP_PKEY_verify_init(ctx->pkey.get())) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx->pkey.get(), Sha256()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

bool Digest(EVP_MD_CTX* ctx, absl::string_view data, unsigned char out[kDigestLength]) {
  unsigned int len = 0;
  return EVP_DigestInit_ex2(ctx, Sha256(), nullptr) == 1 &&
         EVP_DigestUpdate(ctx, data.data(), data.size()) == 1 &&
         EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == kDigestLength;
}

// DER ECDSA-Sig-Value from raw r || s; empty on failure.
std::string RawToDer(absl::string_view raw) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes, kScalarLength, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kScalarLength, kScalarLength, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  unsigned char buf[80];
  unsigned char* p = buf;
  const int len = i2d_ECDSA_SIG(sig.get(), &p);
  return len > 0 ? std::string(reinterpret_cast<char*>(buf), static_cast<size_t>(len))
                 : std::string();
}

// Raw r || s with s mapped to the low half, from a DER signature.
absl::StatusOr<std::string> DerToCanonicalRaw(const unsigned char* der, size_t len) {
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(len)));  // NOLINT(runtime/int)
  if (sig == nullptr) return internal::OpenSslError("ES256: decoding signature");
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  std::string raw(2 * kScalarLength, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kScalarLength) != kScalarLength ||
      BN_bn2binpad(s, out + kScalarLength, kScalarLength) != kScalarLength) {
    return internal::OpenSslError("ES256: encoding signature");
  }
  if (absl::Status low = MakeLowS(out); !low.ok()) return low;
  return raw;
}

}  // namespace

absl::Status MakeLowS(unsigned char raw[64]) {
  if (std::memcmp(raw + kScalarLength, kHalfOrder, kScalarLength) <= 0) return absl::OkStatus();
  static const EC_GROUP* const group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  internal::BignumPtr s(BN_bin2bn(raw + kScalarLength, kScalarLength, nullptr));
  internal::BignumPtr low(BN_new());
  if (s == nullptr || low == nullptr || group == nullptr ||
      BN_sub(low.get(), EC_GROUP_get0_order(group), s.get()) != 1 ||
      BN_bn2binpad(low.get(), raw + kScalarLength, kScalarLength) != kScalarLength) {
    return internal::OpenSslError("ES256: normalising s");
  }
  return absl::OkStatus();
}

bool IsP256Key(EVP_PKEY* key) {
  char group[64] = {0};
  size_t len = 0;
  const bool ok = EVP_PKEY_is_a(key, "EC") &&
                  EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                 sizeof(group), &len) == 1 &&
                  absl::string_view(group, len) == "prime256v1";
  ERR_clear_error();
  return ok;
}

EcdsaP256Sign::EcdsaP256Sign(EvpPkeyPtr key) : key_(std::move(key)) {}

absl::StatusOr<std::unique_ptr<PublicKeySign>> EcdsaP256Sign::New(EVP_PKEY* key) {
  if (key == nullptr || !IsP256Key(key)) {
    return absl::InvalidArgumentError("ES256: not a P-256 key");
  }
  return std::unique_ptr<PublicKeySign>(new EcdsaP256Sign(internal::ShareKey(key)));
}

absl::StatusOr<std::string> EcdsaP256Sign::Sign(absl::string_view data) const {
  EcdsaContext* ctx = contexts_.Get([this] { return MakeContext(key_.get(), /*sign=*/true); });
  unsigned char digest[kDigestLength];
  if (ctx == nullptr || !Digest(ctx->digest.get(), data, digest)) {
    return internal::OpenSslError("ES256: preparing to sign");
  }
  unsigned char der[80];
  size_t der_len = sizeof(der);
  if (EVP_PKEY_sign(ctx->pkey.get(), der, &der_len, digest, sizeof(digest)) != 1) {
    return internal::OpenSslError("ES256: signing");
  }
  return DerToCanonicalRaw(der, der_len);
}

EcdsaP256Verify::EcdsaP256Verify(EvpPkeyPtr key) : key_(std::move(key)) {}

absl::StatusOr<std::unique_ptr<PublicKeyVerify>> EcdsaP256Verify::New(EVP_PKEY* key) {
  if (key == nullptr || !IsP256Key(key)) {
    return absl::InvalidArgumentError("ES256: not a P-256 key");
  }
  return std::unique_ptr<PublicKeyVerify>(new EcdsaP256Verify(internal::ShareKey(key)));
}

SignatureCheck EcdsaP256Verify::Verify(absl::string_view signature,
                                       absl::string_view data) const {
  if (signature.size() != 2 * kScalarLength) return SignatureCheck::kInvalid;
  if (std::memcmp(signature.data() + kScalarLength, kHalfOrder, kScalarLength) > 0) {
    return SignatureCheck::kNonCanonical;
  }
  EcdsaContext* ctx = contexts_.Get([this] { return MakeContext(key_.get(), /*sign=*/false); });
  unsigned char digest[kDigestLength];
  const std::string der = RawToDer(signature);
  if (ctx == nullptr || der.empty() || !Digest(ctx->digest.get(), data, digest)) {
    ERR_clear_error();
    return SignatureCheck::kInvalid;
  }
  const int rc = EVP_PKEY_verify(ctx->pkey.get(), reinterpret_cast<const unsigned char*>(der.data()),
                                 der.size(), digest, sizeof(digest));
  if (rc != 1) ERR_clear_error();
  return rc == 1 ? SignatureCheck::kValid : SignatureCheck::kInvalid;
}

}  // namespace hallmark::crypto::subtle
