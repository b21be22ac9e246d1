// File: server/web/tls_context.h
//
// TlsContext: the front door's HTTPS (--http_tls): an OpenSSL server context on the server's
// certificate chain and key — the checked copies server/wiring/tls_files.h stages — re-read
// every `refresh`, so a renewed certificate is served to new connections without a restart.
// TLS 1.2 and 1.3 only, no renegotiation, OpenSSL's default ciphers.
//
// Thread-safe: every event loop asks it for each new connection's SSL.
#ifndef HALLMARK_SERVER_WEB_TLS_CONTEXT_H_
#define HALLMARK_SERVER_WEB_TLS_CONTEXT_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hallmark::web {

class TlsContext {
 public:
  // Fails (naming the file) unless the pair loads now.
  static absl::StatusOr<std::unique_ptr<TlsContext>> Load(std::string cert_path,
                                                          std::string key_path,
                                                          absl::Duration refresh);
  // A new connection's SSL (the caller owns it), or nullptr if OpenSSL cannot make one. A
  // context that fails to reload is kept until the files load again.
  SSL* NewSsl();

 private:
  using CtxPtr = std::shared_ptr<SSL_CTX>;
  TlsContext(std::string cert, std::string key, absl::Duration refresh, CtxPtr ctx);
  static absl::StatusOr<CtxPtr> Build(const std::string& cert, const std::string& key);

  const std::string cert_;
  const std::string key_;
  const absl::Duration refresh_;
  absl::Mutex mu_;
  CtxPtr ctx_ ABSL_GUARDED_BY(mu_);
  absl::Time next_load_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::web

#endif  // HALLMARK_SERVER_WEB_TLS_CONTEXT_H_
