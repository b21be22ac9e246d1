// File: server/auth/principals.h
//
// PrincipalStore: who may call the server, loaded from the principals file (protobuf text
// format, see proto/hallmark/admin/principals.proto). Bearer tokens are never stored: the file
// holds their SHA-256, and a presented token is hashed and looked up. Immutable after loading;
// thread-safe. Reloading means building a new store.
//
// Example:
//   auto store = PrincipalStore::LoadFile("/etc/hallmark/principals.textpb");
//   const Principal* who = (*store)->FindByToken(token);  // nullptr: unknown or disabled
#ifndef HALLMARK_SERVER_AUTH_PRINCIPALS_H_
#define HALLMARK_SERVER_AUTH_PRINCIPALS_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "admin/principals_file.h"
#include "hallmark/admin/principals.pb.h"

namespace hallmark::auth {

using Principal = admin::Principal;
using Role = admin::Role;

// The file format's helpers (admin/principals_file.h), under the names the server uses.
using principals::NewToken;
using principals::ParseRole;
using principals::RoleName;
using principals::TokenHash;

struct RateLimitSpec {
  double per_second = 0;
  double burst = 0;
};

class PrincipalStore {
 public:
  static absl::StatusOr<std::unique_ptr<PrincipalStore>> LoadFile(const std::string& path);
  // Validates as principals::Validate does (admin/principals_file.h).
  static absl::StatusOr<std::unique_ptr<PrincipalStore>> FromProto(admin::Principals principals);

  // nullptr when no enabled principal has this token.
  const Principal* FindByToken(absl::string_view token) const;
  const Principal* FindByName(absl::string_view name) const;
  // The enabled principal whose client_cert_uri is `uri`, or nullptr.
  const Principal* FindByCertUri(absl::string_view uri) const;
  // The principal's own rate_limit, else its role's from the file, else the built-in default.
  RateLimitSpec RateLimitFor(const Principal& principal) const;
  // Issuers: units issued or imported per second (Principal.issue_rate, else the default).
  RateLimitSpec IssueRateFor(const Principal& principal) const;
  // Issuers: concurrent StreamIssueSerials calls (Principal.max_streams, else the default).
  uint32_t MaxStreamsFor(const Principal& principal) const;
  size_t size() const { return principals_.principal_size(); }

 private:
  explicit PrincipalStore(admin::Principals principals);
  const admin::Principals principals_;
  absl::flat_hash_map<std::string, const Principal*> by_hash_;
  absl::flat_hash_map<std::string, const Principal*> by_name_;
  absl::flat_hash_map<std::string, const Principal*> by_cert_uri_;
  absl::flat_hash_map<int, RateLimitSpec> role_limits_;
};

}  // namespace hallmark::auth

#endif  // HALLMARK_SERVER_AUTH_PRINCIPALS_H_
