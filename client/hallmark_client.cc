#include "client/hallmark_client.h"

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace hallmark {
namespace {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const ClientOptions& o) {
  if (o.ca_file.empty() && o.cert_file.empty()) {
    if (!o.insecure && !IsLoopbackAddress(o.address)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing plaintext to ", o.address,
          ": give a CA (--ca / HALLMARK_CA) for TLS, or --insecure for a test setup"));
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  if (!o.ca_file.empty()) {
    HALLMARK_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(o.ca_file));
  }
  if (!o.cert_file.empty()) {
    HALLMARK_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadFile(o.cert_file));
    HALLMARK_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadFile(o.key_file));
  }
  return grpc::SslCredentials(ssl);
}

template <typename Resp, typename Call>
absl::StatusOr<Resp> Unary(const std::function<absl::Status(
                               const std::function<grpc::Status(grpc::ClientContext*)>&)>& run,
                           Call call) {
  Resp resp;
  absl::Status s = run([&](grpc::ClientContext* ctx) {
    resp.Clear();
    return call(ctx, &resp);
  });
  if (!s.ok()) return s;
  return resp;
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  HALLMARK_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> creds, Credentials(options));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  return std::unique_ptr<Client>(
      new Client(options, grpc::CreateCustomChannel(options.address, creds, args)));
}

Client::Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)), channel_(std::move(channel)),
      issuance_(v1::Issuance::NewStub(channel_)),
      verification_(v1::Verification::NewStub(channel_)),
      stolen_(v1::StolenRegistry::NewStub(channel_)), keys_(v1::Keys::NewStub(channel_)),
      lifecycle_(v1::Lifecycle::NewStub(channel_)),
      links_(v1::Links::NewStub(channel_)) {}

std::unique_ptr<grpc::ClientContext> Client::NewContext() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!options_.token.empty()) ctx->AddMetadata("authorization", "Bearer " + options_.token);
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  return ctx;
}

absl::Duration Client::Backoff(int attempt) const {
  // Full jitter: uniform in [0, min(max, initial * 2^attempt)].
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const absl::Duration cap =
      std::min(options_.max_backoff, options_.initial_backoff * (1 << std::min(attempt, 20)));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  return cap * unit(rng);
}

absl::Status Client::Run(bool idempotent,
                         const std::function<grpc::Status(grpc::ClientContext*)>& call) const {
  const int attempts = idempotent ? std::max(1, options_.max_attempts) : 1;
  grpc::Status s;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) absl::SleepFor(Backoff(attempt));
    std::unique_ptr<grpc::ClientContext> ctx = NewContext();
    s = call(ctx.get());
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE) break;
  }
  return FromGrpc(s);
}

#define HALLMARK_UNARY(Resp, Stub, Method, idempotent, request)                          \
  Unary<Resp>([this](const auto& call) { return Run(idempotent, call); },               \
              [&](grpc::ClientContext* ctx, Resp* resp) {                               \
                return Stub->Method(ctx, request, resp);                                \
              })

absl::StatusOr<v1::IssueSerialsResponse> Client::IssueSerials(const v1::IssueSerialsRequest& r) {
  return HALLMARK_UNARY(v1::IssueSerialsResponse, issuance_, IssueSerials, true, r);
}

absl::StatusOr<v1::ImportSerialsResponse> Client::ImportSerials(
    const v1::ImportSerialsRequest& r) {
  return HALLMARK_UNARY(v1::ImportSerialsResponse, issuance_, ImportSerials, true, r);
}

absl::StatusOr<v1::VerifyResponse> Client::Verify(const v1::VerifyRequest& r) {
  return HALLMARK_UNARY(v1::VerifyResponse, verification_, Verify, true, r);
}

absl::StatusOr<v1::VerifyBatchResponse> Client::VerifyBatch(const v1::VerifyBatchRequest& r) {
  return HALLMARK_UNARY(v1::VerifyBatchResponse, verification_, VerifyBatch, true, r);
}

absl::StatusOr<v1::ReportStolenResponse> Client::ReportStolen(const v1::ReportStolenRequest& r) {
  return HALLMARK_UNARY(v1::ReportStolenResponse, stolen_, ReportStolen, true, r);
}

absl::StatusOr<v1::ClearStolenResponse> Client::ClearStolen(const v1::ClearStolenRequest& r) {
  return HALLMARK_UNARY(v1::ClearStolenResponse, stolen_, ClearStolen, false, r);
}

absl::StatusOr<v1::CheckStolenResponse> Client::CheckStolen(const v1::CheckStolenRequest& r) {
  return HALLMARK_UNARY(v1::CheckStolenResponse, stolen_, CheckStolen, true, r);
}

absl::StatusOr<v1::StolenCase> Client::GetCase(const v1::GetCaseRequest& r) {
  return HALLMARK_UNARY(v1::StolenCase, stolen_, GetCase, true, r);
}

absl::StatusOr<v1::ListPublicKeysResponse> Client::ListPublicKeys() {
  const v1::ListPublicKeysRequest r;
  return HALLMARK_UNARY(v1::ListPublicKeysResponse, keys_, ListPublicKeys, true, r);
}

absl::StatusOr<v1::SignedTrustList> Client::GetTrustList() {
  const v1::GetTrustListRequest r;
  return HALLMARK_UNARY(v1::SignedTrustList, keys_, GetTrustList, true, r);
}

absl::StatusOr<v1::UnitRecord> Client::RecordEvent(const v1::RecordEventRequest& r) {
  return HALLMARK_UNARY(v1::UnitRecord, lifecycle_, RecordEvent, true, r);
}

absl::StatusOr<v1::UnitHistory> Client::GetHistory(const v1::GetHistoryRequest& r) {
  return HALLMARK_UNARY(v1::UnitHistory, lifecycle_, GetHistory, true, r);
}

absl::StatusOr<v1::RecallResponse> Client::Recall(const v1::RecallRequest& r) {
  return HALLMARK_UNARY(v1::RecallResponse, lifecycle_, Recall, true, r);
}

absl::StatusOr<v1::CorrectLotDatesResponse> Client::CorrectLotDates(
    const v1::CorrectLotDatesRequest& r) {
  return HALLMARK_UNARY(v1::CorrectLotDatesResponse, lifecycle_, CorrectLotDates, true, r);
}

absl::StatusOr<v1::Warranty> Client::GetWarranty(const v1::GetWarrantyRequest& r) {
  return HALLMARK_UNARY(v1::Warranty, lifecycle_, GetWarranty, true, r);
}

absl::StatusOr<v1::WarrantyTerms> Client::SetWarrantyTerms(const v1::SetWarrantyTermsRequest& r) {
  return HALLMARK_UNARY(v1::WarrantyTerms, lifecycle_, SetWarrantyTerms, true, r);
}

absl::StatusOr<v1::VerifyRegistrationResponse> Client::VerifyRegistration(
    const v1::VerifyRegistrationRequest& r) {
  return HALLMARK_UNARY(v1::VerifyRegistrationResponse, lifecycle_, VerifyRegistration, true, r);
}

absl::StatusOr<v1::LinkEntry> Client::SetLinks(const v1::SetLinksRequest& r) {
  return HALLMARK_UNARY(v1::LinkEntry, links_, SetLinks, true, r);
}

absl::StatusOr<v1::ListLinksResponse> Client::ListLinks(const v1::ListLinksRequest& r) {
  return HALLMARK_UNARY(v1::ListLinksResponse, links_, ListLinks, true, r);
}

absl::StatusOr<v1::DeleteLinksResponse> Client::DeleteLinks(const v1::DeleteLinksRequest& r) {
  return HALLMARK_UNARY(v1::DeleteLinksResponse, links_, DeleteLinks, true, r);
}

#undef HALLMARK_UNARY

absl::Status Client::StreamIssueSerials(
    const v1::IssueSerialsRequest& r, uint64_t skip,
    const std::function<absl::Status(const v1::IssuedUnit&)>& sink) {
  // Each attempt repeats the request: the server returns the batch from its first unit, so
  // the units before `delivered` are skipped and every unit reaches `sink` exactly once.
  uint64_t delivered = skip;
  grpc::Status status;
  for (int attempt = 0; attempt < std::max(1, options_.max_attempts); ++attempt) {
    if (attempt > 0) absl::SleepFor(Backoff(attempt));
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!options_.token.empty()) ctx->AddMetadata("authorization", "Bearer " + options_.token);
    auto reader = issuance_->StreamIssueSerials(ctx.get(), r);
    v1::IssuedUnit unit;
    uint64_t seen = 0;
    const uint64_t before = delivered;
    while (reader->Read(&unit)) {
      if (seen++ < delivered) continue;
      absl::Status s = sink(unit);
      if (!s.ok()) {
        ctx->TryCancel();
        reader->Finish();
        return s;
      }
      ++delivered;
    }
    status = reader->Finish();
    if (status.ok() || status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    if (delivered > before) attempt = 0;  // progress was made: keep resuming
  }
  return FromGrpc(status);
}

}  // namespace hallmark
