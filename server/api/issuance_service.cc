#include "server/api/issuance_service.h"

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/api/grpc_status.h"
#include "server/issuance/issue_stream.h"

namespace hallmark::api {
namespace {

using issuance::IssueStream;


// A stream's view of admission while it runs: its caller must stay enabled (a principal
// disabled by a reload stops at the next chunk), and each chunk is paid from its units budget.
class AdmittedStream final : public issuance::StreamPolicy {
 public:
  AdmittedStream(const CallGuard* guard, const auth::Principal& caller)
      : guard_(guard), name_(caller.name()), role_(caller.role()) {}

  absl::Status StillAllowed(absl::string_view gtin14) override {
    std::shared_ptr<const auth::PrincipalStore> store = guard_->principals()->Get();
    const auth::Principal* p = store->FindByName(name_);
    if (p == nullptr || p->disabled() || p->role() != role_) {
      return absl::PermissionDeniedError(absl::StrCat(
          "principal ", name_, " was disabled or changed during the stream; it may not issue"));
    }
    return auth::CheckGtinAccess(*p, gtin14);  // its prefixes may have changed too
  }

  absl::Duration Charge(uint64_t units) override {
    std::shared_ptr<const auth::PrincipalStore> store = guard_->principals()->Get();
    const auth::Principal* p = store->FindByName(name_);
    if (p == nullptr) return absl::ZeroDuration();  // StillAllowed ends the stream
    return guard_->limiter()->Take(
        {{IssueBudgetKey(*p), store->IssueRateFor(*p), static_cast<double>(units), p->name()}},
        absl::Now());
  }

 private:
  const CallGuard* const guard_;
  const std::string name_;
  const auth::Role role_;
};

// Writes a stream's units as they become available, one outstanding write at a time (gRPC
// flow control pushes back on the producer through IssueStream's bounded look-ahead).
class StreamIssueReactor final : public grpc::ServerWriteReactor<v1::IssuedUnit> {
 public:
  explicit StreamIssueReactor(std::shared_ptr<Call> call) : call_(std::move(call)) {}

  // `place`: the issuer's stream place, held until the reactor is done.
  void Begin(issuance::IssuanceEngine* engine, const CallGuard* guard,
             const auth::Principal& issuer, const v1::IssueSerialsRequest& request,
             absl::Time deadline, std::shared_ptr<void> place) {
    place_ = std::move(place);
    std::shared_ptr<IssueStream> stream =
        engine->Stream(issuer, request, deadline, std::make_shared<AdmittedStream>(guard, issuer),
                       [this] { TryWrite(); });
    {
      absl::MutexLock lock(&mu_);
      stream_ = std::move(stream);
    }
    TryWrite();
  }

  void FinishNow(const absl::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      finished_ = true;
    }
    Finish(call_->Finish(status));
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) cancelled_ = true;  // the client is gone
    }
    TryWrite();
  }

  void OnCancel() override {
    std::shared_ptr<IssueStream> stream;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      stream = stream_;
    }
    if (stream != nullptr) stream->Cancel();
    TryWrite();  // finishes now, or when the write in flight completes
  }

  void OnDone() override {
    std::shared_ptr<IssueStream> stream;
    {
      absl::MutexLock lock(&mu_);
      stream = stream_;
    }
    if (stream != nullptr) stream->Cancel();  // detaches TryWrite before we go away
    delete this;
  }

 private:
  // Starts the next write, or Finish, unless a write is in flight. Every path that can end
  // the call comes through here, so Finish happens exactly once.
  void TryWrite() {
    absl::Status end;
    IssueStream::Next next;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      if (cancelled_) {
        next = IssueStream::Next::kEnd;
        end = absl::CancelledError("cancelled");
      } else {
        if (stream_ == nullptr) return;
        next = stream_->Pop(&unit_, &end);
        if (next == IssueStream::Next::kWait) return;
      }
      if (next == IssueStream::Next::kUnit) {
        writing_ = true;
      } else {
        finished_ = true;
      }
    }
    if (next == IssueStream::Next::kUnit) {
      StartWrite(&unit_);
      return;
    }
    std::shared_ptr<IssueStream> stream;
    {
      absl::MutexLock lock(&mu_);
      stream = stream_;
    }
    const uint64_t units = stream != nullptr ? stream->popped() : 0;
    call_->Note("units", absl::StrCat(units));
    if (call_->metrics() != nullptr) call_->metrics()->UnitsIssued(units);
    Finish(call_->Finish(end));
  }

  const std::shared_ptr<Call> call_;
  absl::Mutex mu_;
  std::shared_ptr<IssueStream> stream_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  v1::IssuedUnit unit_;
  std::shared_ptr<void> place_;
};

// The units a successful call handed out: on its log line and in hallmark_units_issued_total.
void NoteUnits(Call& call, size_t n) {
  call.Note("units", absl::StrCat(n));
  if (call.metrics() != nullptr) call.metrics()->UnitsIssued(n);
}

}  // namespace

grpc::ServerUnaryReactor* IssuanceService::IssueSerials(grpc::CallbackServerContext* context,
                                                        const v1::IssueSerialsRequest* request,
                                                        v1::IssueSerialsResponse* response) {
  return RunUnary(
      *guard_, context, *request, "Issuance.IssueSerials",
      Cost::Units(request->count(), issuance::kMaxUnaryCount,
                  absl::StrCat("count: must be 1..", issuance::kMaxUnaryCount, ", got ",
                               request->count())),
      max_call_,
      [&](const auth::Principal& p, absl::Time deadline, auto done) {
        engine_->Issue(p, *request, deadline, response, std::move(done));
      },
      [response](Call& call) { NoteUnits(call, response->units_size()); });
}

grpc::ServerWriteReactor<v1::IssuedUnit>* IssuanceService::StreamIssueSerials(
    grpc::CallbackServerContext* context, const v1::IssueSerialsRequest* request) {
  std::shared_ptr<Call> call = guard_->Admit(context, "Issuance.StreamIssueSerials", *request);
  auto* reactor = new StreamIssueReactor(call);
  if (!call->admitted()) {
    reactor->FinishNow(call->admission());
    return reactor;
  }
  absl::StatusOr<std::shared_ptr<void>> place =
      streams_.Take(call->principal().name(),
                    guard_->principals()->Get()->MaxStreamsFor(call->principal()),
                    "streams (max_streams)");
  if (!place.ok()) {
    reactor->FinishNow(place.status());
    return reactor;
  }
  // A stream of millions of units outlives any unary cap: only the client's deadline applies;
  // each registry call still has its own.
  reactor->Begin(engine_, guard_, call->principal(), *request,
                 CallDeadline(context, absl::Hours(24)), *std::move(place));
  return reactor;
}

grpc::ServerUnaryReactor* IssuanceService::ImportSerials(grpc::CallbackServerContext* context,
                                                         const v1::ImportSerialsRequest* request,
                                                         v1::ImportSerialsResponse* response) {
  return RunUnary(
      *guard_, context, *request, "Issuance.ImportSerials",
      Cost::Units(request->serials_size(), issuance::kMaxImportSerials,
                  absl::StrCat("serials: must have 1..", issuance::kMaxImportSerials,
                               " entries, got ", request->serials_size())),
      max_call_,
      [&](const auth::Principal& p, absl::Time deadline, auto done) {
        engine_->Import(p, *request, deadline, response, std::move(done));
      },
      [response](Call& call) { NoteUnits(call, response->accepted_size()); });
}

}  // namespace hallmark::api
