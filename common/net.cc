#include "common/net.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hallmark {
namespace {

bool IsLoopbackIpv4(absl::string_view host) {
  const std::vector<absl::string_view> octets = absl::StrSplit(host, '.');
  if (octets.size() != 4) return false;
  for (absl::string_view o : octets) {
    int v = 0;
    if (o.empty() || o.size() > 3 || !absl::SimpleAtoi(o, &v) || v < 0 || v > 255) return false;
  }
  return octets[0] == "127";
}

bool IsLoopbackHostPort(absl::string_view address) {
  absl::string_view host = address;
  if (absl::ConsumePrefix(&host, "[")) {
    const size_t close = host.find(']');
    if (close == absl::string_view::npos) return false;
    host = host.substr(0, close);
    // ::1, or an IPv4-mapped loopback address (::ffff:127.x.y.z).
    return host == "::1" || (absl::ConsumePrefix(&host, "::ffff:") && IsLoopbackIpv4(host));
  }
  const size_t colon = host.rfind(':');
  if (colon != absl::string_view::npos) host = host.substr(0, colon);
  return absl::EqualsIgnoreCase(host, "localhost") || IsLoopbackIpv4(host);
}

}  // namespace

bool IsLoopbackAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:")) return true;
  absl::ConsumePrefix(&address, "dns:///");
  // gRPC's ipv4: and ipv6: targets list several addresses, comma-separated: every one of
  // them must be loopback (a plaintext token must not reach the second one otherwise).
  const bool list = absl::ConsumePrefix(&address, "ipv4:") || absl::ConsumePrefix(&address, "ipv6:");
  if (!list) return IsLoopbackHostPort(address);
  for (absl::string_view one : absl::StrSplit(address, ',')) {
    if (!IsLoopbackHostPort(one)) return false;
  }
  return true;
}

}  // namespace hallmark
