#include "server/auth/client_address.h"

#include <algorithm>

#include <arpa/inet.h>

#include <cstring>

#include "absl/hash/hash.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace hallmark::auth {
namespace {

// Parses a textual IPv4 or IPv6 address.
bool ParseIp(absl::string_view text, bool* v6, std::array<uint8_t, 16>* bytes) {
  if (text.empty() || text.size() > 45) return false;
  const std::string s(text);
  bytes->fill(0);
  if (inet_pton(AF_INET, s.c_str(), bytes->data()) == 1) {
    *v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), bytes->data()) == 1) {
    // An IPv4 client of a dual-stack socket ("::ffff:192.0.2.7") is that IPv4 address: its
    // own bucket, and IPv4 proxy ranges match it.
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(std::begin(kMapped), std::end(kMapped), bytes->begin())) {
      std::array<uint8_t, 16> v4{};
      std::copy(bytes->begin() + 12, bytes->end(), v4.begin());
      *bytes = v4;
      *v6 = false;
      return true;
    }
    *v6 = true;
    return true;
  }
  return false;
}

bool Matches(const Cidr& c, bool v6, const std::array<uint8_t, 16>& a) {
  if (c.v6 != v6) return false;
  const int full = c.bits / 8, rest = c.bits % 8;
  if (std::memcmp(c.bytes.data(), a.data(), full) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (c.bytes[full] & mask) == (a[full] & mask);
}

}  // namespace

absl::StatusOr<std::vector<Cidr>> ParseCidrs(absl::string_view list) {
  std::vector<Cidr> out;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    Cidr c;
    absl::string_view address = entry.substr(0, entry.find('/'));
    if (!ParseIp(address, &c.v6, &c.bytes)) {
      return absl::InvalidArgumentError(absl::StrCat("not an address block: ", entry));
    }
    const int max = c.v6 ? 128 : 32;
    c.bits = max;
    if (address.size() != entry.size() &&
        (!absl::SimpleAtoi(entry.substr(address.size() + 1), &c.bits) || c.bits < 0 ||
         c.bits > max)) {
      return absl::InvalidArgumentError(absl::StrCat("not an address block: ", entry));
    }
    out.push_back(c);
  }
  return out;
}

bool InAny(const std::vector<Cidr>& blocks, absl::string_view ip) {
  bool v6 = false;
  std::array<uint8_t, 16> a{};
  if (!ParseIp(ip, &v6, &a)) return false;
  for (const Cidr& c : blocks) {
    if (Matches(c, v6, a)) return true;
  }
  return false;
}

std::string ClientAddress(absl::string_view peer, absl::string_view forwarded_for,
                          const std::vector<Cidr>& trusted) {
  if (trusted.empty() || !InAny(trusted, peer)) return std::string(peer);
  std::vector<absl::string_view> hops = absl::StrSplit(forwarded_for, ',', absl::SkipWhitespace());
  std::string client(peer);
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const absl::string_view hop = absl::StripAsciiWhitespace(*it);
    bool v6 = false;
    std::array<uint8_t, 16> a{};
    if (!ParseIp(hop, &v6, &a)) break;
    client = std::string(hop);
    if (!InAny(trusted, hop)) break;
  }
  return client;
}

namespace {

// The value of parameter `name` in one Forwarded element ("for=1.2.3.4;proto=https"),
// unquoted; "" when absent.
std::string ForwardedParam(absl::string_view element, absl::string_view name) {
  for (absl::string_view pair : absl::StrSplit(element, ';')) {
    pair = absl::StripAsciiWhitespace(pair);
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos || !absl::EqualsIgnoreCase(pair.substr(0, eq), name)) {
      continue;
    }
    absl::string_view value = pair.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return "";
}

// "[2001:db8::1]:4711" -> "2001:db8::1"; "192.0.2.1:80" -> "192.0.2.1"; others unchanged.
std::string WithoutPort(absl::string_view node) {
  if (absl::StartsWith(node, "[")) {
    const size_t end = node.find(']');
    return std::string(end == absl::string_view::npos ? node : node.substr(1, end - 1));
  }
  const size_t colon = node.find(':');
  if (colon != absl::string_view::npos && node.find(':', colon + 1) == absl::string_view::npos) {
    return std::string(node.substr(0, colon));
  }
  return std::string(node);
}

}  // namespace

std::string ForwardedForList(absl::string_view forwarded) {
  std::vector<std::string> hops;
  for (absl::string_view element : absl::StrSplit(forwarded, ',', absl::SkipWhitespace())) {
    const std::string node = ForwardedParam(element, "for");
    hops.push_back(node.empty() ? "unknown" : WithoutPort(node));
  }
  return absl::StrJoin(hops, ", ");
}

std::string ForwardedProto(absl::string_view forwarded) {
  std::vector<absl::string_view> elements =
      absl::StrSplit(forwarded, ',', absl::SkipWhitespace());
  if (elements.empty()) return "";
  return absl::AsciiStrToLower(ForwardedParam(elements.back(), "proto"));
}

std::string AddressBucketKey(absl::string_view ip, absl::string_view prefix, size_t buckets) {
  bool v6 = false;
  std::array<uint8_t, 16> a{};
  std::string key(ip);
  if (ParseIp(ip, &v6, &a)) {
    key.assign(reinterpret_cast<const char*>(a.data()), v6 ? 8 : 4);  // IPv6: its /64
  }
  return absl::StrCat(prefix, absl::Hash<std::string>()(key) % buckets);
}

}  // namespace hallmark::auth
