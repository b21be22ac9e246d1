// File: crypto/internal/ssl_util.h
//
// RAII owners for OpenSSL handles and the conversion of OpenSSL's error queue to absl::Status.
// Internal to crypto/: nothing outside this folder sees an OpenSSL type.
#ifndef HALLMARK_CRYPTO_INTERNAL_SSL_UTIL_H_
#define HALLMARK_CRYPTO_INTERNAL_SSL_UTIL_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hallmark::crypto::internal {

template <typename T, void (*kFree)(T*)>
struct SslDeleter {
  void operator()(T* p) const { kFree(p); }
};

template <typename T, void (*kFree)(T*)>
using SslPtr = std::unique_ptr<T, SslDeleter<T, kFree>>;

using EvpPkeyPtr = SslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = SslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = SslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using BioPtr = SslPtr<BIO, BIO_free_all>;
using BignumPtr = SslPtr<BIGNUM, BN_free>;
using EcdsaSigPtr = SslPtr<ECDSA_SIG, ECDSA_SIG_free>;

// An Internal error naming `what` and the first reason in OpenSSL's error queue, which it
// clears. Never includes key material.
absl::Status OpenSslError(absl::string_view what);

// The bytes held by a memory BIO.
std::string BioContents(BIO* bio);

// Shares ownership of `key` (EVP_PKEY_up_ref) in a new owner.
EvpPkeyPtr ShareKey(EVP_PKEY* key);

}  // namespace hallmark::crypto::internal

#endif  // HALLMARK_CRYPTO_INTERNAL_SSL_UTIL_H_
