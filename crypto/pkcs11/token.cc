#include "crypto/pkcs11/token.h"

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/files.h"
#include "crypto/internal/per_thread.h"
#include "crypto/jwk.h"
#include "crypto/subtle/ecdsa_p256.h"
#include "crypto/prf.h"

namespace hallmark::crypto {

struct Pkcs11Token::Module {
  CK_FUNCTION_LIST* f = nullptr;
  std::string path;
  absl::Mutex mu;  // the login session is used by one caller at a time
  ~Module() {
    if (f != nullptr) {
      p11_kit_module_finalize(f);
      p11_kit_module_release(f);
    }
  }
};

namespace {

using Module = Pkcs11Token::Module;

struct UriFree {
  void operator()(P11KitUri* u) const { p11_kit_uri_free(u); }
};

// What a failed call means to the caller: the token is gone or busy (retry later), or a bug.
absl::Status Failed(const char* call, CK_RV rv) {
  const std::string what = absl::StrCat("pkcs11: ", call, " failed (CKR 0x", absl::Hex(rv), ")");
  switch (rv) {
    case CKR_DEVICE_REMOVED:
    case CKR_DEVICE_ERROR:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_USER_NOT_LOGGED_IN:
    case CKR_DEVICE_MEMORY:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
    case CKR_OBJECT_HANDLE_INVALID:  // the key is gone from the token
    case CKR_KEY_HANDLE_INVALID:
      return absl::UnavailableError(what);
    default:
      return absl::InternalError(what);
  }
}

std::string IdBytes(KeyId id) {
  return std::string{static_cast<char>(id >> 8), static_cast<char>(id & 0xff)};
}

// The PIN: the pin-source file's first line, else $HALLMARK_PKCS11_PIN.
absl::StatusOr<std::string> Pin(const P11KitUri* uri) {
  const char* source = p11_kit_uri_get_pin_source(uri);
  if (source != nullptr && *source != '\0') {
    absl::string_view path = source;
    absl::ConsumePrefix(&path, "file:");
    absl::StatusOr<std::string> text = ReadFile(std::string(path), 4096);
    if (!text.ok()) return text.status();
    std::string pin(text->substr(0, text->find('\n')));
    std::fill(text->begin(), text->end(), '\0');
    return pin;
  }
  const char* env = std::getenv("HALLMARK_PKCS11_PIN");
  if (env != nullptr && *env != '\0') return std::string(env);
  return absl::InvalidArgumentError(
      "pkcs11: no PIN (give the URI a pin-source=file:... or set HALLMARK_PKCS11_PIN)");
}

absl::StatusOr<CK_OBJECT_HANDLE> FindObject(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE s,
                                            CK_OBJECT_CLASS cls, KeyId id) {
  std::string id_bytes = IdBytes(id);
  CK_ATTRIBUTE query[] = {{CKA_CLASS, &cls, sizeof(cls)},
                          {CKA_ID, id_bytes.data(), id_bytes.size()}};
  CK_RV rv = f->C_FindObjectsInit(s, query, 2);
  if (rv != CKR_OK) return Failed("C_FindObjectsInit", rv);
  CK_OBJECT_HANDLE handle = 0;
  CK_ULONG found = 0;
  rv = f->C_FindObjects(s, &handle, 1, &found);
  f->C_FindObjectsFinal(s);
  if (rv != CKR_OK) return Failed("C_FindObjects", rv);
  if (found == 0) {
    return absl::NotFoundError(absl::StrCat("pkcs11: the token has no ",
                                            cls == CKO_PRIVATE_KEY ? "private" : "public",
                                            " key with id ", FormatKeyId(id)));
  }
  return handle;
}

class Pkcs11Sign final : public PublicKeySign {
 public:
  // `token` stays open for as long as the signer: its session keeps the token logged in.
  Pkcs11Sign(std::shared_ptr<const void> token, std::shared_ptr<Module> module, CK_SLOT_ID slot,
             CK_OBJECT_HANDLE key, Algorithm algorithm)
      : token_(std::move(token)), module_(std::move(module)), slot_(slot), key_(key),
        algorithm_(algorithm) {}

  absl::StatusOr<std::string> Sign(absl::string_view data) const override {
    Session* s = sessions_.Get([this]() -> std::unique_ptr<Session> {
      CK_SESSION_HANDLE h = 0;
      if (module_->f->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &h) != CKR_OK) {
        return nullptr;
      }
      return std::make_unique<Session>(module_, h);
    });
    if (s == nullptr) return absl::UnavailableError("pkcs11: cannot open a session");
    const bool ed = algorithm_ == Algorithm::kEd25519;
    // ECDSA signs the SHA-256 digest; PureEdDSA the message itself.
    std::string input = ed ? std::string(data) : Sha256(data);
    CK_MECHANISM mechanism{ed ? CKM_EDDSA : CKM_ECDSA, nullptr, 0};
    CK_RV rv = module_->f->C_SignInit(s->handle, &mechanism, key_);
    if (rv != CKR_OK) return Failed("C_SignInit", rv);
    unsigned char sig[64];
    CK_ULONG len = sizeof(sig);
    rv = module_->f->C_Sign(s->handle, reinterpret_cast<CK_BYTE_PTR>(input.data()), input.size(),
                            sig, &len);
    if (rv != CKR_OK) return Failed("C_Sign", rv);
    if (len != sizeof(sig)) {
      return absl::InternalError("pkcs11: the token's signature is not 64 bytes");
    }
    if (!ed) {
      if (absl::Status low = subtle::MakeLowS(sig); !low.ok()) return low;
    }
    return std::string(reinterpret_cast<char*>(sig), sizeof(sig));
  }

 private:
  struct Session {
    Session(std::shared_ptr<Module> m, CK_SESSION_HANDLE h) : module(std::move(m)), handle(h) {}
    ~Session() { module->f->C_CloseSession(handle); }
    std::shared_ptr<Module> module;  // a session may close after its signer is gone
    CK_SESSION_HANDLE handle;
  };
  const std::shared_ptr<const void> token_;
  const std::shared_ptr<Module> module_;
  const CK_SLOT_ID slot_;
  const CK_OBJECT_HANDLE key_;
  const Algorithm algorithm_;
  const internal::PerThread<Session> sessions_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<Pkcs11Token>> Pkcs11Token::Open(absl::string_view uri_text) {
  std::unique_ptr<P11KitUri, UriFree> uri(p11_kit_uri_new());
  const int parsed = p11_kit_uri_parse(std::string(uri_text).c_str(), P11_KIT_URI_FOR_ANY,
                                       uri.get());
  if (parsed != P11_KIT_URI_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("pkcs11 URI: ", p11_kit_uri_message(parsed)));
  }
  const char* path = p11_kit_uri_get_module_path(uri.get());
  if (path == nullptr || *path == '\0') {
    return absl::InvalidArgumentError("pkcs11 URI: needs module-path=/path/to/module.so");
  }
  absl::StatusOr<std::string> pin = Pin(uri.get());
  if (!pin.ok()) return pin.status();
  std::shared_ptr<Pkcs11Token> token(new Pkcs11Token());
  token->module_ = std::make_shared<Module>();
  token->module_->path = path;
  token->module_->f = p11_kit_module_load(path, 0);
  if (token->module_->f == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("pkcs11: cannot load module ", path, ": ", p11_kit_message()));
  }
  CK_FUNCTION_LIST* f = token->module_->f;
  if (CK_RV rv = p11_kit_module_initialize(f); rv != CKR_OK) {
    p11_kit_module_release(f);
    token->module_->f = nullptr;
    return absl::FailedPreconditionError(
        absl::StrCat("pkcs11: module ", path, " does not initialise (CKR 0x", absl::Hex(rv), ")"));
  }
  CK_ULONG n = 0;
  if (CK_RV rv = f->C_GetSlotList(CK_TRUE, nullptr, &n); rv != CKR_OK) {
    return Failed("C_GetSlotList", rv);
  }
  std::vector<CK_SLOT_ID> slots(n);
  if (CK_RV rv = f->C_GetSlotList(CK_TRUE, slots.data(), &n); rv != CKR_OK) {
    return Failed("C_GetSlotList", rv);
  }
  bool found = false;
  for (CK_ULONG i = 0; i < n && !found; ++i) {
    CK_TOKEN_INFO info;
    if (f->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
        p11_kit_uri_match_token_info(uri.get(), &info) == 1) {
      token->slot_ = slots[i];
      found = true;
    }
  }
  if (!found) return absl::NotFoundError("pkcs11: no token matches the URI");
  CK_SESSION_HANDLE session = 0;
  if (CK_RV rv = f->C_OpenSession(token->slot_, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr,
                                  nullptr, &session);
      rv != CKR_OK) {
    return Failed("C_OpenSession", rv);
  }
  token->login_session_ = session;
  CK_RV rv = f->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(pin->data()),
                        pin->size());
  std::fill(pin->begin(), pin->end(), '\0');
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_LOCKED) {
    return absl::PermissionDeniedError("pkcs11: the token refused the PIN");
  }
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return Failed("C_Login", rv);
  return token;
}

Pkcs11Token::~Pkcs11Token() {
  if (module_ != nullptr && module_->f != nullptr && login_session_ != 0) {
    module_->f->C_CloseSession(login_session_);
  }
}

absl::StatusOr<std::string> Pkcs11Token::Generate(Algorithm algorithm, KeyId id,
                                                  absl::string_view label) {
  absl::Status made = MakeKeyPair(algorithm, id, label);
  if (!made.ok()) return made;
  return PublicKey(id, algorithm);
}

absl::Status Pkcs11Token::MakeKeyPair(Algorithm algorithm, KeyId id, absl::string_view label) {
  CK_FUNCTION_LIST* f = module_->f;
  absl::MutexLock lock(&module_->mu);
  if (FindObject(f, login_session_, CKO_PRIVATE_KEY, id).ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat("pkcs11: the token already has a key with id ", FormatKeyId(id)));
  }
  const bool ed = algorithm == Algorithm::kEd25519;
  // DER of the curve's OID: 1.2.840.10045.3.1.7 (prime256v1) or 1.3.101.112 (Ed25519).
  CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  CK_BYTE ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
  std::string id_bytes = IdBytes(id);
  std::string name(label);
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &yes, sizeof(yes)},
                        {CKA_VERIFY, &yes, sizeof(yes)},
                        {CKA_EC_PARAMS, ed ? ed25519 : p256, ed ? sizeof(ed25519) : sizeof(p256)},
                        {CKA_ID, id_bytes.data(), id_bytes.size()},
                        {CKA_LABEL, name.data(), name.size()}};
  CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &yes, sizeof(yes)},
                         {CKA_PRIVATE, &yes, sizeof(yes)},
                         {CKA_SENSITIVE, &yes, sizeof(yes)},
                         {CKA_EXTRACTABLE, &no, sizeof(no)},
                         {CKA_SIGN, &yes, sizeof(yes)},
                         {CKA_ID, id_bytes.data(), id_bytes.size()},
                         {CKA_LABEL, name.data(), name.size()}};
  CK_MECHANISM mechanism{ed ? CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE pub_handle = 0, priv_handle = 0;
  const CK_RV rv = f->C_GenerateKeyPair(login_session_, &mechanism, pub, 5, priv, 7,
                                        &pub_handle, &priv_handle);
  if (rv == CKR_MECHANISM_INVALID || rv == CKR_CURVE_NOT_SUPPORTED ||
      rv == CKR_DOMAIN_PARAMS_INVALID) {
    return absl::UnimplementedError(absl::StrCat("pkcs11: this token cannot make ",
                                                 AlgorithmName(algorithm), " keys"));
  }
  if (rv != CKR_OK) return Failed("C_GenerateKeyPair", rv);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Pkcs11Token::PublicKey(KeyId id, Algorithm algorithm) {
  CK_FUNCTION_LIST* f = module_->f;
  absl::MutexLock lock(&module_->mu);
  absl::StatusOr<CK_OBJECT_HANDLE> handle = FindObject(f, login_session_, CKO_PUBLIC_KEY, id);
  if (!handle.ok()) return handle.status();
  CK_ATTRIBUTE point{CKA_EC_POINT, nullptr, 0};
  if (CK_RV rv = f->C_GetAttributeValue(login_session_, *handle, &point, 1); rv != CKR_OK) {
    return Failed("C_GetAttributeValue", rv);
  }
  std::string value(point.ulValueLen, '\0');
  point.pValue = value.data();
  if (CK_RV rv = f->C_GetAttributeValue(login_session_, *handle, &point, 1); rv != CKR_OK) {
    return Failed("C_GetAttributeValue", rv);
  }
  // CKA_EC_POINT is a DER OCTET STRING around the point (some tokens omit it): for P-256 the
  // 65-byte uncompressed point, for Ed25519 the 32-byte public key.
  const size_t want = algorithm == Algorithm::kEd25519 ? 32 : 65;
  if (value.size() == want + 2 && value[0] == 0x04 && static_cast<size_t>(value[1]) == want) {
    value = value.substr(2);
  }
  absl::StatusOr<std::string> spki = SpkiFromRawPublicKey(algorithm, value);
  if (!spki.ok()) {
    return absl::InternalError(absl::StrCat("pkcs11: the token's public key: ",
                                            spki.status().message()));
  }
  return spki;
}

absl::StatusOr<std::unique_ptr<PublicKeySign>> Pkcs11Token::Signer(KeyId id,
                                                                   Algorithm algorithm) {
  absl::MutexLock lock(&module_->mu);
  absl::StatusOr<CK_OBJECT_HANDLE> key =
      FindObject(module_->f, login_session_, CKO_PRIVATE_KEY, id);
  if (!key.ok()) return key.status();
  return std::unique_ptr<PublicKeySign>(
      new Pkcs11Sign(shared_from_this(), module_, slot_, *key, algorithm));
}

}  // namespace hallmark::crypto
