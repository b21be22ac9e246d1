#include "server/web/documents.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "crypto/jwk.h"
#include "crypto/digsig.h"
#include "crypto/key_manifest.h"

namespace hallmark::web {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;  // lowerCamelCase, as the gRPC JSON mapping
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

void Set(Struct* s, const std::string& key, const std::string& value) {
  (*s->mutable_fields())[key].set_string_value(value);
}

// One link target object: {"href": ..., "title": ..., "type": ...}.
Value Target(const std::string& href, const std::string& title, const std::string& type = "") {
  Value v;
  Struct* s = v.mutable_struct_value();
  Set(s, "href", href);
  if (!title.empty()) Set(s, "title", title);
  if (!type.empty()) Set(s, "type", type);
  return v;
}

}  // namespace

std::string VerdictJson(const v1::VerifyResponse& response) { return ToJson(response); }

absl::StatusOr<std::string> Jwks(const crypto::KeyRing& ring) {
  Struct set;
  ListValue* keys = (*set.mutable_fields())["keys"].mutable_list_value();
  for (const auto& key : ring.keys()) {
    absl::StatusOr<crypto::PublicJwk> jwk =
        crypto::ToPublicJwk(key->info.algorithm, key->material->SpkiDer());
    if (!jwk.ok()) return jwk.status();
    Struct* k = keys->add_values()->mutable_struct_value();
    Set(k, "kty", jwk->kty);
    Set(k, "crv", jwk->crv);
    Set(k, "x", jwk->x);
    if (!jwk->y.empty()) Set(k, "y", jwk->y);
    Set(k, "kid", crypto::FormatKeyId(key->info.id));
    Set(k, "alg", key->info.algorithm == crypto::Algorithm::kEd25519 ? "EdDSA" : "ES256");
    Set(k, "use", "sig");
    Set(k, "hallmark_state", std::string(crypto::KeyStateName(key->info.state)));
  }
  return ToJson(set);
}

std::string Linkset(absl::string_view base, absl::string_view path, absl::string_view query,
                    const std::vector<v1::Link>& brand) {
  const std::string anchor = absl::StrCat(base, path);
  const std::string page = query.empty() ? anchor : absl::StrCat(anchor, "?", query);
  Struct doc;
  Struct* context = (*doc.mutable_fields())["linkset"].mutable_list_value()
                        ->add_values()->mutable_struct_value();
  Set(context, "anchor", anchor);
  auto add = [&](absl::string_view gs1_type, Value target) {
    const std::string rel = absl::StrCat("https://gs1.org/voc/", gs1_type);
    *(*context->mutable_fields())[rel].mutable_list_value()->add_values() = std::move(target);
  };
  add("verificationService", Target(page, "Is this unit genuine? (Hallmark)", "text/html"));
  add("recallStatus", Target(page, "Recall status (Hallmark)", "text/html"));
  add("certificationInfo", Target(absl::StrCat(base, "/.well-known/jwks.json"),
                                  "The brand's code-signing keys (JWKS)",
                                  "application/jwk-set+json"));
  for (const v1::Link& l : brand) {
    absl::string_view type = l.link_type();
    if (!absl::ConsumePrefix(&type, "gs1:")) continue;
    Value target = Target(l.href(), l.title(), l.media_type());
    if (!l.language().empty()) {
      (*target.mutable_struct_value()->mutable_fields())["hreflang"]
          .mutable_list_value()->add_values()->set_string_value(l.language());
    }
    add(type, std::move(target));
  }
  return ToJson(doc);
}

std::string LinksetHeader(absl::string_view base, absl::string_view path) {
  // The request path as received: anything that could end the <URI> or the header is
  // percent-encoded, so a client cannot add link-values of its own.
  std::string target;
  for (unsigned char c : path) {
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      absl::StrAppend(&target, "%", absl::Hex(c, absl::kZeroPad2));
    } else {
      target += static_cast<char>(c);
    }
  }
  return absl::StrCat("<", base, target,
                      "?linkType=linkset>; rel=\"linkset\"; type=\"application/linkset+json\"");
}

std::string ResolverDescription(absl::string_view base) {
  Struct doc;
  Set(&doc, "name", "Hallmark verification resolver");
  Set(&doc, "resolverRoot", std::string(base));
  (*doc.mutable_fields())["supportedPrimaryKeys"].mutable_list_value()->add_values()
      ->set_string_value("01");
  // Hallmark's own link types; a brand's links may use any GS1 link type.
  for (const char* type : {"gs1:verificationService", "gs1:recallStatus", "gs1:certificationInfo"}) {
    (*doc.mutable_fields())["supportedLinkType"].mutable_list_value()->add_values()
        ->set_string_value(type);
  }
  (*doc.mutable_fields())["linkTypeDefaultCanBeLinkset"].set_bool_value(true);
  return ToJson(doc);
}

}  // namespace hallmark::web
