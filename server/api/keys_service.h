// File: server/api/keys_service.h
//
// The hallmark.v1.Keys gRPC service: the public keys and their states for offline
// verification, and the signed trust list (--trust_list). Public (no token needed), yet admitted like every RPC: rate-limited
// (per principal with a token, per peer address without), logged and counted.
#ifndef HALLMARK_SERVER_API_KEYS_SERVICE_H_
#define HALLMARK_SERVER_API_KEYS_SERVICE_H_

#include "crypto/key_ring.h"
#include "crypto/trust_list.h"
#include "hallmark/v1/keys.grpc.pb.h"
#include "server/api/call_guard.h"
#include "server/common/snapshot.h"

namespace hallmark::api {

// The trust list of `ring`, as the API returns it.
v1::ListPublicKeysResponse TrustList(const crypto::KeyRing& ring);

class KeysService final : public v1::Keys::CallbackService {
 public:
  // `trust_list` holds null while the server has no signed trust list.
  KeysService(const CallGuard* guard, const Snapshot<crypto::KeyRing>* keys,
              const Snapshot<crypto::SignedTrustList>* trust_list)
      : guard_(guard), keys_(keys), trust_list_(trust_list) {}

  grpc::ServerUnaryReactor* ListPublicKeys(grpc::CallbackServerContext* context,
                                           const v1::ListPublicKeysRequest* request,
                                           v1::ListPublicKeysResponse* response) override;
  grpc::ServerUnaryReactor* GetTrustList(grpc::CallbackServerContext* context,
                                         const v1::GetTrustListRequest* request,
                                         v1::SignedTrustList* response) override;

 private:
  const CallGuard* const guard_;
  const Snapshot<crypto::KeyRing>* const keys_;
  const Snapshot<crypto::SignedTrustList>* const trust_list_;
};

}  // namespace hallmark::api

#endif  // HALLMARK_SERVER_API_KEYS_SERVICE_H_
