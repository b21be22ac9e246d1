// File: tests/common/subprocess.h
//
// Subprocess: runs one of our binaries (or any program) as a child for end-to-end tests, with
// stdout+stderr to a log file; killed with SIGKILL if the test process dies.
#ifndef HALLMARK_TESTS_COMMON_SUBPROCESS_H_
#define HALLMARK_TESTS_COMMON_SUBPROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace hallmark::testing {

class Subprocess {
 public:
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv,
                                          const std::string& log_path);
  Subprocess(Subprocess&& other) noexcept : pid_(other.pid_), log_(std::move(other.log_)) {
    other.pid_ = -1;
  }
  ~Subprocess();  // SIGKILL if still running

  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // The exit code (128 + signal when killed), or nullopt if still running after `timeout`.
  std::optional<int> Wait(absl::Duration timeout);
  std::string Log() const;

 private:
  Subprocess(pid_t pid, std::string log) : pid_(pid), log_(std::move(log)) {}
  pid_t pid_;
  std::string log_;
};

// Runs `command` with /bin/sh and returns what it wrote to stdout (all of it; "" if it could
// not start). For stock tools a test drives: curl, zbarimg, dmtxread.
std::string RunShell(const std::string& command);

// An HTTP answer as curl -i shows it.
struct HttpReply {
  int status = 0;    // 0 when curl got no answer
  std::string head;  // status line and headers
  std::string body;
};

// GET (or what `curl_args` says) http://127.0.0.1:`port``target` with curl.
HttpReply Curl(int port, const std::string& target, const std::string& curl_args = "");

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_SUBPROCESS_H_
