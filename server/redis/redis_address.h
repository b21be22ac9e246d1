// File: server/redis/redis_address.h
//
// Where a Redis is: the one parser of Redis addresses in server/redis.
//   "unix:///path/to.sock" or "tcp://host:port" (a single Redis), "host:port" (a cluster node,
//   as CLUSTER SLOTS and cluster:// seeds give them).
#ifndef HALLMARK_SERVER_REDIS_REDIS_ADDRESS_H_
#define HALLMARK_SERVER_REDIS_REDIS_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::redis {

struct RedisAddress {
  std::string unix_path;  // set for unix sockets
  std::string host;
  int port = 0;
  std::string ToString() const;  // "unix:///path" or "tcp://host:port"
};

// "unix:///path/to.sock" or "tcp://host:port" (IPv4 address or name).
absl::StatusOr<RedisAddress> ParseRedisAddress(absl::string_view address);

// "host:port" (port 1..65535) as a TCP RedisAddress.
absl::StatusOr<RedisAddress> ParseHostPort(absl::string_view address);

}  // namespace hallmark::redis

#endif  // HALLMARK_SERVER_REDIS_REDIS_ADDRESS_H_
