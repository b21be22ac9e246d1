#include "crypto/subtle/ed25519.h"

#include <openssl/err.h>

namespace hallmark::crypto::subtle {

using internal::EvpMdCtxPtr;
using internal::EvpPkeyPtr;

struct Ed25519Context {
  EvpMdCtxPtr initialised;  // initialised once for the key, never used for an operation
  EvpMdCtxPtr md;           // a fresh copy of it for each operation
};

namespace {

std::unique_ptr<Ed25519Context> MakeContext(EVP_PKEY* key, bool sign) {
  auto ctx = std::make_unique<Ed25519Context>();
  ctx->initialised.reset(EVP_MD_CTX_new());
  ctx->md.reset(EVP_MD_CTX_new());
  if (ctx->initialised == nullptr || ctx->md == nullptr ||
      (sign ? EVP_DigestSignInit(ctx->initialised.get(), nullptr, nullptr, nullptr, key)
            : EVP_DigestVerifyInit(ctx->initialised.get(), nullptr, nullptr, nullptr, key)) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

// EVP_DigestSign/EVP_DigestVerify are one-shot: OpenSSL documents that a context must not be
// used for a second one (3.2 and later enforce it: OpenSSL issue 23075), so each operation
// runs on a fresh copy of this thread's initialised context.
bool Fresh(Ed25519Context* ctx) {
  if (EVP_MD_CTX_copy_ex(ctx->md.get(), ctx->initialised.get()) == 1) return true;
  ERR_clear_error();
  return false;
}

absl::StatusOr<EvpPkeyPtr> CheckEd25519(EVP_PKEY* key) {
  if (key == nullptr || !EVP_PKEY_is_a(key, "ED25519")) {
    return absl::InvalidArgumentError("Ed25519: not an Ed25519 key");
  }
  return internal::ShareKey(key);
}

}  // namespace

Ed25519Sign::Ed25519Sign(EvpPkeyPtr key) : key_(std::move(key)) {}

absl::StatusOr<std::unique_ptr<PublicKeySign>> Ed25519Sign::New(EVP_PKEY* key) {
  absl::StatusOr<EvpPkeyPtr> shared = CheckEd25519(key);
  if (!shared.ok()) return shared.status();
  return std::unique_ptr<PublicKeySign>(new Ed25519Sign(*std::move(shared)));
}

absl::StatusOr<std::string> Ed25519Sign::Sign(absl::string_view data) const {
  Ed25519Context* ctx = contexts_.Get([this] { return MakeContext(key_.get(), true); });
  std::string sig(kSignatureLength, '\0');
  size_t len = sig.size();
  if (ctx == nullptr || !Fresh(ctx) ||
      EVP_DigestSign(ctx->md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      len != kSignatureLength) {
    return internal::OpenSslError("Ed25519: signing");
  }
  return sig;
}

Ed25519Verify::Ed25519Verify(EvpPkeyPtr key) : key_(std::move(key)) {}

absl::StatusOr<std::unique_ptr<PublicKeyVerify>> Ed25519Verify::New(EVP_PKEY* key) {
  absl::StatusOr<EvpPkeyPtr> shared = CheckEd25519(key);
  if (!shared.ok()) return shared.status();
  return std::unique_ptr<PublicKeyVerify>(new Ed25519Verify(*std::move(shared)));
}

SignatureCheck Ed25519Verify::Verify(absl::string_view signature,
                                     absl::string_view data) const {
  if (signature.size() != kSignatureLength) return SignatureCheck::kInvalid;
  Ed25519Context* ctx = contexts_.Get([this] { return MakeContext(key_.get(), false); });
  const int rc =
      ctx == nullptr || !Fresh(ctx)
          ? 0
          : EVP_DigestVerify(ctx->md.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size());
  if (rc != 1) ERR_clear_error();
  return rc == 1 ? SignatureCheck::kValid : SignatureCheck::kInvalid;
}

}  // namespace hallmark::crypto::subtle
