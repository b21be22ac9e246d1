#include "crypto/key_directory.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "crypto/pkcs11/token.h"
#include "common/status_macros.h"
#include "crypto/key_material.h"
#include "crypto/prf.h"

namespace hallmark::crypto {
namespace {

// Holds flock(LOCK_EX) on <dir>/.lock for its lifetime.
class DirectoryLock {
 public:
  static absl::StatusOr<DirectoryLock> Acquire(const std::string& dir) {
    const std::string path = JoinPath(dir, ".lock");
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) {
      if (fd >= 0) ::close(fd);
      return absl::InternalError(absl::StrCat("locking ", path, ": ", std::strerror(errno)));
    }
    return DirectoryLock(fd);
  }
  DirectoryLock(DirectoryLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

absl::StatusOr<KeyId> NewKeyId(const std::vector<KeyInfo>& keys) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    unsigned char b[2];
    if (RAND_bytes(b, 2) != 1) return absl::InternalError("RAND_bytes failed");
    const KeyId id = static_cast<KeyId>((b[0] << 8) | b[1]);
    bool taken = false;
    for (const KeyInfo& k : keys) taken = taken || k.id == id;
    if (!taken) return id;
  }
  return absl::ResourceExhaustedError("no free key id");
}

KeyInfo* FindMutable(std::vector<KeyInfo>& keys, KeyId id) {
  for (KeyInfo& k : keys) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

void RemovePrivateKey(const std::string& dir, KeyId id) {
  ::unlink(JoinPath(dir, PrivateKeyFileName(id)).c_str());
  ::unlink(JoinPath(dir, TokenKeyFileName(id)).c_str());
}

}  // namespace

absl::StatusOr<KeyDirectory> KeyDirectory::Open(const std::string& path, bool create) {
  KeyDirectory dir(path);
  if (create && !FileExists(JoinPath(path, kManifestFileName))) {
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::InternalError(absl::StrCat("creating ", path, ": ", std::strerror(errno)));
    }
    HALLMARK_ASSIGN_OR_RETURN(DirectoryLock lock, DirectoryLock::Acquire(path));
    if (!FileExists(JoinPath(path, kManifestFileName))) {
      HALLMARK_RETURN_IF_ERROR(dir.Commit({}));
    }
  }
  HALLMARK_RETURN_IF_ERROR(dir.Reload());
  return dir;
}

absl::Status KeyDirectory::Reload() {
  HALLMARK_ASSIGN_OR_RETURN(std::string text, ReadFile(JoinPath(path_, kManifestFileName)));
  HALLMARK_ASSIGN_OR_RETURN(keys_, ParseKeyManifest(text));
  return absl::OkStatus();
}

absl::Status KeyDirectory::Commit(const std::vector<KeyInfo>& keys) {
  HALLMARK_RETURN_IF_ERROR(ValidateKeySet(keys));
  HALLMARK_RETURN_IF_ERROR(
      WriteFileAtomically(JoinPath(path_, kManifestFileName), FormatKeyManifest(keys), 0644));
  keys_ = keys;
  return absl::OkStatus();
}

absl::StatusOr<KeyInfo> KeyDirectory::Generate(Algorithm algorithm, absl::Time now) {
  return AddActiveKey(algorithm, now, [this, algorithm](const KeyInfo& info) -> absl::Status {
    HALLMARK_ASSIGN_OR_RETURN(std::unique_ptr<KeyMaterial> material,
                              KeyMaterial::Generate(algorithm));
    HALLMARK_RETURN_IF_ERROR(
        material->WritePrivatePemFile(JoinPath(path_, PrivateKeyFileName(info.id))));
    return WriteFileAtomically(JoinPath(path_, PublicKeyFileName(info.id)),
                               material->PublicPem(), 0644);
  });
}

absl::StatusOr<KeyInfo> KeyDirectory::GenerateInToken(absl::string_view token_uri,
                                                      absl::Time now, Algorithm algorithm) {
  HALLMARK_ASSIGN_OR_RETURN(std::shared_ptr<Pkcs11Token> token, Pkcs11Token::Open(token_uri));
  const std::string uri(token_uri);
  return AddActiveKey(algorithm, now, [&](const KeyInfo& info) -> absl::Status {
    HALLMARK_ASSIGN_OR_RETURN(
        std::string spki,
        token->Generate(algorithm, info.id, absl::StrCat("hallmark-", FormatKeyId(info.id))));
    HALLMARK_ASSIGN_OR_RETURN(std::unique_ptr<KeyMaterial> material,
                              KeyMaterial::FromSpkiDer(spki, algorithm));
    // The object's own URI: the token's path attributes plus the key's id and label.
    const size_t query = uri.find('?');
    const std::string id_hex = FormatKeyId(info.id);
    const std::string object_uri = absl::StrCat(
        uri.substr(0, query), ";id=%", id_hex.substr(0, 2), "%", id_hex.substr(2),
        ";object=hallmark-", id_hex, ";type=private",
        query == std::string::npos ? "" : uri.substr(query));
    HALLMARK_RETURN_IF_ERROR(WriteFileAtomically(JoinPath(path_, TokenKeyFileName(info.id)),
                                                 object_uri + "\n", 0600));
    return WriteFileAtomically(JoinPath(path_, PublicKeyFileName(info.id)),
                               material->PublicPem(), 0644);
  });
}

absl::StatusOr<KeyInfo> KeyDirectory::AddActiveKey(
    Algorithm algorithm, absl::Time now,
    const std::function<absl::Status(const KeyInfo&)>& make) {
  HALLMARK_ASSIGN_OR_RETURN(DirectoryLock lock, DirectoryLock::Acquire(path_));
  HALLMARK_RETURN_IF_ERROR(Reload());
  std::vector<KeyInfo> keys = keys_;
  KeyInfo info;
  HALLMARK_ASSIGN_OR_RETURN(info.id, NewKeyId(keys));
  info.algorithm = algorithm;
  info.state = KeyState::kActive;
  info.created_at = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  HALLMARK_RETURN_IF_ERROR(make(info));
  std::vector<KeyId> retired;
  for (KeyInfo& k : keys) {
    if (k.state == KeyState::kActive) {
      k.state = KeyState::kRetired;
      retired.push_back(k.id);
    }
  }
  keys.push_back(info);
  HALLMARK_RETURN_IF_ERROR(Commit(keys));
  for (KeyId id : retired) RemovePrivateKey(path_, id);
  HALLMARK_RETURN_IF_ERROR(EnsureRegistrationKey());
  return info;
}

absl::Status KeyDirectory::EnsureRegistrationKey() {
  const std::string path = JoinPath(path_, kRegistrationKeyFile);
  if (FileExists(path)) return absl::OkStatus();
  HALLMARK_ASSIGN_OR_RETURN(std::string key, RandomBytes(32));
  return WriteFileAtomically(path, absl::StrCat(absl::BytesToHexString(key), "\n"), 0600);
}

absl::StatusOr<std::string> ReadRegistrationKeyFile(const std::string& path) {
  if (!FileExists(path)) {
    return absl::NotFoundError(absl::StrCat(path, ": no registration key"));
  }
  HALLMARK_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1024));
  absl::string_view hex = absl::StripAsciiWhitespace(text);
  bool ok = hex.size() == 64;
  for (char c : hex) ok = ok && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": must hold 64 hex digits"));
  }
  return absl::HexStringToBytes(hex);
}

// Lock, reload, find `id`, let `change` decide (an error refuses, false leaves the key as it
// is), then commit and delete the private key file: the one way a key leaves ACTIVE.
absl::Status KeyDirectory::ChangeState(
    KeyId id, const std::function<absl::StatusOr<bool>(KeyInfo&)>& change) {
  HALLMARK_ASSIGN_OR_RETURN(DirectoryLock lock, DirectoryLock::Acquire(path_));
  HALLMARK_RETURN_IF_ERROR(Reload());
  std::vector<KeyInfo> keys = keys_;
  KeyInfo* key = FindMutable(keys, id);
  if (key == nullptr) {
    return absl::NotFoundError(absl::StrCat("key ", FormatKeyId(id), " is not in ", path_));
  }
  HALLMARK_ASSIGN_OR_RETURN(bool changed, change(*key));
  if (!changed) return absl::OkStatus();
  HALLMARK_RETURN_IF_ERROR(Commit(keys));
  RemovePrivateKey(path_, id);
  return absl::OkStatus();
}

absl::Status KeyDirectory::Retire(KeyId id) {
  return ChangeState(id, [id](KeyInfo& key) -> absl::StatusOr<bool> {
    if (key.state == KeyState::kRevoked) {
      return absl::FailedPreconditionError(
          absl::StrCat("key ", FormatKeyId(id), " is REVOKED and cannot be retired"));
    }
    key.state = KeyState::kRetired;
    return true;
  });
}

absl::Status KeyDirectory::Revoke(KeyId id, absl::Time now) {
  return ChangeState(id, [now](KeyInfo& key) -> absl::StatusOr<bool> {
    if (key.state == KeyState::kRevoked) return false;  // already: nothing to do
    key.state = KeyState::kRevoked;
    key.revoked_at = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
    return true;
  });
}

}  // namespace hallmark::crypto
