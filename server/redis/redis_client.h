// File: server/redis/redis_client.h
//
// RedisClient: the asynchronous Redis interface the registry is written against. Every command
// carries a deadline; the callback runs exactly once, on the client's event-loop thread, with
// the reply or with UNAVAILABLE (not connected, connection lost, or no reply by the deadline).
// Callbacks must be short: hand CPU work to a worker pool.
//
// Commands issued close together are pipelined on one connection, so concurrent callers share
// round trips.
//
// Example:
//   client.Execute({"HGET", "hm:{09506000134352}", "n"}, absl::Now() + absl::Seconds(1),
//                  [](absl::StatusOr<RedisReply> reply) { ... });
#ifndef HALLMARK_SERVER_REDIS_REDIS_CLIENT_H_
#define HALLMARK_SERVER_REDIS_REDIS_CLIENT_H_

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/redis/redis_reply.h"

namespace hallmark::redis {

using ReplyCallback = absl::AnyInvocable<void(absl::StatusOr<RedisReply>)>;

class RedisClient {
 public:
  virtual ~RedisClient() = default;

  // Sends `argv` (binary-safe) and calls `done` with the reply. Thread-safe.
  virtual void Execute(std::vector<std::string> argv, absl::Time deadline,
                       ReplyCallback done) = 0;

  // True while connected and initialised (functions loaded, durability checked).
  virtual bool ready() const = 0;
};

}  // namespace hallmark::redis

#endif  // HALLMARK_SERVER_REDIS_REDIS_CLIENT_H_
