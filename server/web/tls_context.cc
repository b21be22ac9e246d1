#include "server/web/tls_context.h"

#include <openssl/err.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace hallmark::web {
namespace {

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

}  // namespace

TlsContext::TlsContext(std::string cert, std::string key, absl::Duration refresh, CtxPtr ctx)
    : cert_(std::move(cert)), key_(std::move(key)), refresh_(refresh), ctx_(std::move(ctx)),
      next_load_(absl::Now() + refresh) {}

absl::StatusOr<TlsContext::CtxPtr> TlsContext::Build(const std::string& cert,
                                                     const std::string& key) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError(absl::StrCat("http TLS: ", OpenSslError()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("http TLS: certificate ", cert, ": ", OpenSslError()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("http TLS: private key ", key, ": ", OpenSslError()));
  }
  return ctx;
}

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::Load(std::string cert_path,
                                                             std::string key_path,
                                                             absl::Duration refresh) {
  absl::StatusOr<CtxPtr> ctx = Build(cert_path, key_path);
  if (!ctx.ok()) return ctx.status();
  return std::unique_ptr<TlsContext>(
      new TlsContext(std::move(cert_path), std::move(key_path), refresh, *std::move(ctx)));
}

SSL* TlsContext::NewSsl() {
  CtxPtr ctx;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    if (now >= next_load_) {
      next_load_ = now + refresh_;
      absl::StatusOr<CtxPtr> fresh = Build(cert_, key_);
      if (fresh.ok()) ctx_ = *std::move(fresh);
    }
    ctx = ctx_;
  }
  return SSL_new(ctx.get());  // the SSL holds its own reference to the context
}

}  // namespace hallmark::web
