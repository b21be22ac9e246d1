#include "server/api/access_table.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"

namespace hallmark::api {
namespace {

constexpr auth::Role kIssuer = admin::ROLE_ISSUER;
constexpr auth::Role kRetailer = admin::ROLE_RETAILER;
constexpr auth::Role kVerifier = admin::ROLE_VERIFIER;
constexpr auth::Role kPolice = admin::ROLE_LAW_ENFORCEMENT;
constexpr size_t kBulk = std::numeric_limits<size_t>::max();

MethodAccess Row(absl::string_view name, std::vector<auth::Role> roles, size_t max_bytes = 16 << 10) {
  MethodAccess a;
  a.name = std::string(name);
  a.full_name = absl::StrCat("/hallmark.v1.", absl::StrReplaceAll(name, {{".", "/"}}));
  a.roles = std::move(roles);
  a.max_request_bytes = max_bytes;
  return a;
}

MethodAccess Public(absl::string_view name) {
  MethodAccess a = Row(name, {});
  a.is_public = true;
  return a;
}

std::vector<MethodAccess> MakeTable() {
  const std::vector<auth::Role> any = {kIssuer, kRetailer, kVerifier, kPolice};
  return {
      Row("Issuance.IssueSerials", {kIssuer}),
      Row("Issuance.StreamIssueSerials", {kIssuer}),
      Row("Issuance.ImportSerials", {kIssuer}, kBulk),
      Public("Keys.ListPublicKeys"),
      Public("Keys.GetTrustList"),
      Row("Verification.Verify", any),
      Row("Verification.VerifyBatch", any, kBulk),
      Row("StolenRegistry.ReportStolen", {kPolice, kIssuer}, kBulk),
      Row("StolenRegistry.ClearStolen", {kPolice, kIssuer}, kBulk),
      Row("StolenRegistry.CheckStolen", {kPolice, kIssuer, kRetailer}, kBulk),
      Row("StolenRegistry.GetCase", {kPolice}),
      Row("Lifecycle.RecordEvent", {kIssuer, kRetailer}),
      Row("Lifecycle.GetHistory", {kIssuer, kPolice}),
      Row("Lifecycle.Recall", {kIssuer}, kBulk),
      Row("Lifecycle.CorrectLotDates", {kIssuer}, kBulk),
      Row("Lifecycle.GetWarranty", any),
      Row("Lifecycle.SetWarrantyTerms", {kIssuer}),
      Row("Lifecycle.VerifyRegistration", {kIssuer}),
      Row("Links.SetLinks", {kIssuer}, 64 << 10),
      Row("Links.ListLinks", {kIssuer}),
      Row("Links.DeleteLinks", {kIssuer}),
  };
}

}  // namespace

const std::vector<MethodAccess>& AccessTable() {
  static const auto* table = new std::vector<MethodAccess>(MakeTable());
  return *table;
}

const MethodAccess* FindMethodAccess(absl::string_view method) {
  for (const MethodAccess& a : AccessTable()) {
    if (a.full_name == method || a.name == method) return &a;
  }
  return nullptr;
}

absl::Status CheckServiceHasAccessRows(absl::string_view service) {
  const google::protobuf::ServiceDescriptor* s =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(service));
  if (s == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("access table: no service ", service));
  }
  for (int i = 0; i < s->method_count(); ++i) {
    const std::string full = absl::StrCat("/", s->full_name(), "/", s->method(i)->name());
    if (FindMethodAccess(full) == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "access table: ", full, " has no row (server/api/access_table.cc): refusing to serve "
          "a method nobody decided who may call"));
    }
  }
  return absl::OkStatus();
}

}  // namespace hallmark::api
