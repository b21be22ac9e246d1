#include "crypto/key_ring.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "crypto/pkcs11/token.h"

namespace hallmark::crypto {
namespace {

absl::StatusOr<std::unique_ptr<KeyMaterial>> LoadKeyFiles(const std::string& dir,
                                                         const KeyInfo& info) {
  const std::string id = FormatKeyId(info.id);
  HALLMARK_ASSIGN_OR_RETURN(std::string public_pem,
                            ReadFile(JoinPath(dir, PublicKeyFileName(info.id))));
  HALLMARK_ASSIGN_OR_RETURN(std::unique_ptr<KeyMaterial> public_key,
                            KeyMaterial::FromPublicPem(public_pem, info.algorithm));
  if (info.state != KeyState::kActive) return public_key;
  const std::string private_path = JoinPath(dir, PrivateKeyFileName(info.id));
  if (!FileExists(private_path)) return public_key;
  HALLMARK_ASSIGN_OR_RETURN(std::string private_pem, ReadFile(private_path));
  absl::StatusOr<std::unique_ptr<KeyMaterial>> private_key =
      KeyMaterial::FromPrivatePem(private_pem, info.algorithm);
  std::fill(private_pem.begin(), private_pem.end(), '\0');
  if (!private_key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", id, ": ", private_key.status().message()));
  }
  if ((*private_key)->SpkiDer() != public_key->SpkiDer()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", id, ": private key does not match ", PublicKeyFileName(info.id)));
  }
  return private_key;
}

// The signer of an ACTIVE key kept in a PKCS#11 token (its `<id>.key.pkcs11` names the token);
// null when the key has no private part here at all (a verify-only copy of the directory).
absl::StatusOr<std::unique_ptr<PublicKeySign>> LoadTokenSigner(const std::string& dir,
                                                               const KeyInfo& info,
                                                               const KeyMaterial& public_key) {
  const std::string path = JoinPath(dir, TokenKeyFileName(info.id));
  if (!FileExists(path)) return std::unique_ptr<PublicKeySign>();
  const std::string id = FormatKeyId(info.id);
  HALLMARK_ASSIGN_OR_RETURN(std::string uri, ReadFile(path, 4096));
  absl::StatusOr<std::shared_ptr<Pkcs11Token>> token =
      Pkcs11Token::Open(absl::StripAsciiWhitespace(uri));
  if (!token.ok()) {
    return absl::Status(token.status().code(),
                        absl::StrCat("key ", id, " (", TokenKeyFileName(info.id), "): ",
                                     token.status().message()));
  }
  HALLMARK_ASSIGN_OR_RETURN(std::string spki, (*token)->PublicKey(info.id, info.algorithm));
  if (spki != public_key.SpkiDer()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key ", id, ": the token's key does not match ", PublicKeyFileName(info.id)));
  }
  return (*token)->Signer(info.id, info.algorithm);
}

}  // namespace

KeyRing::KeyRing(std::vector<std::unique_ptr<Key>> keys) : keys_(std::move(keys)) {
  for (const auto& key : keys_) {
    if (key->signer != nullptr) active_ = key.get();
  }
}

absl::StatusOr<std::unique_ptr<KeyRing>> KeyRing::LoadDirectory(const std::string& dir,
                                                                bool require_signing_key) {
  HALLMARK_ASSIGN_OR_RETURN(std::string manifest,
                            ReadFile(JoinPath(dir, kManifestFileName)));
  HALLMARK_ASSIGN_OR_RETURN(std::vector<KeyInfo> infos, ParseKeyManifest(manifest));
  std::vector<std::pair<KeyInfo, std::unique_ptr<KeyMaterial>>> keys;
  std::unique_ptr<PublicKeySign> token_signer;
  for (const KeyInfo& info : infos) {
    HALLMARK_ASSIGN_OR_RETURN(std::unique_ptr<KeyMaterial> material, LoadKeyFiles(dir, info));
    if (info.state == KeyState::kActive && !material->has_private_key()) {
      HALLMARK_ASSIGN_OR_RETURN(token_signer, LoadTokenSigner(dir, info, *material));
    }
    keys.emplace_back(info, std::move(material));
  }
  HALLMARK_ASSIGN_OR_RETURN(std::unique_ptr<KeyRing> ring,
                            New(std::move(keys), std::move(token_signer)));
  if (require_signing_key && ring->active() == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "keys directory ", dir, " has no ACTIVE key with its private key; run "
        "`hallmarkctl keys generate --keys_dir ", dir, "`"));
  }
  return ring;
}

absl::StatusOr<std::unique_ptr<KeyRing>> KeyRing::New(
    std::vector<std::pair<KeyInfo, std::unique_ptr<KeyMaterial>>> keys,
    std::unique_ptr<PublicKeySign> token_signer) {
  std::vector<KeyInfo> infos;
  for (const auto& [info, material] : keys) infos.push_back(info);
  HALLMARK_RETURN_IF_ERROR(ValidateKeySet(infos));
  std::vector<std::unique_ptr<Key>> ring;
  for (auto& [info, material] : keys) {
    if (material == nullptr || material->algorithm() != info.algorithm) {
      return absl::InvalidArgumentError(
          absl::StrCat("key ", FormatKeyId(info.id), ": material does not match its algorithm"));
    }
    auto key = std::make_unique<Key>();
    key->info = info;
    HALLMARK_ASSIGN_OR_RETURN(key->verifier, material->NewVerifier());
    if (info.state == KeyState::kActive && material->has_private_key()) {
      HALLMARK_ASSIGN_OR_RETURN(key->signer, material->NewSigner());
    } else if (info.state == KeyState::kActive) {
      key->signer = std::move(token_signer);  // null: a verify-only ring
    }
    key->material = std::move(material);
    ring.push_back(std::move(key));
  }
  return std::unique_ptr<KeyRing>(new KeyRing(std::move(ring)));
}

const KeyRing::Key* KeyRing::Find(KeyId id) const {
  for (const auto& key : keys_) {
    if (key->info.id == id) return key.get();
  }
  return nullptr;
}

}  // namespace hallmark::crypto
