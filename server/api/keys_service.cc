#include "server/api/keys_service.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"

namespace hallmark::api {
namespace {

v1::KeyState ToProto(crypto::KeyState s) {
  switch (s) {
    case crypto::KeyState::kActive: return v1::KEY_STATE_ACTIVE;
    case crypto::KeyState::kRetired: return v1::KEY_STATE_RETIRED;
    case crypto::KeyState::kRevoked: return v1::KEY_STATE_REVOKED;
  }
  return v1::KEY_STATE_UNSPECIFIED;
}

}  // namespace

v1::ListPublicKeysResponse TrustList(const crypto::KeyRing& ring) {
  using google::protobuf::util::TimeUtil;
  v1::ListPublicKeysResponse out;
  for (const auto& key : ring.keys()) {
    v1::PublicKey* k = out.add_keys();
    k->set_key_id(crypto::FormatKeyId(key->info.id));
    k->set_algorithm(std::string(crypto::AlgorithmName(key->info.algorithm)));
    k->set_spki_der(key->material->SpkiDer());
    k->set_pem(key->material->PublicPem());
    k->set_state(ToProto(key->info.state));
    *k->mutable_created_at() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(key->info.created_at));
    if (key->info.state == crypto::KeyState::kRevoked) {
      *k->mutable_revoked_at() =
          TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(key->info.revoked_at));
    }
  }
  return out;
}

grpc::ServerUnaryReactor* KeysService::ListPublicKeys(grpc::CallbackServerContext* context,
                                                      const v1::ListPublicKeysRequest* request,
                                                      v1::ListPublicKeysResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<Call> call = guard_->Admit(context, "Keys.ListPublicKeys", *request);
  if (call->admitted()) {
    *response = TrustList(*keys_->Get());
    call->Note("keys", absl::StrCat(response->keys_size()));
  }
  reactor->Finish(call->Finish(call->admission()));
  return reactor;
}

grpc::ServerUnaryReactor* KeysService::GetTrustList(grpc::CallbackServerContext* context,
                                                    const v1::GetTrustListRequest* request,
                                                    v1::SignedTrustList* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<Call> call = guard_->Admit(context, "Keys.GetTrustList", *request);
  absl::Status status = call->admission();
  if (call->admitted()) {
    std::shared_ptr<const crypto::SignedTrustList> list =
        trust_list_ != nullptr ? trust_list_->Get() : nullptr;
    if (list == nullptr) {
      status = absl::NotFoundError("this server has no signed trust list (--trust_list)");
    } else {
      response->set_jws(list->jws);
      response->set_sequence(list->list.sequence);
      *response->mutable_expires_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
          absl::ToUnixSeconds(list->list.expires_at));
      call->Note("sequence", absl::StrCat(list->list.sequence));
    }
  }
  reactor->Finish(call->Finish(status));
  return reactor;
}

}  // namespace hallmark::api
