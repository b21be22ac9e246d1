#include "server/auth/principals.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "crypto/prf.h"

namespace hallmark::auth {
namespace {

constexpr RateLimitSpec kDefaultIssueRate{20'000, 100'000};
constexpr uint32_t kDefaultMaxStreams = 4;

}  // namespace

PrincipalStore::PrincipalStore(admin::Principals principals)
    : principals_(std::move(principals)) {
  for (const Principal& p : principals_.principal()) {
    by_name_[p.name()] = &p;
    if (p.disabled()) continue;
    if (!p.token_sha256().empty()) by_hash_[p.token_sha256()] = &p;
    if (!p.client_cert_uri().empty()) by_cert_uri_[p.client_cert_uri()] = &p;
  }
  role_limits_ = {{admin::ROLE_VERIFIER, {20, 40}},
                  {admin::ROLE_RETAILER, {200, 400}},
                  {admin::ROLE_LAW_ENFORCEMENT, {100, 200}},
                  {admin::ROLE_ISSUER, {1000, 2000}}};
  for (const admin::RoleLimit& r : principals_.role_limits()) {
    role_limits_[r.role()] = {r.rate_limit().per_second(),
                              static_cast<double>(r.rate_limit().burst())};
  }
}

RateLimitSpec PrincipalStore::RateLimitFor(const Principal& principal) const {
  if (principal.has_rate_limit()) {
    return {principal.rate_limit().per_second(),
            static_cast<double>(principal.rate_limit().burst())};
  }
  auto it = role_limits_.find(principal.role());
  return it == role_limits_.end() ? RateLimitSpec{1, 1} : it->second;
}

RateLimitSpec PrincipalStore::IssueRateFor(const Principal& principal) const {
  if (principal.has_issue_rate()) {
    return {principal.issue_rate().per_second(),
            static_cast<double>(principal.issue_rate().burst())};
  }
  return kDefaultIssueRate;
}

uint32_t PrincipalStore::MaxStreamsFor(const Principal& principal) const {
  return principal.max_streams() > 0 ? principal.max_streams() : kDefaultMaxStreams;
}

absl::StatusOr<std::unique_ptr<PrincipalStore>> PrincipalStore::LoadFile(
    const std::string& path) {
  HALLMARK_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  HALLMARK_ASSIGN_OR_RETURN(admin::Principals principals, principals::Parse(text, path));
  return FromProto(std::move(principals));
}

absl::StatusOr<std::unique_ptr<PrincipalStore>> PrincipalStore::FromProto(
    admin::Principals principals) {
  HALLMARK_RETURN_IF_ERROR(principals::Validate(principals));
  return std::unique_ptr<PrincipalStore>(new PrincipalStore(std::move(principals)));
}

const Principal* PrincipalStore::FindByToken(absl::string_view token) const {
  const std::string hash = TokenHash(token);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return nullptr;
  // The map compared hashes; confirm in constant time all the same.
  return crypto::ConstantTimeEquals(it->second->token_sha256(), hash) ? it->second : nullptr;
}

const Principal* PrincipalStore::FindByCertUri(absl::string_view uri) const {
  auto it = by_cert_uri_.find(uri);
  return it == by_cert_uri_.end() ? nullptr : it->second;
}

const Principal* PrincipalStore::FindByName(absl::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace hallmark::auth
