// File: admin/principals_file.h
//
// The principals file (protobuf text format, proto/hallmark/admin/principals.proto): who may
// call hallmark-server. This small library is the format both sides share: the server loads
// it (server/auth/principals.h builds its lookup tables on top), `hallmarkctl principals`
// writes it, and both validate it with the same rules, so the CLI never writes a file the
// server would refuse. No gRPC, no Redis.
//
// Bearer tokens are never stored: the file holds their SHA-256.
#ifndef HALLMARK_ADMIN_PRINCIPALS_FILE_H_
#define HALLMARK_ADMIN_PRINCIPALS_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hallmark/admin/principals.pb.h"

namespace hallmark::principals {

// Lowercase hex SHA-256 of a bearer token: what the principals file stores.
std::string TokenHash(absl::string_view token);
// A new bearer token: "hm_" + 43 base64url characters (256 bits from the CSPRNG).
absl::StatusOr<std::string> NewToken();

// "issuer", "retailer", "verifier", "law_enforcement".
absl::string_view RoleName(admin::Role role);
absl::StatusOr<admin::Role> ParseRole(absl::string_view name);

// Unique non-empty names, a role, a token hash (64 hex digits, unique) and/or a unique
// client_cert_uri, digit-only prefixes (issuers need at least one), sane rate limits;
// INVALID_ARGUMENT naming the principal and the rule otherwise.
absl::Status Validate(const admin::Principals& principals);

// The file's text, parsed (not validated). `path` names it in errors.
absl::StatusOr<admin::Principals> Parse(absl::string_view text, absl::string_view path);
// `principals` validated and written atomically, mode 0600, with a header comment.
absl::Status WriteFile(const std::string& path, const admin::Principals& principals);

}  // namespace hallmark::principals

#endif  // HALLMARK_ADMIN_PRINCIPALS_FILE_H_
