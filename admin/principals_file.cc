#include "admin/principals_file.h"

#include <google/protobuf/text_format.h>

#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "crypto/prf.h"

namespace hallmark::principals {
namespace {

using admin::Principal;

bool IsHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && !(c >= 'a' && c <= 'f')) {
      return false;
    }
  }
  return true;
}

absl::Status Invalid(const Principal& p, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("principals: principal '", p.name(), "': ", what));
}

// Names and organisations go into stored records whose fields are separated by new lines
// (and lists by commas), and into logs: 1..max characters, no control character, no comma.
bool IsRecordSafe(absl::string_view value, size_t max) {
  if (value.size() > max) return false;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ',') return false;
  }
  return true;
}

// NaN or infinity would make the bucket refill completely on every call: no limit at all.
bool ValidRate(const admin::RateLimit& r) {
  return std::isfinite(r.per_second()) && r.per_second() > 0 && r.burst() > 0;
}

absl::Status ValidatePrincipal(const Principal& p) {
  if (p.name().empty()) return Invalid(p, "name is required");
  if (!IsRecordSafe(p.name(), 64)) {
    return Invalid(p, "name: at most 64 characters, no control characters or commas");
  }
  if (!IsRecordSafe(p.organisation(), 128)) {
    return Invalid(p, "organisation: at most 128 characters, no control characters or commas");
  }
  if (p.role() == admin::ROLE_UNSPECIFIED) return Invalid(p, "role is required");
  if (p.token_sha256().empty() && p.client_cert_uri().empty()) {
    return Invalid(p, "needs token_sha256 or client_cert_uri");
  }
  if (!p.token_sha256().empty() && !IsHex64(p.token_sha256())) {
    return Invalid(p, "token_sha256 must be 64 lowercase hex digits");
  }
  for (const std::string& prefix : p.gs1_company_prefixes()) {
    bool ok = !prefix.empty() && prefix.size() <= 12;
    for (char c : prefix) ok = ok && absl::ascii_isdigit(static_cast<unsigned char>(c));
    if (!ok) return Invalid(p, absl::StrCat("prefix '", prefix, "' must be 1..12 digits"));
  }
  if (p.role() == admin::ROLE_ISSUER && p.gs1_company_prefixes().empty()) {
    return Invalid(p, "an issuer needs at least one gs1_company_prefixes");
  }
  if (p.has_rate_limit() && !ValidRate(p.rate_limit())) {
    return Invalid(p, "rate_limit needs a finite per_second > 0 and burst > 0");
  }
  if (p.has_issue_rate() && !ValidRate(p.issue_rate())) {
    return Invalid(p, "issue_rate needs a finite per_second > 0 and burst > 0");
  }
  return absl::OkStatus();
}

}  // namespace

std::string TokenHash(absl::string_view token) {
  return absl::BytesToHexString(crypto::Sha256(token));
}

absl::StatusOr<std::string> NewToken() {
  HALLMARK_ASSIGN_OR_RETURN(std::string bytes, crypto::RandomBytes(32));
  return absl::StrCat("hm_", absl::WebSafeBase64Escape(bytes));
}

absl::string_view RoleName(admin::Role role) {
  switch (role) {
    case admin::ROLE_ISSUER: return "issuer";
    case admin::ROLE_RETAILER: return "retailer";
    case admin::ROLE_VERIFIER: return "verifier";
    case admin::ROLE_LAW_ENFORCEMENT: return "law_enforcement";
    default: return "unspecified";
  }
}

absl::StatusOr<admin::Role> ParseRole(absl::string_view name) {
  for (admin::Role r : {admin::ROLE_ISSUER, admin::ROLE_RETAILER, admin::ROLE_VERIFIER,
                 admin::ROLE_LAW_ENFORCEMENT}) {
    if (name == RoleName(r)) return r;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "role: '", name, "' is not one of issuer, retailer, verifier, law_enforcement"));
}

absl::Status Validate(const admin::Principals& principals) {
  for (const admin::RoleLimit& r : principals.role_limits()) {
    if (r.role() == admin::ROLE_UNSPECIFIED || !ValidRate(r.rate_limit())) {
      return absl::InvalidArgumentError(
          "principals: role_limits needs a role, a finite per_second > 0 and burst > 0");
    }
  }
  absl::flat_hash_map<std::string, int> names, hashes, uris;
  for (const Principal& p : principals.principal()) {
    HALLMARK_RETURN_IF_ERROR(ValidatePrincipal(p));
    if (++names[p.name()] > 1) return Invalid(p, "name appears twice");
    if (!p.token_sha256().empty() && ++hashes[p.token_sha256()] > 1) {
      return Invalid(p, "token hash is shared with another");
    }
    if (!p.client_cert_uri().empty() && ++uris[p.client_cert_uri()] > 1) {
      return Invalid(p, "client_cert_uri is shared with another");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<admin::Principals> Parse(absl::string_view text, absl::string_view path) {
  admin::Principals principals;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text), &principals)) {
    return absl::InvalidArgumentError(
        absl::StrCat("principals: ", path, " is not a valid principals text proto"));
  }
  return principals;
}

absl::Status WriteFile(const std::string& path, const admin::Principals& principals) {
  HALLMARK_RETURN_IF_ERROR(Validate(principals));  // exactly as the server will load it
  std::string text;
  google::protobuf::TextFormat::PrintToString(principals, &text);
  return WriteFileAtomically(
      path, absl::StrCat("# hallmark-server principals. Manage with `hallmarkctl principals`.\n",
                         "# Tokens are stored only as SHA-256.\n", text),
      0600);
}

}  // namespace hallmark::principals
