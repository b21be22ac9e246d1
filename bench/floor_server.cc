// The floor for P1 and P2: a bare gRPC server whose Verify is only the unavoidable part of a
// unique scan — parse the code, check its signature with the same key ring and crypto code the
// real server uses — and answers AUTHENTIC or COUNTERFEIT. No Redis, no auth, no rate limits,
// no logs, no metrics. bench/run.sh points hallmark-bench's verify-unique and health workloads
// at it in the same run as the real server, so RESULTS.md shows how much of the gap to the
// targets is gRPC itself on this machine and how much is Hallmark. --mode picks the gRPC
// server API (callback, the one hallmark-server uses and the cheapest here; sync; async with
// one completion queue per thread) to compare them.
//
// Not a product binary: it serves whoever connects, over an insecure port or unix socket.
#include <pthread.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "crypto/code_signing.h"
#include "crypto/key_ring.h"
#include "gs1/unit_code.h"
#include "hallmark/v1/verification.grpc.pb.h"

ABSL_FLAG(std::string, listen, "unix:/tmp/hallmark-floor.sock", "gRPC listen address");
ABSL_FLAG(std::string, keys_dir, "", "keys directory of the server that issued the codes");
ABSL_FLAG(std::string, mode, "callback", "callback | sync | async (gRPC server API)");
ABSL_FLAG(int, threads, 2, "async mode: completion queues, one thread each");

namespace hallmark {
namespace {

void Check(const crypto::KeyRing& ring, const v1::VerifyRequest& request,
           v1::VerifyResponse* response) {
  absl::StatusOr<gs1::UnitCode> code = gs1::ParseScannedCode(request.code());
  const bool genuine = code.ok() && crypto::VerifyUnitCode(ring, *code).ok();
  response->set_verdict(genuine ? v1::VERDICT_AUTHENTIC : v1::VERDICT_COUNTERFEIT);
  if (code.ok()) {
    response->mutable_unit()->set_gtin(code->gtin);
    response->mutable_unit()->set_serial(code->serial);
  }
}

class CallbackVerification final : public v1::Verification::CallbackService {
 public:
  explicit CallbackVerification(const crypto::KeyRing* ring) : ring_(ring) {}
  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const v1::VerifyRequest* request,
                                   v1::VerifyResponse* response) override {
    Check(*ring_, *request, response);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const crypto::KeyRing* ring_;
};

class SyncVerification final : public v1::Verification::Service {
 public:
  explicit SyncVerification(const crypto::KeyRing* ring) : ring_(ring) {}
  grpc::Status Verify(grpc::ServerContext*, const v1::VerifyRequest* request,
                      v1::VerifyResponse* response) override {
    Check(*ring_, *request, response);
    return grpc::Status::OK;
  }

 private:
  const crypto::KeyRing* ring_;
};

// The classic async server: one completion queue per thread, each thread serving the calls
// of its queue from start to finish.
class AsyncCall {
 public:
  AsyncCall(v1::Verification::AsyncService* service, grpc::ServerCompletionQueue* cq,
            const crypto::KeyRing* ring)
      : service_(service), cq_(cq), ring_(ring), responder_(&ctx_) {
    service_->RequestVerify(&ctx_, &request_, &responder_, cq_, cq_, this);
  }
  void Proceed(bool ok) {
    if (finished_ || !ok) {
      delete this;
      return;
    }
    new AsyncCall(service_, cq_, ring_);
    Check(*ring_, request_, &response_);
    finished_ = true;
    responder_.Finish(response_, grpc::Status::OK, this);
  }

 private:
  v1::Verification::AsyncService* service_;
  grpc::ServerCompletionQueue* cq_;
  const crypto::KeyRing* ring_;
  grpc::ServerContext ctx_;
  v1::VerifyRequest request_;
  v1::VerifyResponse response_;
  grpc::ServerAsyncResponseWriter<v1::VerifyResponse> responder_;
  bool finished_ = false;
};

int Run() {
  // Block SIGTERM/SIGINT before gRPC starts its threads, then wait for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  absl::StatusOr<std::unique_ptr<crypto::KeyRing>> ring =
      crypto::KeyRing::LoadDirectory(absl::GetFlag(FLAGS_keys_dir), /*require_signing_key=*/false);
  if (!ring.ok()) {
    std::cerr << "floor_server: " << ring.status() << "\n";
    return 1;
  }
  const std::string mode = absl::GetFlag(FLAGS_mode);
  CallbackVerification callback_service(ring->get());
  SyncVerification sync_service(ring->get());
  v1::Verification::AsyncService async_service;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials());
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs;
  if (mode == "sync") {
    builder.RegisterService(&sync_service);
  } else if (mode == "async") {
    builder.RegisterService(&async_service);
    for (int i = 0; i < absl::GetFlag(FLAGS_threads); ++i) cqs.push_back(builder.AddCompletionQueue());
  } else {
    builder.RegisterService(&callback_service);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    std::cerr << "floor_server: cannot listen on " << absl::GetFlag(FLAGS_listen) << "\n";
    return 1;
  }
  std::vector<std::thread> threads;
  for (auto& cq : cqs) {
    threads.emplace_back([&async_service, cq = cq.get(), r = ring->get()] {
      for (int i = 0; i < 64; ++i) new AsyncCall(&async_service, cq, r);
      void* tag;
      bool ok;
      while (cq->Next(&tag, &ok)) static_cast<AsyncCall*>(tag)->Proceed(ok);
    });
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  server->Shutdown();
  for (auto& cq : cqs) cq->Shutdown();
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace
}  // namespace hallmark

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return hallmark::Run();
}
