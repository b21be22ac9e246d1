#include "server/redis/redis_address.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace hallmark::redis {

std::string RedisAddress::ToString() const {
  return unix_path.empty() ? absl::StrCat("tcp://", host, ":", port)
                           : absl::StrCat("unix://", unix_path);
}

absl::StatusOr<RedisAddress> ParseHostPort(absl::string_view address) {
  RedisAddress out;
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &out.port) || out.port <= 0 ||
      out.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("redis: '", address, "' is not host:port"));
  }
  out.host = std::string(address.substr(0, colon));
  return out;
}

absl::StatusOr<RedisAddress> ParseRedisAddress(absl::string_view address) {
  if (absl::ConsumePrefix(&address, "unix://")) {
    if (address.empty() || address.front() != '/') {
      return absl::InvalidArgumentError("redis: unix:// needs an absolute path (unix:///path)");
    }
    RedisAddress out;
    out.unix_path = std::string(address);
    return out;
  }
  if (absl::ConsumePrefix(&address, "tcp://")) {
    absl::StatusOr<RedisAddress> out = ParseHostPort(address);
    if (!out.ok()) return absl::InvalidArgumentError("redis: expected tcp://host:port");
    return out;
  }
  return absl::InvalidArgumentError("redis: address must start with unix:// or tcp://");
}

}  // namespace hallmark::redis
