// File: server/wiring/tls_files.h
//
// TlsFiles: the server's certificate chain, private key and (for mutual TLS) client CA, as
// gRPC's file-watching certificate provider reads them — but only ever a pair that has been
// checked. The operator's files are re-read every `refresh`; a new set that parses and whose
// key matches its certificate is staged (into a private 0700 directory, switched atomically),
// anything else (junk, a mismatched pair, a missing file, a certificate copied before its key)
// is logged and counted once, and the last good set goes on being served.
//
// Example:
//   auto tls = TlsFiles::Start({cert, key, ca, absl::Seconds(10)}, on_rejected);
//   FileWatcherCertificateProvider((*tls)->key_path(), (*tls)->cert_path(), ...);
#ifndef HALLMARK_SERVER_WIRING_TLS_FILES_H_
#define HALLMARK_SERVER_WIRING_TLS_FILES_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace hallmark::api {

// OK when `cert_pem` holds a certificate chain (the first certificate is the leaf, not
// expired) and `key_pem` the private key of that leaf; else INVALID_ARGUMENT saying which.
absl::Status ValidateKeyCertPair(const std::string& cert_pem, const std::string& key_pem);
// OK when `pem` holds at least one certificate and nothing that fails to parse.
absl::Status ValidateCaBundle(const std::string& pem);

class TlsFiles {
 public:
  struct Sources {
    std::string cert;  // the operator's files
    std::string key;
    std::string ca;  // empty: no client certificates
    absl::Duration refresh = absl::Seconds(10);
  };
  // Fails (naming the file and the problem) unless the files are valid now.
  static absl::StatusOr<std::unique_ptr<TlsFiles>> Start(
      Sources sources, std::function<void(const absl::Status&)> on_rejected);
  // Stops watching and removes the staged copies.
  ~TlsFiles();

  // The staged, checked files (stable paths; their target switches atomically).
  std::string cert_path() const;
  std::string key_path() const;
  std::string ca_path() const;

 private:
  struct Set {
    std::string cert, key, ca;
  };
  TlsFiles(Sources sources, std::function<void(const absl::Status&)> on_rejected,
           std::string dir);
  absl::StatusOr<Set> ReadAndCheck() const;
  absl::Status Stage(const Set& set);
  void Watch();

  const Sources sources_;
  const std::function<void(const absl::Status&)> on_rejected_;
  const std::string dir_;  // private staging directory
  uint64_t generation_ = 0;
  Set staged_;
  std::string last_rejected_;  // the message last reported, so each problem is told once
  absl::Notification stop_;
  std::thread watcher_;
};

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_WIRING_TLS_FILES_H_
