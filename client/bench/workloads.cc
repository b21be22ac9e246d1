#include "client/bench/workloads.h"

#include <chrono>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/stolen_registry.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"

namespace hallmark::bench {
namespace {

using Done = std::function<void(const grpc::Status&)>;

// `stub->PrepareAsyncMethod(ctx, request, cq)`, as a callable that takes the stub.
#define HALLMARK_RPC(Method)                                              \
  [](auto* stub, auto* ctx, const auto& req, grpc::CompletionQueue* cq) { \
    return stub->PrepareAsync##Method(ctx, req, cq);                      \
  }

// One call's state: lives until its completion, which runs `done` on the queue's thread.
template <typename Req, typename Resp>
struct CallState final : Completion {
  grpc::ClientContext ctx;
  Req request;
  Resp response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> reader;
  std::function<void(const grpc::Status&)> done;

  void Done(bool ok) override {
    std::unique_ptr<CallState> owned(this);
    done(ok ? status : grpc::Status(grpc::StatusCode::INTERNAL, "completion queue: not ok"));
  }
};

template <typename Req, typename Resp>
std::unique_ptr<CallState<Req, Resp>> NewCall(const Target& t) {
  auto c = std::make_unique<CallState<Req, Resp>>();
  if (!t.token.empty()) c->ctx.AddMetadata("authorization", "Bearer " + t.token);
  c->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return c;
}

// Starts the call through `method(stub, ctx, request, cq)` on a stub of the sequence's
// channel, on the calling thread's completion queue; `done` runs on completion.
template <typename Stub, typename Req, typename Resp, typename Method>
void Invoke(const Target& t, int64_t seq, std::unique_ptr<CallState<Req, Resp>> call,
            Method method, Done done) {
  thread_local std::vector<std::unique_ptr<typename Stub::Stub>> stubs;  // per channel, per thread
  if (stubs.size() != t.channels.size()) {
    stubs.clear();
    for (const auto& ch : t.channels) stubs.push_back(Stub::NewStub(ch));
  }
  CallState<Req, Resp>* c = call.release();
  c->done = std::move(done);
  c->reader = method(stubs[static_cast<size_t>(seq) % stubs.size()].get(), &c->ctx, c->request,
                     t.queues->Pick(seq));
  c->reader->StartCall();
  c->reader->Finish(&c->response, &c->status, c);
}

}  // namespace

std::vector<std::shared_ptr<grpc::Channel>> OpenChannels(const std::string& address, int n) {
  std::vector<std::shared_ptr<grpc::Channel>> out;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("hallmark.bench.channel", i);  // distinct args: distinct connections
    args.SetMaxReceiveMessageSize(64 << 20);
    out.push_back(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  return out;
}

absl::StatusOr<std::vector<v1::IssuedUnit>> PrepareUnits(const Target& t, int64_t count,
                                                         const std::string& request_id) {
  auto stub = v1::Issuance::NewStub(t.channels[0]);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + t.token);
  v1::IssueSerialsRequest r;
  r.set_gtin(t.gtin);
  r.set_count(static_cast<uint32_t>(count));
  r.set_lot("BENCH");
  r.set_request_id(request_id);
  auto reader = stub->StreamIssueSerials(&ctx, r);
  std::vector<v1::IssuedUnit> units;
  units.reserve(static_cast<size_t>(count));
  v1::IssuedUnit u;
  while (reader->Read(&u)) units.push_back(u);
  grpc::Status s = reader->Finish();
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("preparing codes: ", s.error_message()));
  return units;
}

absl::StatusOr<std::vector<v1::IssuedUnit>> ReadUnitsCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::vector<v1::IssuedUnit> units;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || absl::StartsWith(line, "gtin,")) continue;
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() < 6) return absl::InvalidArgumentError(absl::StrCat(path, ": not a units CSV"));
    v1::IssuedUnit u;
    u.mutable_unit()->set_gtin(f[0]);
    u.mutable_unit()->set_serial(f[1]);
    u.set_lot(f[2]);
    u.set_digital_link(f[5]);
    units.push_back(std::move(u));
  }
  return units;
}

int ItemsPerCall(const std::string& name, const Target& t) {
  if (name == "verify-batch") return t.batch;
  if (name == "check-stolen" || name == "issue") return 1000;
  return 1;
}

StartCall MakeWorkload(const std::string& name, const Target& t) {
  if (name == "health") {
    return [&t](int64_t seq, Done done) {
      auto c = NewCall<grpc::health::v1::HealthCheckRequest, grpc::health::v1::HealthCheckResponse>(t);
      Invoke<grpc::health::v1::Health>(t, seq, std::move(c),
                                       HALLMARK_RPC(Check),
                                       std::move(done));
    };
  }
  if (name == "verify-unique" || name == "verify-repeat") {
    const bool repeat = name == "verify-repeat";
    return [&t, repeat](int64_t seq, Done done) {
      const size_t n = repeat ? std::min<size_t>(t.units.size(), t.repeat_set) : t.units.size();
      auto c = NewCall<v1::VerifyRequest, v1::VerifyResponse>(t);
      c->request.set_code(t.units[static_cast<size_t>(seq) % n].digital_link());
      Invoke<v1::Verification>(t, seq, std::move(c),
                               HALLMARK_RPC(Verify), std::move(done));
    };
  }
  if (name == "verify-batch") {
    return [&t](int64_t seq, Done done) {
      auto c = NewCall<v1::VerifyBatchRequest, v1::VerifyBatchResponse>(t);
      for (int i = 0; i < t.batch; ++i) {
        const size_t k = (static_cast<size_t>(seq) * t.batch + i) % t.units.size();
        c->request.add_requests()->set_code(t.units[k].digital_link());
      }
      Invoke<v1::Verification>(t, seq, std::move(c),
                               HALLMARK_RPC(VerifyBatch),
                               std::move(done));
    };
  }
  if (name == "check-stolen") {
    return [&t](int64_t seq, Done done) {
      auto c = NewCall<v1::CheckStolenRequest, v1::CheckStolenResponse>(t);
      for (int i = 0; i < 1000; ++i) {
        *c->request.add_units() = t.units[(static_cast<size_t>(seq) * 1000 + i) % t.units.size()].unit();
      }
      Invoke<v1::StolenRegistry>(t, seq, std::move(c),
                                 HALLMARK_RPC(CheckStolen),
                                 std::move(done));
    };
  }
  if (name == "report-stolen") {
    // One unit per call, each unit under its own case of 1,000 (a repeat is the same report:
    // idempotent, still a write): single-unit writes, as an agency's portal sends them.
    return [&t](int64_t seq, Done done) {
      const size_t k = static_cast<size_t>(seq) % t.units.size();
      auto c = NewCall<v1::ReportStolenRequest, v1::ReportStolenResponse>(t);
      c->request.set_case_id(absl::StrCat("BENCH-", k / 1000));
      c->request.set_agency("Bench Brand Protection");
      *c->request.add_units() = t.units[k].unit();
      Invoke<v1::StolenRegistry>(t, seq, std::move(c), HALLMARK_RPC(ReportStolen),
                                 std::move(done));
    };
  }
  if (name == "issue") {
    const std::string run = absl::StrCat(absl::ToUnixNanos(absl::Now()));
    return [&t, run](int64_t seq, Done done) {
      auto c = NewCall<v1::IssueSerialsRequest, v1::IssueSerialsResponse>(t);
      c->request.set_gtin(t.gtin);
      c->request.set_count(1000);
      c->request.set_request_id(absl::StrCat("bench-", run, "-", seq));
      Invoke<v1::Issuance>(t, seq, std::move(c), HALLMARK_RPC(IssueSerials),
                           std::move(done));
    };
  }
  return nullptr;
}

}  // namespace hallmark::bench
