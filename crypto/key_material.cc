#include "crypto/key_material.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "crypto/internal/ssl_util.h"
#include "crypto/subtle/ecdsa_p256.h"
#include "crypto/subtle/ed25519.h"

namespace hallmark::crypto {

using internal::BioPtr;
using internal::EvpPkeyPtr;

struct KeyMaterial::Key {
  EvpPkeyPtr pkey;
};

namespace {

bool IsAlgorithm(EVP_PKEY* pkey, Algorithm algorithm) {
  return algorithm == Algorithm::kEs256 ? subtle::IsP256Key(pkey)
                                        : EVP_PKEY_is_a(pkey, "ED25519") == 1;
}

absl::Status WrongAlgorithm(Algorithm algorithm) {
  return absl::InvalidArgumentError(
      absl::StrCat("key: PEM does not hold an ", AlgorithmName(algorithm), " key"));
}

BioPtr MemoryBio(absl::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

KeyMaterial::KeyMaterial(std::unique_ptr<Key> key, Algorithm algorithm, bool has_private)
    : key_(std::move(key)), algorithm_(algorithm), has_private_(has_private) {}

KeyMaterial::~KeyMaterial() = default;

absl::StatusOr<std::unique_ptr<KeyMaterial>> KeyMaterial::Generate(Algorithm algorithm) {
  EVP_PKEY* pkey = algorithm == Algorithm::kEs256
                       ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                       : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (pkey == nullptr) return internal::OpenSslError("key: generating");
  auto key = std::make_unique<Key>(Key{EvpPkeyPtr(pkey)});
  return std::unique_ptr<KeyMaterial>(new KeyMaterial(std::move(key), algorithm, true));
}

absl::StatusOr<std::unique_ptr<KeyMaterial>> KeyMaterial::FromPrivatePem(absl::string_view pem,
                                                                         Algorithm algorithm) {
  BioPtr bio = MemoryBio(pem);
  EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("key: not a readable unencrypted private key PEM");
  }
  if (!IsAlgorithm(pkey.get(), algorithm)) return WrongAlgorithm(algorithm);
  auto key = std::make_unique<Key>(Key{std::move(pkey)});
  return std::unique_ptr<KeyMaterial>(new KeyMaterial(std::move(key), algorithm, true));
}

absl::StatusOr<std::unique_ptr<KeyMaterial>> KeyMaterial::FromPublicPem(absl::string_view pem,
                                                                        Algorithm algorithm) {
  BioPtr bio = MemoryBio(pem);
  EvpPkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("key: not a readable public key PEM");
  }
  if (!IsAlgorithm(pkey.get(), algorithm)) return WrongAlgorithm(algorithm);
  auto key = std::make_unique<Key>(Key{std::move(pkey)});
  return std::unique_ptr<KeyMaterial>(new KeyMaterial(std::move(key), algorithm, false));
}

absl::StatusOr<std::unique_ptr<KeyMaterial>> KeyMaterial::FromSpkiDer(absl::string_view der,
                                                                       Algorithm algorithm) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("key: not a readable SubjectPublicKeyInfo");
  }
  if (!IsAlgorithm(pkey.get(), algorithm)) return WrongAlgorithm(algorithm);
  auto key = std::make_unique<Key>(Key{std::move(pkey)});
  return std::unique_ptr<KeyMaterial>(new KeyMaterial(std::move(key), algorithm, false));
}

std::string KeyMaterial::SpkiDer() const {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key_->pkey.get(), &der);
  std::string out = len > 0 ? std::string(reinterpret_cast<char*>(der), len) : std::string();
  OPENSSL_free(der);
  return out;
}

std::string KeyMaterial::PublicPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key_->pkey.get()) != 1) return {};
  return internal::BioContents(bio.get());
}

absl::StatusOr<std::string> KeyMaterial::PrivatePem() const {
  if (!has_private_) return absl::FailedPreconditionError("key: no private key loaded");
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr || PEM_write_bio_PrivateKey(bio.get(), key_->pkey.get(), nullptr, nullptr,
                                                 0, nullptr, nullptr) != 1) {
    return internal::OpenSslError("key: encoding private key");
  }
  return internal::BioContents(bio.get());
}

absl::Status KeyMaterial::WritePrivatePemFile(const std::string& path) const {
  absl::StatusOr<std::string> pem = PrivatePem();
  if (!pem.ok()) return pem.status();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("key: creating ", path, ": ", std::strerror(errno)));
  }
  const ssize_t written = ::write(fd, pem->data(), pem->size());
  const bool ok = written == static_cast<ssize_t>(pem->size()) && ::fsync(fd) == 0;
  ::close(fd);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!ok) {
    ::unlink(path.c_str());
    return absl::InternalError(absl::StrCat("key: writing ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PublicKeySign>> KeyMaterial::NewSigner() const {
  if (!has_private_) return absl::FailedPreconditionError("key: no private key loaded");
  return algorithm_ == Algorithm::kEs256 ? subtle::EcdsaP256Sign::New(key_->pkey.get())
                                         : subtle::Ed25519Sign::New(key_->pkey.get());
}

absl::StatusOr<std::unique_ptr<PublicKeyVerify>> KeyMaterial::NewVerifier() const {
  return algorithm_ == Algorithm::kEs256 ? subtle::EcdsaP256Verify::New(key_->pkey.get())
                                         : subtle::Ed25519Verify::New(key_->pkey.get());
}

}  // namespace hallmark::crypto
