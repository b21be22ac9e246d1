// File: server/issuance/issue_plan.h
//
// Turns an issuance or import request into a plan: every field validated at the edge (the
// error names the field and the rule; nothing is written for a bad request), the GTIN
// normalised, and the registry BatchSpec that identifies the request for idempotency.
//
// Example:
//   absl::StatusOr<IssuePlan> plan = PlanIssue(request, principal, kMaxUnaryCount, now, "7e57");
#ifndef HALLMARK_SERVER_ISSUANCE_ISSUE_PLAN_H_
#define HALLMARK_SERVER_ISSUANCE_ISSUE_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/serial.h"
#include "hallmark/v1/issuance.pb.h"
#include "server/auth/principals.h"
#include "server/registry/registry.h"

namespace hallmark::issuance {

inline constexpr uint32_t kMaxUnaryCount = 10'000;
inline constexpr uint32_t kMaxStreamCount = 10'000'000;
inline constexpr size_t kMaxImportSerials = 10'000;

struct IssuePlan {
  registry::BatchSpec spec;
  crypto::SerialFormat format = crypto::SerialFormat::kRandom;
};

absl::StatusOr<IssuePlan> PlanIssue(const v1::IssueSerialsRequest& request,
                                    const auth::Principal& issuer, uint32_t max_count,
                                    absl::Time now, absl::string_view key_id);

struct ImportPlan {
  registry::BatchSpec spec;
  std::vector<size_t> candidates;          // indices of valid, first-seen serials
  std::vector<v1::RejectedSerial> invalid;  // rejected before touching the registry, by index
  std::vector<size_t> invalid_index;
};

absl::StatusOr<ImportPlan> PlanImport(const v1::ImportSerialsRequest& request,
                                      const auth::Principal& issuer, absl::Time now,
                                      absl::string_view key_id);

// What an import's fingerprint is taken over: an unambiguous encoding of its GTIN, lot, SKU,
// supplier and serials (a request_id reused with other serials is ALREADY_EXISTS).
std::string ImportFingerprintInput(const registry::BatchSpec& spec,
                                   const v1::ImportSerialsRequest& request);

// ALREADY_EXISTS naming the first parameter in which `stored` (the request as first seen)
// differs from `requested`, or OK when they describe the same request.
absl::Status CompareWithStored(const registry::BatchSpec& requested,
                               const registry::BatchSpec& stored);

// "RANDOM", "SEQUENTIAL", ... as stored in the registry.
absl::string_view FormatName(crypto::SerialFormat format);
absl::StatusOr<crypto::SerialFormat> ParseFormatName(absl::string_view name);

}  // namespace hallmark::issuance

#endif  // HALLMARK_SERVER_ISSUANCE_ISSUE_PLAN_H_
