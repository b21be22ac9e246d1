// File: client/hallmark_client.h
//
// hallmark::Client: a small typed client for the Hallmark API. It connects with TLS (a CA
// bundle, optionally a client certificate for mutual TLS) or in plaintext to loopback/unix
// sockets, attaches the bearer token, gives every call a deadline, and retries UNAVAILABLE with
// exponential backoff and jitter where a retry is safe: issuance and import (their request_id
// makes them idempotent), verification, stolen checks, reports (re-reporting is idempotent),
// case and key reads, lifecycle and links calls. ClearStolen is not retried (a second attempt would
// answer CONFLICT for what the first cleared). Errors come back as absl::Status with the
// server's code and message.
// Thread-safe: share one Client.
//
// Example:
//   absl::StatusOr<hallmark::ClientOptions> options = hallmark::ResolveClientOptions({});
//   auto client = hallmark::Client::Connect(*options);
//   hallmark::v1::VerifyRequest request;
//   request.set_code(scanned);
//   absl::StatusOr<hallmark::v1::VerifyResponse> answer = (*client)->Verify(request);
#ifndef HALLMARK_CLIENT_HALLMARK_CLIENT_H_
#define HALLMARK_CLIENT_HALLMARK_CLIENT_H_

#include <functional>
#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "client/client_options.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/keys.grpc.pb.h"
#include "hallmark/v1/lifecycle.grpc.pb.h"
#include "hallmark/v1/links.grpc.pb.h"
#include "hallmark/v1/stolen_registry.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"

namespace hallmark {

class Client {
 public:
  // FAILED_PRECONDITION for plaintext to a non-loopback address without options.insecure;
  // INVALID_ARGUMENT for unreadable certificate files.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  absl::StatusOr<v1::IssueSerialsResponse> IssueSerials(const v1::IssueSerialsRequest& r);
  // Delivers the request's units to `sink` in order, each exactly once, skipping the first
  // `skip` (already consumed by an earlier, interrupted run). A broken stream is resumed
  // transparently by repeating the request. A non-OK status from `sink` stops the stream.
  absl::Status StreamIssueSerials(const v1::IssueSerialsRequest& r, uint64_t skip,
                                  const std::function<absl::Status(const v1::IssuedUnit&)>& sink);
  absl::StatusOr<v1::ImportSerialsResponse> ImportSerials(const v1::ImportSerialsRequest& r);

  absl::StatusOr<v1::VerifyResponse> Verify(const v1::VerifyRequest& r);
  absl::StatusOr<v1::VerifyBatchResponse> VerifyBatch(const v1::VerifyBatchRequest& r);

  absl::StatusOr<v1::ReportStolenResponse> ReportStolen(const v1::ReportStolenRequest& r);
  absl::StatusOr<v1::ClearStolenResponse> ClearStolen(const v1::ClearStolenRequest& r);
  absl::StatusOr<v1::CheckStolenResponse> CheckStolen(const v1::CheckStolenRequest& r);
  absl::StatusOr<v1::StolenCase> GetCase(const v1::GetCaseRequest& r);

  absl::StatusOr<v1::ListPublicKeysResponse> ListPublicKeys();
  absl::StatusOr<v1::SignedTrustList> GetTrustList();

  // Lifecycle: RecordEvent and Recall are retried (their request_id makes a retry return the
  // first answer); SetWarrantyTerms sets a value, so repeating it is harmless.
  absl::StatusOr<v1::UnitRecord> RecordEvent(const v1::RecordEventRequest& r);
  absl::StatusOr<v1::UnitHistory> GetHistory(const v1::GetHistoryRequest& r);
  absl::StatusOr<v1::RecallResponse> Recall(const v1::RecallRequest& r);
  absl::StatusOr<v1::CorrectLotDatesResponse> CorrectLotDates(
      const v1::CorrectLotDatesRequest& r);
  absl::StatusOr<v1::Warranty> GetWarranty(const v1::GetWarrantyRequest& r);
  absl::StatusOr<v1::WarrantyTerms> SetWarrantyTerms(const v1::SetWarrantyTermsRequest& r);
  absl::StatusOr<v1::VerifyRegistrationResponse> VerifyRegistration(
      const v1::VerifyRegistrationRequest& r);

  // Links: setting replaces the entry and deleting twice is harmless, so all are retried.
  absl::StatusOr<v1::LinkEntry> SetLinks(const v1::SetLinksRequest& r);
  absl::StatusOr<v1::ListLinksResponse> ListLinks(const v1::ListLinksRequest& r);
  absl::StatusOr<v1::DeleteLinksResponse> DeleteLinks(const v1::DeleteLinksRequest& r);

  const ClientOptions& options() const { return options_; }

 private:
  Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel);
  std::unique_ptr<grpc::ClientContext> NewContext() const;
  absl::Duration Backoff(int attempt) const;
  // Runs `call(context)` up to max_attempts times while it fails with UNAVAILABLE (once when
  // not `idempotent`).
  absl::Status Run(bool idempotent,
                   const std::function<grpc::Status(grpc::ClientContext*)>& call) const;

  const ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Issuance::Stub> issuance_;
  std::unique_ptr<v1::Verification::Stub> verification_;
  std::unique_ptr<v1::StolenRegistry::Stub> stolen_;
  std::unique_ptr<v1::Keys::Stub> keys_;
  std::unique_ptr<v1::Lifecycle::Stub> lifecycle_;
  std::unique_ptr<v1::Links::Stub> links_;
};

// grpc::Status as absl::Status (same code numbers).
absl::Status FromGrpc(const grpc::Status& s);

}  // namespace hallmark

#endif  // HALLMARK_CLIENT_HALLMARK_CLIENT_H_
