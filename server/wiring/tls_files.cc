#include "server/wiring/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace hallmark::api {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

BioPtr MemBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Never prompts: an encrypted key is refused instead of blocking on a terminal.
int NoPassword(char*, int, int, void*) { return 0; }

// Reads every certificate of `bio`; the first into *first. Fails on anything that is not a
// certificate (garbage between or after them).
absl::StatusOr<int> ReadCertificates(BIO* bio, X509Ptr* first) {
  int n = 0;
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio, nullptr, &NoPassword, nullptr));
    if (cert == nullptr) {
      const unsigned long err = ERR_peek_last_error();  // NOLINT(runtime/int)
      ERR_clear_error();
      if (n > 0 && ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
        return n;  // the end
      }
      return absl::InvalidArgumentError(
          n == 0 ? "no PEM certificate in it"
                 : absl::StrCat("certificate ", n + 1, " of the chain does not parse"));
    }
    if (n++ == 0 && first != nullptr) *first = std::move(cert);
  }
}

}  // namespace

absl::Status ValidateKeyCertPair(const std::string& cert_pem, const std::string& key_pem) {
  X509Ptr leaf;
  BioPtr certs = MemBio(cert_pem);
  if (certs == nullptr) return absl::ResourceExhaustedError("out of memory");
  HALLMARK_RETURN_IF_ERROR(ReadCertificates(certs.get(), &leaf).status());
  BioPtr keys = MemBio(key_pem);
  if (keys == nullptr) return absl::ResourceExhaustedError("out of memory");
  PkeyPtr key(PEM_read_bio_PrivateKey(keys.get(), nullptr, &NoPassword, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError("the key file holds no unencrypted PEM private key");
  }
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the private key does not belong to the certificate");
  }
  if (X509_cmp_current_time(X509_get0_notAfter(leaf.get())) < 0) {
    return absl::InvalidArgumentError("the certificate has expired");
  }
  return absl::OkStatus();
}

absl::Status ValidateCaBundle(const std::string& pem) {
  BioPtr bio = MemBio(pem);
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory");
  return ReadCertificates(bio.get(), nullptr).status();
}

absl::StatusOr<std::unique_ptr<TlsFiles>> TlsFiles::Start(
    Sources sources, std::function<void(const absl::Status&)> on_rejected) {
  const char* tmp = getenv("TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr && *tmp ? tmp : "/tmp", "/hallmark-tls.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a directory for the TLS files: ",
                                            pattern));
  }
  std::unique_ptr<TlsFiles> files(
      new TlsFiles(std::move(sources), std::move(on_rejected), std::move(pattern)));
  absl::StatusOr<Set> set = files->ReadAndCheck();
  if (!set.ok()) return set.status();
  HALLMARK_RETURN_IF_ERROR(files->Stage(*set));
  files->watcher_ = std::thread([f = files.get()] { f->Watch(); });
  return files;
}

TlsFiles::TlsFiles(Sources sources, std::function<void(const absl::Status&)> on_rejected,
                   std::string dir)
    : sources_(std::move(sources)), on_rejected_(std::move(on_rejected)), dir_(std::move(dir)) {}

TlsFiles::~TlsFiles() {
  stop_.Notify();
  if (watcher_.joinable()) watcher_.join();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string TlsFiles::cert_path() const { return JoinPath(dir_, "current/cert.pem"); }
std::string TlsFiles::key_path() const { return JoinPath(dir_, "current/key.pem"); }
std::string TlsFiles::ca_path() const { return JoinPath(dir_, "current/ca.pem"); }

absl::StatusOr<TlsFiles::Set> TlsFiles::ReadAndCheck() const {
  Set set;
  auto read = [](const std::string& flag, const std::string& path,
                 std::string* out) -> absl::Status {
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": ", text.status().message()));
    *out = *std::move(text);
    return absl::OkStatus();
  };
  HALLMARK_RETURN_IF_ERROR(read("--tls_cert", sources_.cert, &set.cert));
  HALLMARK_RETURN_IF_ERROR(read("--tls_key", sources_.key, &set.key));
  if (absl::Status s = ValidateKeyCertPair(set.cert, set.key); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--tls_cert ", sources_.cert, " / --tls_key ",
                                                   sources_.key, ": ", s.message()));
  }
  if (!sources_.ca.empty()) {
    HALLMARK_RETURN_IF_ERROR(read("--client_ca", sources_.ca, &set.ca));
    if (absl::Status s = ValidateCaBundle(set.ca); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--client_ca ", sources_.ca, ": ", s.message()));
    }
  }
  return set;
}

// Each set goes into a directory of its own, g<N>, and the symlink `current` is switched to it
// in one rename. gRPC reads the key, then the certificate, and retries when a file's mtime
// changed meanwhile: each generation's files get an mtime of their own (whole seconds, as gRPC
// compares them), so a switch in the middle of a read is noticed and never yields a mixed pair.
absl::Status TlsFiles::Stage(const Set& set) {
  const uint64_t gen = ++generation_;
  const std::string gen_dir = JoinPath(dir_, absl::StrCat("g", gen));
  if (mkdir(gen_dir.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("cannot create ", gen_dir));
  }
  const timespec stamp[2] = {{static_cast<time_t>(1'000'000'000 + gen), 0},
                             {static_cast<time_t>(1'000'000'000 + gen), 0}};
  for (const auto& [name, text] : {std::pair<const char*, const std::string*>{"cert.pem", &set.cert},
                                   {"key.pem", &set.key}, {"ca.pem", &set.ca}}) {
    const std::string path = JoinPath(gen_dir, name);
    HALLMARK_RETURN_IF_ERROR(WriteFileAtomically(path, *text, 0600));
    utimensat(AT_FDCWD, path.c_str(), stamp, 0);
  }
  const std::string link = JoinPath(dir_, "current.new");
  unlink(link.c_str());
  if (symlink(absl::StrCat("g", gen).c_str(), link.c_str()) != 0 ||
      rename(link.c_str(), JoinPath(dir_, "current").c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot switch the TLS files in ", dir_));
  }
  if (gen > 2) {  // keep the previous set: a read may still be under way in it
    std::error_code ignored;
    std::filesystem::remove_all(JoinPath(dir_, absl::StrCat("g", gen - 2)), ignored);
  }
  staged_ = set;
  return absl::OkStatus();
}

void TlsFiles::Watch() {
  while (!stop_.WaitForNotificationWithTimeout(sources_.refresh)) {
    absl::StatusOr<Set> set = ReadAndCheck();
    absl::Status s = set.status();
    if (set.ok() && (set->cert != staged_.cert || set->key != staged_.key || set->ca != staged_.ca)) {
      s = Stage(*set);
    }
    if (s.ok()) {
      last_rejected_.clear();
    } else if (std::string(s.message()) != last_rejected_) {
      last_rejected_ = std::string(s.message());
      if (on_rejected_) on_rejected_(s);
    }
  }
}

}  // namespace hallmark::api
