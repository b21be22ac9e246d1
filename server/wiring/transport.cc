#include "server/wiring/transport.h"

#include <grpcpp/resource_quota.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"
#include "common/net.h"
#include "common/status_macros.h"
#include "server/common/log.h"

namespace hallmark::api {

// TLS from files that are re-read every config.tls_refresh (rotation without a restart; a bad
// set is refused and the last good one kept, see tls_files.h), or plaintext where that is safe
// (loopback) or explicitly allowed. Invalid files stop startup.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const ServerConfig& c, Metrics* metrics, std::unique_ptr<TlsFiles>* files) {
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (c.tls_cert.empty()) {
    if (!c.client_ca.empty() || c.require_client_cert) {
      return absl::InvalidArgumentError("--client_ca/--require_client_cert need --tls_cert and --tls_key");
    }
    if (!IsLoopbackAddress(c.listen) && !c.allow_insecure) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing plaintext on ", c.listen,
          ": give --tls_cert/--tls_key, listen on loopback or a unix socket, or pass "
          "--allow_insecure"));
    }
    log::Warn("serving PLAINTEXT gRPC (no TLS)",
              {{"listen", c.listen},
               {"why", IsLoopbackAddress(c.listen) ? "loopback only" : "--allow_insecure"}});
    return grpc::InsecureServerCredentials();
  }
  if (c.require_client_cert && c.client_ca.empty()) {
    return absl::InvalidArgumentError("--require_client_cert needs --client_ca");
  }
  HALLMARK_ASSIGN_OR_RETURN(
      *files, TlsFiles::Start({c.tls_cert, c.tls_key, c.client_ca, c.tls_refresh},
                              [metrics](const absl::Status& why) {
                                metrics->SecurityEvent("tls_reload_rejected");
                                log::Error("TLS files rejected: still serving the last good ones",
                                           {{"why", std::string(why.message())}});
                              }));
  const TlsFiles& f = **files;
  const unsigned refresh = static_cast<unsigned>(std::max<int64_t>(1, absl::ToInt64Seconds(c.tls_refresh)));
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider =
      c.client_ca.empty()
          ? std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                f.key_path(), f.cert_path(), refresh)
          : std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                f.key_path(), f.cert_path(), f.ca_path(), refresh);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (c.client_ca.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(c.require_client_cert
                                      ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                      : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  log::Info("serving TLS", {{"listen", c.listen},
                            {"client_certs", c.client_ca.empty() ? "no"
                                             : c.require_client_cert ? "required"
                                                                     : "optional"}});
  return grpc::experimental::TlsServerCredentials(options);
}

// Bounds on what a caller can make gRPC hold before any handler (or authentication) runs:
// streams per connection, header and message sizes, all buffers together (a ResourceQuota:
// past it gRPC shrinks flow-control windows and cancels streams), idle and old connections,
// slow handshakes, and clients that ping too often. See docs/security.md.
void ApplyTransportLimits(const ServerConfig& c, grpc::ServerBuilder* builder) {
  auto ms = [](absl::Duration d) {
    return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), INT32_MAX));
  };
  builder->SetMaxReceiveMessageSize(c.max_receive_message_bytes);
  builder->SetMaxSendMessageSize(c.max_send_message_bytes);
  grpc::ResourceQuota quota("hallmark-server");
  quota.Resize(static_cast<size_t>(c.memory_quota_bytes));
  builder->SetResourceQuota(quota);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, c.max_concurrent_streams);
  builder->AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, c.max_metadata_bytes);
  builder->AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, ms(c.handshake_timeout));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, ms(c.max_connection_idle));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, ms(c.max_connection_age));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                              ms(c.max_connection_age_grace));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, ms(c.keepalive_time));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, ms(c.keepalive_timeout));
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                              ms(c.min_client_ping_interval));
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
}

}  // namespace hallmark::api
