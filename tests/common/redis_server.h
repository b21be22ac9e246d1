// File: tests/common/redis_server.h
//
// RedisServer: a real redis-server for integration tests, started by the test itself with
// deploy/redis/redis.conf (the durable production settings), listening only on a unix socket
// in a private temp dir (port 0: no TCP). It can be killed, paused and restarted on the same
// data directory to test crashes and outages.
#ifndef HALLMARK_TESTS_COMMON_REDIS_SERVER_H_
#define HALLMARK_TESTS_COMMON_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hallmark::testing {

// A TCP port on 127.0.0.1 that nothing listens on right now (for the few tests that need TCP
// between Redis processes: replication, the cluster bus).
int FreeLoopbackPort();

class RedisServer {
 public:
  // `dir` must exist; data, socket and log go there. `extra_config` lines are appended.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(const std::string& dir,
                                                            const std::string& extra_config = "");
  ~RedisServer();  // SIGTERM, then waits

  std::string address() const { return "unix://" + socket_; }
  const std::string& socket_path() const { return socket_; }
  pid_t pid() const { return pid_; }

  void Kill();    // SIGKILL: an abrupt crash
  void Stop();    // SIGTERM and wait: a clean shutdown
  void Pause();   // SIGSTOP: alive but never answering
  void Resume();  // SIGCONT
  absl::Status Restart();  // after Kill/Stop: start again on the same data directory

  // Runs one command on a fresh blocking connection; returns the reply as text (arrays are
  // joined with '\n', nil is ""). For assertions only.
  absl::StatusOr<std::string> Command(const std::vector<std::string>& argv) const;
  // INFO memory's used_memory.
  absl::StatusOr<long long> UsedMemory() const;  // NOLINT(runtime/int)

 private:
  RedisServer(std::string dir, std::string config);
  absl::Status Spawn();

  const std::string dir_;
  const std::string config_;
  const std::string socket_;
  pid_t pid_ = -1;
};

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_REDIS_SERVER_H_
