// File: server/auth/client_address.h
//
// Who an anonymous caller is, as far as limits go: its IP address, believed from a proxy
// header only when the connection comes from a trusted proxy, and reduced to a bounded set of
// rate-limit buckets (IPv6 by its /64: one host's whole subnet; hashed into `buckets`), so a
// caller with many addresses cannot grow the limiter without bound.
#ifndef HALLMARK_SERVER_AUTH_CLIENT_ADDRESS_H_
#define HALLMARK_SERVER_AUTH_CLIENT_ADDRESS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::auth {

// An address block: "10.0.0.0/8", "2001:db8::/32", or one address ("192.0.2.7").
struct Cidr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
  int bits = 0;
};
// A comma-separated list; INVALID_ARGUMENT naming the bad entry.
absl::StatusOr<std::vector<Cidr>> ParseCidrs(absl::string_view list);
// Whether textual address `ip` lies in one of `blocks` (false for what is not an address).
bool InAny(const std::vector<Cidr>& blocks, absl::string_view ip);

// The client's address: `peer` itself unless `peer` is a trusted proxy; then the rightmost
// address of `forwarded_for` (X-Forwarded-For, comma-separated, each proxy appending the
// address it saw) that is not itself a trusted proxy. A malformed entry ends the walk there
// (the address before it is what our proxy vouches for).
std::string ClientAddress(absl::string_view peer, absl::string_view forwarded_for,
                          const std::vector<Cidr>& trusted);

// RFC 7239 `Forwarded`, as the X-Forwarded-For list ClientAddress walks: each element's for=
// address in order, without quotes, brackets or port ("unknown" and obfuscated identifiers
// stay as they are, so the walk stops at them).
std::string ForwardedForList(absl::string_view forwarded);
// The proto= of `forwarded`'s last element (the one our proxy added), lower case; "" if none.
std::string ForwardedProto(absl::string_view forwarded);

// The rate-limit key of textual address `ip`: `prefix` + a bucket number below `buckets`.
std::string AddressBucketKey(absl::string_view ip, absl::string_view prefix, size_t buckets);

}  // namespace hallmark::auth

#endif  // HALLMARK_SERVER_AUTH_CLIENT_ADDRESS_H_
