#include "crypto/trust_list.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/files.h"
#include "common/json.h"
#include "crypto/jwk.h"
#include "crypto/prf.h"

namespace hallmark::crypto {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr absl::string_view kType = "hallmark-trust-list";

absl::string_view JwsAlg(Algorithm a) { return a == Algorithm::kEd25519 ? "EdDSA" : "ES256"; }

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("trust list: ", why));
}

// base64url without padding, and only its one canonical form.
bool Unbase64(absl::string_view text, std::string* out) {
  return absl::WebSafeBase64Unescape(text, out) && absl::WebSafeBase64Escape(*out) == text;
}

absl::StatusOr<Struct> ParseJson(absl::string_view json, absl::string_view what) {
  Struct s;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &s).ok()) {
    return Malformed(absl::StrCat(what, " is not a JSON object"));
  }
  return s;
}

const Value* Field(const Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

std::string Text(const Struct& s, const std::string& name) {
  const Value* v = Field(s, name);
  return v != nullptr && v->has_string_value() ? v->string_value() : "";
}

// A non-negative integer member (JSON numbers are doubles: exact up to 2^53).
absl::StatusOr<int64_t> Integer(const Struct& s, const std::string& name) {
  const Value* v = Field(s, name);
  if (v == nullptr || v->kind_case() != Value::kNumberValue || v->number_value() < 0 ||
      v->number_value() > 9007199254740992.0 ||
      std::floor(v->number_value()) != v->number_value()) {
    return Malformed(absl::StrCat("\"", name, "\" must be a non-negative integer"));
  }
  return static_cast<int64_t>(v->number_value());
}

absl::StatusOr<TrustListKey> ParseKey(const Struct& k) {
  TrustListKey key;
  absl::StatusOr<KeyId> id = ParseKeyId(Text(k, "kid"));
  if (!id.ok()) return Malformed("a key's \"kid\" is not 4 hex digits");
  key.id = *id;
  const std::string alg = Text(k, "alg");
  if (alg != "ES256" && alg != "EdDSA") return Malformed("a key's \"alg\" is not ES256 or EdDSA");
  key.algorithm = alg == "EdDSA" ? Algorithm::kEd25519 : Algorithm::kEs256;
  absl::StatusOr<std::string> spki = FromPublicJwk(
      key.algorithm, {Text(k, "kty"), Text(k, "crv"), Text(k, "x"), Text(k, "y")});
  if (!spki.ok()) return Malformed(spki.status().message());
  key.spki_der = *std::move(spki);
  const std::string state = Text(k, "hallmark_state");
  if (state == "ACTIVE") {
    key.state = KeyState::kActive;
  } else if (state == "RETIRED") {
    key.state = KeyState::kRetired;
  } else if (state == "REVOKED") {
    key.state = KeyState::kRevoked;
  } else {
    return Malformed("a key's \"hallmark_state\" is not ACTIVE, RETIRED or REVOKED");
  }
  absl::StatusOr<int64_t> created = Integer(k, "hallmark_created");
  if (!created.ok()) return created.status();
  key.created_at = absl::FromUnixSeconds(*created);
  if (key.state == KeyState::kRevoked) {
    absl::StatusOr<int64_t> revoked = Integer(k, "hallmark_revoked");
    if (!revoked.ok()) return revoked.status();
    key.revoked_at = absl::FromUnixSeconds(*revoked);
  }
  return key;
}

struct Parts {
  std::string header_b64, payload_b64;
  std::string header, payload, signature;
};

absl::StatusOr<Parts> Split(absl::string_view jws) {
  std::vector<absl::string_view> p = absl::StrSplit(jws, '.');
  if (p.size() != 3) return Malformed("not a compact JWS (three base64url parts)");
  Parts parts;
  parts.header_b64 = std::string(p[0]);
  parts.payload_b64 = std::string(p[1]);
  if (!Unbase64(p[0], &parts.header) || !Unbase64(p[1], &parts.payload) ||
      !Unbase64(p[2], &parts.signature)) {
    return Malformed("a part is not canonical unpadded base64url");
  }
  return parts;
}

absl::StatusOr<TrustList> ParseParts(const Parts& parts) {
  absl::StatusOr<Struct> header = ParseJson(parts.header, "the header");
  if (!header.ok()) return header.status();
  if (Text(*header, "typ") != kType) return Malformed("the header's typ is not hallmark-trust-list");
  absl::StatusOr<KeyId> root = ParseKeyId(Text(*header, "kid"));
  if (!root.ok()) return Malformed("the header's kid is not 4 hex digits");
  absl::StatusOr<Struct> payload = ParseJson(parts.payload, "the payload");
  if (!payload.ok()) return payload.status();
  TrustList list;
  list.root_id = *root;
  absl::StatusOr<int64_t> seq = Integer(*payload, "seq");
  absl::StatusOr<int64_t> iat = Integer(*payload, "iat");
  absl::StatusOr<int64_t> exp = Integer(*payload, "exp");
  for (const auto* s : {&seq, &iat, &exp}) {
    if (!s->ok()) return s->status();
  }
  list.sequence = static_cast<uint64_t>(*seq);
  list.issued_at = absl::FromUnixSeconds(*iat);
  list.expires_at = absl::FromUnixSeconds(*exp);
  const Value* keys = Field(*payload, "keys");
  if (keys == nullptr || !keys->has_list_value()) return Malformed("\"keys\" is not an array");
  for (const Value& k : keys->list_value().values()) {
    if (!k.has_struct_value()) return Malformed("a key is not an object");
    absl::StatusOr<TrustListKey> key = ParseKey(k.struct_value());
    if (!key.ok()) return key.status();
    list.keys.push_back(*std::move(key));
  }
  return list;
}

}  // namespace

std::vector<TrustListKey> TrustListKeys(const KeyRing& ring) {
  std::vector<TrustListKey> out;
  for (const auto& key : ring.keys()) {
    TrustListKey k;
    k.id = key->info.id;
    k.algorithm = key->info.algorithm;
    k.spki_der = key->material->SpkiDer();
    k.state = key->info.state;
    k.created_at = key->info.created_at;
    k.revoked_at = key->info.revoked_at;
    out.push_back(std::move(k));
  }
  return out;
}

absl::StatusOr<std::string> TrustListPayload(const TrustList& list) {
  std::string keys;
  for (const TrustListKey& k : list.keys) {
    absl::StatusOr<PublicJwk> jwk = ToPublicJwk(k.algorithm, k.spki_der);
    if (!jwk.ok()) return jwk.status();
    JsonObject o;
    o.Add("kty", jwk->kty).Add("crv", jwk->crv).Add("x", jwk->x);
    if (!jwk->y.empty()) o.Add("y", jwk->y);
    o.Add("kid", FormatKeyId(k.id))
        .Add("alg", JwsAlg(k.algorithm))
        .Add("use", "sig")
        .Add("hallmark_state", KeyStateName(k.state))
        .Add("hallmark_created", absl::ToUnixSeconds(k.created_at));
    if (k.state == KeyState::kRevoked) o.Add("hallmark_revoked", absl::ToUnixSeconds(k.revoked_at));
    absl::StrAppend(&keys, keys.empty() ? "" : ",", o.Build());
  }
  JsonObject doc;
  doc.Add("seq", list.sequence)
      .Add("iat", absl::ToUnixSeconds(list.issued_at))
      .Add("exp", absl::ToUnixSeconds(list.expires_at))
      .Raw("keys", absl::StrCat("[", keys, "]"));
  return doc.Build();
}

absl::StatusOr<std::string> SignTrustList(const TrustList& list, const PublicKeySign& root,
                                          Algorithm root_algorithm, KeyId root_id) {
  if (list.expires_at <= list.issued_at) {
    return absl::InvalidArgumentError("trust list: it must expire after it is issued");
  }
  absl::StatusOr<std::string> payload = TrustListPayload(list);
  if (!payload.ok()) return payload.status();
  JsonObject header;
  header.Add("alg", JwsAlg(root_algorithm)).Add("kid", FormatKeyId(root_id)).Add("typ", kType);
  const std::string input = absl::StrCat(absl::WebSafeBase64Escape(header.Build()), ".",
                                         absl::WebSafeBase64Escape(*payload));
  absl::StatusOr<std::string> signature = root.Sign(input);
  if (!signature.ok()) return signature.status();
  return absl::StrCat(input, ".", absl::WebSafeBase64Escape(*signature));
}

absl::StatusOr<TrustList> ParseTrustList(absl::string_view jws) {
  absl::StatusOr<Parts> parts = Split(jws);
  if (!parts.ok()) return parts.status();
  return ParseParts(*parts);
}

absl::StatusOr<TrustList> VerifyTrustList(absl::string_view jws, const PublicKeyVerify& root,
                                          Algorithm root_algorithm, absl::Time now,
                                          const AcceptedTrustList& accepted) {
  absl::StatusOr<Parts> parts = Split(jws);
  if (!parts.ok()) return parts.status();
  // The signature first: nothing of an unsigned document is believed, not even its header.
  absl::StatusOr<Struct> header = ParseJson(parts->header, "the header");
  if (!header.ok()) return header.status();
  if (Text(*header, "alg") != JwsAlg(root_algorithm)) {
    return Malformed(absl::StrCat("the header's alg is not ", JwsAlg(root_algorithm)));
  }
  const std::string input = absl::StrCat(parts->header_b64, ".", parts->payload_b64);
  if (root.Verify(parts->signature, input) != SignatureCheck::kValid) {
    return Malformed("the signature does not verify with the root key");
  }
  absl::StatusOr<TrustList> list = ParseParts(*parts);
  if (!list.ok()) return list.status();
  if (now >= list->expires_at) {
    return absl::FailedPreconditionError(absl::StrCat(
        "trust list: expired at ", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", list->expires_at,
                                                   absl::UTCTimeZone())));
  }
  if (list->sequence < accepted.sequence) {
    return absl::FailedPreconditionError(
        absl::StrCat("trust list: sequence ", list->sequence, " is older than ",
                     accepted.sequence, ", already accepted (a rollback is refused)"));
  }
  if (list->sequence == accepted.sequence && TrustListDigest(jws) != accepted.digest) {
    return absl::FailedPreconditionError(absl::StrCat(
        "trust list: another list with the accepted sequence ", accepted.sequence,
        " (a rollback is refused; a new list needs a higher sequence)"));
  }
  return list;
}

absl::StatusOr<std::unique_ptr<KeyMaterial>> RootKeyFromPem(absl::string_view pem,
                                                            bool private_pem) {
  for (Algorithm a : {Algorithm::kEs256, Algorithm::kEd25519}) {
    absl::StatusOr<std::unique_ptr<KeyMaterial>> key =
        private_pem ? KeyMaterial::FromPrivatePem(pem, a) : KeyMaterial::FromPublicPem(pem, a);
    if (key.ok()) return key;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "trust list root: not an ES256 or Ed25519 ", private_pem ? "private" : "public",
      " key PEM"));
}

std::string TrustListDigest(absl::string_view jws) {
  return absl::BytesToHexString(Sha256(jws));
}

KeyId RootKeyIdOf(const KeyMaterial& root) {
  const std::string digest = Sha256(root.SpkiDer());
  return static_cast<KeyId>((static_cast<uint8_t>(digest[0]) << 8) | static_cast<uint8_t>(digest[1]));
}

absl::StatusOr<SignedTrustList> LoadTrustList(const std::string& list_path,
                                              const std::string& root_path, absl::Time now,
                                              const AcceptedTrustList& accepted) {
  absl::StatusOr<std::string> jws = ReadFile(list_path, 1 << 20);
  if (!jws.ok()) return jws.status();
  absl::StatusOr<std::string> pem = ReadFile(root_path, 64 << 10);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<std::unique_ptr<KeyMaterial>> root = RootKeyFromPem(*pem, false);
  if (!root.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(root_path, ": ", root.status().message()));
  }
  absl::StatusOr<std::unique_ptr<PublicKeyVerify>> verifier = (*root)->NewVerifier();
  if (!verifier.ok()) return verifier.status();
  const std::string text(absl::StripAsciiWhitespace(*jws));
  absl::StatusOr<TrustList> list =
      VerifyTrustList(text, **verifier, (*root)->algorithm(), now, accepted);
  if (!list.ok()) {
    return absl::Status(list.status().code(),
                        absl::StrCat(list_path, ": ", list.status().message()));
  }
  return SignedTrustList{text, *std::move(list)};
}

std::vector<std::string> TrustListDrift(const TrustList& list, const KeyRing& ring) {
  std::vector<std::string> drift;
  for (const auto& key : ring.keys()) {
    const std::string id = FormatKeyId(key->info.id);
    auto listed = std::find_if(list.keys.begin(), list.keys.end(),
                               [&](const TrustListKey& k) { return k.id == key->info.id; });
    if (listed == list.keys.end()) {
      drift.push_back(absl::StrCat("key ", id, " is not in the trust list"));
    } else if (listed->state != key->info.state) {
      drift.push_back(absl::StrCat("key ", id, " is ", KeyStateName(key->info.state),
                                   " but the trust list says ", KeyStateName(listed->state)));
    } else if (listed->spki_der != key->material->SpkiDer()) {
      drift.push_back(absl::StrCat("key ", id, " differs from the trust list's key ", id));
    }
  }
  return drift;
}

}  // namespace hallmark::crypto
