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
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
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

  // Sends a write whose acknowledgement promises durability. Where writes are replicated
  // before they are acknowledged (a write connection, see async_redis_client.h), `done` gets
  // the reply only once enough replicas have the write, else UNAVAILABLE (it may exist).
  // Otherwise the same as Execute.
  virtual void ExecuteWrite(std::vector<std::string> argv, absl::Time deadline,
                            ReplyCallback done) {
    Execute(std::move(argv), deadline, std::move(done));
  }

  // True while connected, answering and initialised (functions loaded).
  virtual bool ready() const = 0;

  // OK while the last check found Redis durable (AOF, fsync always; on a cluster: every
  // master) and, where writes are replicated, every master with enough replicas online;
  // otherwise why not (FAILED_PRECONDITION: misconfigured; UNAVAILABLE: for now). Writes that
  // promise durability are refused while not OK.
  virtual absl::Status durability() const { return absl::OkStatus(); }
};

// A RedisClient the server owns: it can be waited for at startup and stopped at shutdown.
// AsyncRedisClient (one Redis) and ClusterRedisClient (Redis Cluster) are the two kinds.
class RedisConnection : public RedisClient {
 public:
  // Blocks until ready; after `timeout` (or at once when an init check failed with
  // FAILED_PRECONDITION, which retrying will not fix), returns the last error.
  virtual absl::Status WaitUntilReady(absl::Duration timeout) = 0;
  // Fails everything pending with UNAVAILABLE and stops the client's threads. Idempotent.
  virtual void Stop() = 0;
};

// The UNAVAILABLE of a command that never left this process (not connected, stopping): it
// did not run, so it is safe to send again elsewhere. Marked with a status payload.
inline constexpr char kNotSentPayload[] = "hallmark.redis/not-sent";
inline absl::Status NotSentError(absl::string_view message) {
  absl::Status s = absl::UnavailableError(message);
  s.SetPayload(kNotSentPayload, absl::Cord("1"));
  return s;
}
inline bool WasNotSent(const absl::Status& status) {
  return status.GetPayload(kNotSentPayload).has_value();
}

}  // namespace hallmark::redis

#endif  // HALLMARK_SERVER_REDIS_REDIS_CLIENT_H_
